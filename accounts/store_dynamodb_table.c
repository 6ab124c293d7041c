/*
 * The DynamoDB lease table on first use: DescribeTable; when it does not
 * exist, CreateTable (key `account`, on-demand billing); then wait until
 * it is ACTIVE. Two processes creating it at once is fine: the loser's
 * ResourceInUseException means the table is on its way.
 */
#include "accounts/store_dynamodb.h"

#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

#define ACTIVE_TIMEOUT_MS 120000

/* Is the table's key the lease table's (`account`, HASH)? */
static int key_is_account(json_t *table)
{
	json_t *keys = json_object_get(table, "KeySchema"), *k;
	size_t i;

	json_array_foreach(keys, i, k) {
		if (tp_streq(json_string_value(json_object_get(k, "KeyType")), "HASH"))
			return tp_streq(json_string_value(json_object_get(k, "AttributeName")),
					"account") && json_array_size(keys) == 1;
	}
	return 0;
}

/* 1 when ACTIVE, 0 while on its way; TP_ENOTFOUND when absent. */
static int describe(tp_ddb_store *s)
{
	json_t *resp = NULL, *table;
	int rc = tp_ddb_call(s, &resp, "DescribeTable", json_object());

	if (rc < 0)
		return rc;
	table = json_object_get(resp, "Table");
	if (!key_is_account(table))
		rc = tp_error_set(TP_EINVAL, "DynamoDB table %s exists but is not a tidepool lease "
				  "table (its key must be the string 'account'); name another "
				  "table in pool.store", s->table);
	else
		rc = tp_streq(json_string_value(json_object_get(table, "TableStatus")), "ACTIVE");
	json_decref(resp);
	return rc;
}

static int create(tp_ddb_store *s)
{
	json_t *body = json_pack("{s:[{s:s, s:s}], s:[{s:s, s:s}], s:s}",
				 "AttributeDefinitions", "AttributeName", "account",
				 "AttributeType", "S",
				 "KeySchema", "AttributeName", "account", "KeyType", "HASH",
				 "BillingMode", "PAY_PER_REQUEST");
	int rc = tp_ddb_call(s, NULL, "CreateTable", body);

	if (rc < 0 && strcmp(tp_error_last()->aws_code, "ResourceInUseException") == 0) {
		tp_error_clear();
		return 0;
	}
	return rc;
}

int tp_ddb_ensure_table(tp_ddb_store *s)
{
	int64_t deadline = tp_now_ms() + ACTIVE_TIMEOUT_MS, pause_ms = 100;
	int rc = describe(s);

	if (rc == TP_ENOTFOUND) {
		tp_error_clear();
		if ((rc = create(s)) < 0)
			return rc;
		rc = 0;
	}
	while (rc == 0) {
		if (tp_now_ms() > deadline)
			return tp_error_set(TP_ETIMEOUT, "DynamoDB table %s did not become ACTIVE "
					    "within %d s", s->table, ACTIVE_TIMEOUT_MS / 1000);
		tp_sleep_ms(pause_ms);
		pause_ms = pause_ms < 2000 ? pause_ms * 2 : pause_ms;
		rc = describe(s);
	}
	return rc < 0 ? rc : 0;
}
