/*
 * The report as JSON: `results.json` of `--report DIR` and the document
 * `tidepool run --json` prints. Keys: project, run_id, started_at,
 * duration_s, local, max_accounts, exit_code, interrupted, error, counts
 * {suites, passed, failed, errors, skipped, flaky, attempts}, suites
 * [{name, result, flaky, expected_s, attempts [{number, account, result,
 * exit_code, signal, timed_out, interrupted, deploy_s, started_s,
 * ended_s, test_s, error, log, junit, stacks, log_tail (not passed)}]}],
 * accounts [{id, leased_s, released_s, suites, cleaned, clean_error}],
 * timeline [{phase, account, suite, attempt, start_s, end_s, ok}],
 * stats {loop_cpu_ms, process_cpu_ms, peak_rss_kb, max_running},
 * aws {calls, attempts, retries, throttled, transient, timeouts,
 * quota_refused} (the runner's own AWS calls; retries by cause, and
 * retryable failures not retried because the retry bucket was empty).
 * Times in seconds since the run started.
 */
#ifndef TP_REPORT_JSON_H
#define TP_REPORT_JSON_H

#include <jansson.h>

#include "runner/report.h"

/* New reference. */
json_t *tp_report_json(const tp_report *r);

/* Write it to `path` (mode 0600). 0, or -1 naming the path. */
int tp_report_json_write(const tp_report *r, const char *path);

#endif
