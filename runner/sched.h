/*
 * The scheduler: which suite runs next on which account. Pure logic: no
 * I/O, no threads, no clock reads beyond the injected one, so the same code
 * runs `tidepool run` and the simulation of bench/sim in virtual time.
 *
 * The driver feeds it events (an account was leased, a suite finished,
 * stacks were deployed) and asks it for actions until it says IDLE:
 *
 *   tp_sched_action a;
 *   while (tp_sched_next(s, &a) == 0 && a.kind != TP_SCHED_IDLE) {
 *       switch (a.kind) {
 *       case TP_SCHED_LEASE:   lease one account (score candidates with
 *                              tp_sched_lease_score), then call
 *                              tp_sched_account_leased or tp_sched_lease_failed;
 *       case TP_SCHED_RUN:     deploy what a.suite needs on a.account, run it,
 *                              then call tp_sched_suite_done;
 *       case TP_SCHED_RELEASE: release a.account to the cleaner;
 *       case TP_SCHED_DONE:    every suite has a final result.
 *       }
 *   }
 *
 * Policy (DESIGN.md, "The scheduler"), TP_SCHED_POLICY_AFFINITY:
 *   - at most max_accounts accounts are leased at once, and never more than
 *     there are suites left to start; they are asked for before the first
 *     suite starts, and the first choices wait for those leases, so each
 *     choice knows every account and what it holds;
 *   - a leased account runs one suite at a time. Until the endgame it
 *     follows a plan of the whole run: every pending suite, longest first,
 *     goes to the account where it would finish first (when that account
 *     should be free + the deploy it would need there then + its length;
 *     ties to the least deploy, then to the account the fewest other
 *     suites could use without one). A suite's length here is its
 *     expected duration plus the deploy it needs on the leased account
 *     that suits it best (a deploy nobody can avoid is better done early
 *     than at the end). So a deploy is taken only when it ends sooner
 *     than waiting for an account that needs none, and at the start each
 *     long suite goes to an account holding its stacks rather than to
 *     whichever asked first. The plan is made again when it is out of
 *     date (an account comes or goes, a retry, an account ahead of its
 *     plan, half a wave of starts). Deploy time counts the stacks missing
 *     or at another hash, along their longest depends_on chain when
 *     stack_depends_on is given (the deployer runs the others alongside),
 *     else one after another. A busy account should be free at its
 *     suite's expected end, and one past it in half as long again as the
 *     suite has run (durations have a heavy tail);
 *   - a deploy can carry more than its suite's stacks
 *     (tp_sched_extra_stacks): stacks pending suites need whose chain ends
 *     within the suite's own, which cost it nothing; and the stacks of the
 *     suites the plan gives that account next, when deploying them now
 *     lengthens this deploy by less than half the deploys the plan expects
 *     for them later (an account decides its stacks once, up front,
 *     instead of deploying again between suites). With deploy_extras the
 *     plan counts on the first kind;
 *   - suites without history (expected_ms < 0) take the others' mean and
 *     are ordered with the longest: their length is a guess;
 *   - endgame, when no more suites are left to start than accounts leased:
 *     every pending suite is planned onto the accounts (busy ones from when
 *     they should be free) so that the latest finish is as early as it can
 *     be made (Max-Min); an idle account takes what the plan gives it and
 *     otherwise waits, rather than deploying for a suite another account
 *     will run sooner without;
 *   - a failed suite with retries left is retried on a different account
 *     (the same one only when no other can be had); a pass after a failure
 *     is flaky;
 *   - with fail_fast, the first final failure stops new starts;
 *   - an idle account with nothing left to start is released, except that
 *     as many are kept as running suites could still fail and need a
 *     retry elsewhere (such a retry then finds an account, often with its
 *     stacks, instead of a fresh lease and a full deploy).
 * TP_SCHED_POLICY_LONGEST and TP_SCHED_POLICY_FIFO (baselines for bench/sim)
 * take the longest expected / the first added pending suite, ignore deploy
 * costs, have no plans, no extras and release idle accounts at once.
 *
 * Cost: stack names and hashes are interned; suites that need the same
 * stacks at the same hashes form a group, with per-(account, group) deploy
 * costs cached until a stack of that group changes on that account. The
 * run plan is O(pending suites x accounts) at worst (it stops at the
 * first account that cannot finish sooner), about twice per wave of
 * starts; the endgame plan is O(groups x accounts) per event it did not
 * foresee; the greedy choice (an account ahead of its plan) is O(groups
 * with pending suites).
 *
 * Not thread-safe: one driver thread owns a tp_sched.
 */
#ifndef TP_SCHED_H
#define TP_SCHED_H

#include <stddef.h>
#include <stdint.h>

typedef struct tp_sched tp_sched;

/* A stack at a content hash. */
typedef struct tp_stack_ref {
	const char *name;
	const char *hash;
} tp_stack_ref;

typedef struct tp_sched_suite {
	const char *name;            /* copied */
	int64_t expected_ms;         /* from history (tp_history) or the mean; < 0 unknown:
					the scheduler uses the mean of the others */
	const tp_stack_ref *stacks;  /* every stack it needs (with depends_on), copied */
	size_t nstacks;
	int retries;                 /* extra attempts after a failure */
} tp_sched_suite;

/*
 * Which pending suite an idle account takes. AFFINITY is tidepool's policy
 * (above); the others exist to measure it against (bench/sim) and ignore
 * deploy costs entirely, in choosing suites and in tp_sched_lease_score.
 */
typedef enum tp_sched_policy {
	TP_SCHED_POLICY_AFFINITY = 0,  /* longest first, less the deploy it needs there */
	TP_SCHED_POLICY_LONGEST,       /* longest expected first */
	TP_SCHED_POLICY_FIFO           /* in the order added */
} tp_sched_policy;

typedef struct tp_sched_opts {
	int max_accounts;            /* -j; >= 1 */
	int fail_fast;
	/* Deploy time of a stack that is missing or at another hash (ms); NULL = 60 s each. */
	int64_t (*stack_deploy_ms)(void *ctx, const char *stack);
	void *ctx;
	/* The clock (ms); NULL = none (then start/end times are 0). */
	int64_t (*now_ms)(void *ctx);
	tp_sched_policy policy;
	/*
	 * The stacks `stack` depends on (its depends_on): returns how many and
	 * points *deps at their names, valid until the next call. With it a
	 * deploy is costed as its longest chain of stacks (the deployer runs
	 * the rest alongside); NULL = unknown, every stack costed one after
	 * another (the sum).
	 */
	size_t (*stack_depends_on)(void *ctx, const char *stack, const char *const **deps);
	/*
	 * The driver deploys tp_sched_extra_stacks along with each suite's
	 * stacks, so the scheduler may count on them being there afterwards.
	 */
	int deploy_extras;
} tp_sched_opts;

#define TP_SCHED_OPTS_INIT { 1, 0, NULL, NULL, NULL, TP_SCHED_POLICY_AFFINITY, NULL, 0 }

typedef enum tp_sched_kind {
	TP_SCHED_IDLE = 0,  /* nothing to do until the next event */
	TP_SCHED_LEASE,     /* lease one more account */
	TP_SCHED_RUN,       /* run .suite (attempt .attempt) on .account */
	TP_SCHED_RELEASE,   /* release .account */
	TP_SCHED_DONE       /* every suite has its final result, every account released */
} tp_sched_kind;

typedef struct tp_sched_action {
	tp_sched_kind kind;
	int suite;          /* index from tp_sched_add_suite */
	int account;        /* handle given to tp_sched_account_leased */
	int attempt;        /* 1-based */
} tp_sched_action;

typedef enum tp_sched_result {
	TP_SCHED_PASSED = 0,
	TP_SCHED_FAILED,     /* the suite failed (exit code, timeout) */
	TP_SCHED_ERROR,      /* infrastructure: deploy failed, could not start */
	TP_SCHED_SKIPPED     /* never started (fail-fast, interrupt) */
} tp_sched_result;

tp_sched *tp_sched_new(const tp_sched_opts *opts);
void tp_sched_free(tp_sched *s);

/* Add a suite before the first tp_sched_next; returns its index. */
int tp_sched_add_suite(tp_sched *s, const tp_sched_suite *suite);

/*
 * Account `account` (a handle of the driver's choosing, >= 0, unique while
 * leased) was leased; `stacks` are what the store recorded as deployed
 * there (copied).
 */
void tp_sched_account_leased(tp_sched *s, int account, const tp_stack_ref *stacks, size_t n);

/* The LEASE could not be satisfied (pool exhausted): no more LEASE actions
 * until an account is released or the driver calls tp_sched_lease_retry. */
void tp_sched_lease_failed(tp_sched *s);
void tp_sched_lease_retry(tp_sched *s);

/* Stacks now deployed on `account` at these hashes (after a deploy). */
void tp_sched_stacks_deployed(tp_sched *s, int account, const tp_stack_ref *stacks, size_t n);

/*
 * The lease on `account` was lost (superseded: someone else holds the
 * account now). The scheduler forgets the account at once, without a
 * RELEASE action (it is not ours to release), and may lease another in its
 * place. A suite running there goes on counting as running until the driver
 * has stopped it and calls tp_sched_suite_done (TP_SCHED_ERROR): it is then
 * retried on another account, if it has retries left, like any failure.
 */
void tp_sched_account_lost(tp_sched *s, int account);

/* The RUN of `suite` on its account ended. */
void tp_sched_suite_done(tp_sched *s, int suite, tp_sched_result result);

/* Stop starting suites (Ctrl-C): pending ones end SKIPPED. */
void tp_sched_stop(tp_sched *s);

/* The next action. Returns 0 (always; the kind says what). */
int tp_sched_next(tp_sched *s, tp_sched_action *out);

/*
 * When (the clock's ms) tp_sched_next may have an action though no event
 * came: an idle account waits on the endgame plan for a busy one that
 * should be free by then, and if it is not, the plan is made again.
 * INT64_MAX when only an event can bring an action. A driver that calls
 * tp_sched_next on every event of a busy loop need not ask.
 */
int64_t tp_sched_wake_at(const tp_sched *s);

/*
 * How much `stacks` (an account's recorded deployments) helps the suites
 * not yet started: the deploy time it saves summed over them (each stack's
 * time once per suite that needs it). Higher is better; the driver leases
 * the best-scoring free account. 0 under the baseline policies.
 */
int64_t tp_sched_lease_score(const tp_sched *s, const tp_stack_ref *stacks, size_t n);

/*
 * Stacks worth deploying on `account` in the same deployment as the suite
 * of the RUN just returned for it, beyond the suite's own (optional: a
 * driver that deploys only the suite's stacks loses nothing but what they
 * would save). They are stacks that pending suites need and the account
 * lacks (or holds at another hash) whose depends_on chain, deployed
 * alongside the suite's own stacks, should end before those do: the suite
 * waits no longer, and later suites find them there. In topological order
 * (dependencies first); each one's dependencies are among the suite's
 * stacks, the earlier extras, or already on the account. Fills
 * out[0..n), n <= cap, with strings valid until tp_sched_free; returns n.
 * 0 under the baseline policies, without stack_depends_on (deploys then
 * cost a sum: nothing rides free), when the suite needs no deploy there,
 * or when `account` runs nothing. Report what landed with
 * tp_sched_stacks_deployed as usual; a failed extra need not fail the
 * suite (none of its stacks depends on one).
 */
size_t tp_sched_extra_stacks(tp_sched *s, int account, tp_stack_ref *out, size_t cap);

/* ---- results ----------------------------------------------------------- */

typedef struct tp_sched_suite_state {
	const char *name;
	tp_sched_result result;   /* meaningful once final */
	int final;                /* no more attempts will run */
	int attempts;
	int flaky;                /* failed, then passed on a retry */
	int account;              /* account of the last attempt, -1 if none */
	int64_t started_ms, ended_ms; /* of the last attempt */
} tp_sched_suite_state;

size_t tp_sched_suite_count(const tp_sched *s);
void tp_sched_suite_get(const tp_sched *s, int suite, tp_sched_suite_state *out);

typedef struct tp_sched_counts {
	int pending;              /* not started yet (incl. waiting retries) */
	int running;
	int passed;
	int failed;               /* final failures and errors */
	int skipped;
	int accounts;             /* leased now */
	int64_t remaining_ms;     /* expected work not yet started */
} tp_sched_counts;

void tp_sched_counts_get(const tp_sched *s, tp_sched_counts *out);

/*
 * Shard selection: split suites 0..n-1 with durations expected_ms into
 * `shards` bins, longest first onto the least-loaded bin (ties: lower bin,
 * then name order), so shards finish together. in_shard[i] is set to 1 for
 * the suites of shard `index` (0-based), 0 otherwise. Deterministic: the
 * same inputs give the same split on every machine.
 */
void tp_sched_shard(const char *const *names, const int64_t *expected_ms, size_t n,
		    int index, int shards, int *in_shard);

#endif
