/*
 * The pool: the lease store plus what tidepool.yaml says about it
 * (pool.accounts, pool.blocklist; the OU is for tp_pool_import).
 *
 * Membership lives in the store:
 *   - pool.accounts are added by tp_pool_sync, which the commands that
 *     lease or show the pool call (accounts dropped from the file stay
 *     until `tidepool pool remove`: they may be leased or dirty);
 *   - the accounts under an organizational unit are added by
 *     tp_pool_import (`tidepool pool import`), never implicitly: it is an
 *     AWS call and a change of the pool, made only when asked;
 *   - `tidepool pool add` / `remove` change it by hand.
 * A blocklisted account is never added and never leased, even when it is
 * in the store from before it was blocklisted.
 *
 * A tp_pool is as thread-safe as its store (accounts/store.h).
 */
#ifndef TP_POOL_H
#define TP_POOL_H

#include <stddef.h>

#include "accounts/org.h"
#include "accounts/store.h"

typedef struct tp_pool tp_pool;

typedef struct tp_pool_opts {
	const char *store_url;             /* pool.store: "sqlite:.tidepool/pool.db" */
	const char *const *accounts;       /* pool.accounts (may be NULL) */
	size_t n_accounts;
	const char *const *blocklist;      /* pool.blocklist (may be NULL) */
	size_t n_blocklist;
	tp_store_opts store;               /* base_dir (the project), region, clock, ... */
} tp_pool_opts;

#define TP_POOL_OPTS_INIT { NULL, NULL, 0, NULL, 0, TP_STORE_OPTS_INIT }

/*
 * Open the pool's store (creating it on first use). Every id in accounts
 * and blocklist must be 12 digits and no account may be in both
 * (TP_EINVAL); the store is not touched then.
 */
int tp_pool_open(tp_pool **out, const tp_pool_opts *opts);

/* NULL is a no-op. */
void tp_pool_free(tp_pool *p);

/* The store (borrowed, lives as long as the pool). */
tp_store *tp_pool_store(const tp_pool *p);

int tp_pool_is_blocklisted(const tp_pool *p, const char *id);

/* 0 when `id` may be in the pool; TP_EINVAL "not 12 digits" / "is blocklisted". */
int tp_pool_check_id(const tp_pool *p, const char *id);

/*
 * Add the configured accounts missing from the store (one list, then an
 * add per missing account); *added (may be NULL) counts them.
 */
int tp_pool_sync(tp_pool *p, size_t *added);

/*
 * Add `ids`. All are checked first (tp_pool_check_id): on a bad one,
 * nothing is added. *added counts the new ones (the others were there).
 */
int tp_pool_add(tp_pool *p, const char *const *ids, size_t n, size_t *added);

/*
 * Remove `ids`. All are checked first: an id that is not 12 digits or not
 * in the pool is TP_EINVAL, a leased or cleaning account TP_ECONFLICT
 * unless `force`; nothing is removed then.
 */
int tp_pool_remove(tp_pool *p, const char *const *ids, size_t n, int force);

/*
 * Lease an account (tp_store_acquire, never a blocklisted one). With
 * `wait_s` > 0, retry with backoff (250 ms to 2 s, jittered) until one is
 * free or wait_s passed; TP_EBUSY "no account available ..." then.
 */
int tp_pool_acquire(tp_pool *p, tp_lease *out, const tp_acquire_opts *opts, long wait_s);

/*
 * The token of the live lease `owner` holds on `account`, for commands
 * run by another process than the one that claimed (release, extend,
 * credentials without --token). TP_EINVAL when the account is not in the
 * pool; TP_ECONFLICT when it is not leased, or leased by someone else
 * (a "lease superseded" message naming the holder).
 */
int tp_pool_owner_token(tp_pool *p, int64_t *token, const char *account, const char *owner);

/*
 * The record of `account` into `out` (caller releases) when `token` is its
 * live lease: leased, not expired, not superseded. TP_EINVAL when the
 * account is not in the pool; TP_ECONFLICT ("lease superseded", "expired")
 * otherwise.
 */
int tp_pool_live_lease(tp_pool *p, tp_account *out, const char *account, int64_t token);

/* What tp_pool_import did. Strings are owned; release with tp_pool_import_release. */
typedef struct tp_pool_import_result {
	tp_org_accounts found;             /* the OU's accounts and what discovery skipped */
	char **added;                      /* new in the pool */
	size_t n_added;
	char **present;                    /* were there already */
	size_t n_present;
	char **blocked;                    /* blocklisted: not added */
	size_t n_blocked;
} tp_pool_import_result;

#define TP_POOL_IMPORT_RESULT_INIT { TP_ORG_ACCOUNTS_INIT, NULL, 0, NULL, 0, NULL, 0 }

/*
 * Add the active accounts under `ou` (recursively, tp_org_accounts_under)
 * through the Organizations client `org` (borrowed), minus the blocklist.
 */
int tp_pool_import(tp_pool *p, tp_pool_import_result *out, tp_aws_client *org, const char *ou);

void tp_pool_import_release(tp_pool_import_result *r);

#endif
