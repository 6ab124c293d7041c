/*
 * The state of one `tidepool run` (internal to runner/run*.c). Everything
 * here belongs to the loop thread (see run.h); jobs get copies.
 */
#ifndef TP_RUN_INTERNAL_H
#define TP_RUN_INTERNAL_H

#include <stdint.h>

#include "accounts/creds.h"
#include "accounts/pool.h"
#include "aws/client.h"
#include "aws/creds.h"
#include "runner/child_env.h"
#include "runner/deploy_ops.h"
#include "runner/deploy_set.h"
#include "runner/exec.h"
#include "runner/history.h"
#include "runner/local_pool.h"
#include "runner/run.h"
#include "runner/run_jobs.h"
#include "runner/run_loop.h"
#include "runner/sched.h"

typedef struct run_state run_state;

/* Workers for AWS jobs at most (each costs ~100 KB of resident memory). */
#define RUN_MAX_WORKERS 32
/* Accounts cleaned at once by a run. */
#define RUN_CLEAN_ACCOUNTS 4

/* A selected suite. */
typedef struct run_suite {
	const tp_config_suite *cfg;
	int sched;                  /* index in the scheduler and the report */
	const tp_deploy_set *set;   /* its stacks with their depends_on, ready to deploy
				       (shared by suites that list the same stacks), or NULL */
	tp_stack_ref *stacks;       /* the same stacks at their hashes (strings borrowed from set) */
	size_t nstacks;
	int retries;
} run_suite;

/*
 * The stacks of one deployment (run_extras.c): the suite's own first
 * (specs[0..nown)), then extras; deps index into specs.
 */
typedef struct run_plan {
	tp_deploy_stack_spec *specs;
	size_t n, nown;
	int owned;                  /* specs (and their deps) are the plan's */
} run_plan;

/* A leased account. */
typedef struct run_acct {
	run_state *run;
	int handle;                 /* the scheduler's handle (never reused in a run) */
	char id[13];
	int64_t token;
	int report;                 /* index in the report's accounts */
	int lease_span;
	uint64_t heartbeat;
	struct run_attempt *busy;   /* the attempt running on it, or NULL */
	tp_stack_ref *deployed;     /* stacks known at a hash (recorded or deployed here) */
	size_t ndeployed;
	tp_kv_list outputs;         /* "STACK\tKEY" -> value, of stacks deployed in this run */
	int lost;                   /* the lease was superseded: not ours any more */
	int released;
} run_acct;

typedef enum run_phase {
	PHASE_CREDENTIALS = 0,
	PHASE_DEPLOY,
	PHASE_TEST,
	PHASE_DONE
} run_phase;

/* One suite attempt on one account (a RUN action), until its result. */
typedef struct run_attempt {
	run_state *run;
	run_suite *suite;
	run_acct *acct;
	int number;
	int report_attempt;         /* index in the report suite's attempts */
	run_phase phase;
	int64_t phase_start;        /* tp_now_ms */
	int deploy_span, test_span;
	int pid;                    /* the suite process (PHASE_TEST), else 0 */
	char **extras;              /* stacks to deploy beyond the suite's (tp_sched_extra_stacks) */
	size_t nextras;
	size_t deployment;          /* the deployer's number (PHASE_DEPLOY) */
	tp_creds creds;             /* until the attempt ends (log-tail redaction) */
	char *log_path, *junit_path, *artifacts;
	struct run_attempt *next;   /* in the run's list of live attempts */
} run_attempt;

struct run_state {
	const tp_run_opts *o;
	const tp_config *cfg;
	tp_report *rep;
	char run_id[48];
	char *holder;
	char *run_dir;              /* logs/, junit/, artifacts/ */
	const char *region;         /* the suites' AWS_REGION: regions[0] */
	char *endpoint;             /* the override suites get, or NULL */

	tp_loop *loop;
	tp_jobs *jobs;              /* AWS work: leases, credentials, deploy results */
	tp_jobs *clean_jobs;        /* the cleaner, RUN_CLEAN_ACCOUNTS accounts at once */
	tp_exec *exec;
	tp_sched *sched;
	tp_history *history;
	tp_local_pool *local;
	tp_pool *pool;
	tp_cred_provider *base;     /* the runner's own credentials */
	tp_account_creds *creds;    /* per-account AssumeRole */
	tp_aws_client *caller;      /* the runner's identity, for the cleaner's safety checks */
	char caller_account[16];
	struct tp_deployer *deployer;   /* created on the first deploy */
	struct run_deploy_waiters *waiters;  /* deployments in flight (run_deploy.c) */
	struct tp_cfn_account **cfn;    /* every deployment's account handle (deployer borrows) */
	size_t ncfn;
	char **kept;                /* strings the deployer borrows until it is freed */
	size_t nkept;
	tp_deploy_set **sets;       /* one per distinct `stacks:` list of the suites */
	tp_deploy_set *all_stacks;  /* every stack the suites use (extras come from it), or NULL */
	int all_stacks_failed;
	run_plan **plans;           /* every deployment's (the deployer borrows them) */
	size_t nplans;
	char **set_keys;
	size_t nsets;
	char *marker;               /* TIDEPOOL_RUN_ID=<run>: the executor borrows it */

	run_suite *suites;
	size_t nsuites;
	run_acct **accts;           /* by handle; NULL once released */
	size_t naccts;
	run_attempt *attempts;      /* live */

	int sigfd;
	int interrupts;
	int pumping, pump_again;
	int sched_done;
	int leases_out;             /* LEASE jobs in flight */
	uint64_t lease_timer;
	int64_t lease_wait_since;   /* 0 when not waiting */
	uint64_t draw_timer;
	uint64_t wake_timer;        /* tp_sched_wake_at */
	int infra_errors;
	int64_t loop_cpu_start_ms; /* the loop thread's CPU time at the start */
	tp_aws_stats aws_start;     /* the process's AWS counters at the start */
};

/* ---- run.c ------------------------------------------------------------- */

/* Drive the scheduler until it has nothing to do (re-entrant safe). */
void tp_run_pump(run_state *r);

/* An infrastructure problem that stops the run (keeps the first message). */
void tp_run_fail(run_state *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The progress line of an event (no-op without a progress display). */
#define run_event(r, ...) tp_progress_event((r)->o->progress, __VA_ARGS__)

/* ---- run_lease.c ------------------------------------------------------- */

/* LEASE: score the free accounts, acquire the best (job). */
void tp_run_lease(run_state *r);

/* RELEASE: stop heartbeats, release dirty, hand to the cleaner (job). */
void tp_run_release(run_state *r, int handle);

/* The account of a scheduler handle, or NULL. */
run_acct *tp_run_acct(run_state *r, int handle);

/* Drop an account whose lease was lost, once nothing runs on it: no
 * release, no clean (someone else holds it). */
void tp_run_forget(run_state *r, run_acct *a);

/* ---- run_attempt.c ----------------------------------------------------- */

/* RUN: credentials, deploy, test for `suite` (scheduler index) on `handle`. */
void tp_run_attempt_start(run_state *r, int suite, int handle, int attempt);

/* The deploy for `a` ended: start its test, or end it with `error`. */
void tp_run_attempt_deployed(run_attempt *a, const char *error);

/* The executor's callback: a suite process ended. */
void tp_run_attempt_exited(void *ctx, const tp_exec_result *res);

/* The lease under `a` was lost: stop it (the process, the deploy) and end it
 * as an error; the account is then forgotten. */
void tp_run_attempt_lost(run_attempt *a);

/* ---- run_env.c --------------------------------------------------------- */

/* The environment of attempt `a` (DESIGN.md, "What a suite process gets"). */
void tp_run_suite_env(tp_env *out, const run_state *r, const run_attempt *a);

/* ---- run_deploy.c ------------------------------------------------------ */

/*
 * The deploy set of suite `s` (its stacks, templates checked, hashes),
 * shared with suites that list the same stacks; fills s->set and
 * s->stacks. TP_EINVAL naming tidepool.yaml's line when a template or
 * parameter is wrong: before anything is leased.
 */
int tp_run_deploy_prepare(run_state *r, run_suite *s);

/* Deploy what `a` needs on its account (job), then start its test. */
void tp_run_deploy(run_state *r, run_attempt *a);

/* Ctrl-C: cancel the deployments in progress. */
void tp_run_deploy_cancel(run_state *r);

/* Cancel the deployment of `a` (its lease was lost); it ends as usual. */
void tp_run_deploy_cancel_one(run_state *r, run_attempt *a);

/* Free the deployer and what it borrowed (after every job finished). */
void tp_run_deploy_release(run_state *r);

/* Does `a`'s account have every stack `a` needs, at its hash, with outputs? */
int tp_run_deployed(const run_attempt *a);

/* ---- run_extras.c ------------------------------------------------------ */

/* What `a`'s deployment carries: its suite's stacks and its extras. */
const run_plan *tp_run_plan(run_state *r, const run_attempt *a);

/* Free the plans (after the deployer). */
void tp_run_plans_release(run_state *r);

#endif
