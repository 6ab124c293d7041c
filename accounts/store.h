/*
 * The lease store: which accounts make up the pool, their states and
 * leases, and the stacks deployed in each. The contract shared by the
 * pool commands, the deployer, the runner and the sweeper.
 *
 * A store is opened from a URL; each scheme is one backend (a table of
 * functions, accounts/store_backend.h) and one row in store.c's registry:
 *
 *   sqlite:PATH     (default) one file on one machine; PATH relative to the
 *                   project directory; WAL, busy timeout, every change one
 *                   BEGIN IMMEDIATE transaction. Safe across processes.
 *   dynamodb:TABLE  one item per account; every change one conditional
 *                   UpdateItem on the item's version; created on first use.
 *                   Safe across machines.
 *
 * Fencing: a lease's token is the account's version after acquire. renew,
 * release and record_stack take the token and fail with TP_ECONFLICT and a
 * message starting "lease superseded" when the account has moved on (any
 * transition since, e.g. expiry -> cleaning -> available -> leased again);
 * nothing changes then. The sweeper's transitions are likewise conditional
 * on the version the sweeper read.
 *
 * Thread safety: a tp_store may be used from many threads at once (the
 * SQLite backend serialises calls on a mutex around its one connection; the
 * DynamoDB backend's calls run concurrently through a thread-safe client).
 *
 * Errors: TP_EINVAL bad arguments (nothing touched), TP_ENOTFOUND the
 * account is not in the pool, TP_ECONFLICT a condition failed (stale token
 * or version, wrong state), TP_EBUSY no account available, TP_ETIMEOUT the
 * SQLite database stayed locked past the busy timeout, and the aws/ codes
 * for DynamoDB. On any error the store is unchanged.
 */
#ifndef TP_STORE_H
#define TP_STORE_H

#include <stdint.h>
#include <time.h>

#include "accounts/account.h"
#include "aws/client.h"

typedef struct tp_store tp_store;

/* The wall clock unless a test injects one. */
typedef time_t (*tp_clock_fn)(void *ctx);

typedef struct tp_store_opts {
	const char *base_dir;       /* sqlite: relative paths resolve here; NULL = cwd */
	const char *region;         /* dynamodb: the table's region; NULL = the client's default */
	tp_aws_client *client;      /* dynamodb: borrowed (must outlive the store); NULL = own client */
	tp_clock_fn clock;          /* NULL = time(2) */
	void *clock_ctx;
	int busy_timeout_ms;        /* sqlite: 0 = 30000 */
} tp_store_opts;

#define TP_STORE_OPTS_INIT { NULL, NULL, NULL, NULL, NULL, 0 }

/*
 * Open the store at `url`, creating it (file and schema, or table) when it
 * does not exist. An unknown scheme is TP_EINVAL naming the known ones.
 * The caller frees *out with tp_store_free.
 */
int tp_store_open(tp_store **out, const char *url, const tp_store_opts *opts);

/* NULL is a no-op. */
void tp_store_free(tp_store *s);

/* "sqlite:/abs/path/pool.db" or "dynamodb:TABLE": for messages. */
const char *tp_store_url(const tp_store *s);

/* The store's clock. */
time_t tp_store_now(const tp_store *s);

/* The schemes of the registry, for messages and --help: "sqlite, dynamodb". */
const char *tp_store_schemes(void);

/* ---- membership --------------------------------------------------------- */

/* Add `account` as available. Returns 0 when added, 1 when already there (unchanged). */
int tp_store_add(tp_store *s, const char *account);

/*
 * Remove `account`. Refused with TP_ECONFLICT while it is leased (live or
 * expired) or being cleaned, unless `force`. TP_ENOTFOUND when absent
 * (DynamoDB: also when a resend of this very removal found it gone; it is
 * gone either way).
 */
int tp_store_remove(tp_store *s, const char *account, int force);

/* Every account, sorted by id, into `out` (caller releases). Consistent reads. */
int tp_store_list(tp_store *s, tp_account_list *out);

/* One account into `out` (caller releases). TP_ENOTFOUND when absent. */
int tp_store_get(tp_store *s, tp_account *out, const char *account);

/* ---- leases ------------------------------------------------------------- */

/*
 * Scores an available account for acquire: higher is better, negative
 * excludes it. Called with the store's lock (SQLite: the write
 * transaction) held, so it must be quick and must not call the store.
 */
typedef long (*tp_score_fn)(void *ctx, const tp_account *a);

typedef struct tp_acquire_opts {
	const char *holder;         /* required: "alice@laptop", "ci-1234" */
	const char *run_id;         /* may be NULL */
	long ttl;                   /* seconds, > 0 */
	const char *account;        /* lease this one, or NULL for the best available */
	tp_score_fn score;          /* NULL: every available account scores 0 */
	void *score_ctx;
} tp_acquire_opts;

#define TP_ACQUIRE_OPTS_INIT { NULL, NULL, 0, NULL, NULL, NULL }

/*
 * Atomically lease the best-scoring available account (ties broken at
 * random, which spreads wear and contention), or `opts->account`. Fills
 * `out`. TP_EBUSY "no account available" (with the count per state) when
 * none qualifies; TP_ENOTFOUND when opts->account is not in the pool.
 */
int tp_store_acquire(tp_store *s, tp_lease *out, const tp_acquire_opts *opts);

/*
 * Heartbeat / extend: the lease of `account` with `token` now ends `ttl`
 * seconds from now (*expires_at, may be NULL). An expired lease cannot be
 * renewed (TP_ECONFLICT): the sweeper may already be cleaning up after it.
 */
int tp_store_renew(tp_store *s, const char *account, int64_t token, long ttl,
		   time_t *expires_at);

typedef enum tp_release_to {
	TP_RELEASE_DIRTY,           /* the normal end: the cleaner takes over */
	TP_RELEASE_AVAILABLE        /* nothing ran in it (deploy warm-ups) */
} tp_release_to;

/* End the lease with `token` (live or expired). */
int tp_store_release(tp_store *s, const char *account, int64_t token, tp_release_to to);

/*
 * Record that stack `stack` is deployed in `account` with content hash
 * `hash` (NULL: forget it), under the lease with `token`.
 */
int tp_store_record_stack(tp_store *s, const char *account, int64_t token,
			  const char *stack, const char *hash);

/* ---- the sweeper ------------------------------------------------------- */

/*
 * Start cleaning `account`: dirty, or leased with an expired lease ->
 * cleaning, provided its version is still `version` (what the sweeper
 * read). *cleaning_version (may be NULL) is the version to pass to
 * tp_store_clean_end.
 */
int tp_store_clean_begin(tp_store *s, const char *account, int64_t version,
			 int64_t *cleaning_version);

typedef struct tp_clean_outcome {
	int ok;                     /* the account is clean */
	const char *reason;         /* !ok: why (kept as the quarantine reason) */
	int forget_stacks;          /* ok: the stacks were deleted too (full mode) */
	int interrupted;            /* !ok: stopped by the user, not a failure: back
				     * to dirty with failed_cleans unchanged */
} tp_clean_outcome;

/*
 * Finish cleaning `account` (cleaning at `version`): available with
 * failed_cleans 0 when ok; dirty with failed_cleans unchanged when
 * interrupted; else dirty with failed_cleans + 1, or quarantined when that
 * makes TP_QUARANTINE_AFTER. *state (may be NULL) is
 * the state it ended in.
 */
int tp_store_clean_end(tp_store *s, const char *account, int64_t version,
		       const tp_clean_outcome *outcome, tp_account_state *state);

#endif
