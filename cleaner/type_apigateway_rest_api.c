/*
 * APIGatewayRestApi: REST APIs (v1) of a region; the list carries tags
 * and createdDate. The id is the API id, the name its name; the ARN is
 * API Gateway's "arn:aws:apigateway:REGION::/restapis/ID". AWS allows
 * one DeleteRestApi per 30 seconds per account: the 429s it answers are
 * throttling, which the client's retries back off from.
 */
#include <stdio.h>

#include "aws/buf.h"
#include "aws/client.h"
#include "aws/error.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

typedef struct lister {
	const char *region;
	tp_resource_list *out;
} lister;

static int add_api(void *arg, json_t *api)
{
	lister *l = arg;
	const char *id = tp_jstr(api, "id");
	tp_resource *r;
	char arn[256];

	if (!id)
		return 0;
	r = tp_resource_new(&tp_type_apigateway_rest_api, l->region, id);
	tp_resource_set_name(r, tp_jstr(api, "name"));
	snprintf(arn, sizeof(arn), "arn:aws:apigateway:%s::/restapis/%s", l->region, id);
	tp_resource_set_arn(r, arn);
	r->created = tp_jtime(api, "createdDate");
	tp_tags_from_json(r, json_object_get(api, "tags"));
	tp_resource_list_add(l->out, r);
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { region, out };
	tp_params q = TP_PARAMS_INIT;
	int rc;

	tp_params_add(&q, "limit", "500");
	rc = tp_each_rest_json(ctx->client, "apigateway", region, "GetRestApis", "/restapis", &q,
			       "position", "position", "item", add_api, &l);
	tp_params_release(&q);
	return rc;
}

/*
 * GetRestApi first: a missing API is TP_ENOTFOUND on AWS and moto alike
 * (moto answers DeleteRestApi of a missing API with a 500), and the extra
 * call is nothing next to DeleteRestApi's own rate limit.
 */
static int remove_api(tp_clean_ctx *ctx, const tp_resource *r)
{
	tp_buf path = TP_BUF_INIT;
	json_t *resp = NULL;
	int rc;

	tp_buf_adds(&path, "/restapis/");
	tp_aws_uri_escape(&path, r->id, 0);
	rc = tp_aws_rest_json(ctx->client, &resp, "apigateway", r->region, "GetRestApi", "GET",
			      tp_buf_cstr(&path), NULL, NULL);
	json_decref(resp);
	resp = NULL;
	if (rc == 0)
		rc = tp_aws_rest_json(ctx->client, &resp, "apigateway", r->region, "DeleteRestApi",
				      "DELETE", tp_buf_cstr(&path), NULL, NULL);
	json_decref(resp);
	tp_buf_release(&path);
	return rc;
}

const tp_resource_type tp_type_apigateway_rest_api = {
	.name = "APIGatewayRestApi",
	.list = list,
	.remove = remove_api,
};
