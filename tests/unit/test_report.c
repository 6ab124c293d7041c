/* The run report: counts, log tails with secrets redacted, private files, JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "aws/util.h"
#include "runner/report.h"
#include "runner/report_json.h"
#include "runner/report_table.h"
#include "tests/support/testutil.h"

static void test_report__log_tail_lines_and_redaction(void **state)
{
	char *dir = tp_test_tmpdir("report");
	tp_buf log = TP_BUF_INIT;
	const char *secrets[] = { "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY", "", "TOKEN-abc", NULL };
	char *path, *tail;
	int i;

	(void)state;
	for (i = 1; i <= 100; i++)
		tp_buf_addf(&log, "line %d\n", i);
	tp_buf_adds(&log, "env: AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY\n");
	tp_buf_adds(&log, "token TOKEN-abc and again TOKEN-abc\n");
	path = tp_test_write_file(dir, "s.log", tp_buf_cstr(&log));
	tail = tp_report_log_tail(path, 4096, 5, secrets);
	assert_non_null(tail);
	assert_null(strstr(tail, "SECRETKEY"));
	assert_null(strstr(tail, "TOKEN-abc"));
	assert_non_null(strstr(tail, "AWS_SECRET_ACCESS_KEY=[REDACTED]"));
	assert_non_null(strstr(tail, "token [REDACTED] and again [REDACTED]"));
	assert_non_null(strstr(tail, "line 98\n"));
	assert_null(strstr(tail, "line 97\n"));
	free(tail);
	/* byte bound */
	tail = tp_report_log_tail(path, 20, 1000, NULL);
	assert_true(strlen(tail) <= 20);
	free(tail);
	assert_null(tp_report_log_tail("/nonexistent/x.log", 100, 10, NULL));
	tp_buf_release(&log);
	free(path);
	tp_test_rmtree(dir);
	free(dir);
}

static void test_report__private_files(void **state)
{
	char *dir = tp_test_tmpdir("report");
	char *path = tp_xasprintf("%s/results.json", dir);
	struct stat st;

	(void)state;
	assert_int_equal(tp_report_write_file(path, "{}", 2), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(st.st_size, 2);
	assert_int_equal(tp_report_write_file("/nonexistent/dir/x", "{}", 2), -1);
	free(path);
	tp_test_rmtree(dir);
	free(dir);
}

static void build(tp_report *r)
{
	tp_report_attempt *a;
	int acct, sp;

	tp_report_init(r, "shop", "run-1");
	tp_report_add_suite(r, "orders", 5000);
	tp_report_add_suite(r, "flaky-one", 5000);
	tp_report_add_suite(r, "never", 5000);
	acct = tp_report_account_index(r, "111111111111");
	assert_int_equal(tp_report_account_index(r, "222222222222"), 1);
	assert_int_equal(tp_report_account_index(r, "111111111111"), acct);
	sp = tp_report_span_open(r, TP_SPAN_LEASE, acct, -1, 0);
	a = tp_report_attempt_new(r, 0, acct);
	a->result = TP_SCHED_PASSED;
	a->exit_code = 0;
	a->start_ms = 100;
	a->end_ms = 1100;
	a->deploy_ms = 300;
	r->suites[0].result = TP_SCHED_PASSED;
	a = tp_report_attempt_new(r, 1, acct);
	a->result = TP_SCHED_FAILED;
	a->exit_code = 1;
	a->log_tail = tp_xstrdup("boom\n");
	a = tp_report_attempt_new(r, 1, 1);
	a->result = TP_SCHED_PASSED;
	a->exit_code = 0;
	r->suites[1].result = TP_SCHED_PASSED;
	r->suites[1].flaky = 1;
	tp_report_span_close(r, sp, 1);
	r->duration_ms = 2000;
}

static void test_report__counts_and_json(void **state)
{
	tp_report r;
	tp_report_counts c;
	json_t *j;

	(void)state;
	build(&r);
	tp_report_counts_get(&r, &c);
	assert_int_equal(c.suites, 3);
	assert_int_equal(c.passed, 2);
	assert_int_equal(c.skipped, 1);
	assert_int_equal(c.flaky, 1);
	assert_int_equal(c.attempts, 3);
	assert_string_equal(tp_report_result_name(&r.suites[1]), "flaky");
	j = tp_report_json(&r);
	assert_string_equal(json_string_value(json_object_get(j, "run_id")), "run-1");
	assert_int_equal(json_array_size(json_object_get(j, "suites")), 3);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "counts"), "flaky")), 1);
	{
		json_t *att = json_object_get(json_array_get(json_object_get(j, "suites"), 1), "attempts");
		assert_int_equal(json_array_size(att), 2);
		assert_string_equal(json_string_value(json_object_get(json_array_get(att, 0), "account")),
				    "111111111111");
		assert_string_equal(json_string_value(json_object_get(json_array_get(att, 1), "account")),
				    "222222222222");
		assert_string_equal(json_string_value(json_object_get(json_array_get(att, 0), "log_tail")),
				    "boom\n");
	}
	assert_int_equal(json_array_size(json_object_get(j, "timeline")), 1);
	json_decref(j);
	tp_report_release(&r);
}

/* The runner's AWS calls and retries reach results.json and the closing summary. */
static void test_report__aws_retries(void **state)
{
	char *dir = tp_test_tmpdir("report");
	char *path = tp_xasprintf("%s/table.txt", dir), *data = NULL;
	size_t len;
	FILE *f;
	json_t *j, *aws;
	tp_report r;

	(void)state;
	build(&r);
	r.aws.calls = 812;
	r.aws.attempts = 1052;
	r.aws.retries = 240;
	r.aws.throttled = 190;
	r.aws.transient = 48;
	r.aws.timeouts = 2;
	j = tp_report_json(&r);
	aws = json_object_get(j, "aws");
	assert_int_equal(json_integer_value(json_object_get(aws, "calls")), 812);
	assert_int_equal(json_integer_value(json_object_get(aws, "attempts")), 1052);
	assert_int_equal(json_integer_value(json_object_get(aws, "retries")), 240);
	assert_int_equal(json_integer_value(json_object_get(aws, "throttled")), 190);
	assert_int_equal(json_integer_value(json_object_get(aws, "transient")), 48);
	assert_int_equal(json_integer_value(json_object_get(aws, "timeouts")), 2);
	assert_int_equal(json_integer_value(json_object_get(aws, "quota_refused")), 0);
	json_decref(j);
	f = fopen(path, "w");
	tp_report_summary(f, &r);
	r.aws.quota_refused = 3;
	tp_report_summary(f, &r);
	memset(&r.aws, 0, sizeof(r.aws));
	tp_report_summary(f, &r);
	fclose(f);
	assert_int_equal(tp_read_file(path, &data, &len), 0);
	assert_non_null(strstr(data, "\nAWS: 812 calls, 240 retries (190 throttled, 48 transient, "
				     "2 timeouts)\n"));
	assert_non_null(strstr(data, "2 timeouts), 3 not retried: retry quota empty\n"));
	/* no AWS line when the runner made no call: three summaries, two AWS lines */
	assert_non_null(strstr(strstr(strstr(data, "AWS: ") + 1, "AWS: ") + 1, "skipped"));
	assert_null(strstr(strstr(strstr(data, "AWS: ") + 1, "AWS: ") + 1, "AWS: "));
	free(data);
	free(path);
	tp_report_release(&r);
	tp_test_rmtree(dir);
	free(dir);
}

static void test_report__table(void **state)
{
	char *dir = tp_test_tmpdir("report");
	char *path = tp_xasprintf("%s/table.txt", dir), *data = NULL;
	size_t len;
	FILE *f = fopen(path, "w");
	tp_report r;

	(void)state;
	build(&r);
	tp_report_table(f, &r);
	fclose(f);
	assert_int_equal(tp_read_file(path, &data, &len), 0);
	assert_non_null(strstr(data, "SUITE"));
	assert_non_null(strstr(data, "DEPLOY s"));
	assert_non_null(strstr(data, "orders     111111111111         1       0.3       1.0  passed"));
	assert_non_null(strstr(data, "flaky-one  222222222222         2"));
	assert_non_null(strstr(data, "3 suites: 2 passed, 0 failed, 0 errors, 1 skipped (1 flaky)"));
	free(data);
	free(path);
	tp_report_release(&r);
	tp_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_report__log_tail_lines_and_redaction),
		cmocka_unit_test(test_report__private_files),
		cmocka_unit_test(test_report__counts_and_json),
		cmocka_unit_test(test_report__table),
		cmocka_unit_test(test_report__aws_retries),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
