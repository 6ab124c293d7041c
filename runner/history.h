/*
 * Suite duration history (DESIGN.md, "The scheduler"): one row per
 * (project, suite) in an SQLite file, normally <project>/.tidepool/history.db,
 * with an exponentially weighted moving average of the durations of the runs
 * that finished (passed or failed; timeouts and skips teach nothing).
 *
 * Safe for several processes on one machine (WAL, busy timeout); one
 * tp_history handle is used by one thread at a time.
 */
#ifndef TP_HISTORY_H
#define TP_HISTORY_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Weight of the newest run in the average. */
#define TP_HISTORY_ALPHA 0.3

typedef struct tp_history tp_history;

typedef struct tp_history_row {
	char *suite;
	int64_t runs;
	int64_t expected_ms;   /* the moving average */
	int64_t last_ms;
	int last_passed;
	time_t last_run;
} tp_history_row;

/* Open (creating the file and its directory). Returns 0 or -1 naming the path. */
int tp_history_open(tp_history **out, const char *path);
void tp_history_close(tp_history *h);

/* The expected duration of a suite; TP_ENOTFOUND when it never ran. */
int tp_history_expected(tp_history *h, const char *project, const char *suite, int64_t *ms);

/* Fold one finished run into the average. */
int tp_history_record(tp_history *h, const char *project, const char *suite,
		      int64_t duration_ms, int passed, time_t when);

/* Every suite of a project, by name. The caller frees with tp_history_rows_free. */
int tp_history_list(tp_history *h, const char *project, tp_history_row **rows, size_t *n);
void tp_history_rows_free(tp_history_row *rows, size_t n);

/*
 * Expected durations for `n` suites: history where known, else the mean of
 * the known ones, else `fallback_ms`. Never fails: a broken history file
 * only loses the estimates.
 */
void tp_history_estimate(tp_history *h, const char *project, const char *const *suites,
			 size_t n, int64_t fallback_ms, int64_t *out);

#endif
