/*
 * The sweeper (DESIGN.md, "Accounts and leases", "The cleaner"): clean
 * every pool account that is dirty (released) or whose lease expired
 * without a heartbeat (leaked), several accounts at once.
 *
 * Per account, on one of `accounts_parallel` sweep threads:
 *   1. tp_store_clean_begin: dirty/expired -> cleaning, conditional on the
 *      version listed (another sweeper that got there first wins; this one
 *      skips the account);
 *   2. reach it: AssumeRole of pool.role, then the safety checks
 *      (cleaner/safety.h); a refusal is a failed clean with its message;
 *   3. tp_nuke_run (its own worker pool of nuke.parallel threads);
 *   4. tp_store_clean_end: available when the nuke left it clean, else
 *      dirty with failed_cleans + 1, quarantined at the third failure in a
 *      row, with the reason kept (shown by `tidepool status`).
 * A dry run makes no transition: it lists what each account would lose.
 *
 * `tidepool release` marks an account dirty; this is the one path that
 * cleans it (DESIGN: released -> dirty -> cleaning -> available).
 *
 * Threads: the sweep's own worker pool runs one account per job; nuke
 * events (nuke.on_event) are therefore called from several sweep threads
 * at once, each for its own account (ev->account): the callback must lock
 * what it shares. The report is written by the calling thread only.
 */
#ifndef TP_SWEEP_H
#define TP_SWEEP_H

#include <stddef.h>

#include "accounts/creds.h"
#include "accounts/pool.h"
#include "cleaner/nuke.h"

#define TP_SWEEP_DEFAULT_ACCOUNTS 4

typedef enum tp_sweep_outcome {
	TP_SWEEP_WOULD_CLEAN,   /* dry run */
	TP_SWEEP_CLEANED,       /* now available */
	TP_SWEEP_FAILED,        /* dirty again, failed_cleans + 1 */
	TP_SWEEP_QUARANTINED,
	TP_SWEEP_SKIPPED        /* another sweeper took it, or blocklisted */
} tp_sweep_outcome;

/* "would clean", "cleaned", "failed", "quarantined", "skipped". */
const char *tp_sweep_outcome_name(tp_sweep_outcome o);

typedef struct tp_sweep_item {
	char account[13];
	tp_account_state before;     /* dirty or expired */
	tp_sweep_outcome outcome;
	int failed_cleans;           /* after this sweep */
	char *reason;                /* failed / quarantined / skipped: why */
	tp_nuke_report report;       /* empty when the nuke never started */
} tp_sweep_item;

typedef struct tp_sweep_report {
	tp_sweep_item *items;        /* in account order */
	size_t n;
	size_t cleaned, failed, quarantined, skipped;
	int dry_run;
} tp_sweep_report;

#define TP_SWEEP_REPORT_INIT { NULL, 0, 0, 0, 0, 0, 0 }

void tp_sweep_report_release(tp_sweep_report *r);

/*
 * How the sweeper reaches and vets an account: a client in it, after the
 * safety checks. Returns 0 with *client (the sweeper frees it), TP_EINVAL
 * when refused, or another error when it could not be reached; either
 * error's message becomes the failed clean's reason.
 */
typedef int (*tp_sweep_reach_fn)(void *ctx, tp_aws_client **client, const char *account);

typedef struct tp_sweep_opts {
	tp_pool *pool;               /* the accounts and their states (borrowed) */
	const tp_config *config;     /* safety: allow_prod_alias, pool.accounts (may be NULL) */
	tp_account_creds *creds;     /* per-account credentials (borrowed) */
	const char *session;         /* role session name; NULL = "tidepool-sweep" */
	const char *region;          /* clients' default region; NULL = the client default */
	tp_aws_client *caller;       /* the caller's credentials (management-account check) */
	const char *caller_account;  /* the caller's own account: never cleaned */
	tp_nuke_opts nuke;           /* for every account: regions, types, filter, dry_run,
					parallel, timeouts, on_event (client and account are
					set per account) */
	int accounts_parallel;       /* accounts cleaned at once; 0 = TP_SWEEP_DEFAULT_ACCOUNTS */
	tp_sweep_reach_fn reach;     /* NULL = AssumeRole through `creds` + safety checks */
	void *reach_ctx;
	const char *only;            /* sweep only this account (when it qualifies), or NULL */
} tp_sweep_opts;

#define TP_SWEEP_OPTS_INIT { NULL, NULL, NULL, NULL, NULL, NULL, NULL, TP_NUKE_OPTS_INIT, 0, NULL, NULL, NULL }

/*
 * Sweep. `out` is initialised here (release it even on error). Returns 0
 * when every candidate was handled (see the report for outcomes), or <0
 * when the pool could not be read or the worker pool not started.
 */
int tp_sweep_run(tp_sweep_report *out, const tp_sweep_opts *opts);

/*
 * The accounts a sweep of `pool` would take now (dirty, or leased with an
 * expired lease; only `only` when not NULL), sorted by id, into `out`
 * (caller releases). Blocklisted ones are included (the sweep skips them).
 */
int tp_sweep_candidates(tp_pool *pool, const char *only, tp_account_list *out);

/* The report as JSON (new reference). */
json_t *tp_sweep_report_json(const tp_sweep_report *r);

#endif
