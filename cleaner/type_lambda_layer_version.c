/*
 * LambdaLayerVersion: every version of every layer of a region. The id is
 * "<layer>:<version>", the name the layer's, the ARN the version's.
 * Layers have no tags. DeleteLayerVersion answers success for a version
 * that does not exist (documented), so a second remove returns 0.
 */
#include <stdio.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/types.h"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
	const char *layer;
} lister;

static void layer_path(tp_buf *path, const char *layer)
{
	tp_buf_adds(path, "/2018-10-31/layers/");
	tp_aws_uri_escape(path, layer, 0);
	tp_buf_adds(path, "/versions");
}

static int add_version(void *arg, json_t *v)
{
	lister *l = arg;
	json_t *num = json_object_get(v, "Version");
	tp_resource *r;
	char id[256];

	if (!json_is_integer(num))
		return 0;
	snprintf(id, sizeof(id), "%s:%lld", l->layer, (long long)json_integer_value(num));
	r = tp_resource_new(&tp_type_lambda_layer_version, l->region, id);
	tp_resource_set_name(r, l->layer);
	tp_resource_set_arn(r, tp_jstr(v, "LayerVersionArn"));
	r->created = tp_jtime(v, "CreatedDate");
	r->props = json_pack("{s:s, s:I}", "layer", l->layer, "version", json_integer_value(num));
	tp_resource_list_add(l->out, r);
	return 0;
}

static int add_layer(void *arg, json_t *layer)
{
	lister *l = arg;
	tp_buf path = TP_BUF_INIT;
	int rc;

	l->layer = tp_jstr(layer, "LayerName");
	if (!l->layer)
		return 0;
	layer_path(&path, l->layer);
	rc = tp_each_rest_json(l->ctx->client, "lambda", l->region, "ListLayerVersions",
			       tp_buf_cstr(&path), NULL, "Marker", "NextMarker", "LayerVersions",
			       add_version, l);
	tp_buf_release(&path);
	if (rc == TP_ENOTFOUND) {  /* deleted since ListLayers */
		tp_error_clear();
		rc = 0;
	}
	return rc;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out, NULL };

	return tp_each_rest_json(ctx->client, "lambda", region, "ListLayers", "/2018-10-31/layers",
				 NULL, "Marker", "NextMarker", "Layers", add_layer, &l);
}

static int remove_version(tp_clean_ctx *ctx, const tp_resource *r)
{
	tp_buf path = TP_BUF_INIT;
	json_t *resp = NULL;
	int rc;

	layer_path(&path, tp_jstr(r->props, "layer"));
	tp_buf_addf(&path, "/%lld", (long long)json_integer_value(json_object_get(r->props, "version")));
	rc = tp_aws_rest_json(ctx->client, &resp, "lambda", r->region, "DeleteLayerVersion",
			      "DELETE", tp_buf_cstr(&path), NULL, NULL);
	json_decref(resp);
	tp_buf_release(&path);
	return rc;
}

const tp_resource_type tp_type_lambda_layer_version = {
	.name = "LambdaLayerVersion",
	.list = list,
	.remove = remove_version,
};
