/*
 * The DynamoDB lease store (`dynamodb:TABLE`): safe across many machines.
 *
 * DESIGN: no locks anywhere. Every change of an account is one
 * UpdateItem (PutItem / DeleteItem for membership) whose
 * ConditionExpression is the lease rule it implements, stated on the
 * item's version and state (lease_rules.h says the same in C). When the
 * condition fails, a consistent GetItem and the C rule explain why
 * ("lease superseded: ..."). Acquire scans the table with consistent
 * reads, ranks the available accounts and conditionally leases the first
 * whose version is still the one scanned, moving on to the next candidate
 * (and, after every candidate was lost to other machines, to a fresh scan)
 * when another machine got there first. This file: the handle, membership
 * and reads; the lease operations are in store_dynamodb_lease.c.
 */
#include "accounts/store_dynamodb.h"

#include <string.h>

#include "accounts/lease_rules.h"
#include "aws/error.h"
#include "aws/util.h"

static tp_ddb_store *dd(tp_store *s)
{
	return (tp_ddb_store *)s;
}

/* A PutItem that fails its condition may be a resend of ours: `op` says. */
static int ddb_add(tp_store *base, const char *account, time_t now)
{
	char nonce[33];
	json_t *body;
	int rc;

	tp_ddb_nonce(nonce);
	body = json_pack("{s:o, s:s, s:{s:s}}", "Item", tp_ddb_item_new(account, now, nonce),
			 "ConditionExpression", "attribute_not_exists(#acct)",
			 "ExpressionAttributeNames", "#acct", "account");
	rc = tp_ddb_call(dd(base), NULL, "PutItem", body);
	if (rc == TP_ECONFLICT) {
		rc = tp_ddb_applied(dd(base), account, nonce);
		return rc < 0 ? rc : !rc;      /* ours: added (0); another's: there (1) */
	}
	return rc;
}

/* Why a conditional change of `account` failed, from a fresh read. */
static int explain_remove(tp_ddb_store *s, const char *account, int force, time_t now)
{
	tp_account a = TP_ACCOUNT_INIT;
	int rc = tp_ddb_get(s, &a, account);

	if (rc == 0 && (rc = tp_rule_check_remove(&a, account, force, now)) == 0)
		rc = tp_error_set(TP_ECONFLICT, "account %s changed while it was being removed; "
				  "try again", account);
	tp_account_release(&a);
	return rc;
}

static int ddb_remove(tp_store *base, const char *account, int force, time_t now)
{
	const char *cond = force ? "attribute_exists(#acct)"
				 : "attribute_exists(#acct) AND NOT (#st IN (:leased, :cleaning))";
	json_t *body = json_pack("{s:o, s:s, s:o}", "Key", tp_ddb_key(account),
				 "ConditionExpression", cond,
				 "ExpressionAttributeNames", tp_ddb_names(cond, NULL, NULL));
	int rc;

	if (!force)
		json_object_set_new(body, "ExpressionAttributeValues",
				    json_pack("{s:o, s:o}", ":leased", tp_ddb_s("leased"),
					      ":cleaning", tp_ddb_s("cleaning")));
	rc = tp_ddb_call(dd(base), NULL, "DeleteItem", body);
	return rc == TP_ECONFLICT ? explain_remove(dd(base), account, force, now) : rc;
}

static int ddb_list(tp_store *base, tp_account_list *out)
{
	return tp_ddb_scan(dd(base), out);
}

static int ddb_get(tp_store *base, tp_account *out, const char *account)
{
	return tp_ddb_get(dd(base), out, account);
}

static void ddb_free(tp_store *base)
{
	tp_ddb_store *s = dd(base);

	if (s->own_client)
		tp_aws_client_free(s->client);
	free(s->table);
	free(s->region);
	free(s->base.url);
	free(s);
}

static int check_table_name(const char *t)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-";
	size_t n = strlen(t);

	if (n >= 3 && n <= 255 && strspn(t, ok) == n)
		return 0;
	return tp_error_set(TP_EINVAL, "'%s' is not a DynamoDB table name (3 to 255 letters, "
			    "digits, '_', '-' and '.')", t);
}

static int ddb_open(tp_store **out, const char *target, const tp_store_opts *opts)
{
	tp_aws_client_opts co = TP_AWS_CLIENT_OPTS_INIT;
	tp_ddb_store *s;
	int rc;

	if (check_table_name(target) < 0)
		return TP_EINVAL;
	s = tp_xcalloc(1, sizeof(*s));
	s->table = tp_xstrdup(target);
	s->region = tp_xstrdup(opts->region);
	s->base.url = tp_xasprintf("dynamodb:%s", target);
	s->client = opts->client;
	rc = 0;
	if (!s->client) {
		co.region = opts->region;
		s->own_client = 1;
		rc = tp_aws_client_new(&s->client, &co);
	}
	if (rc == 0)
		rc = tp_ddb_ensure_table(s);
	if (rc < 0) {
		ddb_free(&s->base);
		return rc;
	}
	*out = &s->base;
	return 0;
}

const tp_store_ops tp_store_dynamodb_ops = {
	.open = ddb_open,
	.free = ddb_free,
	.add = ddb_add,
	.remove = ddb_remove,
	.list = ddb_list,
	.get = ddb_get,
	.acquire = tp_ddb_acquire,
	.renew = tp_ddb_renew,
	.release = tp_ddb_release,
	.record_stack = tp_ddb_record_stack,
	.clean_begin = tp_ddb_clean_begin,
	.clean_end = tp_ddb_clean_end,
};
