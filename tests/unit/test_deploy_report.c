/*
 * The closing reports of a deploy (runner/deploy_report.h): the table's
 * counts per account and its failure lines (stack, account, reason), the
 * JSON document's per-stack results and API-call counts, and the plain
 * progress lines written when stderr is not a terminal.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/util.h"
#include "runner/deploy_report.h"

static tp_deploy_stack_result results[2][3];
static const tp_deploy_stack_result *ptrs[2][3];

static void fill(tp_deploy_stack_result *r, const char *name, tp_deploy_outcome o,
		 const char *message, int64_t ms)
{
	memset(r, 0, sizeof(*r));
	r->name = name;
	r->outcome = o;
	r->message = (char *)message;
	r->start_ms = 1000;
	r->end_ms = 1000 + ms;
}

static int setup(void **state)
{
	(void)state;
	fill(&results[0][0], "base", TP_DEPLOY_SKIPPED, NULL, 10);
	fill(&results[0][1], "api", TP_DEPLOY_UPDATED, NULL, 2000);
	fill(&results[0][2], "ops", TP_DEPLOY_CREATED, NULL, 3000);
	fill(&results[1][0], "base", TP_DEPLOY_SKIPPED, NULL, 10);
	fill(&results[1][1], "api", TP_DEPLOY_FAILED,
	     "CreateStack: ValidationError: No export named x found.", 50);
	fill(&results[1][2], "ops", TP_DEPLOY_BLOCKED,
	     "not deployed: it depends on api, which failed", 0);
	results[1][1].aws_code = "ValidationError";
	results[1][2].start_ms = 0;
	tp_kv_list_add(&results[0][1].stack.outputs, "FunctionName", "shop-test-api");
	results[0][1].stack.stack_id = "arn:aws:cloudformation:us-east-1:1:stack/api/x";
	for (int a = 0; a < 2; a++)
		for (int i = 0; i < 3; i++)
			ptrs[a][i] = &results[a][i];
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tp_kv_list_release(&results[0][1].stack.outputs);
	return 0;
}

static void summaries(tp_deploy_summary s[3])
{
	memset(s, 0, 3 * sizeof(*s));
	s[0].account = "111111111111";
	s[0].results = ptrs[0];
	s[0].nstacks = 3;
	s[0].seconds = 5.04;
	s[1].account = "222222222222";
	s[1].results = ptrs[1];
	s[1].nstacks = 3;
	s[1].seconds = 0.5;
	s[2].account = "333333333333";
	s[2].error = "cannot lease it: account 333333333333 is not available";
	s[2].nstacks = 3;
}

static char *capture(void (*fn)(FILE *, const tp_deploy_summary *, size_t), const tp_deploy_summary *s,
		     size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	fn(f, s, n);
	fclose(f);
	return buf;
}

static void test_deploy_report__table(void **state)
{
	tp_deploy_summary s[3];
	char *t;

	(void)state;
	summaries(s);
	t = capture(tp_deploy_report_table, s, 3);
	assert_string_equal(t,
		"ACCOUNT         CREATED  UPDATED  SKIPPED   FAILED   SECONDS\n"
		"111111111111          1        1        1        0       5.0\n"
		"222222222222          0        0        1        2       0.5\n"
		"333333333333          0        0        0        3       0.0\n"
		"total                 1        1        2        5\n"
		"\n"
		"Failures:\n"
		"  stack api in 222222222222 failed: CreateStack: ValidationError: No export named x found.\n"
		"  stack ops in 222222222222 blocked: not deployed: it depends on api, which failed\n"
		"  333333333333: cannot lease it: account 333333333333 is not available\n");
	free(t);
}

static void test_deploy_report__json(void **state)
{
	tp_deploy_summary s[3];
	json_t *calls = json_pack("{s:i, s:i}", "DescribeStacks", 6, "CreateStack", 1);
	json_t *doc, *a1, *api;

	(void)state;
	summaries(s);
	doc = tp_deploy_report_json(s, 3, calls);
	assert_false(json_is_true(json_object_get(doc, "ok")));
	assert_int_equal(json_integer_value(json_object_get(doc, "api_calls_total")), 7);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(doc, "api_calls"),
							    "DescribeStacks")), 6);
	a1 = json_array_get(json_object_get(doc, "accounts"), 1);
	assert_string_equal(json_string_value(json_object_get(a1, "account")), "222222222222");
	assert_int_equal(json_integer_value(json_object_get(a1, "failed")), 2);
	api = json_array_get(json_object_get(a1, "stacks"), 1);
	assert_string_equal(json_string_value(json_object_get(api, "result")), "failed");
	assert_string_equal(json_string_value(json_object_get(api, "aws_code")), "ValidationError");
	api = json_array_get(json_object_get(json_array_get(json_object_get(doc, "accounts"), 0),
					     "stacks"), 1);
	assert_string_equal(json_string_value(json_object_get(api, "result")), "updated");
	assert_string_equal(json_string_value(json_object_get(json_object_get(api, "outputs"),
							      "FunctionName")), "shop-test-api");
	assert_true(json_real_value(json_object_get(api, "seconds")) == 2.0);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(json_object_get(doc, "accounts"), 2), "error")),
		"cannot lease it: account 333333333333 is not available");
	json_decref(doc);
}

static void test_deploy_report__plain_progress(void **state)
{
	const char *accounts[] = { "111111111111" };
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	tp_deploy_progress *p = tp_deploy_progress_new(f, 0, accounts, 1, 3);
	tp_deploy_stack_result running = results[1][1];

	(void)state;
	running.outcome = TP_DEPLOY_RUNNING;
	tp_deploy_progress_stack(p, 0, &running);
	tp_deploy_progress_stack(p, 0, &results[1][1]);
	tp_deploy_progress_tick(p);
	tp_deploy_progress_free(p);
	fclose(f);
	/* "HH:MM:SS 111111111111 api failed 0.1s: CreateStack: ..." and nothing else */
	assert_int_equal(strlen(buf) - strlen(strchr(buf, ' ')), 8);
	assert_string_equal(strchr(buf, ' '), " 111111111111 api failed 0.1s: CreateStack: "
			    "ValidationError: No export named x found.\n");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deploy_report__table),
		cmocka_unit_test(test_deploy_report__json),
		cmocka_unit_test(test_deploy_report__plain_progress),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
