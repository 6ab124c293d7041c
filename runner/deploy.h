/*
 * The deployer: deploys stacks into many accounts at once, in real time,
 * with threads. It drives the engine (runner/deploy_engine.h: the DAG per
 * account, the bound on stack operations, the shared CloudFormation rate
 * limit, the timers) whose state machines (runner/deploy_sm.h) decide
 * every call; the calls go through a table of functions
 * (runner/deploy_ops.h), the real one over aws/client by default.
 *
 *   tp_deployer *d = NULL;
 *   tp_deployer_opts o = TP_DEPLOYER_OPTS_INIT;
 *   tp_deployer_new(&d, &o);
 *   size_t a = tp_deployer_submit(d, &req_for_account_a);   // any thread, any time
 *   size_t b = tp_deployer_submit(d, &req_for_account_b);
 *   tp_deployer_wait(d, a);                                   // or on_done
 *   ... tp_deployer_result(d, a, i) for each stack ...
 *   tp_deployer_free(d);
 *
 * The scheduler of `tidepool run` submits a deployment per account when a
 * suite needs stacks there and waits for that one; `tidepool deploy`
 * submits one per account and waits for all.
 *
 * Thread safety: submit, wait, cancel and the result of a finished
 * deployment may be called from any thread. Callbacks (on_stack, on_done)
 * run on the deployer's coordinator thread with no lock held; they may call
 * submit and cancel, not wait or free.
 */
#ifndef TP_DEPLOY_H
#define TP_DEPLOY_H

#include <stddef.h>
#include <stdint.h>

#include "runner/deploy_engine.h"
#include "runner/deploy_ops.h"

typedef struct tp_deployer tp_deployer;

typedef struct tp_deployer_opts {
	const tp_cfn_ops *ops;        /* NULL = tp_cfn_aws_ops (runner/deploy_cfn.h) */
	int workers;                  /* threads making calls; 0 = 8 */
	int max_active;               /* stack operations at once, all accounts; 0 = 1024 */
	double rate;                  /* CloudFormation calls per second per account; 0 = 5; < 0 unlimited */
	double burst;                 /* 0 = 2 x rate */
	double global_rate;           /* calls per second over all accounts; 0 = 100; < 0 unlimited */
	double global_burst;          /* 0 = 2 x global_rate */
	void (*on_stack)(void *ctx, size_t dep, size_t stack, const tp_deploy_stack_result *r);
	void (*on_done)(void *ctx, size_t dep);
	void *ctx;
} tp_deployer_opts;

#define TP_DEPLOYER_OPTS_INIT { NULL, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL }

/* Start the threads. Returns 0, or <0 with the error set (threads could not start). */
int tp_deployer_new(tp_deployer **out, const tp_deployer_opts *opts);

/*
 * Cancel what is still running, wait for the calls that are out (and
 * commands, which are sent SIGTERM), join the threads, free everything.
 * NULL is a no-op.
 */
void tp_deployer_free(tp_deployer *d);

/* Deploy req->stacks into req->account. Returns the deployment's number. */
size_t tp_deployer_submit(tp_deployer *d, const tp_deploy_request *req);

/*
 * Wait until deployment `dep` has finished, at most timeout_ms (< 0 =
 * forever). Returns 0 when it has, TP_ETIMEOUT otherwise.
 */
int tp_deployer_wait(tp_deployer *d, size_t dep, int64_t timeout_ms);

/* Wait for every deployment submitted so far. */
void tp_deployer_wait_all(tp_deployer *d);

/* Stop deployment `dep` / all of them (stacks not started end CANCELLED). */
void tp_deployer_cancel(tp_deployer *d, size_t dep);
void tp_deployer_cancel_all(tp_deployer *d);

/* After tp_deployer_wait returned 0 for `dep`: its stacks' results. */
size_t tp_deployer_stack_count(tp_deployer *d, size_t dep);
const tp_deploy_stack_result *tp_deployer_result(tp_deployer *d, size_t dep, size_t i);

#endif
