/*
 * LambdaEventSourceMapping: the mappings of a region (SQS, Kinesis,
 * DynamoDB streams ... to functions). The id is the mapping's UUID; tags
 * from ListTags on its ARN (EventSourceMappingArn, or built from the UUID
 * where the answer predates it). Deletion is asynchronous (state
 * Deleting); a mapping already Deleting counts as removal started, and
 * `gone` polls GetEventSourceMapping.
 */
#include <string.h>

#include "aws/buf.h"
#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

#define PREFIX "/2015-03-31/event-source-mappings/"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
} lister;

static int add_mapping(void *arg, json_t *m)
{
	lister *l = arg;
	const char *uuid = tp_jstr(m, "UUID"), *arn = tp_jstr(m, "EventSourceMappingArn");
	tp_resource *r;
	char *built = NULL;

	if (!uuid)
		return 0;
	r = tp_resource_new(&tp_type_lambda_event_source_mapping, l->region, uuid);
	if (!arn)
		arn = built = tp_xasprintf("arn:aws:lambda:%s:%s:event-source-mapping:%s",
					   l->region, l->ctx->account, uuid);
	tp_resource_set_arn(r, arn);
	r->props = json_pack("{s:s?, s:s?, s:s?}", "function", tp_jstr(m, "FunctionArn"),
			     "source", tp_jstr(m, "EventSourceArn"), "state", tp_jstr(m, "State"));
	tp_tags_add(l->out, r, tp_tags_rest(l->ctx->client, "lambda", l->region,
					    "/2017-03-31/tags/", arn, r));
	free(built);
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };
	tp_params q = TP_PARAMS_INIT;
	int rc;

	tp_params_add(&q, "MaxItems", "100");
	rc = tp_each_rest_json(ctx->client, "lambda", region, "ListEventSourceMappings", PREFIX,
			       &q, "Marker", "NextMarker", "EventSourceMappings", add_mapping, &l);
	tp_params_release(&q);
	return rc;
}

static int call(tp_clean_ctx *ctx, const tp_resource *r, const char *op, const char *method,
		json_t **resp)
{
	tp_buf path = TP_BUF_INIT;
	int rc;

	tp_buf_adds(&path, PREFIX);
	tp_aws_uri_escape(&path, r->id, 0);
	rc = tp_aws_rest_json(ctx->client, resp, "lambda", r->region, op, method,
			      tp_buf_cstr(&path), NULL, NULL);
	tp_buf_release(&path);
	return rc;
}

static int remove_mapping(tp_clean_ctx *ctx, const tp_resource *r)
{
	json_t *resp = NULL;
	const char *state;
	int rc = call(ctx, r, "GetEventSourceMapping", "GET", &resp);

	state = tp_jstr(resp, "State");
	if (rc == 0 && !(state && strcmp(state, "Deleting") == 0)) {
		json_decref(resp);
		resp = NULL;
		rc = call(ctx, r, "DeleteEventSourceMapping", "DELETE", &resp);
	}
	json_decref(resp);
	return rc;
}

static int gone(tp_clean_ctx *ctx, const tp_resource *r)
{
	json_t *resp = NULL;
	int rc = call(ctx, r, "GetEventSourceMapping", "GET", &resp);

	json_decref(resp);
	return tp_gone_result(rc);
}

const tp_resource_type tp_type_lambda_event_source_mapping = {
	.name = "LambdaEventSourceMapping",
	.list = list,
	.remove = remove_mapping,
	.gone = gone,
};
