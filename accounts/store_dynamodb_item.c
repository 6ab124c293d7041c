/* DynamoDB items <-> account records (layout in store_dynamodb.h). */
#include "accounts/store_dynamodb.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

json_t *tp_ddb_s(const char *s)
{
	return json_pack("{s:s}", "S", s);
}

json_t *tp_ddb_n(int64_t n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, n);
	return json_pack("{s:s}", "N", buf);
}

json_t *tp_ddb_key(const char *id)
{
	return json_pack("{s:o}", "account", tp_ddb_s(id));
}

json_t *tp_ddb_item_new(const char *id, time_t now, const char *nonce)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:{s:{}}}",
			 "account", tp_ddb_s(id),
			 "state", tp_ddb_s(tp_account_state_name(TP_ACCOUNT_AVAILABLE)),
			 "version", tp_ddb_n(1),
			 "leased_at", tp_ddb_n(0),
			 "expires_at", tp_ddb_n(0),
			 "changed_at", tp_ddb_n((int64_t)now),
			 "failed_cleans", tp_ddb_n(0),
			 "op", tp_ddb_s(nonce),
			 "stacks", "M");
}

/* The string of attribute `name` ({"S": ...}), or NULL. */
static const char *attr_s(json_t *item, const char *name)
{
	return json_string_value(json_object_get(json_object_get(item, name), "S"));
}

static int attr_n(json_t *item, const char *name, int64_t *out, const char *table)
{
	const char *text = json_string_value(json_object_get(json_object_get(item, name), "N"));
	long v;

	if (!text || tp_parse_long(text, &v) < 0)
		return tp_error_set(TP_ERROR, "DynamoDB table %s: item %s has no numeric '%s'; "
				    "is the table used by something other than tidepool?",
				    table, attr_s(item, "account") ? attr_s(item, "account") : "?",
				    name);
	*out = v;
	return 0;
}

static int decode_stacks(tp_account *out, json_t *item)
{
	json_t *m = json_object_get(json_object_get(item, "stacks"), "M"), *v;
	const char *name;

	json_object_foreach(m, name, v) {
		const char *hash = json_string_value(json_object_get(v, "S"));
		if (hash)
			tp_account_set_stack(out, name, hash);
	}
	return 0;
}

int tp_ddb_item_decode(tp_account *out, json_t *item, const char *table)
{
	const char *id = attr_s(item, "account"), *state = attr_s(item, "state");
	int64_t leased_at, expires_at, changed_at, failed;

	if (!tp_is_account_id(id) || !state || tp_account_state_parse(state, &out->state) < 0)
		return tp_error_set(TP_ERROR, "DynamoDB table %s: item %s has no valid account or "
				    "state; is the table used by something other than tidepool?",
				    table, id ? id : "?");
	tp_strlcpy(out->id, id, sizeof(out->id));
	if (attr_n(item, "version", &out->version, table) < 0 ||
	    attr_n(item, "leased_at", &leased_at, table) < 0 ||
	    attr_n(item, "expires_at", &expires_at, table) < 0 ||
	    attr_n(item, "changed_at", &changed_at, table) < 0 ||
	    attr_n(item, "failed_cleans", &failed, table) < 0)
		return TP_ERROR;
	out->leased_at = (time_t)leased_at;
	out->expires_at = (time_t)expires_at;
	out->changed_at = (time_t)changed_at;
	out->failed_cleans = (int)failed;
	out->holder = tp_xstrdup(attr_s(item, "holder"));
	out->run_id = tp_xstrdup(attr_s(item, "run_id"));
	out->reason = tp_xstrdup(attr_s(item, "reason"));
	return decode_stacks(out, item);
}
