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
	char last[256];
	int more;
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

static int page(lister *l)
{
	json_t *body = json_pack("{s:i}", "Limit", 100), *resp = NULL, *names, *sums, *n;
	size_t i;
	int rc;

	if (l->last[0])
		json_object_set_new(body, "ExclusiveStartStreamName", json_string(l->last));
	rc = tp_aws_json(l->ctx->client, &resp, SVC, l->region, "ListStreams", body);
	json_decref(body);
	if (rc < 0)
		return rc;
	names = json_object_get(resp, "StreamNames");
	sums = json_object_get(resp, "StreamSummaries");
	json_array_foreach(names, i, n) {
		json_t *s = json_array_get(sums, i);

		if (!json_is_string(n))
			continue;
		if (s && !tp_streq(tp_jstr(s, "StreamName"), json_string_value(n)))
			s = NULL;
		add_stream(l, json_string_value(n), s);
		tp_strlcpy(l->last, json_string_value(n), sizeof(l->last));
	}
	l->more = tp_jbool(resp, "HasMoreStreams") && json_array_size(names) > 0;
	json_decref(resp);
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l;
	int rc;

	memset(&l, 0, sizeof(l));
	l.ctx = ctx;
	l.region = region;
	l.out = out;
	do
		rc = page(&l);
	while (rc == 0 && l.more);
	return rc;
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
	if (rc == TP_ENOTFOUND) {
		tp_error_clear();
		return 1;
	}
	return rc < 0 ? rc : 0;
}

const tp_resource_type tp_type_kinesis_stream = {
	.name = "KinesisStream",
	.list = list,
	.remove = remove_stream,
	.gone = gone,
};
