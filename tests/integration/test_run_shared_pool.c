/*
 * Two `tidepool run`s sharing one DynamoDB-stored pool, as two CI
 * machines would (issue 6, must-show 4): two projects, one pool of three
 * accounts in a DynamoDB table on a local AWS (moto), each run asking for
 * three accounts. The second starts once the first holds all three; both
 * finish all their suites (the second on accounts the first released and
 * cleaned, leased while the first still releases the others), and
 * no account is ever used by both at the same time: every suite records
 * its account and its start and end (examples/probe/probe.py), and no two
 * records that overlap in time name the same account.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <sys/stat.h>

#include "aws/http.h"
#include "tests/integration/test_run_support.h"
#include "tests/support/moto.h"

#define PER_RUN 6

static tp_local *moto;
static char *root, *probe_dir;
static char *env[8];

/*
 * moto's threaded server does not make a conditional UpdateItem atomic (two
 * requests can win the same version; DynamoDB never lets them), so the
 * shared table is served by tests/moto-serial's moto_server, one request
 * at a time, as in the lease-safety test.
 */
static tp_local *serial_moto(int accounts)
{
	const char *path = getenv("PATH");
	char *old = tp_xstrdup(path ? path : ""), *serial;
	tp_local *l;

	serial = tp_xasprintf("%s/tests/moto-serial:%s", TP_SOURCE_DIR, old);
	setenv("PATH", serial, 1);
	l = tp_test_moto_start(0, accounts);
	setenv("PATH", old, 1);
	free(serial);
	free(old);
	return l;
}

static int setup(void **state)
{
	(void)state;
	tp_http_global_init();
	moto = serial_moto(3);
	root = tp_test_tmpdir("run-shared");
	probe_dir = tp_xasprintf("%s/probe", root);
	mkdir(probe_dir, 0700);
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
	free(probe_dir);
	tp_http_global_cleanup();
	return 0;
}

static char *project(const char *name)
{
	char *dir = tp_xasprintf("%s/%s", root, name), *probe = tp_test_source_path("examples/probe/probe.py");
	tp_buf y = TP_BUF_INIT;
	char *p;
	int i;

	mkdir(dir, 0700);
	tp_buf_addf(&y, "project: %s\nregions: [us-east-1]\npool:\n  store: dynamodb:tidepool-shared-pool\n"
			"  accounts: [\"%s\", \"%s\", \"%s\"]\n"
			"cleaner:\n  resource_types:\n    include: [SQSQueue]\nsuites:\n", name,
		    tp_local_account(moto, 0), tp_local_account(moto, 1), tp_local_account(moto, 2));
	for (i = 0; i < PER_RUN; i++)
		tp_buf_addf(&y, "  - name: %s-%d\n    command: \"python3 %s\"\n"
				"    env: {PROBE_DIR: \"%s\", PROBE_SLEEP: \"1\"}\n", name, i, probe, probe_dir);
	p = tp_test_write_file(dir, "tidepool.yaml", tp_buf_cstr(&y));
	free(p);
	free(probe);
	tp_buf_release(&y);
	return dir;
}

static pid_t start(const char *dir)
{
	char *out = tp_xasprintf("%s/out.txt", dir), *err = tp_xasprintf("%s/err.txt", dir);
	char *argv[] = { (char *)tp_test_tidepool_bin(), "run", "-C", (char *)dir, "-j", "3", NULL };
	pid_t pid = run_bg(argv, env, out, err);

	free(out);
	free(err);
	return pid;
}

static void expect_success(pid_t pid, const char *dir)
{
	int rc = wait_exit(pid, 240000);

	if (rc != 0) {
		char *p = tp_xasprintf("%s/err.txt", dir), *s = slurp_file(p);
		fail_msg("tidepool run in %s exited %d:\n%s", dir, rc, s);
	}
}

typedef struct rec {
	char suite[32], account[16];
	double start, end;
} rec;

static size_t records(rec *r, size_t max)
{
	DIR *d = opendir(probe_dir);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL && n < max) {
		char *path;
		json_t *j;

		if (!tp_ends_with(e->d_name, ".json"))
			continue;
		path = tp_xasprintf("%s/%s", probe_dir, e->d_name);
		j = load_json(path);
		tp_strlcpy(r[n].suite, json_string_value(json_object_get(j, "suite")), sizeof(r[n].suite));
		tp_strlcpy(r[n].account, json_string_value(json_object_get(j, "account")), sizeof(r[n].account));
		assert_string_equal(json_string_value(json_object_get(json_object_get(j, "identity"),
								      "Account")), r[n].account);
		r[n].start = json_real_value(json_object_get(j, "start"));
		r[n].end = json_real_value(json_object_get(j, "end"));
		n++;
		json_decref(j);
		free(path);
	}
	closedir(d);
	return n;
}

static void test_run_shared_pool__two_runners_never_share(void **state)
{
	char *a = project("alpha"), *b = project("beta");
	rec r[4 * PER_RUN];
	pid_t pa, pb;
	size_t n, i, k;
	int from_a = 0, from_b = 0;

	(void)state;
	/* Create the table first, so the two runs race for accounts, not for the table. */
	{
		char *argv[] = { (char *)tp_test_tidepool_bin(), "status", "-C", a, NULL };
		char *out = NULL, *err = NULL;
		int rc = tp_test_run(argv, env, &out, &err);
		if (rc != 0)
			fail_msg("tidepool status: %s", err);
		free(out);
		free(err);
	}
	/* alpha holds all three before beta starts: beta waits for accounts
	 * alpha releases and its cleaner frees, so the handoff always happens
	 * (started together, each could keep the accounts it got to the end) */
	pa = start(a);
	{
		char *err_a = tp_xasprintf("%s/err.txt", a);
		int64_t until = tp_now_ms() + 60000;
		int leased = 0;

		while (leased < 3 && tp_now_ms() < until) {
			char *s = slurp_file(err_a), *p;

			for (leased = 0, p = s; (p = strstr(p, " leased ")) != NULL; p++)
				leased++;
			free(s);
			if (leased < 3)
				tp_sleep_ms(20);
		}
		if (leased < 3)
			fail_msg("alpha leased %d accounts in 60 s:\n%s", leased, slurp_file(err_a));
		free(err_a);
	}
	pb = start(b);
	expect_success(pa, a);
	expect_success(pb, b);
	n = records(r, TP_ARRAY_SIZE(r));
	assert_int_equal(n, 2 * PER_RUN);
	for (i = 0; i < n; i++) {
		from_a += tp_starts_with(r[i].suite, "alpha-");
		from_b += tp_starts_with(r[i].suite, "beta-");
		for (k = i + 1; k < n; k++)
			if (!strcmp(r[i].account, r[k].account) && r[i].start < r[k].end &&
			    r[k].start < r[i].end)
				fail_msg("%s and %s overlapped in account %s", r[i].suite, r[k].suite, r[i].account);
	}
	assert_int_equal(from_a, PER_RUN);
	assert_int_equal(from_b, PER_RUN);
	/* Six accounts wanted, three in the pool: some account served both runs,
	 * one after the other (released, cleaned, leased again). */
	{
		int shared = 0;
		for (i = 0; i < n; i++)
			for (k = 0; k < n; k++)
				shared |= tp_starts_with(r[i].suite, "alpha-") &&
					  tp_starts_with(r[k].suite, "beta-") &&
					  !strcmp(r[i].account, r[k].account);
		if (!shared) {
			char *pa_err = tp_xasprintf("%s/err.txt", a), *pb_err = tp_xasprintf("%s/err.txt", b);
			char *sa = slurp_file(pa_err), *sb = slurp_file(pb_err);
			fail_msg("no account served both runs\n--- alpha:\n%s\n--- beta:\n%s", sa, sb);
		}
	}
	free(a);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_shared_pool__two_runners_never_share),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
