/*
 * DynamoDB calls of the lease store: the table-bound call, conditional
 * updates with their attribute-name placeholders, consistent reads.
 */
#include "accounts/store_dynamodb.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "accounts/lease_rules.h"
#include "aws/error.h"
#include "aws/util.h"

/* Placeholder -> attribute (store_dynamodb.h). */
static const struct {
	const char *placeholder;
	const char *attribute;
} names[] = {
	{ "#acct", "account" }, { "#st", "state" }, { "#ver", "version" },
	{ "#hol", "holder" }, { "#run", "run_id" }, { "#lat", "leased_at" },
	{ "#exp", "expires_at" }, { "#chg", "changed_at" }, { "#fc", "failed_cleans" },
	{ "#rsn", "reason" }, { "#stk", "stacks" }, { "#op", "op" },
};

/* Does `expr` use `placeholder` as a whole token? */
static int uses(const char *expr, const char *placeholder)
{
	size_t n = strlen(placeholder);
	const char *p;

	for (p = expr; p && (p = strstr(p, placeholder)) != NULL; p += n) {
		char next = p[n];
		if (!(next == '_' || (next >= 'a' && next <= 'z') || (next >= '0' && next <= '9')))
			return 1;
	}
	return 0;
}

json_t *tp_ddb_names(const char *expr1, const char *expr2, json_t *extra_names)
{
	json_t *m = extra_names ? extra_names : json_object();
	size_t i;

	for (i = 0; i < TP_ARRAY_SIZE(names); i++)
		if (uses(expr1, names[i].placeholder) || (expr2 && uses(expr2, names[i].placeholder)))
			json_object_set_new(m, names[i].placeholder, json_string(names[i].attribute));
	return m;
}

int tp_ddb_call(tp_ddb_store *s, json_t **resp, const char *operation, json_t *body)
{
	json_t *out = NULL;
	int rc;

	json_object_set_new(body, "TableName", json_string(s->table));
	rc = tp_aws_json(s->client, &out, "dynamodb", s->region, operation, body);
	json_decref(body);
	if (rc < 0 && strcmp(tp_error_last()->aws_code, "ConditionalCheckFailedException") == 0) {
		tp_error_clear();
		return TP_ECONFLICT;
	}
	if (rc < 0)
		return tp_error_prefix("pool store dynamodb:%s: %s: ", s->table, operation);
	if (resp)
		*resp = out;
	else
		json_decref(out);
	return 0;
}

/* Drop the ":x" values neither expression uses (DynamoDB rejects unused ones). */
static json_t *used_values(json_t *values, const char *expr1, const char *expr2)
{
	json_t *out = json_object(), *v;
	const char *key;

	json_object_foreach(values, key, v) {
		if (uses(expr1, key) || uses(expr2, key))
			json_object_set(out, key, v);
	}
	json_decref(values);
	return out;
}

int tp_ddb_update(tp_ddb_store *s, const char *id, const char *update, const char *condition,
		  json_t *values, json_t *extra_names)
{
	json_t *body = json_pack("{s:o, s:s, s:s, s:o, s:o}", "Key", tp_ddb_key(id),
				 "UpdateExpression", update, "ConditionExpression", condition,
				 "ExpressionAttributeNames",
				 tp_ddb_names(update, condition, extra_names),
				 "ExpressionAttributeValues",
				 used_values(values, update, condition));

	return tp_ddb_call(s, NULL, "UpdateItem", body);
}

int tp_ddb_get(tp_ddb_store *s, tp_account *out, const char *id)
{
	json_t *resp = NULL, *item;
	int rc = tp_ddb_call(s, &resp, "GetItem",
			     json_pack("{s:o, s:b}", "Key", tp_ddb_key(id), "ConsistentRead", 1));

	if (rc < 0)
		return rc;
	item = json_object_get(resp, "Item");
	if (!json_is_object(item) || json_object_size(item) == 0)
		rc = tp_rule_not_in_pool(id);
	else
		rc = tp_ddb_item_decode(out, item, s->table);
	json_decref(resp);
	return rc;
}

static int scan_page(tp_ddb_store *s, tp_account_list *out, json_t *resp)
{
	json_t *items = json_object_get(resp, "Items"), *item;
	size_t i;

	json_array_foreach(items, i, item) {
		if (tp_ddb_item_decode(tp_account_list_push(out), item, s->table) < 0)
			return TP_ERROR;
	}
	return 0;
}

int tp_ddb_scan(tp_ddb_store *s, tp_account_list *out)
{
	json_t *start = NULL, *resp = NULL;
	int rc;

	do {
		json_t *body = json_pack("{s:b}", "ConsistentRead", 1);
		if (start)
			json_object_set_new(body, "ExclusiveStartKey", start);
		start = NULL;
		if ((rc = tp_ddb_call(s, &resp, "Scan", body)) < 0)
			break;
		rc = scan_page(s, out, resp);
		start = json_object_get(resp, "LastEvaluatedKey");
		start = json_is_object(start) && json_object_size(start) ? json_incref(start) : NULL;
		json_decref(resp);
	} while (rc == 0 && start);
	json_decref(start);
	return rc;
}

void tp_ddb_nonce(char out[33])
{
	static atomic_uint count;
	unsigned char raw[16];

	if (tp_random_bytes(raw, sizeof(raw)) == 0) {
		tp_hex(out, raw, sizeof(raw));
		return;
	}
	tp_error_clear();   /* no RNG: time, process and a counter are unique enough */
	snprintf(out, 33, "%016llx%08x%08x", (unsigned long long)tp_now_ns(), (unsigned)getpid(),
		 atomic_fetch_add(&count, 1));
}

int tp_ddb_applied(tp_ddb_store *s, const char *id, const char *nonce)
{
	json_t *resp = NULL;
	const char *op;
	int rc = tp_ddb_call(s, &resp, "GetItem",
			     json_pack("{s:o, s:b, s:s, s:{s:s}}", "Key", tp_ddb_key(id),
				       "ConsistentRead", 1, "ProjectionExpression", "#op",
				       "ExpressionAttributeNames", "#op", "op"));

	if (rc < 0)
		return rc;
	op = json_string_value(json_object_get(json_object_get(json_object_get(resp, "Item"),
							       "op"), "S"));
	rc = tp_streq(op, nonce);
	json_decref(resp);
	return rc;
}

int tp_ddb_transition(tp_ddb_store *s, const char *id, const char *update,
		      const char *condition, json_t *values)
{
	char nonce[33], *tagged = tp_xasprintf("SET #op = :op, %s", update + strlen("SET "));
	int rc;

	tp_ddb_nonce(nonce);
	json_object_set_new(values, ":op", tp_ddb_s(nonce));
	rc = tp_ddb_update(s, id, tagged, condition, values, NULL);
	if (rc == TP_ECONFLICT) {
		int applied = tp_ddb_applied(s, id, nonce);
		rc = applied < 0 ? applied : applied ? 0 : TP_ECONFLICT;
	}
	free(tagged);
	return rc;
}
