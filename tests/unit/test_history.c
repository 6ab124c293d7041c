/* Suite duration history: the moving average, estimates, listing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/history.h"
#include "tests/support/testutil.h"

static void test_history__moving_average(void **state)
{
	char *dir = tp_test_tmpdir("hist"), *path = tp_xasprintf("%s/a/b/history.db", dir);
	tp_history *h = NULL;
	int64_t ms = 0;

	(void)state;
	assert_int_equal(tp_history_open(&h, path), 0);
	assert_int_equal(tp_history_expected(h, "shop", "orders", &ms), TP_ENOTFOUND);
	assert_int_equal(tp_history_record(h, "shop", "orders", 10000, 1, 100), 0);
	assert_int_equal(tp_history_expected(h, "shop", "orders", &ms), 0);
	assert_int_equal(ms, 10000);
	assert_int_equal(tp_history_record(h, "shop", "orders", 20000, 0, 200), 0);
	assert_int_equal(tp_history_expected(h, "shop", "orders", &ms), 0);
	assert_int_equal(ms, 13000);   /* 0.3 * 20000 + 0.7 * 10000 */
	/* another project's suite of the same name is separate */
	assert_int_equal(tp_history_expected(h, "other", "orders", &ms), TP_ENOTFOUND);
	tp_history_close(h);
	/* persisted */
	assert_int_equal(tp_history_open(&h, path), 0);
	assert_int_equal(tp_history_expected(h, "shop", "orders", &ms), 0);
	assert_int_equal(ms, 13000);
	tp_history_close(h);
	tp_test_rmtree(dir);
	free(path);
	free(dir);
}

static void test_history__estimates_use_the_mean_for_unknown(void **state)
{
	char *dir = tp_test_tmpdir("hist"), *path = tp_xasprintf("%s/h.db", dir);
	const char *names[] = { "a", "b", "new" };
	tp_history *h = NULL;
	int64_t out[3];

	(void)state;
	assert_int_equal(tp_history_open(&h, path), 0);
	tp_history_estimate(h, "p", names, 3, 5000, out);
	assert_int_equal(out[0], 5000);            /* nothing known: the fallback */
	tp_history_record(h, "p", "a", 1000, 1, 1);
	tp_history_record(h, "p", "b", 3000, 1, 1);
	tp_history_estimate(h, "p", names, 3, 5000, out);
	assert_int_equal(out[0], 1000);
	assert_int_equal(out[1], 3000);
	assert_int_equal(out[2], 2000);            /* the mean of the known */
	tp_history_estimate(NULL, "p", names, 3, 7000, out);
	assert_int_equal(out[2], 7000);
	tp_history_close(h);
	tp_test_rmtree(dir);
	free(path);
	free(dir);
}

static void test_history__list(void **state)
{
	char *dir = tp_test_tmpdir("hist"), *path = tp_xasprintf("%s/h.db", dir);
	tp_history_row *rows = NULL;
	tp_history *h = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(tp_history_open(&h, path), 0);
	tp_history_record(h, "p", "zeta", 100, 1, 10);
	tp_history_record(h, "p", "alpha", 200, 0, 20);
	tp_history_record(h, "p", "alpha", 300, 1, 30);
	tp_history_record(h, "q", "other", 1, 1, 1);
	assert_int_equal(tp_history_list(h, "p", &rows, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].suite, "alpha");
	assert_int_equal(rows[0].runs, 2);
	assert_int_equal(rows[0].last_ms, 300);
	assert_int_equal(rows[0].last_passed, 1);
	assert_int_equal(rows[0].last_run, 30);
	assert_string_equal(rows[1].suite, "zeta");
	tp_history_rows_free(rows, n);
	tp_history_close(h);
	tp_test_rmtree(dir);
	free(path);
	free(dir);
}

static void test_history__unwritable_path_names_it(void **state)
{
	tp_history *h = NULL;

	(void)state;
	assert_true(tp_history_open(&h, "/proc/nope/history.db") < 0);
	assert_null(h);
	assert_non_null(strstr(tp_error_last()->msg, "/proc/nope/history.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_history__moving_average),
		cmocka_unit_test(test_history__estimates_use_the_mean_for_unknown),
		cmocka_unit_test(test_history__list),
		cmocka_unit_test(test_history__unwritable_path_names_it),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
