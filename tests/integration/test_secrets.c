/*
 * No secret in anything tidepool writes or prints (issue 7, item 6).
 *
 * A project of three suites (one fails its first attempt and passes on
 * its retry) and two stacks (a template, and a command stack deployed with
 * the aws CLI) on three member accounts of a local AWS (moto). The runner
 * gets distinctive long-term credentials of its own (access key id, secret
 * key and session token). Every temporary credential tidepool hands out
 * is collected without trusting tidepool: the suites and the command stack
 * write theirs to side files outside everything tidepool writes (the
 * suites get the path through their `env`, the command through the
 * runner's environment), and the claim path's come from
 * `tidepool credentials`. Then:
 *
 *   tidepool run --report DIR --junit FILE     (logs, results.json, timeline, JUnit)
 *   tidepool run --json --suite one            (the default run dir under .tidepool/runs)
 *   tidepool status / status --json / history / whoami
 *   tidepool claim --deploy --profile NAME     (the AWS CLI profile; aws --profile NAME works)
 *   tidepool credentials / release / sweep --no-dry-run --yes / nuke (dry run)
 *   tidepool deploy --all                      (command logs in .tidepool/logs, the API-call log)
 *
 * and every file under the test's directory (the project with .tidepool/:
 * pool.db with its WAL, history.db, run dirs, deploy logs; the report; the
 * JUnit file; TIDEPOOL_API_LOG; HOME with the AWS config file; TMPDIR),
 * except the side files, and
 * every tidepool command's stdout and stderr (except the credentials that
 * `tidepool credentials` prints by contract) is searched for each secret
 * key, each session token, and each access key id. Key ids are not secret,
 * but tidepool has no reason to write one anywhere: one found is a sign
 * that credentials were dumped, so they are searched for too.
 *
 * Modes: what tidepool writes that can hold a suite's or a command's
 * output, or an account's access (suite and command logs, results.json and
 * timeline.html with log tails and errors, the JUnit file with failures'
 * log tails, the AWS config file) is 0600, and a run's directories 0700.
 * The pool and history databases and the API-call log hold no secret and
 * nothing a suite printed (searched above: account ids, holders, fencing
 * tokens, hashes, durations, operation names) and stay at the umask's
 * mode: several users' CI jobs on one machine may share the SQLite pool.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>

#include "aws/http.h"
#include "tests/integration/test_run_support.h"
#include "tests/support/moto.h"

#define ACCOUNTS 3

/* The runner's own long-term credentials: distinctive, accepted by moto. */
#define RUNNER_KEY_ID "AKIATPRUNNERKEY77777"
#define RUNNER_SECRET "tpRunnerSecret/Zq8vN3xL0pR5sT7uW9yB2dF4"
#define RUNNER_TOKEN "tpRunnerSessionToken//IQoJb3JpZ2luX2VjEJr0unnerT0kenAAAA+secret=="

typedef struct needle {
	char *what;               /* "suite one attempt 1: secret key" */
	char *value;
} needle;

static tp_local *moto;
static char *root, *project, *side, *home;
static char *env[20];
static needle *needles;
static size_t nneedles;
static char **outputs;        /* label, text, label, text...: tidepool's stdout and stderr */
static size_t noutputs;
static tp_buf findings = TP_BUF_INIT;

static void add_needle(const char *what, const char *value)
{
	size_t i;

	if (!value || strlen(value) < 16)
		fail_msg("%s: '%s' is too short to be a credential", what, value ? value : "");
	for (i = 0; i < nneedles; i++)
		if (strcmp(needles[i].value, value) == 0)
			return;
	needles = tp_xrealloc(needles, (nneedles + 1) * sizeof(*needles));
	needles[nneedles].what = tp_xstrdup(what);
	needles[nneedles].value = tp_xstrdup(value);
	nneedles++;
}

static void keep_output(const char *label, const char *text)
{
	outputs = tp_xrealloc(outputs, (noutputs + 2) * sizeof(*outputs));
	outputs[noutputs++] = tp_xstrdup(label);
	outputs[noutputs++] = tp_xstrdup(text ? text : "");
}

/* tidepool ARGS... -C project: exit code; stdout (unless !keep_stdout) and stderr kept
 * for the search. */
static int tidepool(const char *const *args, char **out, char **err, int keep_stdout)
{
	char *argv[24], *label, *o = NULL, *e = NULL;
	tp_buf l = TP_BUF_INIT;
	int n = 0, rc;

	argv[n++] = (char *)tp_test_tidepool_bin();
	for (; *args && n < 21; args++) {
		argv[n++] = (char *)*args;
		tp_buf_addf(&l, "%s%s", l.len ? " " : "tidepool ", *args);
	}
	if (strcmp(argv[1], "whoami") != 0) {      /* the only command without a project */
		argv[n++] = "-C";
		argv[n++] = project;
	}
	argv[n] = NULL;
	rc = tp_test_run(argv, env, &o, &e);
	label = tp_buf_detach(&l);
	if (keep_stdout) {
		char *lo = tp_xasprintf("stdout of %s", label);
		keep_output(lo, o);
		free(lo);
	}
	{
		char *le = tp_xasprintf("stderr of %s", label);
		keep_output(le, e);
		free(le);
	}
	free(label);
	if (out)
		*out = o;
	else
		free(o);
	if (err)
		*err = e;
	else
		free(e);
	return rc;
}

static void must(const char *const *args, int want, char **out)
{
	char *o = NULL, *e = NULL;
	int rc = tidepool(args, &o, &e, 1);

	if (rc != want)
		fail_msg("tidepool %s exited %d (want %d)\nstdout:\n%s\nstderr:\n%s", args[0], rc, want,
			 o, e);
	free(e);
	if (out)
		*out = o;
	else
		free(o);
}

static char *copy_fixtures(void)
{
	char *src = tp_test_source_path("tests/secrets");
	char *dir = tp_xasprintf("%s/project", root);
	char *argv[] = { "cp", "-R", src, dir, NULL };
	char *out = NULL, *err = NULL;

	if (tp_test_run(argv, NULL, &out, &err) != 0)
		fail_msg("cp -R %s %s: %s", src, dir, err);
	free(out);
	free(err);
	free(src);
	return dir;
}

static void write_project(void)
{
	tp_buf y = TP_BUF_INIT;
	char *p;
	size_t i;

	tp_buf_adds(&y, "project: secrets\nregions: [us-east-1]\npool:\n  accounts: [");
	for (i = 0; i < tp_local_account_count(moto); i++)
		tp_buf_addf(&y, "%s\"%s\"", i ? ", " : "", tp_local_account(moto, i));
	tp_buf_adds(&y, "]\n  lease_ttl: 1h\n"
			"stacks:\n"
			"  - {name: queue, template: queue.yaml}\n"
			"  - name: topic\n    command: \"sh stack.sh\"\n"
			"    watch: [stack.sh, topic.yaml]\n    depends_on: [queue]\n"
			"suites:\n");
	for (i = 0; i < 3; i++) {
		static const char *const names[] = { "one", "two", "flaky" };
		tp_buf_addf(&y, "  - name: %s\n    command: \"sh suite.sh\"\n    stacks: [%s]\n"
				"    retries: 1\n    env: {SECRETS_FILE: \"%s/suite\"%s}\n",
			    names[i], i == 0 ? "queue" : "topic", side,
			    i == 2 ? ", FAIL_FIRST: \"1\"" : "");
	}
	tp_buf_adds(&y, "cleaner:\n  resource_types:\n    include: [SQSQueue, SNSTopic, "
			"CloudFormationStack]\n");
	p = tp_test_write_file(project, "tidepool.yaml", tp_buf_cstr(&y));
	free(p);
	tp_buf_release(&y);
}

static int setup(void **state)
{
	char *p;
	int n = 0;

	(void)state;
	tp_http_global_init();
	moto = tp_test_moto_start(0, ACCOUNTS);
	root = tp_test_tmpdir("secrets");
	side = tp_xasprintf("%s/side", root);
	home = tp_xasprintf("%s/home", root);
	mkdir(side, 0700);
	mkdir(home, 0700);
	p = tp_xasprintf("%s/tmp", root);
	mkdir(p, 0700);
	env[n++] = tp_xasprintf("TMPDIR=%s", p);
	free(p);
	project = copy_fixtures();
	write_project();
	env[n++] = tp_xasprintf("AWS_ENDPOINT_URL=%s", tp_local_endpoint(moto));
	env[n++] = tp_xstrdup("AWS_ACCESS_KEY_ID=" RUNNER_KEY_ID);
	env[n++] = tp_xstrdup("AWS_SECRET_ACCESS_KEY=" RUNNER_SECRET);
	env[n++] = tp_xstrdup("AWS_SESSION_TOKEN=" RUNNER_TOKEN);
	env[n++] = tp_xstrdup("AWS_REGION=us-east-1");
	env[n++] = tp_xstrdup("AWS_DEFAULT_REGION=us-east-1");
	env[n++] = tp_xstrdup("AWS_PROFILE=");
	env[n++] = tp_xasprintf("HOME=%s", home);
	env[n++] = tp_xasprintf("AWS_CONFIG_FILE=%s/.aws/config", home);
	env[n++] = tp_xasprintf("AWS_SHARED_CREDENTIALS_FILE=%s/.aws/credentials", home);
	env[n++] = tp_xasprintf("SECRETS_SIDE_DIR=%s", side);
	env[n++] = tp_xstrdup("USER=secrets-ci");
	add_needle("the runner's access key id", RUNNER_KEY_ID);
	add_needle("the runner's secret key", RUNNER_SECRET);
	add_needle("the runner's session token", RUNNER_TOKEN);
	return 0;
}

static int teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; env[i]; i++)
		free(env[i]);
	for (i = 0; i < nneedles; i++) {
		free(needles[i].what);
		free(needles[i].value);
	}
	free(needles);
	for (i = 0; i < noutputs; i++)
		free(outputs[i]);
	free(outputs);
	tp_buf_release(&findings);
	tp_local_stop(moto);
	tp_test_rmtree(root);
	free(root);
	free(project);
	free(side);
	free(home);
	tp_http_global_cleanup();
	return 0;
}

/* ---- the credentials handed out --------------------------------------- */

/* Each side file holds "key id\nsecret\ntoken\n": all three are needles. */
static size_t collect_side_files(void)
{
	DIR *d = opendir(side);
	struct dirent *de;
	size_t files = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char *path, *data, *lines[3];
		static const char *const kinds[] = { "access key id", "secret key", "session token" };
		int i;

		if (de->d_name[0] == '.')
			continue;
		path = tp_xasprintf("%s/%s", side, de->d_name);
		data = slurp_file(path);
		lines[0] = data;
		for (i = 1; i < 3; i++) {
			lines[i] = lines[i - 1] ? strchr(lines[i - 1], '\n') : NULL;
			if (lines[i])
				*lines[i]++ = '\0';
		}
		if (lines[2])
			lines[2][strcspn(lines[2], "\n")] = '\0';
		for (i = 0; i < 3; i++) {
			char *what = tp_xasprintf("%s: %s", de->d_name, kinds[i]);
			if (!lines[i] || !*lines[i])
				fail_msg("%s: no %s (the process had none?)", path, kinds[i]);
			/* the runner's own credentials never reach a suite or a command */
			if (strstr(lines[i], "tpRunner") || strcmp(lines[i], RUNNER_KEY_ID) == 0)
				fail_msg("%s holds the runner's own %s", path, kinds[i]);
			add_needle(what, lines[i]);
			free(what);
		}
		free(data);
		free(path);
		files++;
	}
	closedir(d);
	return files;
}

/* ---- the search -------------------------------------------------------- */

static void search_text(const char *where, const char *data, size_t len)
{
	size_t i;

	for (i = 0; i < nneedles; i++)
		if (memmem(data, len, needles[i].value, strlen(needles[i].value)))
			tp_buf_addf(&findings, "  %s: %s\n", where, needles[i].what);
}

static size_t files_searched;

static int search_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char *data = NULL;
	size_t len;

	(void)ftw;
	if (flag != FTW_F || strncmp(path, side, strlen(side)) == 0)
		return 0;
	if (tp_read_file(path, &data, &len) < 0)
		fail_msg("cannot read %s: %s", path, tp_error_last()->msg);
	search_text(path, data, len);
	print_message("  searched %s (%zu bytes, mode %03o)\n", path + strlen(root) + 1, len,
		      (unsigned)(st->st_mode & 0777));
	free(data);
	files_searched++;
	return 0;
}

static void search_everything(void)
{
	size_t i;

	assert_int_equal(nftw(root, search_one, 16, FTW_PHYS), 0);
	for (i = 0; i < noutputs; i += 2)
		search_text(outputs[i], outputs[i + 1], strlen(outputs[i + 1]));
	print_message("searched %zu files and %zu outputs for %zu credentials\n", files_searched,
		      noutputs / 2, nneedles);
	if (findings.len)
		fail_msg("credentials found:\n%s", tp_buf_cstr(&findings));
}

/* ---- modes ------------------------------------------------------------- */

static void assert_mode(const char *path, mode_t want)
{
	struct stat st;

	if (stat(path, &st) < 0)
		fail_msg("%s: missing", path);
	if ((st.st_mode & 0777) != want)
		fail_msg("%s: mode %03o, want %03o", path, st.st_mode & 0777, want);
}

static size_t logs_checked;

/* Every file tidepool creates under a run's logs/ (suites', commands') is private. */
static int private_log(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	if (flag == FTW_F) {
		if ((st->st_mode & 0777) != 0600)
			fail_msg("%s: mode %03o, want 600", path, st->st_mode & 0777);
		logs_checked++;
	}
	return 0;
}

static void check_run_dir_modes(const char *dir)
{
	static const char *const subdirs[] = { "", "/logs", "/junit", "/artifacts" };
	char *p;
	size_t i;

	for (i = 0; i < TP_ARRAY_SIZE(subdirs); i++) {
		p = tp_xasprintf("%s%s", dir, subdirs[i]);
		assert_mode(p, 0700);
		free(p);
	}
	p = tp_xasprintf("%s/logs", dir);
	assert_int_equal(nftw(p, private_log, 16, FTW_PHYS), 0);
	free(p);
}

/* ---- the test ---------------------------------------------------------- */

static void run_everything(void)
{
	char *report = tp_xasprintf("%s/report", root), *junit = tp_xasprintf("%s/junit.xml", root);
	const char *run[] = { "run", "-j", "3", "--report", report, "--junit", junit, NULL };
	const char *run_json[] = { "run", "--json", "--suite", "one", NULL };
	const char *status[] = { "status", NULL }, *status_json[] = { "status", "--json", NULL };
	const char *history[] = { "history", NULL }, *whoami[] = { "whoami", NULL };
	char *out = NULL;
	json_t *j;

	must(run, 0, &out);
	if (!strstr(out, "3 suites: 3 passed, 0 failed, 0 errors, 0 skipped (1 flaky)"))
		fail_msg("no summary in:\n%s", out);
	free(out);
	must(run_json, 0, &out);
	j = json_loads(out, 0, NULL);
	assert_non_null(j);
	/* the default run dir, .tidepool/runs/RUN */
	{
		const char *log = json_string_value(json_object_get(json_array_get(json_object_get(
			json_array_get(json_object_get(j, "suites"), 0), "attempts"), 0), "log"));
		char *dir = tp_xstrdup(log);

		assert_non_null(strstr(dir, "/.tidepool/runs/"));
		*strstr(dir, "/logs/") = '\0';
		check_run_dir_modes(dir);
		free(dir);
	}
	json_decref(j);
	free(out);
	must(status, 0, NULL);
	must(status_json, 0, NULL);
	must(history, 0, NULL);
	must(whoami, 0, NULL);
	check_run_dir_modes(report);
	{
		char *res = tp_xasprintf("%s/results.json", report);
		char *tl = tp_xasprintf("%s/timeline.html", report);
		assert_mode(res, 0600);
		assert_mode(tl, 0600);
		free(res);
		free(tl);
	}
	assert_mode(junit, 0600);
	free(report);
	free(junit);
}

/* A new version of the command stack, so that the next deploy runs its command. */
static void change_topic(int version)
{
	char *text = tp_xasprintf("AWSTemplateFormatVersion: \"2010-09-09\"\n"
				  "Description: the command stack of the secrets test, v%d\n"
				  "Resources:\n  Topic:\n    Type: AWS::SNS::Topic\n"
				  "Outputs:\n  TopicArn:\n    Value: !Ref Topic\n", version);
	char *p = tp_test_write_file(project, "topic.yaml", text);

	free(p);
	free(text);
}

/* `tidepool deploy --all` (the API-call log on) after a change: the runner's own deploy path. */
static void deploy_all(void)
{
	const char *deploy[] = { "deploy", "--all", NULL };
	char *api_log = tp_xasprintf("%s/api-calls.jsonl", root);
	char *var = tp_xasprintf("TIDEPOOL_API_LOG=%s", api_log);
	size_t n;
	DIR *d;
	struct dirent *de;
	char *logs = tp_xasprintf("%s/.tidepool/logs/deploy", project);

	change_topic(3);
	for (n = 0; env[n]; n++)
		;
	env[n] = var;
	must(deploy, 0, NULL);
	env[n] = NULL;
	assert_true(file_contains(api_log, "\"op\""));
	/* command logs: .tidepool/logs/deploy/ACCOUNT/topic.log, private */
	n = 0;
	d = opendir(logs);
	assert_non_null(d);
	while ((de = readdir(d))) {
		char *p;
		if (de->d_name[0] == '.')
			continue;
		p = tp_xasprintf("%s/%s/topic.log", logs, de->d_name);
		assert_mode(p, 0600);
		free(p);
		n++;
	}
	closedir(d);
	assert_int_equal(n, ACCOUNTS);
	free(logs);
	free(var);
	free(api_log);
}

/* claim --deploy --profile, use the profile, credentials, release, sweep. */
static void claim_path(void)
{
	const char *claim[] = { "claim", "--owner", "dev", "--deploy", "--profile", "secrets-dev",
				"--json", NULL };
	const char *sweep[] = { "sweep", "--no-dry-run", "--yes", NULL };
	char *out = NULL, *err = NULL, *cfg = tp_xasprintf("%s/.aws/config", home);
	char account[13], tok[24];
	json_t *j;
	int rc;

	change_topic(2);          /* the claim's deploy runs the command with the claim's credentials */
	must(claim, 0, &out);
	j = json_loads(out, 0, NULL);
	assert_non_null(j);
	tp_strlcpy(account, json_string_value(json_object_get(j, "account")), sizeof(account));
	snprintf(tok, sizeof(tok), "%lld", (long long)json_integer_value(json_object_get(j, "token")));
	json_decref(j);
	free(out);
	/* the profile works through credential_process, and is private */
	{
		/* an explicit --profile wins over the keys in the environment (which
		 * `tidepool credentials` itself, run by the profile, needs) */
		char *argv[] = { "aws", "--profile", "secrets-dev", "sts", "get-caller-identity",
				 "--query", "Account", "--output", "text", NULL };

		rc = tp_test_run(argv, env, &out, &err);
		if (rc != 0 || strncmp(out, account, 12) != 0)
			fail_msg("aws --profile secrets-dev: exit %d: %s%s", rc, out, err);
		free(out);
		free(err);
	}
	assert_mode(cfg, 0600);
	assert_true(file_contains(cfg, "credential_process"));
	/* the claim path's credentials: what `tidepool credentials` prints is the secret */
	{
		const char *creds[] = { "credentials", account, "--token", tok, NULL };
		rc = tidepool(creds, &out, &err, 0);
		j = json_loads(out, 0, NULL);
		if (rc != 0 || !j)
			fail_msg("credentials exited %d: %s", rc, err);
		add_needle("claim: access key id", json_string_value(json_object_get(j, "AccessKeyId")));
		add_needle("claim: secret key", json_string_value(json_object_get(j, "SecretAccessKey")));
		add_needle("claim: session token", json_string_value(json_object_get(j, "SessionToken")));
		json_decref(j);
		free(out);
		free(err);
	}
	{
		const char *release[] = { "release", account, "--token", tok, NULL };
		const char *nuke[] = { "nuke", account, NULL };
		must(release, 0, NULL);
		must(nuke, 0, NULL);
	}
	must(sweep, 0, NULL);
	free(cfg);
}

static void test_secrets__nothing_written_or_printed_holds_a_credential(void **state)
{
	size_t files;

	(void)state;
	run_everything();
	claim_path();
	deploy_all();
	files = collect_side_files();
	/* run: 3 suites, 1 retry, commands in 1 to 3 accounts; the --json run: 1 suite;
	 * claim: 1 command; deploy --all: 3 commands */
	print_message("credentials handed out: %zu side files\n", files);
	assert_true(files >= 10);
	search_everything();
	print_message("checked the modes of %zu log files\n", logs_checked);
	assert_true(logs_checked >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_secrets__nothing_written_or_printed_holds_a_credential),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
