/*
 * The DynamoDB lease store's handle, item codec and calls (internal to
 * accounts/).
 *
 * Table: partition key `account` (S), on-demand billing. One item per
 * account:
 *   account S, state S, version N, holder S?, run_id S?, leased_at N,
 *   expires_at N, changed_at N, failed_cleans N, reason S?,
 *   stacks M (stack name -> S content hash), op S
 * (? = absent when empty). `op` is a random nonce written by every
 * transition (and by the PutItem of a new member): a conditional write
 * whose first attempt applied but whose answer was lost gets sent again
 * (by our retries, or by libcurl itself when a reused connection dies
 * before answering), and the second attempt fails its own condition; `op`
 * then tells that the write was ours after all (tp_ddb_transition).
 * Expressions name every attribute through a placeholder (`state` is a
 * reserved word): #acct #st #ver #hol #run #lat #exp #chg #fc #rsn #stk
 * #op; tp_ddb_update adds the ExpressionAttributeNames an expression
 * actually uses (DynamoDB rejects unused ones).
 */
#ifndef TP_STORE_DYNAMODB_H
#define TP_STORE_DYNAMODB_H

#include <stdint.h>

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

/* The item of a new pool member, tagged `nonce` (new reference). */
json_t *tp_ddb_item_new(const char *id, time_t now, const char *nonce);

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

/*
 * A transition: tp_ddb_update of `update` (which starts with "SET ") with
 * "#op = :op" added, a fresh nonce as :op. When the condition fails, a
 * consistent read of `op` decides: our nonce there means an earlier send
 * of this very write applied, and 0 is returned.
 */
int tp_ddb_transition(tp_ddb_store *s, const char *id, const char *update,
		      const char *condition, json_t *values);

/* A fresh nonce for `op` (33 bytes). */
void tp_ddb_nonce(char out[33]);

/*
 * Did the write tagged `nonce` on `id` apply? 1 yes, 0 no (or the item
 * is gone), < 0 the read failed.
 */
int tp_ddb_applied(tp_ddb_store *s, const char *id, const char *nonce);

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
