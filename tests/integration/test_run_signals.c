/*
 * Timeouts, Ctrl-C and SIGKILL of `tidepool run` (issue 6, must-show 3),
 * against a local AWS (moto) with a SQLite-stored pool of three member
 * accounts, as a CI machine would run it (no --local: the pool outlives
 * the run, so leases can be checked afterwards).
 *
 *   - timeout: a suite that ignores SIGTERM and leaves a child in its
 *     group and one outside it (setsid) is killed after its timeout and
 *     the 10 s grace: nothing of it remains; exit 1;
 *   - Ctrl-C: no more launches, running suites terminated, their accounts
 *     released dirty, the reports written, exit 130; `tidepool sweep`
 *     returns the pool to full;
 *   - a second Ctrl-C exits at once even while suites ignore SIGTERM,
 *     and still leaves no suite process behind;
 *   - SIGKILL of the runner: the suites die with it (the guard), the
 *     leases stay until their TTL passes, then `sweep` returns the pool
 *     to full.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <sys/stat.h>

#include "aws/http.h"
#include "tests/integration/test_run_support.h"
#include "tests/support/moto.h"

static tp_local *moto;
static char *root;
static char *env[8];

static int setup(void **state)
{
	(void)state;
	tp_http_global_init();
	moto = tp_test_moto_start(0, 3);
	root = tp_test_tmpdir("run-signals");
	run_env_moto(env, moto);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	run_env_free(env);
	tp_local_stop(moto);
	tp_test_rmtree(root);
	free(root);
	tp_http_global_cleanup();
	return 0;
}

/* DIR/NAME in a static buffer (valid until the next call). */
static const char *in_dir(const char *dir, const char *name)
{
	static char buf[4096];

	snprintf(buf, sizeof(buf), "%s/%s", dir, name);
	return buf;
}

/* A project dir NAME with the pool and `suites` (YAML list items). */
static char *project(const char *name, const char *ttl, const char *suites)
{
	char *dir = tp_xasprintf("%s/%s", root, name), *p;
	char *yaml = tp_xasprintf(
		"project: %s\nregions: [us-east-1]\n"
		"pool:\n  store: sqlite:pool.db\n  accounts: [\"%s\", \"%s\", \"%s\"]\n  lease_ttl: %s\n"
		"cleaner:\n  resource_types:\n    include: [SQSQueue]\n"
		"suites:\n%s", name, tp_local_account(moto, 0), tp_local_account(moto, 1),
		tp_local_account(moto, 2), ttl, suites);

	mkdir(dir, 0700);
	p = tp_test_write_file(dir, "tidepool.yaml", yaml);
	free(p);
	free(yaml);
	return dir;
}

static pid_t start_run(const char *dir, const char *jobs)
{
	char *out = tp_xasprintf("%s/out.txt", dir), *err = tp_xasprintf("%s/err.txt", dir);
	char *report = tp_xasprintf("%s/report", dir), *junit = tp_xasprintf("%s/junit.xml", dir);
	char *argv[] = { (char *)tp_test_tidepool_bin(), "run", "-C", (char *)dir, "-j", (char *)jobs,
			 "--report", report, "--junit", junit, NULL };
	pid_t pid = run_bg(argv, env, out, err);

	free(out);
	free(err);
	free(report);
	free(junit);
	return pid;
}

static char *tidepool(const char *dir, const char *cmd, const char *a1, const char *a2, int *rc)
{
	char *argv[] = { (char *)tp_test_tidepool_bin(), (char *)cmd, "-C", (char *)dir, (char *)a1,
			 (char *)a2, NULL };
	char *out = NULL, *err = NULL;

	*rc = tp_test_run(argv, env, &out, &err);
	free(err);
	return out;
}

/* The count of accounts in `state` per `tidepool status --json`. */
static int count_state(const char *dir, const char *state)
{
	int rc;
	char *out = tidepool(dir, "status", "--json", NULL, &rc);
	json_t *j = json_loads(out, 0, NULL);
	int n;

	if (rc != 0 || !j)
		fail_msg("tidepool status exited %d: %s", rc, out);
	n = (int)json_integer_value(json_object_get(json_object_get(j, "counts"), state));
	json_decref(j);
	free(out);
	return n;
}

static void sweep_to_full(const char *dir)
{
	int rc;
	char *out = tidepool(dir, "sweep", "--no-dry-run", "--yes", &rc);

	if (rc != 0)
		fail_msg("tidepool sweep exited %d: %s", rc, out);
	free(out);
	assert_int_equal(count_state(dir, "available"), 3);
}

static void dump(const char *dir)
{
	char *p = tp_xasprintf("%s/err.txt", dir), *s = slurp_file(p);

	print_message("--- tidepool run's stderr:\n%s\n", s);
	free(s);
	free(p);
}

static pid_t pid_of(const char *dir, const char *name, int64_t ms)
{
	char *p = tp_xasprintf("%s/%s.pid", dir, name);
	pid_t pid = wait_pid_file(p, ms);

	free(p);
	if (!pid) {
		dump(dir);
		fail_msg("suite %s never started", name);
	}
	return pid;
}

static void test_run_signals__timeout_kills_the_whole_suite(void **state)
{
	char *suites = tp_xasprintf(
		"  - name: hang\n    timeout: 2s\n    command: >-\n"
		"      trap '' TERM; echo $$$$ > %s/timeout/hang.pid;\n"
		"      sleep 300 & setsid sleep 300 & echo $! > %s/timeout/escaped.pid; wait\n"
		"  - {name: quick, command: \"true\"}\n", root, root);
	char *dir = project("timeout", "2h", suites), *results = tp_xasprintf("%s/report/results.json", dir);
	pid_t run, group, escaped;
	int64_t t0 = tp_now_ms();
	json_t *j, *att;
	int rc;

	(void)state;
	run = start_run(dir, "2");
	group = pid_of(dir, "hang", 60000);
	escaped = pid_of(dir, "escaped", 10000);
	rc = wait_exit(run, 90000);
	if (rc != 1) {
		dump(dir);
		fail_msg("exit %d, want 1", rc);
	}
	assert_true(tp_now_ms() - t0 >= 12000);        /* 2 s timeout + 10 s grace */
	assert_false(group_alive(group));
	assert_int_equal(kill(escaped, 0), -1);         /* the setsid grandchild too */
	j = load_json(results);
	att = json_array_get(json_object_get(json_array_get(json_object_get(j, "suites"), 0), "attempts"), 0);
	assert_true(json_is_true(json_object_get(att, "timed_out")));
	assert_int_equal(json_integer_value(json_object_get(att, "signal")), SIGKILL);
	assert_int_equal(count_state(dir, "available") + count_state(dir, "dirty"), 3);
	assert_int_equal(count_state(dir, "leased"), 0);
	assert_true(file_contains(in_dir(dir, "junit.xml"), "timed out"));
	json_decref(j);
	free(suites);
	free(dir);
	free(results);
}

static void test_run_signals__ctrl_c(void **state)
{
	char *suites = tp_xasprintf(
		"  - {name: s1, command: \"echo $$$$ > %s/ctrlc/s1.pid; exec sleep 300\"}\n"
		"  - {name: s2, command: \"echo $$$$ > %s/ctrlc/s2.pid; exec sleep 300\"}\n"
		"  - {name: s3, command: \"echo $$$$ > %s/ctrlc/s3.pid; exec sleep 300\"}\n"
		"  - {name: s4, command: \"echo $$$$ > %s/ctrlc/s4.pid; exec sleep 300\"}\n",
		root, root, root, root);
	char *dir = project("ctrlc", "2h", suites), *results = tp_xasprintf("%s/report/results.json", dir);
	pid_t run, groups[2];
	json_t *j;
	int rc;

	(void)state;
	run = start_run(dir, "2");
	groups[0] = pid_of(dir, "s1", 60000);
	groups[1] = pid_of(dir, "s2", 60000);
	kill(-run, SIGINT);                     /* Ctrl-C: the terminal signals the group */
	rc = wait_exit(run, 30000);
	if (rc != 130) {
		dump(dir);
		fail_msg("exit %d, want 130", rc);
	}
	assert_groups_gone(groups, 2, 3000);
	j = load_json(results);
	assert_true(json_is_true(json_object_get(j, "interrupted")));
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "counts"), "passed")), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "counts"), "skipped")), 4);
	json_decref(j);
	assert_true(file_contains(in_dir(dir, "junit.xml"), "<testsuites"));
	/* s3 and s4 never started */
	assert_int_equal(wait_pid_file(in_dir(dir, "s3.pid"), 0), 0);
	/* released dirty, not cleaned: the sweeper's job */
	assert_int_equal(count_state(dir, "dirty"), 2);
	assert_int_equal(count_state(dir, "available"), 1);
	sweep_to_full(dir);
	free(suites);
	free(dir);
	free(results);
}

static void test_run_signals__second_ctrl_c_exits_at_once(void **state)
{
	char *suites = tp_xasprintf(
		"  - {name: d1, command: \"trap '' TERM; echo $$$$ > %s/twice/d1.pid; sleep 300; sleep 300\"}\n"
		"  - {name: d2, command: \"trap '' TERM; echo $$$$ > %s/twice/d2.pid; sleep 300; sleep 300\"}\n",
		root, root);
	char *dir = project("twice", "2h", suites);
	pid_t run, groups[2];
	int64_t t;
	int rc;

	(void)state;
	run = start_run(dir, "2");
	groups[0] = pid_of(dir, "d1", 60000);
	groups[1] = pid_of(dir, "d2", 60000);
	kill(-run, SIGINT);
	tp_sleep_ms(1500);
	assert_int_equal(waitpid(run, NULL, WNOHANG), 0);   /* still in the 10 s grace */
	t = tp_now_ms();
	kill(-run, SIGINT);
	rc = wait_exit(run, 5000);
	assert_int_equal(rc, 130);
	assert_true(tp_now_ms() - t < 3000);
	assert_groups_gone(groups, 2, 5000);
	assert_int_equal(count_state(dir, "leased"), 2);    /* they expire; sweep cleans them */
	free(suites);
	free(dir);
}

static void test_run_signals__sigkill_leaves_leases_to_expire(void **state)
{
	char *suites = tp_xasprintf(
		"  - {name: k1, command: \"echo $$$$ > %s/killed/k1.pid; exec sleep 300\"}\n"
		"  - {name: k2, command: \"echo $$$$ > %s/killed/k2.pid; exec sleep 300\"}\n",
		root, root);
	char *dir = project("killed", "4s", suites);
	pid_t run, groups[2];
	int64_t until;

	(void)state;
	run = start_run(dir, "2");
	groups[0] = pid_of(dir, "k1", 60000);
	groups[1] = pid_of(dir, "k2", 60000);
	kill(run, SIGKILL);
	assert_int_equal(wait_exit(run, 5000), 128 + SIGKILL);
	assert_groups_gone(groups, 2, 15000);           /* the guard ends them */
	assert_int_equal(count_state(dir, "leased") + count_state(dir, "expired"), 2);
	until = tp_now_ms() + 20000;
	while (count_state(dir, "expired") < 2 && tp_now_ms() < until)
		tp_sleep_ms(500);
	assert_int_equal(count_state(dir, "expired"), 2);
	sweep_to_full(dir);
	free(suites);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_signals__timeout_kills_the_whole_suite),
		cmocka_unit_test(test_run_signals__ctrl_c),
		cmocka_unit_test(test_run_signals__second_ctrl_c_exits_at_once),
		cmocka_unit_test(test_run_signals__sigkill_leaves_leases_to_expire),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, setup, teardown);
}
