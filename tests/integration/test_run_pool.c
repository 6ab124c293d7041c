/*
 * `tidepool run` against a pool that outlives runs (a SQLite store of three
 * member accounts of a local AWS, moto), as CI uses it:
 *   - affinity: a run deploys a stack and records it; the next runs lease
 *     that account again (tp_sched_lease_score) and skip the deploy;
 *   - `tidepool history` shows what the runs taught it;
 *   - heartbeats keep a lease whose TTL is shorter than the suite alive,
 *     and the released account goes through the cleaner back to available;
 *   - a suite that fails and passes on its retry ran on two accounts and
 *     is reported flaky (exit 0);
 *   - --fail-fast stops starting suites after the first final failure;
 *   - --shard 1/2 and 2/2 split the suites between them, and --json prints
 *     one document on stdout;
 *   - on a terminal, the progress block is redrawn in place;
 *   - with every account leaked, the run fails at once instead of waiting;
 *   - a lease lost under a running suite stops it; the retry runs elsewhere;
 *   - a deploy carries the stacks of the next suite when they cost it nothing.
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

static const char queue_template[] =
	"AWSTemplateFormatVersion: \"2010-09-09\"\n"
	"Resources:\n  Queue:\n    Type: AWS::SQS::Queue\n"
	"Outputs:\n  QueueUrl:\n    Value: !Ref Queue\n";

static int setup(void **state)
{
	(void)state;
	tp_http_global_init();
	moto = tp_test_moto_start(0, 3);
	root = tp_test_tmpdir("run-pool");
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

static char *project(const char *name, const char *ttl, const char *body)
{
	char *dir = tp_xasprintf("%s/%s", root, name), *p;
	char *yaml = tp_xasprintf(
		"project: %s\nregions: [us-east-1]\n"
		"pool:\n  store: sqlite:pool.db\n  accounts: [\"%s\", \"%s\", \"%s\"]\n  lease_ttl: %s\n"
		"cleaner:\n  resource_types:\n    include: [SQSQueue]\n%s",
		name, tp_local_account(moto, 0), tp_local_account(moto, 1), tp_local_account(moto, 2),
		ttl, body);

	mkdir(dir, 0700);
	p = tp_test_write_file(dir, "tidepool.yaml", yaml);
	free(p);
	p = tp_test_write_file(dir, "stacks/queue.yaml", queue_template);
	free(p);
	free(yaml);
	return dir;
}

/* tidepool run -C DIR ARGS... --report DIR/report; its exit code, stdout, stderr. */
static int run(const char *dir, const char *const *args, char **out, char **err)
{
	char *report = tp_xasprintf("%s/report", dir);
	char *argv[24];
	int n = 0, rc;

	argv[n++] = (char *)tp_test_tidepool_bin();
	argv[n++] = "run";
	argv[n++] = "-C";
	argv[n++] = (char *)dir;
	argv[n++] = "--report";
	argv[n++] = report;
	while (args && *args)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	tp_test_rmtree(report);
	rc = tp_test_run(argv, env, out, err);
	free(report);
	return rc;
}

static json_t *results(const char *dir)
{
	char *p = tp_xasprintf("%s/report/results.json", dir);
	json_t *j = load_json(p);

	free(p);
	return j;
}

static json_t *attempt(json_t *res, size_t suite, size_t n)
{
	return json_array_get(json_object_get(json_array_get(json_object_get(res, "suites"), suite),
					      "attempts"), n);
}

static int count_state(const char *dir, const char *state)
{
	char *argv[] = { (char *)tp_test_tidepool_bin(), "status", "--json", "-C", (char *)dir, NULL };
	char *out = NULL, *err = NULL;
	json_t *j;
	int n, rc = tp_test_run(argv, env, &out, &err);

	j = json_loads(out, 0, NULL);
	if (rc != 0 || !j)
		fail_msg("status exited %d: %s", rc, err);
	n = (int)json_integer_value(json_object_get(json_object_get(j, "counts"), state));
	json_decref(j);
	free(out);
	free(err);
	return n;
}

/* `tidepool history`: three runs of the suite, one deploy of the stack. */
static void check_history(const char *dir)
{
	char *argv[] = { (char *)tp_test_tidepool_bin(), "history", "--json", "-C", (char *)dir, NULL };
	char *plain[] = { (char *)tp_test_tidepool_bin(), "history", "-C", (char *)dir, NULL };
	char *out = NULL, *err = NULL;
	json_t *j, *s;
	int rc = tp_test_run(argv, env, &out, &err);

	j = json_loads(out, 0, NULL);
	if (rc != 0 || !j)
		fail_msg("history exited %d: %s%s", rc, out, err);
	s = json_array_get(json_object_get(j, "suites"), 0);
	assert_string_equal(json_string_value(json_object_get(s, "name")), "uses-queue");
	assert_int_equal(json_integer_value(json_object_get(s, "runs")), 3);
	assert_true(json_real_value(json_object_get(s, "expected_s")) >= 5.0);
	assert_true(json_is_true(json_object_get(s, "last_passed")));
	s = json_array_get(json_object_get(j, "stacks"), 0);
	assert_string_equal(json_string_value(json_object_get(s, "name")), "queue");
	assert_int_equal(json_integer_value(json_object_get(s, "runs")), 1);
	json_decref(j);
	free(out);
	free(err);
	rc = tp_test_run(plain, env, &out, &err);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "uses-queue"));
	assert_non_null(strstr(out, "STACK (deploy)"));
	free(out);
	free(err);
}

static void test_run_pool__affinity_and_heartbeat(void **state)
{
	char *dir = project("affinity", "3s",
			    "stacks:\n  - {name: queue, template: stacks/queue.yaml}\n"
			    "suites:\n  - name: uses-queue\n    command: >-\n"
			    "      test -n \"$TIDEPOOL_OUTPUT_QUEUE_QUEUEURL\" && sleep 5\n"
			    "    stacks: [queue]\n");
	const char *args[] = { "-j", "1", NULL };
	char first[16] = "", *out = NULL, *err = NULL;
	int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		json_t *res, *a;
		const char *acct, *stack;
		int rc = run(dir, args, &out, &err);

		if (rc != 0 || strstr(err, "warning"))
			fail_msg("run %d exited %d:\n%s", i + 1, rc, err);
		res = results(dir);
		a = attempt(res, 0, 0);
		acct = json_string_value(json_object_get(a, "account"));
		stack = json_string_value(json_array_get(json_object_get(a, "stacks"), 0));
		if (i == 0) {
			tp_strlcpy(first, acct, sizeof(first));
			assert_string_equal(stack, "queue created");
		} else {
			/* the account that has the stack, and no deploy */
			assert_string_equal(acct, first);
			assert_string_equal(stack, "queue skipped");
		}
		/* the lease outlived its 3 s TTL by heartbeats; released and cleaned */
		assert_string_equal(json_string_value(json_object_get(json_array_get(
			json_object_get(res, "accounts"), 0), "cleaned")), "yes");
		json_decref(res);
		free(out);
		free(err);
	}
	assert_int_equal(count_state(dir, "available"), 3);
	check_history(dir);
	free(dir);
}

/* Also: a relative --report works, as suites (run in the project directory)
 * get absolute TIDEPOOL_JUNIT and TIDEPOOL_ARTIFACTS. */
static void test_run_pool__flaky_retry_on_another_account(void **state)
{
	char *dir = project("flaky", "2h",
			    "suites:\n  - name: flaky\n    command: >-\n"
			    "      case $TIDEPOOL_JUNIT$TIDEPOOL_ARTIFACTS in /*/*) ;; *) exit 9 ;; esac;\n"
			    "      test -d \"$TIDEPOOL_ARTIFACTS\" && test \"$TIDEPOOL_ATTEMPT\" -gt 1\n"
			    "    retries: 1\n");
	char *out = NULL, *err = NULL, *junit = tp_xasprintf("%s/junit.xml", dir);
	const char *args[] = { "-j", "2", "--junit", junit, "--report", "run-pool-relative", NULL };
	json_t *res, *suite;
	int rc;

	(void)state;
	rc = run(dir, args, &out, &err);
	if (rc != 0)
		fail_msg("exit %d:\n%s", rc, err);
	assert_non_null(strstr(out, "flaky"));
	res = load_json("run-pool-relative/results.json");     /* the last --report wins */
	tp_test_rmtree("run-pool-relative");
	suite = json_array_get(json_object_get(res, "suites"), 0);
	assert_string_equal(json_string_value(json_object_get(suite, "result")), "flaky");
	assert_int_equal(json_array_size(json_object_get(suite, "attempts")), 2);
	assert_string_equal(json_string_value(json_object_get(attempt(res, 0, 0), "result")), "failed");
	assert_string_not_equal(json_string_value(json_object_get(attempt(res, 0, 0), "account")),
				json_string_value(json_object_get(attempt(res, 0, 1), "account")));
	assert_true(file_contains(junit, "<property name=\"attempts\" value=\"2\"/>"));
	json_decref(res);
	free(out);
	free(err);
	free(junit);
	free(dir);
}

static void test_run_pool__fail_fast(void **state)
{
	char *dir = project("failfast", "2h",
			    "suites:\n  - {name: ff-a, command: \"exit 1\"}\n"
			    "  - {name: ff-b, command: \"true\"}\n  - {name: ff-c, command: \"true\"}\n");
	const char *args[] = { "-j", "1", "--fail-fast", NULL };
	char *out = NULL, *err = NULL;
	json_t *res, *c;
	int rc;

	(void)state;
	rc = run(dir, args, &out, &err);
	assert_int_equal(rc, 1);
	res = results(dir);
	c = json_object_get(res, "counts");
	assert_int_equal(json_integer_value(json_object_get(c, "failed")), 1);
	assert_int_equal(json_integer_value(json_object_get(c, "skipped")), 2);
	json_decref(res);
	free(out);
	free(err);
	free(dir);
}

static void test_run_pool__shards_and_json(void **state)
{
	char *dir = project("shards", "2h",
			    "suites:\n  - {name: t1, command: \"true\"}\n  - {name: t2, command: \"true\"}\n"
			    "  - {name: t3, command: \"true\"}\n  - {name: t4, command: \"true\"}\n"
			    "  - {name: t5, command: \"true\"}\n");
	const char *shards[] = { "1/2", "2/2" };
	int seen[6] = { 0 }, s, total = 0;

	(void)state;
	for (s = 0; s < 2; s++) {
		const char *args[] = { "-j", "2", "--shard", shards[s], "--json", NULL };
		char *out = NULL, *err = NULL, *hist = tp_xasprintf("%s/.tidepool/history.db", dir);
		json_t *j, *suites;
		size_t i;
		int rc;

		/* Both shards split by the same history, as CI machines restoring
		 * the same cache would: none here. */
		unlink(hist);
		free(hist);
		rc = run(dir, args, &out, &err);

		if (rc != 0)
			fail_msg("shard %s exited %d:\n%s", shards[s], rc, err);
		j = json_loads(out, 0, NULL);      /* stdout is exactly one JSON document */
		if (!j)
			fail_msg("--json printed no JSON document:\n%s", out);
		suites = json_object_get(j, "suites");
		if (json_array_size(suites) < 2 || json_array_size(suites) > 3)
			fail_msg("shard %s ran %zu suites:\n%s", shards[s], json_array_size(suites), err);
		for (i = 0; i < json_array_size(suites); i++) {
			const char *name = json_string_value(json_object_get(json_array_get(suites, i), "name"));
			assert_int_equal(seen[name[1] - '0']++, 0);
			total++;
		}
		assert_non_null(strstr(err, "SUITE"));     /* the table goes to stderr with --json */
		json_decref(j);
		free(out);
		free(err);
	}
	assert_int_equal(total, 5);
	free(dir);
}

static void test_run_pool__live_progress_on_a_terminal(void **state)
{
	char *dir = project("tty", "2h",
			    "suites:\n  - {name: p1, command: \"sleep 2\"}\n  - {name: p2, command: \"sleep 2\"}\n");
	char *cmd = tp_xasprintf("%s run -C %s -j 2", tp_test_tidepool_bin(), dir);
	char *argv[] = { "script", "-qec", cmd, "/dev/null", NULL };
	char *out = NULL, *err = NULL;
	int rc;

	(void)state;
	rc = tp_test_run(argv, env, &out, &err);
	assert_int_equal(rc, 0);
	assert_non_null(strstr(out, "\033[K"));           /* lines redrawn in place */
	assert_non_null(strstr(out, "running"));
	assert_non_null(strstr(out, "ETA"));
	assert_non_null(strstr(out, "p1"));
	assert_non_null(strstr(out, "2 suites: 2 passed"));
	free(out);
	free(err);
	free(cmd);
	free(dir);
}

/* Every account leaked (expired leases): only `sweep` frees them, so the
 * run fails at once (exit 3) saying so, instead of waiting. */
static void test_run_pool__nothing_will_free_up(void **state)
{
	char *dir = project("leaked", "2h", "suites:\n  - {name: never, command: \"true\"}\n");
	char *argv[] = { (char *)tp_test_tidepool_bin(), "claim", "--ttl", "1s", "-C", dir, NULL };
	const char *args[] = { "-j", "1", NULL };
	char *out = NULL, *err = NULL;
	int64_t t0;
	int i, rc;

	(void)state;
	for (i = 0; i < 3; i++) {
		rc = tp_test_run(argv, env, &out, &err);
		if (rc != 0)
			fail_msg("claim exited %d: %s", rc, err);
		free(out);
		free(err);
	}
	tp_sleep_ms(2100);
	assert_int_equal(count_state(dir, "expired"), 3);
	t0 = tp_now_ms();
	rc = run(dir, args, &out, &err);
	if (rc != 3 || !strstr(err, "none will free up by itself"))
		fail_msg("exit %d:\n%s", rc, err);
	assert_true(tp_now_ms() - t0 < 30000);
	assert_int_equal(count_state(dir, "expired"), 3);    /* nothing leased */
	free(out);
	free(err);
	free(dir);
}

/*
 * An operator releases the lease under a running suite (as the sweeper
 * could after an expiry): the next heartbeat finds it gone, the suite's
 * process group is stopped within seconds, the attempt is an error naming
 * the lost lease, the retry runs on another account and passes, and the
 * run neither releases nor cleans the lost account (it stays as the
 * operator left it, dirty).
 */
static void test_run_pool__a_lost_lease_stops_its_suite(void **state)
{
	char *dir = project("lost", "3s",
			    "suites:\n  - name: holds\n    retries: 1\n    command: >-\n"
			    "      if [ \"$TIDEPOOL_ATTEMPT\" = 1 ]; then\n"
			    "      echo \"$TIDEPOOL_ACCOUNT_ID\" > first.account; echo $$$$ > first.pid;\n"
			    "      sleep 60; fi\n");
	char *report = tp_xasprintf("%s/report", dir), *outp = tp_xasprintf("%s/out", dir);
	char *errp = tp_xasprintf("%s/err", dir), *pidp = tp_xasprintf("%s/first.pid", dir);
	char *acctp = tp_xasprintf("%s/first.account", dir), *first, *out = NULL, *err = NULL;
	char *argv[] = { (char *)tp_test_tidepool_bin(), "run", "-C", dir, "--report", report,
			 "-j", "1", NULL };
	json_t *res, *a0, *accts;
	pid_t pid, suite;
	int64_t t0;
	size_t i;
	int rc, seen = 0;

	(void)state;
	pid = run_bg(argv, env, outp, errp);
	suite = wait_pid_file(pidp, 60000);
	if (!suite)
		fail_msg("the suite never started:\n%s", slurp_file(errp));
	first = slurp_file(acctp);
	first[strcspn(first, "\n")] = '\0';
	{
		char *rel[] = { (char *)tp_test_tidepool_bin(), "release", first, "-C", dir, NULL };
		rc = tp_test_run(rel, env, &out, &err);
		if (rc != 0)
			fail_msg("release exited %d: %s", rc, err);
		free(out);
		free(err);
	}
	t0 = tp_now_ms();
	assert_groups_gone(&suite, 1, 15000);     /* a heartbeat (1 s) and SIGTERM, not 60 s */
	rc = wait_exit(pid, 60000);
	if (rc != 0)
		fail_msg("run exited %d:\n%s", rc, slurp_file(errp));
	assert_true(tp_now_ms() - t0 < 40000);
	assert_true(file_contains(errp, "lease on"));
	res = results(dir);
	assert_string_equal(json_string_value(json_object_get(
		json_array_get(json_object_get(res, "suites"), 0), "result")), "flaky");
	a0 = attempt(res, 0, 0);
	assert_string_equal(json_string_value(json_object_get(a0, "result")), "error");
	assert_string_equal(json_string_value(json_object_get(a0, "account")), first);
	assert_non_null(strstr(json_string_value(json_object_get(a0, "error")), "was lost"));
	assert_string_not_equal(json_string_value(json_object_get(attempt(res, 0, 1), "account")),
				first);
	accts = json_object_get(res, "accounts");
	for (i = 0; i < json_array_size(accts); i++) {
		json_t *ac = json_array_get(accts, i);
		int lost = strcmp(json_string_value(json_object_get(ac, "id")), first) == 0;

		seen += lost;
		assert_int_equal(json_is_string(json_object_get(ac, "lease_lost")), lost);
		assert_string_equal(json_string_value(json_object_get(ac, "cleaned")), lost ? "no" : "yes");
	}
	assert_int_equal(seen, 1);
	json_decref(res);
	assert_int_equal(count_state(dir, "dirty"), 1);       /* as the operator left it */
	assert_int_equal(count_state(dir, "available"), 2);
	free(first);
	free(report);
	free(outp);
	free(errp);
	free(pidp);
	free(acctp);
	free(dir);
}

/*
 * Extras: with one account, the first suite's deploy (r, x) also carries y,
 * which the second suite needs and whose chain (r -> y) ends within the
 * first's (r -> x); the second suite then deploys nothing.
 */
static void test_run_pool__extras_ride_along(void **state)
{
	char *dir = project("extras", "2h",
			    "stacks:\n"
			    "  - {name: r, template: stacks/queue.yaml}\n"
			    "  - {name: x, template: stacks/queue.yaml, depends_on: [r]}\n"
			    "  - {name: y, template: stacks/queue.yaml, depends_on: [r]}\n"
			    "suites:\n"
			    "  - {name: uses-x, command: \"test -n \\\"$TIDEPOOL_OUTPUT_X_QUEUEURL\\\"\", stacks: [x]}\n"
			    "  - {name: uses-y, command: \"test -n \\\"$TIDEPOOL_OUTPUT_Y_QUEUEURL\\\"\", stacks: [y]}\n");
	const char *args[] = { "-j", "1", NULL };
	char *out = NULL, *err = NULL;
	json_t *res, *first, *second, *lines;
	size_t i;
	int rc, extra_y = 0;

	(void)state;
	rc = run(dir, args, &out, &err);
	if (rc != 0)
		fail_msg("exit %d:\n%s", rc, err);
	res = results(dir);
	first = attempt(res, 0, 0);
	second = attempt(res, 1, 0);
	if (json_real_value(json_object_get(first, "started_s")) >
	    json_real_value(json_object_get(second, "started_s"))) {
		json_t *t = first;
		first = second;
		second = t;
	}
	lines = json_object_get(first, "stacks");
	for (i = 0; i < json_array_size(lines); i++) {
		const char *l = json_string_value(json_array_get(lines, i));
		extra_y |= !strcmp(l, "y created (extra)") || !strcmp(l, "x created (extra)");
	}
	if (!extra_y || json_array_size(lines) != 3 ||
	    json_array_size(json_object_get(second, "stacks")) != 0)
		fail_msg("extras not deployed along:\n%s", err);
	assert_non_null(strstr(err, "and 1 extra"));
	json_decref(res);
	free(out);
	free(err);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_pool__affinity_and_heartbeat),
		cmocka_unit_test(test_run_pool__flaky_retry_on_another_account),
		cmocka_unit_test(test_run_pool__fail_fast),
		cmocka_unit_test(test_run_pool__shards_and_json),
		cmocka_unit_test(test_run_pool__live_progress_on_a_terminal),
		cmocka_unit_test(test_run_pool__nothing_will_free_up),
		cmocka_unit_test(test_run_pool__a_lost_lease_stops_its_suite),
		cmocka_unit_test(test_run_pool__extras_ride_along),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
