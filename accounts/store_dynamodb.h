/*
 * The DynamoDB lease store's handle, item codec and calls (internal to
 * accounts/).
 *
 * Table: partition key `account` (S), on-demand billing. One item per
 * account:
 *   account S, state S, version N, holder S?, run_id S?, leased_at N,
 *   expires_at N, changed_at N, failed_cleans N, reason S?,
 *   stacks M (stack name -> S content hash)
 * (? = absent when empty). Expressions name every attribute through a
 * placeholder (`state` is a reserved word): #acct #st #ver #hol #run #lat
 * #exp #chg #fc #rsn #stk; tp_ddb_update adds the ExpressionAttributeNames
 * an expression actually uses (DynamoDB rejects unused ones).
 */
#ifndef TP_STORE_DYNAMODB_H
#define TP_STORE_DYNAMODB_H

#include <jansson.h>

#include "accounts/store_backend.h"

typedef struct tp_ddb_store {
	struct tp_store base;
	tp_aws_client *client;      /* thread-safe; owned when own_client */
	int own_client;
	char *table;
	char *region;               /* NULL = the client's */
} tp_ddb_store;

/* {"S": s} and {"N": "n"} (new references). */
json_t *tp_ddb_s(const char *s);
json_t *tp_ddb_n(int64_t n);

/* {"account": {"S": id}} (new reference). */
json_t *tp_ddb_key(const char *id);

/* The item of a new pool member (new reference). */
json_t *tp_ddb_item_new(const char *id, time_t now);

/* Decode `item` into `out` (caller releases). TP_ERROR naming the attribute when malformed. */
int tp_ddb_item_decode(tp_account *out, json_t *item, const char *table);

/*
 * Call `operation` on the table: `body` (stolen) gets TableName. *resp
 * (may be NULL) is the response (caller decrefs). Errors are prefixed with
 * the table; a failed condition returns TP_ECONFLICT with no message of
 * its own (the caller explains it from a fresh read).
 */
int tp_ddb_call(tp_ddb_store *s, json_t **resp, const char *operation, json_t *body);

/*
 * UpdateItem of `id` with `update` under `condition`; `values` (stolen) are
 * ":x" values, of which only those the expressions use are sent; `extra_names` (stolen, may be NULL) adds placeholders
 * such as "#n" for a stack name. Returns as tp_ddb_call.
 */
int tp_ddb_update(tp_ddb_store *s, const char *id, const char *update, const char *condition,
		  json_t *values, json_t *extra_names);

/* The same placeholder map for any expression pair (new reference). */
json_t *tp_ddb_names(const char *expr1, const char *expr2, json_t *extra_names);

/* GetItem (consistent) of `id`; TP_ENOTFOUND with "not in the pool" when absent. */
int tp_ddb_get(tp_ddb_store *s, tp_account *out, const char *id);

/* Scan (consistent, every page) into `out`. */
int tp_ddb_scan(tp_ddb_store *s, tp_account_list *out);

/* Create the table unless it exists, and wait until it is ACTIVE. */
int tp_ddb_ensure_table(tp_ddb_store *s);

/* The lease operations (store_dynamodb_lease.c). */
int tp_ddb_acquire(tp_store *s, tp_lease *out, const tp_acquire_opts *o, time_t now);
int tp_ddb_renew(tp_store *s, const char *account, int64_t token, time_t expires_at,
		 time_t now);
int tp_ddb_release(tp_store *s, const char *account, int64_t token, tp_account_state to,
		   time_t now);
int tp_ddb_record_stack(tp_store *s, const char *account, int64_t token, const char *stack,
			const char *hash, time_t now);
int tp_ddb_clean_begin(tp_store *s, const char *account, int64_t version, time_t now);
int tp_ddb_clean_end(tp_store *s, const char *account, int64_t version,
		     const tp_clean_outcome *o, tp_account_state *state, time_t now);

#endif
