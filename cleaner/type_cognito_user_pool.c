/*
 * CognitoUserPool: user pools of a region (ListUserPools, 60 a page;
 * DescribeUserPool for ARN, tags, domains and deletion protection). The
 * id is the pool id, the name the pool's. remove turns deletion protection
 * off (as for DynamoDB tables: a pool nobody protected with a rule is
 * meant to go), deletes the pool's domains (prefix and custom; AWS refuses
 * DeleteUserPool while one exists), then the pool.
 */
#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

#define SVC "cognito-idp"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
} lister;

static int describe(tp_clean_ctx *ctx, const char *region, const char *id, json_t **pool)
{
	json_t *req = json_pack("{s:s}", "UserPoolId", id), *resp = NULL;
	int rc = tp_aws_json(ctx->client, &resp, SVC, region, "DescribeUserPool", req);

	json_decref(req);
	*pool = rc == 0 ? json_incref(json_object_get(resp, "UserPool")) : NULL;
	json_decref(resp);
	return rc;
}

static int add_pool(void *arg, json_t *p)
{
	lister *l = arg;
	const char *id = tp_jstr(p, "Id");
	tp_resource *r;
	json_t *pool = NULL;
	int rc;

	if (!id)
		return 0;
	r = tp_resource_new(&tp_type_cognito_user_pool, l->region, id);
	tp_resource_set_name(r, tp_jstr(p, "Name"));
	r->created = tp_jtime(p, "CreationDate");
	rc = describe(l->ctx, l->region, id, &pool);
	if (rc == 0) {
		tp_resource_set_arn(r, tp_jstr(pool, "Arn"));
		tp_tags_from_json(r, json_object_get(pool, "UserPoolTags"));
	}
	json_decref(pool);
	tp_tags_add(l->out, r, rc);
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };
	json_t *body = json_pack("{s:i}", "MaxResults", 60);
	int rc;

	rc = tp_each_json(ctx->client, SVC, region, "ListUserPools", body, "NextToken", "NextToken",
			  "UserPools", add_pool, &l);
	json_decref(body);
	return rc;
}

static int delete_domain(tp_clean_ctx *ctx, const tp_resource *r, const char *domain)
{
	int rc;

	if (!domain || !*domain)
		return 0;
	rc = tp_call_json(ctx->client, SVC, r->region, "DeleteUserPoolDomain",
			  json_pack("{s:s, s:s}", "Domain", domain, "UserPoolId", r->id));
	if (rc == TP_ENOTFOUND) {
		tp_error_clear();
		return 0;
	}
	return rc < 0 ? tp_error_prefix("deleting domain %s of user pool %s: ", domain, r->id) : 0;
}

static int remove_pool(tp_clean_ctx *ctx, const tp_resource *r)
{
	json_t *pool = NULL;
	int rc = describe(ctx, r->region, r->id, &pool);

	if (rc == 0 && tp_streq(tp_jstr(pool, "DeletionProtection"), "ACTIVE")) {
		/* UpdateUserPool resets what it is not given: harmless, the pool goes next */
		rc = tp_call_json(ctx->client, SVC, r->region, "UpdateUserPool",
				  json_pack("{s:s, s:s}", "UserPoolId", r->id,
					    "DeletionProtection", "INACTIVE"));
		if (rc < 0)
			tp_error_prefix("turning off deletion protection of user pool %s: ", r->id);
	}
	if (rc == 0)
		rc = delete_domain(ctx, r, tp_jstr(pool, "Domain"));
	if (rc == 0)
		rc = delete_domain(ctx, r, tp_jstr(pool, "CustomDomain"));
	if (rc == 0)
		rc = tp_call_json(ctx->client, SVC, r->region, "DeleteUserPool",
				  json_pack("{s:s}", "UserPoolId", r->id));
	json_decref(pool);
	return rc;
}

const tp_resource_type tp_type_cognito_user_pool = {
	.name = "CognitoUserPool",
	.list = list,
	.remove = remove_pool,
};
