/*
 * JUnit XML of a run (`--junit FILE`, DESIGN.md "Reports"): <testsuites>
 * with one <testsuite> per suite carrying the properties `account` and
 * `attempts`, and the suite's own test cases merged in when it wrote
 * TIDEPOOL_JUNIT; otherwise one test case named after the suite. Failures
 * carry the tail of the suite's log (already redacted in the report).
 *
 * The merger reads what a suite wrote: untrusted bytes. It parses with
 * libxml2 without network, DTD loading or entity expansion, bounds the
 * input size, the nesting it follows and the test cases it copies, and
 * never fails the report: an unreadable file only loses its test cases.
 */
#ifndef TP_JUNIT_H
#define TP_JUNIT_H

#include <stddef.h>

#include <libxml/tree.h>

#include "runner/report.h"

/* Larger JUnit files of a suite are not merged. */
#define TP_JUNIT_MAX_BYTES ((size_t)64 << 20)
/* Test cases merged from one file at most. */
#define TP_JUNIT_MAX_CASES 100000

typedef struct tp_junit_counts {
	int tests, failures, errors, skipped;
	double time;             /* sum of the test cases' `time`, seconds */
} tp_junit_counts;

/*
 * Parse `len` bytes of JUnit XML and append a copy of every <testcase> it
 * holds (under <testsuites>, <testsuite>, nested <testsuite>s) as children
 * of `into`, adding them to `counts`. Returns the number of test cases
 * merged (0 when there are none), or -1 (TP_EINVAL) when the bytes are not
 * XML whose root is <testsuites> or <testsuite>: nothing is appended then
 * and `counts` is unchanged.
 */
int tp_junit_merge(xmlNodePtr into, const char *data, size_t len, tp_junit_counts *counts);

/* The run's JUnit document (caller frees with xmlFreeDoc). Never NULL. */
xmlDocPtr tp_junit_build(const tp_report *r);

/* Build and write it to `path` (mode 0600). 0, or -1 naming the path. */
int tp_junit_write(const tp_report *r, const char *path);

#endif
