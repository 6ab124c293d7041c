/*
 * What the deployer asked AWS for: HTTP attempts counted by operation
 * (`--json`'s "api_calls") and, when a path is given, the API-call log:
 * one JSON object per line and attempt,
 *
 *   {"start_ms":..., "end_ms":..., "account":"111111111111",
 *    "region":"us-east-1", "stack":"api", "op":"CreateStack", "attempt":1,
 *    "http":200, "code":""}
 *
 * with times from tp_now_ms() (monotonic, comparable within one run).
 *
 * The stack of an attempt is known through a per-thread label that the
 * real ops table sets around each call (tp_deploy_calls_label), since the
 * client's observer only sees the operation.
 *
 * Thread safety: one mutex protects the counts and the log file; the
 * observer may be called from any number of threads.
 */
#ifndef TP_DEPLOY_CALLS_H
#define TP_DEPLOY_CALLS_H

#include <stdint.h>

#include <jansson.h>

#include "aws/client.h"

typedef struct tp_deploy_calls tp_deploy_calls;

/* A new counter; `log_path` (may be NULL) is created or truncated. NULL + error when it cannot be. */
int tp_deploy_calls_new(tp_deploy_calls **out, const char *log_path);

/* Closes the log. NULL is a no-op. */
void tp_deploy_calls_free(tp_deploy_calls *c);

/* What the calling thread's next attempts are for (strings borrowed until cleared). */
void tp_deploy_calls_label(const char *account, const char *stack);
void tp_deploy_calls_unlabel(void);

/* Record one attempt (the aws client's observer; ctx is the tp_deploy_calls). */
void tp_deploy_calls_observe(void *ctx, const tp_aws_call_info *info);

/* Attempts of `operation` so far, and of all of them. */
uint64_t tp_deploy_calls_count(tp_deploy_calls *c, const char *operation);
uint64_t tp_deploy_calls_total(tp_deploy_calls *c);

/* {"DescribeStacks": 28, ...} sorted by operation (new reference). */
json_t *tp_deploy_calls_json(tp_deploy_calls *c);

#endif
