/*
 * Live progress of a run on stderr (a report writer: it prints).
 *
 * On a terminal (live): a block redrawn in place, a header line (running,
 * passed, failed, queued, ETA, elapsed) and one line per running suite
 * with its account, phase and time in it; events are printed above the
 * block and scroll away like ordinary output.
 *
 * Elsewhere (CI logs): no cursor movement. Each event is one line with a
 * timestamp, and a status line is printed at most every
 * TP_PROGRESS_STATUS_MS.
 *
 * One thread (the run's loop) uses a tp_progress.
 */
#ifndef TP_PROGRESS_H
#define TP_PROGRESS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TP_PROGRESS_STATUS_MS 30000

typedef struct tp_progress tp_progress;

typedef struct tp_progress_row {
	const char *suite;
	const char *account;
	const char *phase;          /* "credentials", "deploy", "test", ... */
	int attempt;
	int64_t elapsed_ms;         /* in this phase */
} tp_progress_row;

typedef struct tp_progress_view {
	int running, passed, failed, queued, skipped;
	int accounts;               /* leased now */
	int64_t eta_ms;             /* -1 unknown */
	int64_t elapsed_ms;
	const tp_progress_row *rows;
	size_t nrows;
} tp_progress_view;

/* live: redraw in place (stderr is a terminal); quiet: events and status only. */
tp_progress *tp_progress_new(FILE *out, int live);

/* Erase the live block; NULL is a no-op. */
void tp_progress_free(tp_progress *p);

/* One event ("PASS orders (12.0 s) on 1111..."): a timestamped line. */
void tp_progress_event(tp_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The current state: redrawn when live, a status line now and then when not. */
void tp_progress_draw(tp_progress *p, const tp_progress_view *v);

/* Erase the live block (before the closing table). */
void tp_progress_clear(tp_progress *p);

#endif
