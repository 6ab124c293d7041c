/*
 * What happened in a run, as every report reads it: the closing table,
 * results.json and --json, JUnit, the timeline, live progress.
 *
 * The orchestrator (runner/run.c) builds it on its loop thread while the
 * run goes; writers only read it. Times are milliseconds since the run
 * started (monotonic), plus the wall-clock start for absolute times. The
 * report holds no secrets: log tails are taken with the attempt's
 * credentials redacted (tp_report_log_tail).
 *
 * Not thread-safe; owned by one thread.
 */
#ifndef TP_REPORT_H
#define TP_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "aws/buf.h"
#include "aws/client.h"
#include "runner/sched.h"

/* The phases of an account's row in the timeline. */
typedef enum tp_span_kind {
	TP_SPAN_LEASE = 0,      /* leased .. released */
	TP_SPAN_DEPLOY,         /* stacks of one suite attempt */
	TP_SPAN_TEST,           /* one suite attempt's process */
	TP_SPAN_CLEAN           /* the cleaner, after the release */
} tp_span_kind;

/* "lease", "deploy", "test", "clean". */
const char *tp_span_kind_name(tp_span_kind k);

typedef struct tp_report_span {
	tp_span_kind kind;
	int account;            /* index into accounts */
	int suite;              /* index into suites; -1 for lease and clean */
	int attempt;            /* 1-based; 0 for lease and clean */
	int64_t start_ms, end_ms;   /* since the run started; end_ms -1 while open */
	int ok;                 /* the phase succeeded (a test span: the suite passed) */
} tp_report_span;

typedef struct tp_report_attempt {
	int number;             /* 1-based */
	int account;            /* index into accounts */
	tp_sched_result result;
	int exit_code;          /* -1 when the process never ran */
	int signal;             /* that ended it, or 0 */
	int timed_out;
	int interrupted;        /* terminated by Ctrl-C */
	int64_t deploy_ms;      /* time spent deploying for this attempt */
	int64_t start_ms, end_ms;   /* the test process, since the run started; -1 = did not run */
	char *error;            /* an infrastructure error (deploy, credentials), or NULL */
	char *log_path;         /* the attempt's log, or NULL */
	char *junit_path;       /* where TIDEPOOL_JUNIT pointed, or NULL */
	char *log_tail;         /* the end of the log, secrets redacted, or NULL */
	char **stacks;          /* what was deployed for it: "name outcome" */
	size_t nstacks;
} tp_report_attempt;

typedef struct tp_report_suite {
	char *name;
	int64_t expected_ms;    /* from history */
	tp_report_attempt *attempts;
	size_t nattempts;
	tp_sched_result result; /* final */
	int final;
	int flaky;
} tp_report_suite;

typedef struct tp_report_account {
	char id[16];
	int64_t leased_ms, released_ms;   /* released_ms -1 while leased */
	int lease_span;         /* index of its open lease span, or -1 */
	int clean;              /* 0 not cleaned, 1 cleaned, -1 the clean failed */
	char *clean_error;
	char *lease_lost;       /* why this run lost the lease (superseded), or NULL */
	int suites_run;
} tp_report_account;

typedef struct tp_report {
	char *project;
	char *run_id;
	time_t started_at;      /* wall clock */
	int64_t start_mono;     /* tp_now_ms() at the start */
	int64_t duration_ms;
	int max_accounts;
	int local;
	tp_report_suite *suites;
	size_t nsuites;
	tp_report_account *accounts;
	size_t naccounts, accounts_alloc;
	tp_report_span *spans;
	size_t nspans, spans_alloc;
	int interrupted;
	char *error;            /* what stopped the run early (infrastructure), or NULL */
	int exit_code;          /* DESIGN.md's exit codes */
	/* The runner's own cost (bench/run): CPU of the loop thread (scheduling,
	 * processes, reports; AWS calls run on workers), of the whole process,
	 * and the peak resident set. */
	int64_t loop_cpu_ms, process_cpu_ms, peak_rss_kb;
	int max_running;        /* suites running at once, at most */
	/* The runner's own AWS calls during the run, with their retries by
	 * cause (the suites' calls are theirs, not counted). */
	tp_aws_stats aws;
} tp_report;

#define TP_REPORT_INIT { 0 }

/* Start a report now. Strings copied. */
void tp_report_init(tp_report *r, const char *project, const char *run_id);

/* Free everything; `r` is TP_REPORT_INIT afterwards. */
void tp_report_release(tp_report *r);

/* Milliseconds since the run started. */
int64_t tp_report_now(const tp_report *r);

/* Add a suite (in the scheduler's order: index = tp_sched index). */
int tp_report_add_suite(tp_report *r, const char *name, int64_t expected_ms);

/* The account `id`'s index, added when new. */
int tp_report_account_index(tp_report *r, const char *id);

/* Open a span now; returns its index. */
int tp_report_span_open(tp_report *r, tp_span_kind kind, int account, int suite, int attempt);

/* Close span `i` now (no-op when already closed). */
void tp_report_span_close(tp_report *r, int i, int ok);

/* A new attempt of `suite` on `account` (numbered in order); valid until the next call. */
tp_report_attempt *tp_report_attempt_new(tp_report *r, int suite, int account);

/* The last attempt of a suite, or NULL. */
tp_report_attempt *tp_report_attempt_last(const tp_report *r, int suite);

typedef struct tp_report_counts {
	int suites, passed, failed, errors, skipped, flaky;
	int attempts;
} tp_report_counts;

void tp_report_counts_get(const tp_report *r, tp_report_counts *out);

/* "passed", "failed", "error", "skipped" (and "flaky" when passed after a failure). */
const char *tp_report_result_name(const tp_report_suite *s);

/*
 * The last `max_lines` lines (at most `max_bytes` bytes) of the file at
 * `path`, with every occurrence of each of `secrets` (NULL-terminated; NULL
 * and "" entries skipped) replaced by "[REDACTED]". NULL when the file is
 * missing or empty. Caller frees.
 */
char *tp_report_log_tail(const char *path, size_t max_bytes, size_t max_lines,
			 const char *const *secrets);

/* Write `len` bytes to `path` atomically (temporary + rename) with mode 0600. */
int tp_report_write_file(const char *path, const char *data, size_t len);

#endif
