/*
 * SecretsManagerSecret: secrets of a region (ListSecrets carries tags and
 * CreatedDate). Secrets owned by another service (OwningService: RDS,
 * ...) are skipped: that service deletes them with what it manages.
 * Secrets already scheduled for deletion are not listed (ListSecrets
 * leaves them out). DeleteSecret with ForceDeleteWithoutRecovery: no
 * recovery window, the name is free at once.
 */
#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

#define SVC "secretsmanager"

typedef struct lister {
	const char *region;
	tp_resource_list *out;
} lister;

static int add_secret(void *arg, json_t *s)
{
	lister *l = arg;
	const char *arn = tp_jstr(s, "ARN"), *owner = tp_jstr(s, "OwningService");
	tp_resource *r;

	if (!arn)
		return 0;
	r = tp_resource_new(&tp_type_secretsmanager_secret, l->region, tp_jstr(s, "Name"));
	tp_resource_set_arn(r, arn);
	r->created = tp_jtime(s, "CreatedDate");
	tp_tags_from_json(r, json_object_get(s, "Tags"));
	if (owner && *owner)
		tp_resource_skip(r, "owned by %s, which deletes it", owner);
	tp_resource_list_add(l->out, r);
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { region, out };
	json_t *body = json_pack("{s:i}", "MaxResults", 100);
	int rc;

	rc = tp_each_json(ctx->client, SVC, region, "ListSecrets", body, "NextToken", "NextToken",
			  "SecretList", add_secret, &l);
	json_decref(body);
	return rc;
}

static int remove_secret(tp_clean_ctx *ctx, const tp_resource *r)
{
	return tp_call_json(ctx->client, SVC, r->region, "DeleteSecret",
			    json_pack("{s:s, s:b}", "SecretId", r->arn ? r->arn : r->id,
				      "ForceDeleteWithoutRecovery", 1));
}

const tp_resource_type tp_type_secretsmanager_secret = {
	.name = "SecretsManagerSecret",
	.list = list,
	.remove = remove_secret,
};
