/*
 * What `tidepool deploy` (and `claim --deploy`) show: live progress while
 * deploying, then a closing table or one JSON document (a report writer:
 * it prints).
 *
 * Progress goes to stderr. On a terminal (live) a block with one line per
 * account (done/total, what is running, seconds) is redrawn in place and
 * failures are printed above it; elsewhere each finished stack is one
 * timestamped line ("12:00:03 111111111111 api created 2.1s").
 *
 * Thread safety: tp_deploy_progress_* may be called from any thread (one
 * mutex); the deployer calls it from its coordinator thread, the command's
 * thread ticks it.
 */
#ifndef TP_DEPLOY_REPORT_H
#define TP_DEPLOY_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "runner/deploy_engine.h"

/* One account of a deploy as the reports see it. */
typedef struct tp_deploy_summary {
	const char *account;
	const char *error;                       /* could not deploy at all (lease, credentials) */
	const tp_deploy_stack_result *const *results;   /* nstacks of them, or NULL */
	size_t nstacks;
	double seconds;
} tp_deploy_summary;

typedef struct tp_deploy_progress tp_deploy_progress;

/* `accounts` (n) and how many stacks each deploys; strings are copied. */
tp_deploy_progress *tp_deploy_progress_new(FILE *out, int live, const char *const *accounts,
					   size_t n, size_t nstacks);

/* Erase the live block. NULL is a no-op. */
void tp_deploy_progress_free(tp_deploy_progress *p);

/* Stack `r` of account number `account` started or finished. */
void tp_deploy_progress_stack(tp_deploy_progress *p, size_t account,
			      const tp_deploy_stack_result *r);

/* An account could not be deployed at all, or finished. */
void tp_deploy_progress_account(tp_deploy_progress *p, size_t account, const char *error);

/* Redraw (elapsed times move); does nothing when not live. */
void tp_deploy_progress_tick(tp_deploy_progress *p);

/* Counts of one account's outcomes; failed counts blocked and cancelled too. */
typedef struct tp_deploy_counts {
	size_t created, updated, skipped, failed;
} tp_deploy_counts;

void tp_deploy_count(tp_deploy_counts *out, const tp_deploy_summary *s);

/*
 * The closing table: account, created, updated, skipped, failed, seconds,
 * then every failure with its stack, account and reason.
 */
void tp_deploy_report_table(FILE *out, const tp_deploy_summary *s, size_t n);

/*
 * The JSON document: {"accounts": [{"account", "seconds", "created", ...,
 * "error", "stacks": [{"stack", "result", "seconds", "message", "aws_code",
 * "stack_id", "outputs"}]}], "api_calls": {...}, "api_calls_total": N,
 * "ok": bool}. `api_calls` (stolen) may be NULL. New reference.
 */
json_t *tp_deploy_report_json(const tp_deploy_summary *s, size_t n, json_t *api_calls);

#endif
