/*
 * Rows of the SQLite lease store <-> tp_account records, and the schema.
 * Every function runs inside the caller's transaction (store_sqlite.h).
 */
#include "accounts/store_sqlite.h"

#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS accounts ("
	"  account TEXT PRIMARY KEY,"
	"  state TEXT NOT NULL CHECK (state IN"
	"    ('available', 'leased', 'dirty', 'cleaning', 'quarantined')),"
	"  version INTEGER NOT NULL,"
	"  holder TEXT,"
	"  run_id TEXT,"
	"  leased_at INTEGER NOT NULL DEFAULT 0,"
	"  expires_at INTEGER NOT NULL DEFAULT 0,"
	"  changed_at INTEGER NOT NULL,"
	"  failed_cleans INTEGER NOT NULL DEFAULT 0,"
	"  reason TEXT);"
	"CREATE TABLE IF NOT EXISTS stacks ("
	"  account TEXT NOT NULL REFERENCES accounts(account) ON DELETE CASCADE,"
	"  name TEXT NOT NULL,"
	"  hash TEXT NOT NULL,"
	"  PRIMARY KEY (account, name)) WITHOUT ROWID;"
	"PRAGMA user_version = 1;";

#define ROW_COLUMNS "account, state, version, holder, run_id, leased_at, expires_at, " \
		    "changed_at, failed_cleans, reason"

static int prepare(tp_sqlite_store *s, sqlite3_stmt **st, const char *sql)
{
	int rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);

	return rc == SQLITE_OK ? 0 : tp_sqlite_fail(s, rc, "prepare");
}

/* Step a statement that returns no rows, then finalize it. */
static int run(tp_sqlite_store *s, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : tp_sqlite_fail(s, rc, what);
}

int tp_sqlite_schema(tp_sqlite_store *s)
{
	sqlite3_stmt *st = NULL;
	int version, rc;

	if ((rc = prepare(s, &st, "PRAGMA user_version")) < 0)
		return rc;
	rc = sqlite3_step(st);
	version = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return tp_sqlite_fail(s, rc, "reading the schema version");
	if (version == TP_SQLITE_SCHEMA)
		return 0;
	if (version > TP_SQLITE_SCHEMA)
		return tp_error_set(TP_EINVAL, "%s: the pool database has schema version %d, newer "
				    "than this tidepool understands (%d); upgrade tidepool",
				    s->path, version, TP_SQLITE_SCHEMA);
	return tp_sqlite_exec(s, schema_sql);
}

static char *column_text(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? tp_xstrdup((const char *)t) : NULL;
}

static int read_row(tp_sqlite_store *s, sqlite3_stmt *st, tp_account *a)
{
	const char *state = (const char *)sqlite3_column_text(st, 1);

	tp_strlcpy(a->id, (const char *)sqlite3_column_text(st, 0), sizeof(a->id));
	if (tp_account_state_parse(state, &a->state) < 0)
		return tp_error_set(TP_ERROR, "%s: account %s has an unknown state '%s'", s->path,
				    a->id, state ? state : "");
	a->version = sqlite3_column_int64(st, 2);
	a->holder = column_text(st, 3);
	a->run_id = column_text(st, 4);
	a->leased_at = (time_t)sqlite3_column_int64(st, 5);
	a->expires_at = (time_t)sqlite3_column_int64(st, 6);
	a->changed_at = (time_t)sqlite3_column_int64(st, 7);
	a->failed_cleans = sqlite3_column_int(st, 8);
	a->reason = column_text(st, 9);
	return 0;
}

/* Add the stacks of accounts found in `l` (all, or only `id`). */
static int load_stacks(tp_sqlite_store *s, tp_account_list *l, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prepare(s, &st, id ? "SELECT account, name, hash FROM stacks WHERE account = ?1"
				     : "SELECT account, name, hash FROM stacks")) < 0)
		return rc;
	if (id)
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		tp_account *a = (tp_account *)tp_account_list_find(
			l, (const char *)sqlite3_column_text(st, 0));
		if (a)
			tp_account_set_stack(a, (const char *)sqlite3_column_text(st, 1),
					     (const char *)sqlite3_column_text(st, 2));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : tp_sqlite_fail(s, rc, "reading stacks");
}

static int load_rows(tp_sqlite_store *s, tp_account_list *out, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prepare(s, &st, id ? "SELECT " ROW_COLUMNS " FROM accounts WHERE account = ?1"
				     : "SELECT " ROW_COLUMNS " FROM accounts")) < 0)
		return rc;
	if (id)
		sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (read_row(s, st, tp_account_list_push(out)) < 0) {
			sqlite3_finalize(st);
			return TP_ERROR;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return tp_sqlite_fail(s, rc, "reading accounts");
	return out->n ? load_stacks(s, out, id) : 0;
}

int tp_sqlite_load_all(tp_sqlite_store *s, tp_account_list *out)
{
	return load_rows(s, out, NULL);
}

int tp_sqlite_load(tp_sqlite_store *s, tp_account *out, const char *id)
{
	tp_account_list l = TP_ACCOUNT_LIST_INIT;
	int rc = load_rows(s, &l, id);

	if (rc == 0 && l.n == 0)
		rc = TP_ENOTFOUND;
	if (rc == 0) {
		*out = l.items[0];
		l.n = 0;
	}
	tp_account_list_release(&l);
	return rc;
}

static void bind_text_or_null(sqlite3_stmt *st, int col, const char *v)
{
	if (v)
		sqlite3_bind_text(st, col, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, col);
}

/* Binds ?1..?10 in ROW_COLUMNS order. */
static void bind_row(sqlite3_stmt *st, const tp_account *a)
{
	sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, tp_account_state_name(a->state), -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, a->version);
	bind_text_or_null(st, 4, a->holder);
	bind_text_or_null(st, 5, a->run_id);
	sqlite3_bind_int64(st, 6, (sqlite3_int64)a->leased_at);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)a->expires_at);
	sqlite3_bind_int64(st, 8, (sqlite3_int64)a->changed_at);
	sqlite3_bind_int(st, 9, a->failed_cleans);
	bind_text_or_null(st, 10, a->reason);
}

int tp_sqlite_insert(tp_sqlite_store *s, const tp_account *a)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prepare(s, &st, "INSERT INTO accounts (" ROW_COLUMNS ") VALUES "
				  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)")) < 0)
		return rc;
	bind_row(st, a);
	return run(s, st, "adding an account");
}

int tp_sqlite_save(tp_sqlite_store *s, const tp_account *a)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prepare(s, &st, "UPDATE accounts SET state = ?2, version = ?3, holder = ?4, "
				  "run_id = ?5, leased_at = ?6, expires_at = ?7, changed_at = ?8, "
				  "failed_cleans = ?9, reason = ?10 WHERE account = ?1")) < 0)
		return rc;
	bind_row(st, a);
	return run(s, st, "updating an account");
}

static int delete_stacks(tp_sqlite_store *s, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prepare(s, &st, "DELETE FROM stacks WHERE account = ?1")) < 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return run(s, st, "forgetting stacks");
}

int tp_sqlite_save_stacks(tp_sqlite_store *s, const tp_account *a)
{
	size_t i;
	int rc;

	if ((rc = delete_stacks(s, a->id)) < 0)
		return rc;
	for (i = 0; i < a->n_stacks; i++) {
		sqlite3_stmt *st = NULL;

		if ((rc = prepare(s, &st, "INSERT INTO stacks (account, name, hash) "
					  "VALUES (?1, ?2, ?3)")) < 0)
			return rc;
		sqlite3_bind_text(st, 1, a->id, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, a->stacks[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, a->stacks[i].hash, -1, SQLITE_STATIC);
		if ((rc = run(s, st, "recording a stack")) < 0)
			return rc;
	}
	return 0;
}

int tp_sqlite_delete(tp_sqlite_store *s, const char *id)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = delete_stacks(s, id)) < 0)
		return rc;
	if ((rc = prepare(s, &st, "DELETE FROM accounts WHERE account = ?1")) < 0)
		return rc;
	sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
	return run(s, st, "removing an account");
}
