/*
 * FirehoseDeliveryStream: delivery streams of a region (ListDeliveryStreams
 * paginated by ExclusiveStartDeliveryStreamName; DescribeDeliveryStream
 * for ARN and creation time; ListTagsForDeliveryStream paginated by
 * ExclusiveStartTagKey). DeleteDeliveryStream with AllowForceDelete (a
 * stream whose KMS grant is gone cannot be deleted otherwise); deletion is
 * asynchronous (DELETING), so `gone` polls DescribeDeliveryStream.
 */
#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

#define SVC "firehose"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
} lister;

static int describe(tp_clean_ctx *ctx, const char *region, const char *name, json_t **out)
{
	json_t *req = json_pack("{s:s}", "DeliveryStreamName", name), *resp = NULL;
	int rc = tp_aws_json(ctx->client, &resp, SVC, region, "DescribeDeliveryStream", req);

	json_decref(req);
	*out = rc == 0 ? json_incref(json_object_get(resp, "DeliveryStreamDescription")) : NULL;
	json_decref(resp);
	return rc;
}

static int read_tags(lister *l, tp_resource *r)
{
	return tp_tags_json_by_key(l->ctx->client, SVC, l->region, "ListTagsForDeliveryStream",
				   json_pack("{s:s, s:i}", "DeliveryStreamName", r->id, "Limit", 50), r);
}

static void add_stream(lister *l, const char *name)
{
	tp_resource *r = tp_resource_new(&tp_type_firehose_delivery_stream, l->region, name);
	json_t *d = NULL;
	int rc = describe(l->ctx, l->region, name, &d);

	if (rc == 0) {
		tp_resource_set_arn(r, tp_jstr(d, "DeliveryStreamARN"));
		r->created = tp_jtime(d, "CreateTimestamp");
		rc = read_tags(l, r);
	}
	json_decref(d);
	tp_tags_add(l->out, r, rc);
}

static int add_named(void *arg, const char *name, json_t *page, size_t i)
{
	(void)page;
	(void)i;
	add_stream(arg, name);
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };

	return tp_each_json_name(ctx->client, SVC, region, "ListDeliveryStreams",
				 json_pack("{s:i}", "Limit", 100), "DeliveryStreamNames",
				 "ExclusiveStartDeliveryStreamName", "HasMoreDeliveryStreams",
				 add_named, &l);
}

static int remove_stream(tp_clean_ctx *ctx, const tp_resource *r)
{
	json_t *d = NULL;
	int rc = describe(ctx, r->region, r->id, &d);

	if (rc == 0 && !tp_streq(tp_jstr(d, "DeliveryStreamStatus"), "DELETING"))
		rc = tp_call_json(ctx->client, SVC, r->region, "DeleteDeliveryStream",
				  json_pack("{s:s, s:b}", "DeliveryStreamName", r->id,
					    "AllowForceDelete", 1));
	json_decref(d);
	return rc;
}

static int gone(tp_clean_ctx *ctx, const tp_resource *r)
{
	json_t *d = NULL;
	int rc = describe(ctx, r->region, r->id, &d);

	json_decref(d);
	return tp_gone_result(rc);
}

const tp_resource_type tp_type_firehose_delivery_stream = {
	.name = "FirehoseDeliveryStream",
	.list = list,
	.remove = remove_stream,
	.gone = gone,
};
