/*
 * DynamoDBTable: tables of a region. Deletion protection is turned off
 * before DeleteTable: a table nobody protected with a filter rule is
 * meant to go, and a protected-by-flag table would otherwise keep the
 * account dirty forever. Deletion is asynchronous (DELETING), so `gone`
 * polls DescribeTable; a table already DELETING counts as removal started.
 */
#include <string.h>

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

static int describe_table(tp_clean_ctx *ctx, const char *region, const char *name, json_t **table)
{
	json_t *req = json_pack("{s:s}", "TableName", name), *resp = NULL;
	int rc;

	*table = NULL;
	rc = tp_aws_json(ctx->client, &resp, "dynamodb", region, "DescribeTable", req);
	json_decref(req);
	if (rc < 0)
		return rc;
	*table = json_incref(json_object_get(resp, "Table"));
	json_decref(resp);
	return *table ? 0 : tp_error_set(TP_EAWS, "DescribeTable %s: no Table in the answer", name);
}

static int read_tags(lister *l, tp_resource *r)
{
	return tp_tags_json_paged(l->ctx->client, "dynamodb", l->region, "ListTagsOfResource",
				  json_pack("{s:s}", "ResourceArn", r->arn ? r->arn : ""),
				  "NextToken", "NextToken", r);
}

static tp_resource *describe(lister *l, const char *name)
{
	tp_resource *r = tp_resource_new(&tp_type_dynamodb_table, l->region, name);
	json_t *table = NULL;
	int rc;

	rc = describe_table(l->ctx, l->region, name, &table);
	if (rc == 0) {
		tp_resource_set_arn(r, tp_jstr(table, "TableArn"));
		r->created = tp_jtime(table, "CreationDateTime");
		r->props = json_pack("{s:s?}", "status", tp_jstr(table, "TableStatus"));
		rc = read_tags(l, r);
	}
	json_decref(table);
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
	json_t *name;
	size_t i;

	json_array_foreach(json_object_get(resp, "TableNames"), i, name) {
		tp_resource *r = json_is_string(name) ? describe(l, json_string_value(name)) : NULL;

		if (r)
			tp_resource_list_add(l->out, r);
	}
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };

	return tp_aws_json_paginate(ctx->client, "dynamodb", region, "ListTables", NULL,
				    "ExclusiveStartTableName", "LastEvaluatedTableName", page, &l);
}

static int call(tp_clean_ctx *ctx, const tp_resource *r, const char *op, json_t *req)
{
	json_t *resp = NULL;
	int rc = tp_aws_json(ctx->client, &resp, "dynamodb", r->region, op, req);

	json_decref(req);
	json_decref(resp);
	return rc;
}

static int remove_table(tp_clean_ctx *ctx, const tp_resource *r)
{
	json_t *table = NULL;
	const char *status;
	int rc;

	if ((rc = describe_table(ctx, r->region, r->id, &table)) < 0)
		return rc;
	status = tp_jstr(table, "TableStatus");
	if (status && strcmp(status, "DELETING") == 0)
		goto done;
	if (tp_jbool(table, "DeletionProtectionEnabled")) {
		rc = call(ctx, r, "UpdateTable", json_pack("{s:s, s:b}", "TableName", r->id,
							 "DeletionProtectionEnabled", 0));
		if (rc < 0) {
			tp_error_prefix("turning off deletion protection of %s: ", r->id);
			goto done;
		}
	}
	rc = call(ctx, r, "DeleteTable", json_pack("{s:s}", "TableName", r->id));
done:
	json_decref(table);
	return rc;
}

static int gone(tp_clean_ctx *ctx, const tp_resource *r)
{
	json_t *table = NULL;
	int rc = describe_table(ctx, r->region, r->id, &table);

	json_decref(table);
	return tp_gone_result(rc);
}

const tp_resource_type tp_type_dynamodb_table = {
	.name = "DynamoDBTable",
	.list = list,
	.remove = remove_table,
	.gone = gone,
};
