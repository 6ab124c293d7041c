/*
 * SQSQueue: queues of a region (JSON protocol). The id is the queue URL
 * (what every SQS call takes); the name is its last path segment.
 * DeleteQueue of a missing queue answers QueueDoesNotExist -> TP_ENOTFOUND.
 */
#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
} lister;

static json_t *url_body(const char *url)
{
	return json_pack("{s:s}", "QueueUrl", url);
}

static int read_attributes(lister *l, tp_resource *r)
{
	json_t *req = json_pack("{s:s, s:[s, s]}", "QueueUrl", r->id, "AttributeNames",
				"QueueArn", "CreatedTimestamp");
	json_t *resp = NULL, *attrs;
	const char *created;
	long secs;
	int rc;

	rc = tp_aws_json(l->ctx->client, &resp, "sqs", l->region, "GetQueueAttributes", req);
	json_decref(req);
	if (rc < 0)
		return rc;
	attrs = json_object_get(resp, "Attributes");
	tp_resource_set_arn(r, tp_jstr(attrs, "QueueArn"));
	created = tp_jstr(attrs, "CreatedTimestamp");
	if (created && tp_parse_long(created, &secs) == 0)
		r->created = (time_t)secs;
	json_decref(resp);
	return 0;
}

static int read_tags(lister *l, tp_resource *r)
{
	json_t *req = url_body(r->id), *resp = NULL;
	int rc;

	rc = tp_aws_json(l->ctx->client, &resp, "sqs", l->region, "ListQueueTags", req);
	json_decref(req);
	if (rc < 0)
		return rc;
	tp_tags_from_json(r, json_object_get(resp, "Tags"));
	json_decref(resp);
	return 0;
}

/* One queue: NULL when it vanished meanwhile; a skip reason when its tags are unreadable. */
static tp_resource *describe(lister *l, const char *url)
{
	tp_resource *r = tp_resource_new(&tp_type_sqs_queue, l->region, url);
	const char *slash = strrchr(url, '/');
	int rc;

	tp_resource_set_name(r, slash ? slash + 1 : url);
	rc = read_attributes(l, r);
	if (rc == 0)
		rc = read_tags(l, r);
	if (rc == TP_ENOTFOUND) {
		tp_error_clear();
		tp_resource_free(r);
		return NULL;
	}
	if (rc < 0)
		tp_tags_unreadable(r);
	return r;
}

static int page(void *ctx, json_t *resp)
{
	lister *l = ctx;
	json_t *url;
	size_t i;

	json_array_foreach(json_object_get(resp, "QueueUrls"), i, url) {
		tp_resource *r;

		if (!json_is_string(url))
			continue;
		r = describe(l, json_string_value(url));
		if (r)
			tp_resource_list_add(l->out, r);
	}
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };
	json_t *body = json_pack("{s:i}", "MaxResults", 1000);
	int rc;

	rc = tp_aws_json_paginate(ctx->client, "sqs", region, "ListQueues", body, "NextToken",
				  "NextToken", page, &l);
	json_decref(body);
	return rc;
}

static int remove_queue(tp_clean_ctx *ctx, const tp_resource *r)
{
	json_t *req = url_body(r->id), *resp = NULL;
	int rc;

	rc = tp_aws_json(ctx->client, &resp, "sqs", r->region, "DeleteQueue", req);
	json_decref(req);
	json_decref(resp);
	return rc;
}

const tp_resource_type tp_type_sqs_queue = {
	.name = "SQSQueue",
	.list = list,
	.remove = remove_queue,
};
