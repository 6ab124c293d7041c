/*
 * Bad input to `tidepool run`: no suites selected, an unknown --suite or
 * --tag, -j 0, a malformed --shard, a broken tidepool.yaml. Each is a clear
 * error and exit 2, and nothing is leased: the project's pool (a SQLite
 * store listing three accounts) is not even opened, and with --local no
 * local AWS is started. No AWS needed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "tests/integration/test_run_support.h"

static char *dir, *empty_dir;

static const char yaml[] =
	"project: usage\n"
	"regions: [us-east-1]\n"
	"pool:\n"
	"  store: sqlite:pool.db\n"
	"  accounts: [\"111111111111\", \"222222222222\", \"333333333333\"]\n"
	"suites:\n"
	"  - {name: orders-api, command: \"true\", tags: [smoke]}\n"
	"  - {name: orders-worker, command: \"true\", tags: [slow]}\n"
	"  - {name: payments, command: \"true\"}\n";

static int setup(void **state)
{
	char *p;

	(void)state;
	dir = tp_test_tmpdir("run-usage");
	p = tp_test_write_file(dir, "tidepool.yaml", yaml);
	free(p);
	empty_dir = tp_xasprintf("%s/empty", dir);
	mkdir(empty_dir, 0700);
	p = tp_test_write_file(empty_dir, "tidepool.yaml",
			       "project: empty\npool:\n  store: sqlite:pool.db\n  accounts: [\"111111111111\"]\n");
	free(p);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tp_test_rmtree(dir);
	free(dir);
	free(empty_dir);
	return 0;
}

static void expect_usage(const char *project, const char *const *args, const char *want)
{
	char *argv[16], *out = NULL, *err = NULL;
	char *env[] = { "AWS_ENDPOINT_URL=http://127.0.0.1:9", "AWS_ACCESS_KEY_ID=x",
			"AWS_SECRET_ACCESS_KEY=y", NULL };
	char *db = tp_xasprintf("%s/pool.db", project);
	int n = 0, rc;
	int64_t t0 = tp_now_ms();
	struct stat st;

	argv[n++] = (char *)tp_test_tidepool_bin();
	argv[n++] = "run";
	argv[n++] = "-C";
	argv[n++] = (char *)project;
	while (*args)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	rc = tp_test_run(argv, env, &out, &err);
	if (rc != 2 || !strstr(err, want))
		fail_msg("exit %d, stderr:\n%s\n(wanted exit 2 and \"%s\")", rc, err, want);
	assert_true(tp_now_ms() - t0 < 10000);         /* no local AWS was started */
	assert_int_equal(stat(db, &st), -1);          /* the pool was never opened */
	assert_string_equal(out, "");
	free(out);
	free(err);
	free(db);
}

static void test_run_usage__unknown_suite(void **state)
{
	const char *a[] = { "--suite", "order-api", NULL };
	const char *b[] = { "--suite", "orders-*", "--suite", "billing*", NULL };

	(void)state;
	expect_usage(dir, a, "--suite 'order-api' matches no suite");
	expect_usage(dir, a, "did you mean 'orders-api'?");
	expect_usage(dir, b, "--suite 'billing*' matches no suite");
}

static void test_run_usage__unknown_tag(void **state)
{
	const char *a[] = { "--tag", "smok", NULL };

	(void)state;
	expect_usage(dir, a, "--tag 'smok': no suite");
	expect_usage(dir, a, "did you mean 'smoke'?");
}

static void test_run_usage__nothing_selected(void **state)
{
	const char *both[] = { "--suite", "payments", "--tag", "smoke", NULL };
	const char *none[] = { NULL };
	const char *local[] = { "--local", NULL };

	(void)state;
	expect_usage(dir, both, "no suite of");
	expect_usage(empty_dir, none, "defines no suites");
	expect_usage(empty_dir, local, "defines no suites");
}

static void test_run_usage__bad_jobs(void **state)
{
	const char *zero[] = { "-j", "0", NULL };
	const char *word[] = { "-j", "many", NULL };
	const char *neg[] = { "--jobs", "-3", "--local", NULL };

	(void)state;
	expect_usage(dir, zero, "-j: '0' is not a number of at least 1");
	expect_usage(dir, word, "-j: 'many'");
	expect_usage(dir, neg, "-j: '-3'");
}

static void test_run_usage__bad_shard(void **state)
{
	static const char *const bad[] = { "3", "0/4", "5/4", "1/0", "a/b", "1/", "/2", "-1/2",
					   "1/2/3", "" };
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(bad); i++) {
		const char *a[] = { "--shard", bad[i], NULL };
		expect_usage(dir, a, "--shard");
	}
}

static void test_run_usage__bad_config_and_options(void **state)
{
	char *broken = tp_xasprintf("%s/broken", dir);
	const char *none[] = { NULL };
	const char *retries[] = { "--retries", "-1", NULL };
	const char *extra[] = { "stray", NULL };
	char *p;

	(void)state;
	mkdir(broken, 0700);
	p = tp_test_write_file(broken, "tidepool.yaml",
			       "pool:\n  accounts: [\"1\"]\nsuites:\n  - {name: a, comand: x}\n");
	free(p);
	expect_usage(broken, none, "tidepool.yaml:");
	expect_usage(dir, retries, "--retries");
	expect_usage(dir, extra, "unexpected argument 'stray'");
	free(broken);
}

/* A stack's template or parameters are wrong: exit 2 before any lease or
 * local AWS, naming tidepool.yaml's line. */
static void test_run_usage__bad_stack(void **state)
{
	char *bad = tp_xasprintf("%s/badstack", dir), *p;
	const char *none[] = { NULL };
	const char *local[] = { "--local", NULL };

	(void)state;
	mkdir(bad, 0700);
	p = tp_test_write_file(bad, "stacks/q.yaml",
			       "Parameters:\n  Stage: {Type: String}\nResources:\n"
			       "  Q: {Type: AWS::SQS::Queue}\n");
	free(p);
	p = tp_test_write_file(bad, "tidepool.yaml",
			       "pool:\n  store: sqlite:pool.db\n  accounts: [\"111111111111\"]\n"
			       "stacks:\n  - {name: q, template: stacks/q.yaml, parameters: {Stagee: x}}\n"
			       "suites:\n  - {name: s, command: \"true\", stacks: [q]}\n");
	free(p);
	expect_usage(bad, none, "tidepool.yaml:");
	expect_usage(bad, none, "Stagee");
	expect_usage(bad, local, "Stagee");
	free(bad);
}

/* --local without moto: says how to install it, exit 2. */
static void test_run_usage__local_without_moto(void **state)
{
	char *probe = tp_test_source_path("examples/probe");
	char *argv[] = { (char *)tp_test_tidepool_bin(), "run", "--local", "-C", probe, NULL };
	char *env[] = { "PATH=/nonexistent", NULL };
	char *out = NULL, *err = NULL;
	int rc;

	(void)state;
	rc = tp_test_run(argv, env, &out, &err);
	if (rc != 2 || !strstr(err, "pip install 'moto[server]'"))
		fail_msg("exit %d, stderr:\n%s", rc, err);
	free(out);
	free(err);
	free(probe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_usage__unknown_suite),
		cmocka_unit_test(test_run_usage__unknown_tag),
		cmocka_unit_test(test_run_usage__nothing_selected),
		cmocka_unit_test(test_run_usage__bad_jobs),
		cmocka_unit_test(test_run_usage__bad_shard),
		cmocka_unit_test(test_run_usage__bad_config_and_options),
		cmocka_unit_test(test_run_usage__bad_stack),
		cmocka_unit_test(test_run_usage__local_without_moto),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
