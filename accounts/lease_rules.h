/*
 * The lease rules, shared by every store backend (internal to accounts/):
 * which transition an account record allows, what it changes, how the
 * acquire candidates rank, and the message when a rule says no.
 *
 * Checks take the record as read (NULL when the account is not in the
 * store) and return 0, or set and return the error a caller acts on:
 *   TP_ENOTFOUND  "account X is not in the pool"
 *   TP_ECONFLICT  "lease superseded: ..." (stale token), "... expired ...",
 *                 "... changed since it was read ..." (stale version)
 *   TP_EBUSY      "no account available ..." / "account X is not available ..."
 * Transitions change the record in memory only; the caller has checked.
 *
 * Backends that cannot hold a lock across read and write (DynamoDB) encode
 * the same conditions in their conditional writes and call the checks on a
 * fresh read to explain a failed condition.
 */
#ifndef TP_LEASE_RULES_H
#define TP_LEASE_RULES_H

#include "accounts/store.h"

/* Set TP_ENOTFOUND "account X is not in the pool". */
int tp_rule_not_in_pool(const char *id);

/* The lease with `token` may be renewed (need_live) or released / recorded under. */
int tp_rule_check_lease(const tp_account *a, const char *id, int64_t token, time_t now,
			int need_live);

/* `a` at `version` is dirty, or leased and expired. */
int tp_rule_check_clean_begin(const tp_account *a, const char *id, int64_t version, time_t now);

/* `a` at `version` is cleaning. */
int tp_rule_check_clean_end(const tp_account *a, const char *id, int64_t version, time_t now);

/* `a` may leave the pool (not leased or cleaning, unless force). */
int tp_rule_check_remove(const tp_account *a, const char *id, int force, time_t now);

/* `a` (the one account asked for) may be leased now. */
int tp_rule_check_acquire_one(const tp_account *a, const char *id, time_t now);

/* available -> leased (version + 1). */
void tp_rule_lease(tp_account *a, const tp_acquire_opts *o, time_t now);

/* leased -> `to` (dirty or available; version + 1). */
void tp_rule_release(tp_account *a, tp_account_state to, time_t now);

/* dirty / expired -> cleaning (version + 1). */
void tp_rule_clean_begin(tp_account *a, time_t now);

/* cleaning -> available | dirty | quarantined (version + 1). */
void tp_rule_clean_end(tp_account *a, const tp_clean_outcome *o, time_t now);

/* The state clean_end moves to from a record with `failed_cleans`. */
tp_account_state tp_rule_clean_end_state(int failed_cleans, const tp_clean_outcome *o);

/* The reason a failed or interrupted clean leaves on the account. */
const char *tp_rule_clean_reason(const tp_clean_outcome *o);

/*
 * The acquirable accounts of `l` in the order to try them: best score
 * first, ties in random order. Writes indexes into `order` (room for l->n)
 * and returns how many.
 */
size_t tp_rule_rank(size_t *order, const tp_account_list *l, const tp_acquire_opts *o);

/* Set TP_EBUSY "no account available: N in the pool (a leased, b dirty, ...)". */
int tp_rule_none_available(const tp_account_list *l, time_t now);

#endif
