/*
 * The lease store (accounts/store.h): the backend-independent contract
 * (tests/store_cases.c) on the SQLite backend, and what is SQLite's own:
 * URL handling, files and schema, the busy timeout, threads on one handle.
 * The same cases run against DynamoDB in test_lease_store_dynamodb.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "accounts/lease_rules.h"
#include "accounts/store.h"
#include "aws/error.h"
#include "aws/util.h"
#include "tests/store_cases.h"
#include "tests/support/testutil.h"

static int open_sqlite(tp_store_fixture *f)
{
	tp_store_opts o = TP_STORE_OPTS_INIT;

	f->backend = tp_test_tmpdir("store");
	o.base_dir = f->backend;
	o.clock = tp_store_fixture_clock;
	o.clock_ctx = f;
	return tp_store_open(&f->store, "sqlite:pool.db", &o);
}

static void close_sqlite(tp_store_fixture *f)
{
	tp_store_free(f->store);
	tp_test_rmtree(f->backend);
	free(f->backend);
}

static tp_store *open_at(const char *dir, const char *url, int busy_ms)
{
	tp_store_opts o = TP_STORE_OPTS_INIT;
	tp_store *s = NULL;

	o.base_dir = dir;
	o.busy_timeout_ms = busy_ms;
	if (tp_store_open(&s, url, &o) < 0)
		fail_msg("open %s: %s", url, tp_error_last()->msg);
	return s;
}

static void test_store__unknown_schemes_are_named(void **state)
{
	static const char *const bad[] = { "redis:pool", "pool.db", "", "SQLITE:x", "sqlite:",
					   "dynamodb:" };
	tp_store *s = (tp_store *)1;
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(bad); i++) {
		assert_int_equal(tp_store_open(&s, bad[i], NULL), TP_EINVAL);
		assert_null(s);
		if (strncmp(bad[i], "sqlite:", 7) != 0 && strncmp(bad[i], "dynamodb:", 9) != 0)
			assert_non_null(strstr(tp_error_last()->msg, "sqlite, dynamodb"));
	}
	assert_int_equal(tp_store_open(&s, "dynamodb:a b", NULL), TP_EINVAL);
	assert_non_null(strstr(tp_error_last()->msg, "not a DynamoDB table name"));
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static void test_store__sqlite_paths_resolve_against_the_project(void **state)
{
	char *dir = tp_test_tmpdir("store-path"), *path = tp_xasprintf("%s/a/b/pool.db", dir);
	char *url = tp_xasprintf("sqlite:%s", path);
	tp_store *s = open_at(dir, "sqlite:a/b/pool.db", 0);
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;

	(void)state;
	assert_true(is_file(path));
	assert_string_equal(tp_store_url(s), url);
	assert_int_equal(tp_store_add(s, "111111111111"), 0);
	tp_store_free(s);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	sqlite3_close(db);
	/* an absolute path ignores the base */
	s = open_at("/nonexistent", url, 0);
	assert_string_equal(tp_store_url(s), url);
	tp_store_free(s);
	tp_test_rmtree(dir);
	free(dir);
	free(path);
	free(url);
}

static void test_store__sqlite_keeps_state_across_handles(void **state)
{
	char *dir = tp_test_tmpdir("store-persist");
	tp_store *s = open_at(dir, "sqlite:pool.db", 0);
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	tp_account a;
	tp_lease l;

	(void)state;
	assert_int_equal(tp_store_add(s, "111111111111"), 0);
	o.holder = "me";
	o.ttl = 3600;
	assert_int_equal(tp_store_acquire(s, &l, &o), 0);
	assert_int_equal(tp_store_record_stack(s, l.account, l.token, "common", "abc"), 0);
	tp_store_free(s);
	s = open_at(dir, "sqlite:pool.db", 0);
	assert_int_equal(tp_store_get(s, &a, "111111111111"), 0);
	assert_int_equal(a.state, TP_ACCOUNT_LEASED);
	assert_int_equal(a.version, l.token);
	assert_string_equal(a.holder, "me");
	assert_string_equal(tp_account_stack_hash(&a, "common"), "abc");
	tp_account_release(&a);
	tp_store_free(s);
	tp_test_rmtree(dir);
	free(dir);
}

static void test_store__sqlite_refuses_a_newer_schema(void **state)
{
	char *dir = tp_test_tmpdir("store-schema"), *path = tp_xasprintf("%s/pool.db", dir);
	tp_store_opts o = TP_STORE_OPTS_INIT;
	tp_store *s = NULL;
	sqlite3 *db = NULL;

	(void)state;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	o.base_dir = dir;
	assert_int_equal(tp_store_open(&s, "sqlite:pool.db", &o), TP_EINVAL);
	assert_non_null(strstr(tp_error_last()->msg, "newer"));
	assert_null(s);
	tp_test_rmtree(dir);
	free(dir);
	free(path);
}

/* Another process holds the write lock: acquire gives up after the busy timeout. */
static void test_store__sqlite_busy_timeout(void **state)
{
	char *dir = tp_test_tmpdir("store-busy"), *path = tp_xasprintf("%s/pool.db", dir);
	tp_store *s = open_at(dir, "sqlite:pool.db", 200);
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	sqlite3 *db = NULL;
	int64_t t0;
	tp_lease l;

	(void)state;
	assert_int_equal(tp_store_add(s, "111111111111"), 0);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	o.holder = "h";
	o.ttl = 60;
	t0 = tp_now_ms();
	assert_int_equal(tp_store_acquire(s, &l, &o), TP_ETIMEOUT);
	assert_true(tp_now_ms() - t0 >= 150);
	assert_non_null(strstr(tp_error_last()->msg, "locked"));
	assert_int_equal(sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(tp_store_acquire(s, &l, &o), 0);
	sqlite3_close(db);
	tp_store_free(s);
	tp_test_rmtree(dir);
	free(dir);
	free(path);
}

#define THREADS 8
#define CYCLES 150
#define ACCOUNTS 4

struct shared {
	tp_store *store;
	atomic_int holders[ACCOUNTS];   /* how many threads think they hold account i */
	atomic_int done, overlaps;
};

static void *cycle_thread(void *arg)
{
	struct shared *sh = arg;
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	tp_lease l;
	int i = 0;

	o.holder = "thread";
	o.ttl = 60;
	while (i < CYCLES) {
		int rc = tp_store_acquire(sh->store, &l, &o), k;
		if (rc == TP_EBUSY)
			continue;
		if (rc < 0)
			return NULL;
		k = (int)(l.account[0] - '1');
		if (atomic_fetch_add(&sh->holders[k], 1) != 0)
			atomic_fetch_add(&sh->overlaps, 1);
		atomic_fetch_sub(&sh->holders[k], 1);
		if (tp_store_release(sh->store, l.account, l.token, TP_RELEASE_AVAILABLE) < 0)
			return NULL;
		atomic_fetch_add(&sh->done, 1);
		i++;
	}
	return NULL;
}

static void test_store__sqlite_threads_share_a_handle(void **state)
{
	static const char *const ids[ACCOUNTS] = { "111111111111", "222222222222",
						   "333333333333", "444444444444" };
	char *dir = tp_test_tmpdir("store-threads");
	struct shared sh = { .store = open_at(dir, "sqlite:pool.db", 0) };
	pthread_t t[THREADS];
	tp_account_list l;
	int i;

	(void)state;
	for (i = 0; i < ACCOUNTS; i++)
		assert_int_equal(tp_store_add(sh.store, ids[i]), 0);
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, cycle_thread, &sh);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&sh.done), THREADS * CYCLES);
	assert_int_equal(atomic_load(&sh.overlaps), 0);
	assert_int_equal(tp_store_list(sh.store, &l), 0);
	for (i = 0; i < ACCOUNTS; i++)
		assert_int_equal(l.items[i].state, TP_ACCOUNT_AVAILABLE);
	/* every cycle is two transitions */
	assert_int_equal(l.items[0].version + l.items[1].version + l.items[2].version +
			 l.items[3].version, ACCOUNTS + 2 * THREADS * CYCLES);
	tp_account_list_release(&l);
	tp_store_free(sh.store);
	tp_test_rmtree(dir);
	free(dir);
}

static long by_last_digit(void *ctx, const tp_account *a)
{
	(void)ctx;
	return a->id[11] - '0';
}

static void test_store__rank_by_score_ties_at_random(void **state)
{
	tp_account_list l = TP_ACCOUNT_LIST_INIT;
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	static const char *const ids[] = { "000000000001", "000000000002", "000000000003",
					   "000000000004" };
	int first[4] = { 0 };
	size_t order[4], i;

	(void)state;
	for (i = 0; i < 4; i++)
		tp_account_init_new(tp_account_list_push(&l), ids[i], 0);
	l.items[3].state = TP_ACCOUNT_DIRTY;
	for (i = 0; i < 400; i++) {
		assert_int_equal(tp_rule_rank(order, &l, &o), 3);
		first[order[0]]++;
	}
	assert_true(first[0] > 50 && first[1] > 50 && first[2] > 50);
	assert_int_equal(first[3], 0);
	o.score = by_last_digit;
	assert_int_equal(tp_rule_rank(order, &l, &o), 3);
	assert_int_equal(order[0], 2);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 0);
	tp_account_list_release(&l);
}

static void test_store__account_stacks_stay_sorted(void **state)
{
	tp_account a = TP_ACCOUNT_INIT, b;

	(void)state;
	tp_account_set_stack(&a, "m", "1");
	tp_account_set_stack(&a, "a", "2");
	tp_account_set_stack(&a, "z", "3");
	tp_account_set_stack(&a, "m", "4");
	assert_int_equal(a.n_stacks, 3);
	assert_string_equal(a.stacks[0].name, "a");
	assert_string_equal(a.stacks[1].hash, "4");
	assert_string_equal(a.stacks[2].name, "z");
	tp_account_copy(&b, &a);
	tp_account_set_stack(&a, "a", NULL);
	tp_account_set_stack(&a, "nope", NULL);
	assert_int_equal(a.n_stacks, 2);
	assert_string_equal(a.stacks[0].name, "m");
	assert_int_equal(b.n_stacks, 3);
	tp_account_release(&a);
	tp_account_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store__unknown_schemes_are_named),
		cmocka_unit_test(test_store__sqlite_paths_resolve_against_the_project),
		cmocka_unit_test(test_store__sqlite_keeps_state_across_handles),
		cmocka_unit_test(test_store__sqlite_refuses_a_newer_schema),
		cmocka_unit_test(test_store__sqlite_busy_timeout),
		cmocka_unit_test(test_store__sqlite_threads_share_a_handle),
		cmocka_unit_test(test_store__rank_by_score_ties_at_random),
		cmocka_unit_test(test_store__account_stacks_stay_sorted),
	};
	int failed;

	tp_store_cases_open = open_sqlite;
	tp_store_cases_close = close_sqlite;
	failed = tp_store_cases_run("store contract (sqlite)");
	return failed | cmocka_run_group_tests_name("sqlite", tests, NULL, NULL);
}
