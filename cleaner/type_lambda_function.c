/*
 * LambdaFunction: functions of a region (ListFunctions, 50 a page), tags
 * from ListTags. Lambda keeps no creation date (LastModified is not one),
 * so `created` stays 0. Deleting a function removes its versions and
 * aliases; event source mappings go first (waits_for), as a mapping of a
 * deleted function would keep polling its source until it fails.
 */
#include <string.h>

#include "aws/buf.h"
#include "aws/client.h"
#include "aws/error.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
} lister;

static int add_function(void *arg, json_t *f)
{
	lister *l = arg;
	const char *name = tp_jstr(f, "FunctionName"), *arn = tp_jstr(f, "FunctionArn");
	tp_resource *r;

	if (!name || !arn)
		return 0;
	r = tp_resource_new(&tp_type_lambda_function, l->region, name);
	tp_resource_set_arn(r, arn);
	tp_tags_add(l->out, r, tp_tags_rest(l->ctx->client, "lambda", l->region,
					    "/2017-03-31/tags/", arn, r));
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };
	tp_params q = TP_PARAMS_INIT;
	int rc;

	tp_params_add(&q, "MaxItems", "50");
	rc = tp_each_rest_json(ctx->client, "lambda", region, "ListFunctions",
			       "/2015-03-31/functions/", &q, "Marker", "NextMarker", "Functions",
			       add_function, &l);
	tp_params_release(&q);
	return rc;
}

static int remove_function(tp_clean_ctx *ctx, const tp_resource *r)
{
	tp_buf path = TP_BUF_INIT;
	json_t *resp = NULL;
	int rc;

	tp_buf_adds(&path, "/2015-03-31/functions/");
	tp_aws_uri_escape(&path, r->id, 0);
	rc = tp_aws_rest_json(ctx->client, &resp, "lambda", r->region, "DeleteFunction", "DELETE",
			      tp_buf_cstr(&path), NULL, NULL);
	json_decref(resp);
	tp_buf_release(&path);
	return rc;
}

static const char *const waits[] = { "LambdaEventSourceMapping", NULL };

const tp_resource_type tp_type_lambda_function = {
	.name = "LambdaFunction",
	.waits_for = waits,
	.list = list,
	.remove = remove_function,
};
