/*
 * `tidepool run --local`, 60 short suites on 6 local accounts (issue 6,
 * must-show 2). Every suite (examples/probe/probe.py) records STS
 * GetCallerIdentity, its start and end, and its whole environment. The
 * runner itself is given distinctive credentials and a profile in its
 * environment. Checked:
 *   - every suite ran in a pool account, with credentials of that account
 *     (STS says so), as the pool role;
 *   - no two suites that overlapped in time shared an account;
 *   - no suite saw the runner's credentials, nor another account's
 *     (each access key belongs to one account only), and no log or report
 *     holds the runner's secrets;
 *   - JUnit: 60 <testsuite>s with the right failure count;
 *   - exit code 1 with one failing suite, 0 when none fails.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "tests/integration/test_run_support.h"

#define NSUITES 60
#define NACCOUNTS 6
#define FAILING "s13"

static const char *const runner_secrets[] = {
	"AKIARUNNERDISTINCT01", "runner/Secret+Key/DoNotLeak0123456789ab",
	"RunnerSessionTokenDoNotLeakFQoGZXIvYXdzEJr", "runner-only-profile", NULL
};

static char *dir, *probe_dir;

static void write_project(void)
{
	char *probe = tp_test_source_path("examples/probe/probe.py");
	tp_buf y = TP_BUF_INIT;
	char *p;
	int i;

	tp_buf_addf(&y, "project: sixty\nregions: [us-east-1]\npool:\n  accounts: []\n"
			"cleaner:\n  resource_types:\n    include: [SQSQueue]\nsuites:\n");
	for (i = 0; i < NSUITES; i++)
		tp_buf_addf(&y, "  - name: s%02d\n    command: \"python3 %s\"\n    timeout: 5m\n"
				"    env: {PROBE_DIR: \"%s\", PROBE_FAIL: \"${PROBE_FAIL:-}\"}\n",
			    i, probe, probe_dir);
	p = tp_test_write_file(dir, "tidepool.yaml", tp_buf_cstr(&y));
	free(p);
	tp_buf_release(&y);
	free(probe);
}

static int setup(void **state)
{
	(void)state;
	dir = tp_test_tmpdir("run-local");
	probe_dir = tp_xasprintf("%s/probe", dir);
	mkdir(probe_dir, 0700);
	write_project();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tp_test_rmtree(dir);
	free(dir);
	free(probe_dir);
	return 0;
}

static int run(const char *fail, const char *extra_arg, const char *report, const char *junit)
{
	char *fail_env = tp_xasprintf("PROBE_FAIL=%s", fail);
	char *env[] = {
		"AWS_ACCESS_KEY_ID=AKIARUNNERDISTINCT01",
		"AWS_SECRET_ACCESS_KEY=runner/Secret+Key/DoNotLeak0123456789ab",
		"AWS_SESSION_TOKEN=RunnerSessionTokenDoNotLeakFQoGZXIvYXdzEJr",
		"AWS_PROFILE=runner-only-profile", fail_env, NULL
	};
	char jobs[8];
	char *argv[16];
	char *out = NULL, *err = NULL;
	int n = 0, rc;

	snprintf(jobs, sizeof(jobs), "%d", NACCOUNTS);
	argv[n++] = (char *)tp_test_tidepool_bin();
	argv[n++] = "run";
	argv[n++] = "--local";
	argv[n++] = "-j";
	argv[n++] = jobs;
	argv[n++] = "-C";
	argv[n++] = dir;
	argv[n++] = "--report";
	argv[n++] = (char *)report;
	argv[n++] = "--junit";
	argv[n++] = (char *)junit;
	if (extra_arg) {
		argv[n++] = "--suite";
		argv[n++] = (char *)extra_arg;
	}
	argv[n] = NULL;
	rc = tp_test_run(argv, env, &out, &err);
	if (rc != 0 && rc != 1)
		fail_msg("tidepool run exited %d\nstdout:\n%s\nstderr:\n%s", rc, out, err);
	for (n = 0; runner_secrets[n]; n++)
		if (strstr(out, runner_secrets[n]) || strstr(err, runner_secrets[n]))
			fail_msg("the runner printed its own secret %s", runner_secrets[n]);
	free(out);
	free(err);
	free(fail_env);
	return rc;
}

typedef struct rec {
	char suite[16], account[16], key[64];
	double start, end;
} rec;

/* Load every probe record; checks each one on the way. */
static size_t load_records(rec *recs, size_t max, json_t *pool_accounts)
{
	DIR *d = opendir(probe_dir);
	struct dirent *e;
	size_t n = 0, i;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char *path;
		json_t *j, *env;
		const char *acct, *arn, *key;
		int in_pool = 0;
		const char *k;
		json_t *v;

		if (!tp_ends_with(e->d_name, ".json"))
			continue;
		assert_true(n < max);
		path = tp_xasprintf("%s/%s", probe_dir, e->d_name);
		j = load_json(path);
		env = json_object_get(j, "env");
		acct = json_string_value(json_object_get(j, "account"));
		arn = json_string_value(json_object_get(json_object_get(j, "identity"), "Arn"));
		key = json_string_value(json_object_get(env, "AWS_ACCESS_KEY_ID"));
		assert_non_null(acct);
		assert_non_null(key);
		/* STS says the credentials are of the account tidepool named */
		assert_string_equal(json_string_value(json_object_get(json_object_get(j, "identity"),
								      "Account")), acct);
		assert_non_null(strstr(arn, ":assumed-role/OrganizationAccountAccessRole/"));
		for (i = 0; i < json_array_size(pool_accounts); i++)
			in_pool |= !strcmp(json_string_value(json_object_get(
				json_array_get(pool_accounts, i), "id")), acct);
		if (!in_pool)
			fail_msg("%s ran in %s, not a pool account", e->d_name, acct);
		/* nothing of the runner's identity reached the suite */
		json_object_foreach(env, k, v) {
			for (i = 0; runner_secrets[i]; i++)
				if (strstr(k, runner_secrets[i]) || strstr(json_string_value(v), runner_secrets[i]))
					fail_msg("%s saw the runner's %s in %s", e->d_name, runner_secrets[i], k);
		}
		assert_null(json_object_get(env, "AWS_PROFILE"));
		tp_strlcpy(recs[n].suite, json_string_value(json_object_get(j, "suite")), sizeof(recs[n].suite));
		tp_strlcpy(recs[n].account, acct, sizeof(recs[n].account));
		tp_strlcpy(recs[n].key, key, sizeof(recs[n].key));
		recs[n].start = json_real_value(json_object_get(j, "start"));
		recs[n].end = json_real_value(json_object_get(j, "end"));
		n++;
		json_decref(j);
		free(path);
	}
	closedir(d);
	return n;
}

static void check_isolation(const rec *r, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		for (k = i + 1; k < n; k++) {
			if (!strcmp(r[i].key, r[k].key) && strcmp(r[i].account, r[k].account))
				fail_msg("access key %s used in %s and in %s", r[i].key, r[i].account, r[k].account);
			if (strcmp(r[i].account, r[k].account))
				continue;
			if (r[i].start < r[k].end && r[k].start < r[i].end)
				fail_msg("%s and %s overlapped on %s", r[i].suite, r[k].suite, r[i].account);
		}
	}
}

static int xpath_count(xmlDocPtr d, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(d);
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	int n = o && o->nodesetval ? o->nodesetval->nodeNr : 0;

	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return n;
}

static void check_junit(const char *path)
{
	xmlDocPtr d = xmlReadFile(path, NULL, XML_PARSE_NONET);
	char *s;

	assert_non_null(d);
	assert_int_equal(xpath_count(d, "/testsuites/testsuite"), NSUITES);
	assert_int_equal(xpath_count(d, "/testsuites/testsuite[@failures!='0']"), 1);
	assert_int_equal(xpath_count(d, "/testsuites/testsuite[@name='" FAILING "' and @failures='1']"), 1);
	assert_int_equal(xpath_count(d, "//testcase[failure]"), 1);
	assert_int_equal(xpath_count(d, "/testsuites/testsuite/properties/property[@name='account']"), NSUITES);
	assert_int_equal(xpath_count(d, "/testsuites[@failures='1' and @tests='60']"), 1);
	xmlFreeDoc(d);
	s = slurp_file(path);
	assert_null(strstr(s, runner_secrets[1]));
	free(s);
}

/* No log or report tidepool wrote holds the runner's secrets. */
static void check_files(const char *report)
{
	const char *files[] = { "results.json", "timeline.html", NULL };
	char *logs = tp_xasprintf("%s/logs", report);
	DIR *d = opendir(logs);
	struct dirent *e;
	size_t i, k;

	for (i = 0; files[i]; i++) {
		char *p = tp_xasprintf("%s/%s", report, files[i]);
		for (k = 0; runner_secrets[k]; k++)
			if (file_contains(p, runner_secrets[k]))
				fail_msg("%s holds the runner's %s", p, runner_secrets[k]);
		free(p);
	}
	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char *p = tp_xasprintf("%s/%s", logs, e->d_name);
		for (k = 0; runner_secrets[k]; k++)
			if (e->d_name[0] != '.' && file_contains(p, runner_secrets[k]))
				fail_msg("%s holds the runner's %s", p, runner_secrets[k]);
		free(p);
	}
	closedir(d);
	free(logs);
}

static void test_run_local__sixty_suites_six_accounts(void **state)
{
	char *report = tp_xasprintf("%s/report", dir), *junit = tp_xasprintf("%s/junit.xml", dir);
	char *results = tp_xasprintf("%s/results.json", report);
	rec recs[NSUITES + 4];
	json_t *j;
	size_t n;

	(void)state;
	assert_int_equal(run(FAILING, NULL, report, junit), 1);
	j = load_json(results);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "counts"), "suites")), NSUITES);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "counts"), "failed")), 1);
	assert_true(json_array_size(json_object_get(j, "accounts")) <= NACCOUNTS);
	n = load_records(recs, NSUITES + 4, json_object_get(j, "accounts"));
	assert_int_equal(n, NSUITES);
	check_isolation(recs, n);
	check_junit(junit);
	check_files(report);
	json_decref(j);
	free(report);
	free(junit);
	free(results);
}

/* The same project with no failing suite (ten of them): exit 0. */
static void test_run_local__all_pass_exit_zero(void **state)
{
	char *report = tp_xasprintf("%s/report2", dir), *junit = tp_xasprintf("%s/junit2.xml", dir);
	xmlDocPtr d;

	(void)state;
	assert_int_equal(run("", "s0*", report, junit), 0);
	d = xmlReadFile(junit, NULL, XML_PARSE_NONET);
	assert_non_null(d);
	assert_int_equal(xpath_count(d, "/testsuites/testsuite"), 10);
	assert_int_equal(xpath_count(d, "/testsuites[@failures='0' and @errors='0']"), 1);
	xmlFreeDoc(d);
	free(report);
	free(junit);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_local__sixty_suites_six_accounts),
		cmocka_unit_test(test_run_local__all_pass_exit_zero),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
