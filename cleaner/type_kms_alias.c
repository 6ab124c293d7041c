/*
 * KMSAlias: aliases of a region, except AWS's own (alias/aws/...). Aliases
 * have no tags of their own; they carry their key's tags, so a tag rule
 * that protects a key protects the names its users reach it by (a key
 * whose tags cannot be read makes its aliases skipped).
 */
#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/calls.h"
#include "cleaner/fields.h"
#include "cleaner/tags.h"
#include "cleaner/types.h"

#define SVC "kms"

typedef struct lister {
	tp_clean_ctx *ctx;
	const char *region;
	tp_resource_list *out;
} lister;

static int key_tags(lister *l, tp_resource *r, const char *key)
{
	int rc = tp_tags_json_paged(l->ctx->client, SVC, l->region, "ListResourceTags",
				    json_pack("{s:s}", "KeyId", key), "Marker", "NextMarker", r);

	if (rc == TP_ENOTFOUND) {    /* the key is gone; the alias is not */
		tp_error_clear();
		rc = 0;
	}
	return rc;
}

static int add_alias(void *arg, json_t *a)
{
	lister *l = arg;
	const char *name = tp_jstr(a, "AliasName"), *key = tp_jstr(a, "TargetKeyId");
	tp_resource *r;

	if (!name || tp_starts_with(name, "alias/aws/"))
		return 0;
	r = tp_resource_new(&tp_type_kms_alias, l->region, name);
	tp_resource_set_arn(r, tp_jstr(a, "AliasArn"));
	r->created = tp_jtime(a, "CreationDate");
	r->props = json_pack("{s:s?}", "key", key);
	tp_tags_add(l->out, r, key ? key_tags(l, r, key) : 0);
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out };
	json_t *body = json_pack("{s:i}", "Limit", 100);
	int rc;

	rc = tp_each_json(ctx->client, SVC, region, "ListAliases", body, "Marker", "NextMarker",
			  "Aliases", add_alias, &l);
	json_decref(body);
	return rc;
}

typedef struct finder {
	const char *name;
	int found;
} finder;

static int find_alias(void *arg, json_t *a)
{
	finder *f = arg;

	f->found |= tp_streq(tp_jstr(a, "AliasName"), f->name);
	return 0;
}

/* Is the alias still there? 1 / 0, or <0 when that cannot be told. */
static int exists(tp_clean_ctx *ctx, const tp_resource *r)
{
	finder f = { r->id, 0 };
	json_t *body = json_pack("{s:i}", "Limit", 100);
	int rc = tp_each_json(ctx->client, SVC, r->region, "ListAliases", body, "Marker",
			      "NextMarker", "Aliases", find_alias, &f);

	json_decref(body);
	return rc < 0 ? rc : f.found;
}

static int remove_alias(tp_clean_ctx *ctx, const tp_resource *r)
{
	tp_error err;
	int rc = tp_call_json(ctx->client, SVC, r->region, "DeleteAlias",
			      json_pack("{s:s}", "AliasName", r->id));

	/*
	 * moto answers DeleteAlias with a body of `null`, which the JSON
	 * client refuses after the alias is gone; AWS answers with nothing.
	 * An answer we cannot read is settled by looking: gone is removed.
	 */
	if (rc == TP_EAWS) {
		tp_error_save(&err);
		if (exists(ctx, r) == 0) {
			tp_error_clear();
			return 0;
		}
		tp_error_restore(&err);
	}
	return rc;
}

const tp_resource_type tp_type_kms_alias = {
	.name = "KMSAlias",
	.list = list,
	.remove = remove_alias,
};
