/*
 * KinesisStream: data streams of a region (ListStreams' StreamSummaries,
 * with ARN and creation time; answers without them get DescribeStreamSummary).
 * Tags: ListTagsForStream (paginated by ExclusiveStartTagKey). DeleteStream
 * with EnforceConsumerDeletion, so registered consumers do not block it.
 * Deletion is asynchronous (DELETING): a stream already DELETING counts as
 * removal started, and `gone` polls DescribeStreamSummary.
 */
#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

#define SVC "kinesis"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
} lister;

static int summary(tp_clean_ctx *ctx, const char *region, const char *name, json_t **out)
{
	json_t *req = json_pack("{s:s}", "StreamName", name), *resp = NULL;
	int rc = tp_aws_json(ctx->client, &resp, SVC, region, "DescribeStreamSummary", req);

	json_decref(req);
	*out = rc == 0 ? json_incref(json_object_get(resp, "StreamDescriptionSummary")) : NULL;
	json_decref(resp);
	return rc;
}

static int read_tags(lister *l, tp_resource *r)
{
	return tp_tags_json_by_key(l->ctx->client, SVC, l->region, "ListTagsForStream",
				   json_pack("{s:s, s:i}", "StreamName", r->id, "Limit", 50), r);
}

static void add_stream(lister *l, const char *name, json_t *s)
{
	tp_resource *r = tp_resource_new(&tp_type_kinesis_stream, l->region, name);
	json_t *own = NULL;
	int rc = 0;

	if (!tp_jstr(s, "StreamARN"))
		rc = summary(l->ctx, l->region, name, &own);
	if (own)
		s = own;
	tp_resource_set_arn(r, tp_jstr(s, "StreamARN"));
	r->created = tp_jtime(s, "StreamCreationTimestamp");
	if (rc == 0)
		rc = read_tags(l, r);
	json_decref(own);
	tp_tags_add(l->out, r, rc);
}

/* StreamSummaries runs alongside StreamNames (when the answer has it). */
static int add_named(void *arg, const char *name, json_t *page, size_t i)
{
	json_t *s = json_array_get(json_object_get(page, "StreamSummaries"), i);

	if (s && !tp_streq(tp_jstr(s, "StreamName"), name))
		s = NULL;
	add_stream(arg, name, s);
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };

	return tp_each_json_name(ctx->client, SVC, region, "ListStreams",
				 json_pack("{s:i}", "Limit", 100), "StreamNames",
				 "ExclusiveStartStreamName", "HasMoreStreams", add_named, &l);
}

static int remove_stream(tp_clean_ctx *ctx, const tp_resource *r)
{
	json_t *s = NULL;
	int rc = summary(ctx, r->region, r->id, &s);

	if (rc == 0 && !tp_streq(tp_jstr(s, "StreamStatus"), "DELETING"))
		rc = tp_call_json(ctx->client, SVC, r->region, "DeleteStream",
				  json_pack("{s:s, s:b}", "StreamName", r->id,
					    "EnforceConsumerDeletion", 1));
	json_decref(s);
	return rc;
}

static int gone(tp_clean_ctx *ctx, const tp_resource *r)
{
	json_t *s = NULL;
	int rc = summary(ctx, r->region, r->id, &s);

	json_decref(s);
	return tp_gone_result(rc);
}

const tp_resource_type tp_type_kinesis_stream = {
	.name = "KinesisStream",
	.list = list,
	.remove = remove_stream,
	.gone = gone,
};
