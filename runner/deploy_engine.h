/*
 * The deployer's engine: many deployments (a set of stacks into one
 * account) at once, as pure single-threaded logic over a clock the caller
 * passes in. It owns one state machine per stack (runner/deploy_sm.h),
 * starts a stack as soon as its dependencies are complete in that account
 * (not level by level), keeps at most max_active stack operations going
 * over all deployments, lets CloudFormation calls out through token
 * buckets, and honours the machines' waits with one timer heap.
 *
 * Rate limits follow how CloudFormation throttles: per account (and
 * region). Every deployment into one account (its `account` handle) shares
 * that account's bucket, so an account's polling stacks never throttle each
 * other; a second, process-wide bucket caps the runner's total call rate.
 * Accounts do not wait for each other below that cap: a call whose
 * account has no token lets another account's call go first.
 *
 * It performs nothing itself: the caller takes jobs (calls to make) and
 * hands back their results. runner/deploy.h drives it with threads in real
 * time; bench/sim can drive it in virtual time with a simulated cloud:
 *
 *   while (tp_deploy_engine_busy(e)) {
 *       tp_deploy_job job;
 *       while (tp_deploy_engine_next(e, now, &job))
 *           start(job);                      // later: tp_deploy_engine_complete
 *       now = min(tp_deploy_engine_wakeup(e, now), next completion);
 *       ... complete what finished by `now` ...
 *   }
 *
 * Not thread-safe: one thread owns an engine. Callbacks run inside
 * tp_deploy_engine_next / _complete / _cancel on that thread and must not
 * call back into the engine.
 */
#ifndef TP_DEPLOY_ENGINE_H
#define TP_DEPLOY_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "runner/deploy_ops.h"
#include "runner/deploy_sm.h"

/* One stack of a deployment; deps[] index earlier entries of the same array. */
typedef struct tp_deploy_stack_spec {
	tp_dsm_stack stack;           /* env is ignored: the engine fills it for commands */
	const size_t *deps;
	size_t ndeps;
} tp_deploy_stack_spec;

/* Deploy `stacks` (a DAG in topological order) into one account. */
typedef struct tp_deploy_request {
	const tp_deploy_stack_spec *stacks;   /* borrowed: must outlive the engine */
	size_t nstacks;
	void *account;                        /* handed to the ops table with every job */
	tp_dsm_opts sm;                       /* account, region, project, run id, force,
						 timings (strings borrowed, must outlive the engine) */
} tp_deploy_request;

/* What happened to one stack of a deployment. Owned by the engine. */
typedef struct tp_deploy_stack_result {
	const char *name;
	tp_deploy_outcome outcome;
	char *message;                /* FAILED/BLOCKED/CANCELLED: why; else a note or NULL */
	char *aws_code;               /* FAILED by an AWS error: its code, else NULL */
	tp_cfn_stack stack;           /* CREATED/UPDATED/SKIPPED: id, status, tags, outputs */
	int64_t start_ms, end_ms;     /* engine time; 0 when it never started */
	unsigned calls;               /* CloudFormation calls made for it */
} tp_deploy_stack_result;

typedef struct tp_deploy_engine_opts {
	int max_active;               /* stack operations at once over all deployments; 0 = 1024
					 (an operation in progress costs only its polls) */
	double rate;                  /* CloudFormation calls per second per account (all
					 deployments into it); 0 = 5; < 0 = unlimited */
	double burst;                 /* an account bucket's size; 0 = 2 x rate (at least 1) */
	double global_rate;           /* calls per second over all accounts; 0 = 100;
					 < 0 = unlimited */
	double global_burst;          /* 0 = 2 x global_rate */
	/* A stack started (outcome RUNNING) or finished; may be NULL. */
	void (*on_stack)(void *ctx, size_t dep, size_t stack, const tp_deploy_stack_result *r);
	/* Every stack of deployment `dep` has finished; may be NULL. */
	void (*on_done)(void *ctx, size_t dep);
	void *ctx;
} tp_deploy_engine_opts;

#define TP_DEPLOY_ENGINE_OPTS_INIT { 0, 0, 0, 0, 0, NULL, NULL, NULL }

/* A unit of work: one call for one stack. */
typedef struct tp_deploy_job {
	size_t dep;                   /* deployment */
	size_t stack;                 /* index in its stacks */
	void *account;                /* the deployment's handle */
	const tp_cfn_request *req;    /* valid until the job is completed */
} tp_deploy_job;

typedef struct tp_deploy_engine tp_deploy_engine;

tp_deploy_engine *tp_deploy_engine_new(const tp_deploy_engine_opts *opts);

/* Frees every machine and result; jobs still out are forgotten. NULL is a no-op. */
void tp_deploy_engine_free(tp_deploy_engine *e);

/* Add a deployment at time `now`; returns its number (0, 1, ...). */
size_t tp_deploy_engine_submit(tp_deploy_engine *e, const tp_deploy_request *req, int64_t now);

/*
 * The next job that may go at `now` (timers due by then fire first, and
 * stacks whose dependencies are done start while slots are free). Returns
 * 1 with *job set, or 0 when nothing may go until tp_deploy_engine_wakeup
 * or a completion.
 */
int tp_deploy_engine_next(tp_deploy_engine *e, int64_t now, tp_deploy_job *job);

/* The result of `job` (only read). */
void tp_deploy_engine_complete(tp_deploy_engine *e, int64_t now, const tp_deploy_job *job,
			       const tp_cfn_result *res);

/*
 * When tp_deploy_engine_next may next have a job without a completion
 * coming in first: a timer's due time, or when the buckets have a token for
 * a waiting call. INT64_MAX when only completions can move things on.
 */
int64_t tp_deploy_engine_wakeup(const tp_deploy_engine *e, int64_t now);

/* Stop deployment `dep`: stacks not started end CANCELLED, running ones at their next event. */
void tp_deploy_engine_cancel(tp_deploy_engine *e, size_t dep, int64_t now);

/* Some deployment has not finished. */
int tp_deploy_engine_busy(const tp_deploy_engine *e);

/* Deployment `dep` has finished (every stack has its outcome). */
int tp_deploy_engine_finished(const tp_deploy_engine *e, size_t dep);

/* The result of stack `i` of deployment `dep` (valid for the engine's life). */
const tp_deploy_stack_result *tp_deploy_engine_result(const tp_deploy_engine *e, size_t dep,
						      size_t i);

size_t tp_deploy_engine_stack_count(const tp_deploy_engine *e, size_t dep);

/* Jobs handed out and not completed; stack operations in progress (for tests). */
size_t tp_deploy_engine_in_flight(const tp_deploy_engine *e);
size_t tp_deploy_engine_active(const tp_deploy_engine *e);

#endif
