/*
 * The closing table of `tidepool run` (a report writer: it prints):
 *
 *   SUITE     ACCOUNT       ATTEMPTS  DEPLOY s  TEST s  RESULT
 *   orders    111111111111         1       3.2    12.0  passed
 *
 * then one line of totals, and one of the runner's AWS calls and their
 * retries by cause (when it made any). Deploy and test seconds add up
 * every attempt.
 */
#ifndef TP_REPORT_TABLE_H
#define TP_REPORT_TABLE_H

#include <stdio.h>

#include "runner/report.h"

void tp_report_table(FILE *out, const tp_report *r);

/* The totals line ("12 suites: 11 passed, 1 failed ... in 1m 20s on 4 accounts") and the
 * AWS line ("AWS: 812 calls, 240 retries (190 throttled, 50 transient, 0 timeouts)"). */
void tp_report_summary(FILE *out, const tp_report *r);

#endif
