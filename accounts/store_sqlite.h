/*
 * The SQLite lease store's handle and its row I/O (internal to accounts/).
 *
 * Schema (PRAGMA user_version = TP_SQLITE_SCHEMA):
 *   accounts(account PK, state, version, holder, run_id, leased_at,
 *            expires_at, changed_at, failed_cleans, reason)
 *   stacks(account -> accounts ON DELETE CASCADE, name, hash; PK(account, name))
 *
 * Locking: `lock` serialises the handle's calls (one connection, and a
 * transaction must not interleave with another thread's statements);
 * across processes, every change is one BEGIN IMMEDIATE transaction, so
 * the database's write lock makes read-check-write atomic. The row
 * functions below run with both held.
 */
#ifndef TP_STORE_SQLITE_H
#define TP_STORE_SQLITE_H

#include <pthread.h>

#include <sqlite3.h>

#include "accounts/store_backend.h"

#define TP_SQLITE_SCHEMA 1

typedef struct tp_sqlite_store {
	struct tp_store base;
	sqlite3 *db;
	char *path;
	pthread_mutex_t lock;      /* held for every call through the handle */
} tp_sqlite_store;

/* Set the error for a failed SQLite call on `what`; returns its TP_E* code. */
int tp_sqlite_fail(tp_sqlite_store *s, int sqlite_rc, const char *what);

/* Run `sql` (no results). */
int tp_sqlite_exec(tp_sqlite_store *s, const char *sql);

/* Create or check the schema (inside a write transaction). */
int tp_sqlite_schema(tp_sqlite_store *s);

/* The record of `id` with its stacks into `out`; TP_ENOTFOUND (no error set) when absent. */
int tp_sqlite_load(tp_sqlite_store *s, tp_account *out, const char *id);

/* Every record with its stacks, unsorted. */
int tp_sqlite_load_all(tp_sqlite_store *s, tp_account_list *out);

/* Insert a new record (no stacks). */
int tp_sqlite_insert(tp_sqlite_store *s, const tp_account *a);

/* Write the account row of `a` (not its stacks). */
int tp_sqlite_save(tp_sqlite_store *s, const tp_account *a);

/* Replace the stacks of `a` with a->stacks. */
int tp_sqlite_save_stacks(tp_sqlite_store *s, const tp_account *a);

/* Delete `id` and its stacks. */
int tp_sqlite_delete(tp_sqlite_store *s, const char *id);

#endif
