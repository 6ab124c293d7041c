/*
 * APIGatewayV2Api: HTTP and WebSocket APIs of a region; the list carries
 * tags and createdDate. The id is the apiId; the ARN is
 * "arn:aws:apigateway:REGION::/apis/ID". Deleting an API deletes its
 * stages, routes, integrations and mappings with it.
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
	const char *id = tp_jstr(api, "apiId");
	tp_resource *r;
	char arn[256];

	if (!id)
		return 0;
	r = tp_resource_new(&tp_type_apigateway_v2_api, l->region, id);
	tp_resource_set_name(r, tp_jstr(api, "name"));
	snprintf(arn, sizeof(arn), "arn:aws:apigateway:%s::/apis/%s", l->region, id);
	tp_resource_set_arn(r, arn);
	r->created = tp_jtime(api, "createdDate");
	tp_tags_from_json(r, json_object_get(api, "tags"));
	r->props = json_pack("{s:s?}", "protocol", tp_jstr(api, "protocolType"));
	tp_resource_list_add(l->out, r);
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { region, out };
	tp_params q = TP_PARAMS_INIT;
	int rc;

	tp_params_add(&q, "maxResults", "500");
	rc = tp_each_rest_json(ctx->client, "apigatewayv2", region, "GetApis", "/v2/apis", &q,
			       "nextToken", "nextToken", "items", add_api, &l);
	tp_params_release(&q);
	return rc;
}

static int remove_api(tp_clean_ctx *ctx, const tp_resource *r)
{
	tp_buf path = TP_BUF_INIT;
	json_t *resp = NULL;
	int rc;

	tp_buf_adds(&path, "/v2/apis/");
	tp_aws_uri_escape(&path, r->id, 0);
	rc = tp_aws_rest_json(ctx->client, &resp, "apigatewayv2", r->region, "DeleteApi", "DELETE",
			      tp_buf_cstr(&path), NULL, NULL);
	json_decref(resp);
	tp_buf_release(&path);
	return rc;
}

const tp_resource_type tp_type_apigateway_v2_api = {
	.name = "APIGatewayV2Api",
	.list = list,
	.remove = remove_api,
};
