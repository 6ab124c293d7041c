/*
 * The deployer's state machine: one stack in one account, as pure logic.
 * No I/O, no clock, no threads: it is fed the parsed result of each call it
 * asked for (runner/deploy_ops.h) or "the timer fired", and answers with
 * the next action. The driver (runner/deploy_engine.h) performs actions; a
 * unit test or the simulation of bench/sim can feed it whatever AWS would
 * answer, in virtual time.
 *
 *   tp_dsm *m = tp_dsm_new(&stack, &opts);
 *   const tp_dsm_action *a = tp_dsm_start(m);
 *   while (a->kind != TP_DSM_DONE) {
 *       if (a->kind == TP_DSM_CALL) {
 *           tp_cfn_result r = TP_CFN_RESULT_INIT;
 *           tp_cfn_ops_call(ops, account, &a->req, &r);
 *           a = tp_dsm_feed(m, &r);
 *           tp_cfn_result_release(&r);
 *       } else {                       // TP_DSM_WAIT
 *           sleep_ms(a->wait_ms);      // or a timer queue, or virtual time
 *           a = tp_dsm_timer(m);
 *       }
 *   }
 *   // a->outcome, a->message, a->stack
 *   tp_dsm_free(m);
 *
 * The rules (DESIGN.md, "Deploying stacks"):
 *   - one DescribeStacks (by name). Tag tidepool:hash equal to the stack's
 *     hash and status CREATE_COMPLETE or UPDATE_COMPLETE: SKIPPED, with the
 *     outputs it listed (unless opts.force);
 *   - missing: CreateStack (a command stack: its command); otherwise
 *     UpdateStack (a command stack: its command). "No updates are to be
 *     performed." is success (UPDATED, message "no changes");
 *   - ROLLBACK_COMPLETE, ROLLBACK_FAILED, CREATE_FAILED and REVIEW_IN_PROGRESS
 *     (a change set never executed) cannot be updated: DeleteStack, poll
 *     until DELETE_COMPLETE, then create;
 *   - any *_IN_PROGRESS (someone else's operation): poll until it ends,
 *     then decide again as if from the start;
 *   - UPDATE_ROLLBACK_FAILED and DELETE_FAILED need a human: FAILED, saying
 *     what to do;
 *   - Create/Update/Delete carry a ClientRequestToken derived from run id,
 *     account, region, stack, hash, operation and the machine's attempt
 *     number (each Create/Update/Delete it starts is the next attempt: the
 *     create after a delete is attempt 2), so a retried call sends the same
 *     token and CloudFormation runs it once;
 *   - tags: the stack's own plus tidepool:hash, tidepool:project and
 *     tidepool:managed=true;
 *   - a template longer than TP_DSM_TEMPLATE_BODY_MAX bytes is first put in
 *     the account's artifacts bucket (TP_ARTIFACTS_BUCKET_FMT) and passed
 *     as TemplateURL;
 *   - polls (DescribeStacks by stack id) wait 1 s, then twice as long each
 *     time up to 20 s, each wait multiplied by a jitter factor in
 *     [0.8, 1.2) (jitter source injectable) and kept within [1 s, 20 s];
 *   - throttling and transport errors of any call back off the same way
 *     and retry the same request (same token); after max_errors of them in
 *     a row, FAILED. Any other error of Create/Update/Delete is FAILED with
 *     AWS's code and message ("ValidationError: No export named x found.");
 *   - a stack that ends in a failed state: DescribeStackEvents, paging back
 *     to the start of this operation (the stack's own *_IN_PROGRESS event),
 *     and the earliest *_FAILED event of a resource (not the stack's own
 *     ROLLBACK entries) names the failure: "CREATE_FAILED OrdersTable
 *     (AWS::DynamoDB::Table): Table already exists (stack ROLLBACK_COMPLETE)";
 *   - a command stack runs its command, then the stack of the same name must
 *     reach CREATE_COMPLETE or UPDATE_COMPLETE tagged with the hash;
 *   - all waits of one machine together may not exceed opts.timeout_ms.
 *
 * A machine owns everything an action points to until its next event.
 * Not thread-safe: one machine is driven by one thread at a time.
 */
#ifndef TP_DEPLOY_SM_H
#define TP_DEPLOY_SM_H

#include <stddef.h>
#include <stdint.h>

#include "runner/deploy_ops.h"

/* CloudFormation's limit on TemplateBody. */
#define TP_DSM_TEMPLATE_BODY_MAX 51200

typedef enum tp_deploy_outcome {
	TP_DEPLOY_PENDING = 0,   /* not started yet */
	TP_DEPLOY_RUNNING,
	TP_DEPLOY_CREATED,
	TP_DEPLOY_UPDATED,
	TP_DEPLOY_SKIPPED,       /* already deployed at this hash */
	TP_DEPLOY_FAILED,
	TP_DEPLOY_BLOCKED,       /* not attempted: a dependency failed */
	TP_DEPLOY_CANCELLED      /* stopped before it finished */
} tp_deploy_outcome;

/* "pending", "running", "created", "updated", "skipped", "failed", "blocked", "cancelled". */
const char *tp_deploy_outcome_name(tp_deploy_outcome o);

/* What to deploy. Every pointer is borrowed and must outlive the machine. */
typedef struct tp_dsm_stack {
	const char *name;                 /* the CloudFormation stack name */
	const char *hash;                 /* content hash (suites/hash.h) */
	const char *template_body;        /* template stacks */
	size_t template_len;
	const char *command;              /* command stacks (template_body NULL) */
	const tp_kv *parameters;
	size_t nparameters;
	const char *const *capabilities;
	size_t ncapabilities;
	const tp_kv *tags;                /* the stack's own tags (no tidepool:*) */
	size_t ntags;
	const tp_kv *env;                 /* command stacks: more environment */
	size_t nenv;
} tp_dsm_stack;

typedef struct tp_dsm_opts {
	const char *account;              /* 12 digits: tokens, the artifacts bucket */
	const char *region;
	const char *project;              /* tidepool:project */
	const char *run_id;               /* part of every token; "" allowed */
	int force;                        /* deploy even when the hash matches */
	int64_t poll_first_ms;            /* 0 = 1000 */
	int64_t poll_max_ms;              /* 0 = 20000 */
	int64_t timeout_ms;               /* all waits of the machine; 0 = 2 h */
	int max_errors;                   /* throttled/transport errors in a row; 0 = 10 */
	/* A number in [0, 1) per wait; NULL = 0.5 (no jitter: tests, simulation). */
	double (*jitter)(void *ctx);
	void *jitter_ctx;
} tp_dsm_opts;

#define TP_DSM_OPTS_INIT { NULL, NULL, NULL, "", 0, 0, 0, 0, 0, NULL, NULL }

typedef enum tp_dsm_kind {
	TP_DSM_CALL = 1,   /* perform .req, then tp_dsm_feed */
	TP_DSM_WAIT,       /* wait .wait_ms, then tp_dsm_timer */
	TP_DSM_DONE        /* finished: .outcome */
} tp_dsm_kind;

typedef struct tp_dsm_action {
	tp_dsm_kind kind;
	tp_cfn_request req;               /* CALL */
	int64_t wait_ms;                  /* WAIT */
	tp_deploy_outcome outcome;        /* DONE: CREATED, UPDATED, SKIPPED, FAILED, CANCELLED */
	const char *message;              /* DONE: why it failed, or a note ("no changes"); may be NULL */
	const char *aws_code;             /* DONE, FAILED by an AWS error: its code; else NULL */
	const tp_cfn_stack *stack;        /* DONE and not FAILED: the stack as last described
					     (id, status, tags, outputs); may be NULL when cancelled */
} tp_dsm_action;

typedef struct tp_dsm tp_dsm;

/* A new machine for `stack` (borrowed) with `opts` (strings borrowed). */
tp_dsm *tp_dsm_new(const tp_dsm_stack *stack, const tp_dsm_opts *opts);

/* NULL is a no-op. */
void tp_dsm_free(tp_dsm *m);

/* The first action (always the DescribeStacks). Call once. */
const tp_dsm_action *tp_dsm_start(tp_dsm *m);

/* The result of the CALL last returned; `res` is only read. */
const tp_dsm_action *tp_dsm_feed(tp_dsm *m, const tp_cfn_result *res);

/* The WAIT last returned is over. */
const tp_dsm_action *tp_dsm_timer(tp_dsm *m);

/*
 * Stop: DONE with CANCELLED. Call only between actions (not while a CALL
 * is outstanding: feed its result first). The cloud operation already
 * started, if any, goes on without us.
 */
const tp_dsm_action *tp_dsm_cancel(tp_dsm *m);

/* The last action returned (DONE stays DONE). */
const tp_dsm_action *tp_dsm_action_last(const tp_dsm *m);

/* CloudFormation calls asked for so far (PutTemplate and RunCommand excluded). */
unsigned tp_dsm_calls(const tp_dsm *m);

/*
 * The ClientRequestToken for `op` ("CreateStack") attempt `attempt` of
 * stack `stack` at `hash` in account/region for run `run_id`:
 * "tidepool-" and 40 hex digits of a SHA-256 over those fields. Exposed for
 * tests. `out` has room for TP_DSM_TOKEN_MAX bytes.
 */
#define TP_DSM_TOKEN_MAX 64
void tp_dsm_token(char out[TP_DSM_TOKEN_MAX], const char *run_id, const char *account,
		  const char *region, const char *stack, const char *hash, const char *op,
		  int attempt);

/* The wait before poll `n` (0-based) for a jitter value j in [0, 1). */
int64_t tp_dsm_backoff_ms(const tp_dsm_opts *opts, int n, double j);

#endif
