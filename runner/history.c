#include "runner/history.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sqlite3.h>

#include "aws/error.h"
#include "aws/util.h"

struct tp_history {
	sqlite3 *db;
	char *path;
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"CREATE TABLE IF NOT EXISTS suite_history ("
	" project TEXT NOT NULL, suite TEXT NOT NULL,"
	" runs INTEGER NOT NULL, expected_ms INTEGER NOT NULL,"
	" last_ms INTEGER NOT NULL, last_passed INTEGER NOT NULL,"
	" last_run INTEGER NOT NULL,"
	" PRIMARY KEY (project, suite));";

static int db_error(tp_history *h, const char *what)
{
	return tp_error_set(TP_ERROR, "history %s: %s: %s", h->path, what, sqlite3_errmsg(h->db));
}

/* mkdir -p of the directory part of path. */
static void make_parent(const char *path)
{
	char *dir = tp_xstrdup(path), *p;

	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
	free(dir);
}

int tp_history_open(tp_history **out, const char *path)
{
	tp_history *h = tp_xcalloc(1, sizeof(*h));

	*out = NULL;
	h->path = tp_xstrdup(path);
	make_parent(path);
	if (sqlite3_open_v2(path, &h->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK ||
	    sqlite3_busy_timeout(h->db, 10000) != SQLITE_OK ||
	    sqlite3_exec(h->db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		db_error(h, "cannot open");
		tp_history_close(h);
		return -1;
	}
	*out = h;
	return 0;
}

void tp_history_close(tp_history *h)
{
	if (!h)
		return;
	sqlite3_close(h->db);
	free(h->path);
	free(h);
}

int tp_history_expected(tp_history *h, const char *project, const char *suite, int64_t *ms)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(h->db, "SELECT expected_ms FROM suite_history WHERE project=?1 AND suite=?2",
			       -1, &st, NULL) != SQLITE_OK)
		return db_error(h, "read");
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, suite, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*ms = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return TP_ENOTFOUND;
	return db_error(h, "read");
}

int tp_history_record(tp_history *h, const char *project, const char *suite,
		      int64_t duration_ms, int passed, time_t when)
{
	static const char sql[] =
		"INSERT INTO suite_history (project, suite, runs, expected_ms, last_ms, last_passed, last_run)"
		" VALUES (?1, ?2, 1, ?3, ?3, ?4, ?5)"
		" ON CONFLICT (project, suite) DO UPDATE SET runs = runs + 1,"
		" expected_ms = CAST(ROUND(?6 * ?3 + (1.0 - ?6) * expected_ms) AS INTEGER),"
		" last_ms = ?3, last_passed = ?4, last_run = ?5";
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(h->db, sql, -1, &st, NULL) != SQLITE_OK)
		return db_error(h, "record");
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, suite, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, duration_ms);
	sqlite3_bind_int(st, 4, passed ? 1 : 0);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)when);
	sqlite3_bind_double(st, 6, TP_HISTORY_ALPHA);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : db_error(h, "record");
}

int tp_history_list(tp_history *h, const char *project, tp_history_row **rows, size_t *n)
{
	sqlite3_stmt *st = NULL;
	size_t alloc = 0;
	int rc;

	*rows = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(h->db,
			       "SELECT suite, runs, expected_ms, last_ms, last_passed, last_run"
			       " FROM suite_history WHERE project=?1 ORDER BY suite", -1, &st, NULL) != SQLITE_OK)
		return db_error(h, "list");
	sqlite3_bind_text(st, 1, project, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		tp_history_row *r;
		if (*n == alloc) {
			alloc = alloc ? alloc * 2 : 16;
			*rows = tp_xrealloc(*rows, alloc * sizeof(**rows));
		}
		r = &(*rows)[(*n)++];
		r->suite = tp_xstrdup((const char *)sqlite3_column_text(st, 0));
		r->runs = sqlite3_column_int64(st, 1);
		r->expected_ms = sqlite3_column_int64(st, 2);
		r->last_ms = sqlite3_column_int64(st, 3);
		r->last_passed = sqlite3_column_int(st, 4);
		r->last_run = (time_t)sqlite3_column_int64(st, 5);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		tp_history_rows_free(*rows, *n);
		*rows = NULL;
		*n = 0;
		return db_error(h, "list");
	}
	return 0;
}

void tp_history_rows_free(tp_history_row *rows, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(rows[i].suite);
	free(rows);
}

void tp_history_estimate(tp_history *h, const char *project, const char *const *suites,
			 size_t n, int64_t fallback_ms, int64_t *out)
{
	int64_t sum = 0;
	size_t i, known = 0;

	for (i = 0; i < n; i++) {
		out[i] = -1;
		if (h && tp_history_expected(h, project, suites[i], &out[i]) == 0) {
			sum += out[i];
			known++;
		} else {
			out[i] = -1;
		}
	}
	tp_error_clear();
	for (i = 0; i < n; i++)
		if (out[i] < 0)
			out[i] = known ? sum / (int64_t)known : fallback_ms;
}
