/*
 * bench/sim: tidepool's scheduler (runner/sched.h) and deployer engine
 * (runner/deploy_engine.h, with its per-stack state machines) driven in
 * virtual time by a simulated CloudFormation, over generated workloads.
 *
 * The pieces, one file each:
 *   sim_rng.c       a seeded PRNG and the distributions drawn from it;
 *   sim_workload.c  a scenario's stacks (a DAG), suites, the pool's
 *                   initial state (cold, or warm from earlier runs);
 *   sim_heap.c      the event queue: a binary heap ordered by virtual ms;
 *   sim_cloud.c     CloudFormation per account: stack states over time,
 *                   a per-account call rate limit (Throttling), rollbacks;
 *                   a tp_cfn_ops table, so the state machines talk to it
 *                   exactly as to AWS;
 *   sim_run.c       one run: the driver that does what `tidepool run` does
 *                   with the scheduler's actions, in virtual time;
 *   sim_bound.c     the lower bound on a run's makespan;
 *   sim_report.c    tables and bench lines;
 *   sim.c           main: scenarios, options.
 *
 * Everything is deterministic for a seed: the same seed gives the same
 * workload and the same run, on every machine.
 */
#ifndef TP_BENCH_SIM_H
#define TP_BENCH_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "runner/deploy_ops.h"
#include "runner/sched.h"

/* ---- random numbers (sim_rng.c) ------------------------------------------ */

typedef struct sim_rng {
	uint64_t s;
} sim_rng;

void sim_rng_seed(sim_rng *r, uint64_t seed);
uint64_t sim_rng_next(sim_rng *r);
double sim_rng_unit(sim_rng *r);                          /* [0, 1) */
int64_t sim_rng_range(sim_rng *r, int64_t lo, int64_t hi);  /* [lo, hi] */
/* Log-normal with this median and sigma (of the underlying normal). */
double sim_rng_lognormal(sim_rng *r, double median, double sigma);
/* A seed derived from a seed and a label, for independent streams. */
uint64_t sim_seed_mix(uint64_t seed, uint64_t label);

/* ---- the workload (sim_workload.c) ---------------------------------------- */

#define SIM_MAX_DEPS 3
#define SIM_TEST_RUNS 2        /* drawn per suite: the first run and a retry */

/* What a pool account holds of one stack before the run. */
typedef enum sim_initial {
	SIM_ABSENT = 0,
	SIM_CURRENT,           /* deployed at the right hash: skipped */
	SIM_STALE,             /* deployed at an older hash: updated */
	SIM_ROLLED_BACK        /* ROLLBACK_COMPLETE from an earlier run: deleted, re-created */
} sim_initial;

typedef struct sim_stack {
	char name[32];
	char hash[24];                 /* the content hash of this run */
	char old_hash[24];             /* what STALE accounts have */
	int64_t expected_ms;           /* create time the history knows */
	size_t deps[SIM_MAX_DEPS];     /* indices < this one's: the list is topological */
	size_t ndeps;
} sim_stack;

typedef struct sim_suite {
	char name[32];
	int64_t expected_ms;           /* what the history says (the scheduler's view) */
	int unknown;                   /* new: no history (expected_ms is the mean) */
	int64_t run_ms[SIM_TEST_RUNS]; /* actual duration of test run k */
	int fails[SIM_TEST_RUNS];      /* test run k fails */
	size_t *stacks;                /* what it needs with depends_on, ascending (topological) */
	size_t nstacks;
	int retries;
} sim_suite;

typedef struct sim_scenario {
	const char *label;             /* "1000/100/20" */
	int nsuites, naccounts, nstacks;
	int warm;
	uint64_t seed;
	double fail_rate;              /* suites failing their first run; 0.03 */
	double history_sigma;          /* the history's error (log-normal sigma); 0.2 */
	double new_rate;               /* suites without history; 0.05 */
} sim_scenario;

#define SIM_FAIL_RATE 0.03
#define SIM_HISTORY_SIGMA 0.2
#define SIM_NEW_RATE 0.05

typedef struct sim_workload {
	sim_scenario sc;
	sim_stack *stacks;
	size_t nstacks;
	sim_suite *suites;
	size_t nsuites;
	size_t npool;                  /* pool accounts (more than -j: others' runs share it) */
	sim_initial *initial;          /* npool x nstacks */
	double *speed;                 /* npool x nstacks: actual time / expected time */
	int64_t rollback_ms;           /* a failed create rolls back this long */
} sim_workload;

/* Generate the workload of `sc` (deterministic in sc->seed). */
void sim_workload_init(sim_workload *w, const sim_scenario *sc);
void sim_workload_release(sim_workload *w);

/* Actual create / update / delete time of stack s in pool account a. */
int64_t sim_create_ms(const sim_workload *w, size_t a, size_t s);
int64_t sim_update_ms(const sim_workload *w, size_t a, size_t s);
int64_t sim_delete_ms(const sim_workload *w, size_t a, size_t s);

/* The (name, hash) pairs the store records for pool account a (CURRENT and
 * STALE stacks). `out` has room for w->nstacks; returns how many. */
size_t sim_recorded(const sim_workload *w, size_t a, tp_stack_ref *out);

/* ---- the event queue (sim_heap.c) ----------------------------------------- */

typedef struct sim_event {
	int64_t at;                    /* virtual ms */
	uint64_t seq;                  /* ties: in the order pushed */
	int kind;
	size_t a, b;                   /* the kind's arguments */
	void *p;
} sim_event;

typedef struct sim_heap {
	sim_event *v;
	size_t n, alloc;
	uint64_t seq;
} sim_heap;

void sim_heap_push(sim_heap *h, int64_t at, int kind, size_t a, size_t b, void *p);
int sim_heap_pop(sim_heap *h, sim_event *out);       /* 0 when empty */
const sim_event *sim_heap_top(const sim_heap *h);    /* NULL when empty */
void sim_heap_release(sim_heap *h);

/* ---- the cloud (sim_cloud.c) ---------------------------------------------- */

typedef struct sim_cloud_opts {
	double rate;                   /* CloudFormation calls per second per account */
	double burst;                  /* its bucket */
	double create_fail;            /* probability a CreateStack rolls back */
	int64_t latency_min_ms, latency_max_ms;
} sim_cloud_opts;

#define SIM_CLOUD_OPTS_INIT { 2, 4, 0.01, 80, 250 }

typedef struct sim_cloud_counts {
	uint64_t by_op[8];             /* answered calls by tp_cfn_op (throttled ones excluded) */
	uint64_t throttled;            /* requests answered Throttling */
	uint64_t creates_failed;       /* CreateStacks that rolled back */
} sim_cloud_counts;

typedef struct sim_cloud sim_cloud;

sim_cloud *sim_cloud_new(const sim_workload *w, const sim_cloud_opts *o, uint64_t seed);
void sim_cloud_free(sim_cloud *c);

/* The ops table; the `account` handle of a call is sim_cloud_account(c, a). */
const tp_cfn_ops *sim_cloud_ops(void);
void *sim_cloud_account(sim_cloud *c, size_t a);
const char *sim_cloud_account_id(const sim_cloud *c, size_t a);

/* The cloud's clock: every call is answered as of this time. */
void sim_cloud_set_now(sim_cloud *c, int64_t now);
/* One request's network latency (drawn). */
int64_t sim_cloud_latency(sim_cloud *c);
const sim_cloud_counts *sim_cloud_counts_get(const sim_cloud *c);

/* ---- one run (sim_run.c) --------------------------------------------------- */

typedef struct sim_run_opts {
	tp_sched_policy policy;
	int engine_max_active;         /* the deployer's bound on stack operations; 0 = its default */
	double engine_rate;            /* its calls/s per account; 0 = its default, < 0 = none */
	sim_cloud_opts cloud;
	int trace;                     /* print the suites that ended last to stderr */
	FILE *timeline;                /* NULL, or every attempt, one line each (bench_sim --timeline) */
	int no_extras;                 /* deploy only each suite's stacks (tp_sched_extra_stacks unused) */
} sim_run_opts;

typedef struct sim_run_result {
	int64_t makespan_ms;           /* from the start to the last suite's end */
	int64_t first_end_ms;          /* when the last first attempt ended; retries may run on */
	double cpu_s;                  /* the whole run: scheduler, deployer, cloud, driver */
	double sched_cpu_s;            /* inside tp_sched_* only */
	int passed, failed, errors, flaky;
	int attempts, test_runs;
	int *test_runs_of;             /* per suite: test runs executed (for the bound) */
	int64_t test_ms, deploy_wait_ms;   /* summed over attempts */
	int deployments;               /* deployments submitted */
	int extra_stacks;              /* stacks in them beyond their suites' (tp_sched_extra_stacks) */
	int no_deploy;                 /* attempts whose stacks were all there already */
	/* stacks of the deployments, by outcome */
	int created, updated, skipped, failed_stacks, blocked;
	int recreated;                 /* deleted (ROLLBACK_COMPLETE), then created */
	int throttle_failed;           /* stacks FAILED because throttling outlasted the retries */
	uint64_t sm_calls;             /* CloudFormation calls the state machines asked for */
	uint64_t sm_calls_skipped;     /* of which for stacks found at their hash */
	uint64_t http_calls;           /* requests sent, client retries of throttling included */
	sim_cloud_counts cloud;
	int accounts_used;
} sim_run_result;

/* Run the workload with these options. Fills *out; release it with sim_run_result_release. */
void sim_run(sim_run_result *out, const sim_workload *w, const sim_run_opts *o);
void sim_run_result_release(sim_run_result *r);

/* ---- the lower bound (sim_bound.c) ----------------------------------------- */

typedef struct sim_bound {
	int64_t chain_ms;              /* A: the longest suite chain */
	int64_t work_ms;               /* B: the work over the accounts */
	int64_t plain_ms;              /* B without the placement term E'(M) */
	int64_t lb_ms;                 /* max(A, B) */
	int chain_suite;               /* the suite of A */
} sim_bound;

/* ---- the placement flow (sim_flow.c) --------------------------------------- */

typedef struct sim_flow sim_flow;

/* need: ngroups x naccounts, need(g, a) (copied). */
sim_flow *sim_flow_new(size_t ngroups, size_t naccounts, const int64_t *need);
void sim_flow_free(sim_flow *f);
/* E'(M) for these test times per group (sim_bound.c). */
int64_t sim_flow_waits(sim_flow *f, const int64_t *supply, int64_t m_ms);
/* The tau its integral covers at most: E'(M) does not grow with M past it. */
int64_t sim_flow_range(const sim_flow *f);

/*
 * D(i) per suite and c(a) per pool account, ascending, and the suites'
 * groups with their need(g, a) (see sim_bound.c): a workload's, for every
 * run.
 */
typedef struct sim_needs {
	int64_t *d;
	int64_t *c;
	size_t *group_of;              /* per suite */
	size_t ngroups;
	sim_flow *flow;
} sim_needs;

void sim_needs_init(sim_needs *n, const sim_workload *w);
void sim_needs_release(sim_needs *n);

/* The lower bound for a run of w in which suite i ran test_runs_of[i] test runs. */
void sim_bound_compute(sim_bound *out, const sim_workload *w, const sim_needs *n,
		       const int *test_runs_of);

/* ---- reporting (sim_report.c) --------------------------------------------- */

typedef struct sim_scenario_result {
	const sim_workload *w;
	sim_needs needs;
	sim_run_result runs[3];        /* by tp_sched_policy */
	sim_bound bound;               /* the smallest of the runs' bounds */
	int has_defaults;
	sim_run_result defaults;       /* affinity with the deployer's default limits */
} sim_scenario_result;

const char *sim_policy_name(tp_sched_policy p);
/* What the columns and the lower bound are. */
void sim_report_legend(void);
void sim_report_scenario(const sim_scenario_result *r);
/* "bench sim-<label>-<cold|warm>: ..." */
void sim_report_bench_line(const sim_scenario_result *r);
void sim_format_ms(char *buf, size_t size, int64_t ms);

#endif
