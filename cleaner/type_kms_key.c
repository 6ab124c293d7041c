/*
 * KMSKey: keys of a region. KMS never deletes a key at once: remove
 * schedules deletion in 7 days (the shortest window), after which AWS
 * deletes it. Skipped, with the reason: AWS-managed keys (KeyManager AWS:
 * not the account's to delete) and keys already pending deletion (which is
 * how a removed key shows in the next pass, so the loop sees it settled).
 * Aliases go first (waits_for), so their own filters decide about them.
 * A second remove of a key already pending deletion returns TP_ENOTFOUND:
 * there is nothing left to do.
 *
 * Why the aliases: moto makes the key behind alias/aws/<service> on first
 * use with KeyManager CUSTOMER. On AWS the alias/aws/ prefix is reserved
 * for AWS-managed keys, so the alias test is right there too, merely
 * redundant.
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
	json_t *aws_keys;   /* key id -> alias/aws/... name */
} lister;

static int note_aws_alias(void *arg, json_t *a)
{
	lister *l = arg;
	const char *name = tp_jstr(a, "AliasName"), *key = tp_jstr(a, "TargetKeyId");

	if (name && key && tp_starts_with(name, "alias/aws/"))
		json_object_set_new(l->aws_keys, key, json_string(name));
	return 0;
}

static int describe(tp_clean_ctx *ctx, const char *region, const char *id, json_t **meta)
{
	json_t *req = json_pack("{s:s}", "KeyId", id), *resp = NULL;
	int rc = tp_aws_json(ctx->client, &resp, SVC, region, "DescribeKey", req);

	json_decref(req);
	*meta = rc == 0 ? json_incref(json_object_get(resp, "KeyMetadata")) : NULL;
	json_decref(resp);
	return rc;
}

static int read_tags(lister *l, tp_resource *r)
{
	return tp_tags_json_paged(l->ctx->client, SVC, l->region, "ListResourceTags",
				  json_pack("{s:s}", "KeyId", r->id), "Marker", "NextMarker", r);
}

static int add_key(void *arg, json_t *k)
{
	lister *l = arg;
	const char *id = tp_jstr(k, "KeyId");
	const char *state, *aws_alias;
	tp_resource *r;
	json_t *meta = NULL;
	int rc;

	if (!id)
		return 0;
	r = tp_resource_new(&tp_type_kms_key, l->region, id);
	tp_resource_set_arn(r, tp_jstr(k, "KeyArn"));
	rc = describe(l->ctx, l->region, id, &meta);
	if (rc == 0) {
		state = tp_jstr(meta, "KeyState");
		r->created = tp_jtime(meta, "CreationDate");
		aws_alias = tp_jstr(l->aws_keys, id);
		if (tp_streq(tp_jstr(meta, "KeyManager"), "AWS"))
			tp_resource_skip(r, "AWS-managed key: AWS owns it");
		else if (aws_alias)
			tp_resource_skip(r, "AWS-managed key (%s): AWS owns it", aws_alias);
		else if (state && tp_starts_with(state, "Pending") && strstr(state, "Deletion"))
			tp_resource_skip(r, "already %s", state);
		/* AWS-managed keys have no tags of ours (and may refuse ListResourceTags) */
		if (!tp_streq(tp_jstr(meta, "KeyManager"), "AWS") && !aws_alias)
			rc = read_tags(l, r);
	}
	json_decref(meta);
	tp_tags_add(l->out, r, rc);
	return 0;
}

static int list(tp_clean_ctx *ctx, const char *region, tp_resource_list *out)
{
	lister l = { ctx, region, out, json_object() };
	json_t *body = json_pack("{s:i}", "Limit", 100);
	int rc;

	rc = tp_each_json(ctx->client, SVC, region, "ListAliases", body, "Marker", "NextMarker",
			  "Aliases", note_aws_alias, &l);
	json_object_set_new(body, "Limit", json_integer(1000));
	if (rc == 0)
		rc = tp_each_json(ctx->client, SVC, region, "ListKeys", body, "Marker", "NextMarker",
				  "Keys", add_key, &l);
	json_decref(body);
	json_decref(l.aws_keys);
	return rc;
}

static int remove_key(tp_clean_ctx *ctx, const tp_resource *r)
{
	json_t *meta = NULL;
	const char *state;
	int rc = describe(ctx, r->region, r->id, &meta);

	state = tp_jstr(meta, "KeyState");
	if (rc == 0 && state && strstr(state, "PendingDeletion"))
		rc = tp_error_set(TP_ENOTFOUND, "key %s in %s: already %s", r->id, r->region, state);
	else if (rc == 0)
		rc = tp_call_json(ctx->client, SVC, r->region, "ScheduleKeyDeletion",
				  json_pack("{s:s, s:i}", "KeyId", r->id, "PendingWindowInDays", 7));
	json_decref(meta);
	return rc;
}

static const char *const waits[] = { "KMSAlias", NULL };

const tp_resource_type tp_type_kms_key = {
	.name = "KMSKey",
	.waits_for = waits,
	.list = list,
	.remove = remove_key,
};
