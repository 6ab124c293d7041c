/*
 * tidepool claim / release / extend / credentials from the command line:
 *   - 12 simultaneous claims on 6 accounts: 6 leases on 6 distinct
 *     accounts, 6 exits 3 "no account available" (issue 3, must-show 3);
 *   - with --wait 30s the 6 others get the accounts as the first 6 are
 *     released (and, standing in for the cleaner, cleaned);
 *   - claim --profile dev: `aws --profile dev sts get-caller-identity`
 *     against moto answers with the leased account, and fails once the
 *     lease is released (must-show 5); the config file keeps every other
 *     profile byte-for-byte, holds no keys and is mode 0600;
 *   - bad input: exit 2 or 3 with a clear message, the store unchanged.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/http.h"
#include "aws/util.h"
#include "tests/pool_testutil.h"
#include "tests/support/moto.h"
#include "tests/support/testutil.h"

#define CLAIMS 12
#define SIX 6

static const char six_accounts[] =
	"pool:\n"
	"  accounts: [\"200000000001\", \"200000000002\", \"200000000003\",\n"
	"             \"200000000004\", \"200000000005\", \"200000000006\"]\n"
	"  blocklist: [\"999999999999\"]\n";

struct claim {
	pid_t pid;
	int rc;
	char account[13];
	long long token;
	char out[512], err[512];
};

static void start_claims(struct claim *c, const char *dir, const char *wait)
{
	char owner[32];
	int i;

	for (i = 0; i < CLAIMS; i++) {
		char *args[] = { "claim", "--json", "--owner", owner, wait ? "--wait" : NULL,
				 (char *)wait, NULL };
		snprintf(owner, sizeof(owner), "claimer-%d", i);
		snprintf(c[i].out, sizeof(c[i].out), "%s/claim-%d.out", dir, i);
		snprintf(c[i].err, sizeof(c[i].err), "%s/claim-%d.err", dir, i);
		c[i].pid = tp_pool_test_spawn(NULL, c[i].out, c[i].err, dir, args);
		c[i].rc = -1;
	}
}

/* Record a finished claim: its exit status and, when it leased, what. */
static void finish(struct claim *c, int rc)
{
	char *out = tp_pool_test_slurp(c->out);
	json_t *doc = json_loads(out, 0, NULL);

	c->rc = rc;
	c->pid = 0;
	if (rc == 0) {
		if (!doc)
			fail_msg("claim printed no JSON: %s", out);
		tp_strlcpy(c->account, json_string_value(json_object_get(doc, "account")),
			   sizeof(c->account));
		c->token = json_integer_value(json_object_get(doc, "token"));
	}
	json_decref(doc);
	free(out);
}

/* Wait until `n` more claims have finished (within `ms`); returns how many did. */
static int reap(struct claim *c, int n, int64_t ms)
{
	int64_t end = tp_now_ms() + ms;
	int done = 0, i;

	while (done < n && tp_now_ms() < end) {
		for (i = 0; i < CLAIMS; i++) {
			int status;
			if (c[i].pid > 0 && waitpid(c[i].pid, &status, WNOHANG) == c[i].pid) {
				finish(&c[i], WIFEXITED(status) ? WEXITSTATUS(status) : 128);
				done++;
			}
		}
		tp_sleep_ms(20);
	}
	return done;
}

/* The accounts of the claims that exited 0 and were not seen before. */
static int leased(struct claim *c, char seen[CLAIMS][13], int *nseen)
{
	int i, j, count = 0;

	for (i = 0; i < CLAIMS; i++) {
		if (c[i].rc != 0)
			continue;
		for (j = 0; j < *nseen; j++)
			if (strcmp(seen[j], c[i].account) == 0)
				break;
		if (j == *nseen) {
			tp_strlcpy(seen[(*nseen)++], c[i].account, 13);
			count++;
		}
	}
	return count;
}

static void test_claim__twelve_claims_on_six_accounts(void **state)
{
	char *dir = tp_pool_test_project("claim-12", six_accounts);
	char seen[CLAIMS][13];
	struct claim c[CLAIMS];
	int i, ok = 0, busy = 0, nseen = 0;

	(void)state;
	json_decref(tp_pool_test_status(dir, NULL));
	start_claims(c, dir, NULL);
	assert_int_equal(reap(c, CLAIMS, 60000), CLAIMS);
	for (i = 0; i < CLAIMS; i++) {
		char *err = tp_pool_test_slurp(c[i].err);
		ok += c[i].rc == 0;
		if (c[i].rc == 3) {
			busy++;
			assert_non_null(strstr(err, "no account available"));
		}
		free(err);
	}
	assert_int_equal(ok, SIX);
	assert_int_equal(busy, SIX);
	assert_int_equal(leased(c, seen, &nseen), SIX);   /* six distinct accounts */
	tp_test_rmtree(dir);
	free(dir);
}

static void test_claim__waiters_get_the_released_accounts(void **state)
{
	char *dir = tp_pool_test_project("claim-wait", six_accounts);
	char seen[CLAIMS][13], token[32];
	struct claim c[CLAIMS];
	tp_store *store;
	int i, nseen = 0;

	(void)state;
	json_decref(tp_pool_test_status(dir, NULL));
	start_claims(c, dir, "30s");
	assert_int_equal(reap(c, SIX, 20000), SIX);
	assert_int_equal(leased(c, seen, &nseen), SIX);
	assert_int_equal(reap(c, 1, 1500), 0);     /* the others are waiting */
	store = tp_pool_test_store(dir);
	for (i = 0; i < CLAIMS; i++) {
		if (c[i].rc != 0)
			continue;
		snprintf(token, sizeof(token), "%lld", c[i].token);
		assert_int_equal(tp_pool_test_cli(NULL, NULL, NULL, dir, "release", c[i].account,
						  "--token", token, NULL), 0);
		tp_pool_test_clean(store, c[i].account);   /* the cleaner's part */
	}
	tp_store_free(store);
	assert_int_equal(reap(c, SIX, 25000), SIX);
	for (i = 0; i < CLAIMS; i++)
		assert_int_equal(c[i].rc, 0);
	assert_int_equal(leased(c, seen, &nseen), 0);   /* the same six accounts again */
	tp_test_rmtree(dir);
	free(dir);
}

/* ---- claim --profile ------------------------------------------------------ */

static const char other_profiles[] =
	"# settings of mine\n"
	"[default]\n"
	"region = eu-west-1\n"
	"\n"
	"[profile other]\n"
	"region = us-west-2\n"
	"output = json\n";

struct moto_env {
	tp_local *moto;
	char *vars[12];
};

static void moto_env(struct moto_env *m, const char *config)
{
	m->moto = tp_test_moto_start(0, 2);
	m->vars[0] = tp_xasprintf("AWS_ENDPOINT_URL=%s", tp_local_endpoint(m->moto));
	m->vars[1] = tp_xasprintf("AWS_ACCESS_KEY_ID=%s", tp_local_access_key(m->moto));
	m->vars[2] = tp_xasprintf("AWS_SECRET_ACCESS_KEY=%s", tp_local_secret_key(m->moto));
	m->vars[3] = tp_xasprintf("AWS_CONFIG_FILE=%s", config);
	m->vars[4] = tp_xstrdup("AWS_SHARED_CREDENTIALS_FILE=/dev/null");
	m->vars[5] = tp_xstrdup("AWS_SESSION_TOKEN=");
	m->vars[6] = tp_xstrdup("AWS_PROFILE=");
	m->vars[7] = tp_xstrdup("AWS_DEFAULT_PROFILE=");
	m->vars[8] = tp_xstrdup("AWS_REGION=");
	m->vars[9] = tp_xstrdup("AWS_DEFAULT_REGION=");
	m->vars[10] = tp_xstrdup("AWS_PAGER=");
	m->vars[11] = NULL;
}

static void moto_env_release(struct moto_env *m)
{
	int i;

	for (i = 0; m->vars[i]; i++)
		free(m->vars[i]);
	tp_local_stop(m->moto);
}

static int caller_account(char *const env[], char *account, size_t size, char **err)
{
	char *argv[] = { "aws", "--profile", "dev", "sts", "get-caller-identity", "--output",
			 "json", NULL };
	char *out = NULL;
	json_t *doc;
	int rc = tp_test_run(argv, env, &out, err);

	doc = rc == 0 ? json_loads(out, 0, NULL) : NULL;
	tp_strlcpy(account, doc ? json_string_value(json_object_get(doc, "Account")) : "", size);
	json_decref(doc);
	free(out);
	return rc;
}

static void check_config_file(const char *path, const char *dir, const char *account,
			      long long token)
{
	char *text = tp_pool_test_slurp(path), *want, abs[4096], exe[4096];
	struct stat st;

	assert_int_equal(strncmp(text, other_profiles, strlen(other_profiles)), 0);
	assert_non_null(strstr(text, "[profile dev]\n"));
	assert_true(realpath(dir, abs) != NULL);
	assert_true(realpath(tp_test_tidepool_bin(), exe) != NULL);
	want = tp_xasprintf("credential_process = %s credentials %s --token %lld -C %s\n", exe,
			    account, token, abs);
	if (!strstr(text, want))
		fail_msg("expected '%s' in:\n%s", want, text);
	assert_non_null(strstr(text, "region = us-east-1\n"));
	assert_null(strstr(text, "aws_access_key_id"));
	assert_null(strstr(text, "aws_secret_access_key"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(want);
	free(text);
}

static void test_claim__profile_works_while_the_lease_lasts(void **state)
{
	char *config_dir = tp_test_tmpdir("claim-aws"), *config, *dir, *yaml, *out = NULL;
	char *err = NULL, account[16], token[32];
	struct moto_env m;
	long long tok;
	json_t *doc;

	(void)state;
	config = tp_test_write_file(config_dir, "config", other_profiles);
	moto_env(&m, config);
	yaml = tp_xasprintf("regions: [us-east-1]\npool:\n  accounts: [\"%s\"]\n",
			    tp_local_account(m.moto, 1));
	dir = tp_pool_test_project("claim-profile", yaml);
	assert_int_equal(tp_pool_test_cli(&out, NULL, m.vars, dir, "claim", "--profile", "dev",
					  "--json", NULL), 0);
	doc = json_loads(out, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(doc, "account")),
			    tp_local_account(m.moto, 1));
	assert_string_equal(json_string_value(json_object_get(doc, "profile")), "dev");
	tok = (long long)json_integer_value(json_object_get(doc, "token"));
	snprintf(token, sizeof(token), "%lld", tok);
	check_config_file(config, dir, tp_local_account(m.moto, 1), tok);
	if (caller_account(m.vars, account, sizeof(account), &err) != 0)
		fail_msg("aws --profile dev sts get-caller-identity failed: %s", err);
	assert_string_equal(account, tp_local_account(m.moto, 1));
	free(err);
	assert_int_equal(tp_pool_test_cli(NULL, NULL, m.vars, dir, "release",
					  tp_local_account(m.moto, 1), "--token", token, NULL), 0);
	assert_int_not_equal(caller_account(m.vars, account, sizeof(account), &err), 0);
	assert_non_null(strstr(err, "no longer live"));
	free(err);
	json_decref(doc);
	free(out);
	moto_env_release(&m);
	tp_test_rmtree(dir);
	tp_test_rmtree(config_dir);
	free(dir);
	free(yaml);
	free(config);
	free(config_dir);
}

/* ---- bad input -------------------------------------------------------------- */

struct bad {
	const char *what;
	int status;
	const char *message;
	char *args[8];
};

static void run_bad(const struct bad *c, const char *dir)
{
	char *argv[12], *err = NULL;
	size_t n = 0, k;

	argv[n++] = (char *)tp_test_tidepool_bin();
	for (k = 0; c->args[k]; k++)
		argv[n++] = c->args[k];
	argv[n++] = "-C";
	argv[n++] = (char *)dir;
	argv[n] = NULL;
	if (tp_test_run(argv, NULL, NULL, &err) != c->status || !strstr(err, c->message))
		fail_msg("%s: expected exit %d and '%s', got: %s", c->what, c->status, c->message,
			 err);
	free(err);
}

static void test_claim__bad_arguments_exit_2(void **state)
{
	static const struct bad cases[] = {
		{ "a malformed TTL", 2, "--ttl", { "claim", "--ttl", "5 minutes", NULL } },
		{ "a zero TTL", 2, "longer than 0s", { "claim", "--ttl", "0s", NULL } },
		{ "a malformed wait", 2, "--wait", { "claim", "--wait", "soon", NULL } },
		{ "an argument", 2, "unexpected argument", { "claim", "200000000001", NULL } },
		{ "a short id", 2, "12 digits", { "release", "12345", NULL } },
		{ "a long id", 2, "12 digits", { "extend", "2000000000011", "--ttl", "1h", NULL } },
		{ "an id not in the pool", 2, "not in the pool",
		  { "release", "300000000000", NULL } },
		{ "a blocklisted id", 2, "blocklist", { "credentials", "999999999999", NULL } },
		{ "no --ttl", 2, "--ttl is required", { "extend", "200000000001", NULL } },
		{ "a malformed token", 2, "not a lease token",
		  { "release", "200000000001", "--token", "x7", NULL } },
		{ "no account", 2, "expected one ACCOUNT", { "release", NULL } },
	};
	char *dir = tp_pool_test_project("claim-bad", six_accounts), *before, *after, *err;
	json_t *st;
	size_t i;

	(void)state;
	st = tp_pool_test_status(dir, NULL);
	before = json_dumps(json_object_get(st, "accounts"), JSON_COMPACT);
	json_decref(st);
	for (i = 0; i < TP_ARRAY_SIZE(cases); i++)
		run_bad(&cases[i], dir);
	st = tp_pool_test_status(dir, NULL);
	after = json_dumps(json_object_get(st, "accounts"), JSON_COMPACT);
	assert_string_equal(after, before);
	json_decref(st);
	free(before);
	free(after);
	/* a bad id among good ones: nothing added */
	assert_int_equal(tp_pool_test_cli(NULL, &err, NULL, dir, "pool", "add", "300000000001",
					  "30000000000x", NULL), 2);
	assert_non_null(strstr(err, "'30000000000x' is not an AWS account id"));
	free(err);
	st = tp_pool_test_status(dir, NULL);
	assert_int_equal(json_array_size(json_object_get(st, "accounts")), SIX);
	json_decref(st);
	tp_test_rmtree(dir);
	free(dir);
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void test_claim__bad_configuration_touches_no_store(void **state)
{
	static const struct {
		const char *yaml, *message;
	} cases[] = {
		{ "pool:\n  accounts: [\"200000000001\", \"999999999999\"]\n"
		  "  blocklist: [\"999999999999\"]\n", "is in pool.blocklist" },
		{ "pool:\n  store: redis:pool\n  accounts: [\"200000000001\"]\n",
		  "unknown store 'redis:pool'" },
		{ "pool:\n  accounts: [\"20000000001\"]\n", "not a 12-digit account id" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(cases); i++) {
		char *dir = tp_pool_test_project("claim-config", cases[i].yaml), *err = NULL;
		char *db = tp_xasprintf("%s/.tidepool/pool.db", dir);
		assert_int_equal(tp_pool_test_cli(NULL, &err, NULL, dir, "claim", NULL), 2);
		if (!strstr(err, cases[i].message) || !strstr(err, "tidepool.yaml:"))
			fail_msg("expected '%s' with a file position in: %s", cases[i].message, err);
		assert_false(is_file(db));
		free(err);
		free(db);
		tp_test_rmtree(dir);
		free(dir);
	}
}

static void test_claim__an_unreachable_table_is_exit_3(void **state)
{
	char *dir = tp_pool_test_project("claim-ddb", "pool:\n  store: dynamodb:tidepool-leases\n"
						  "  accounts: [\"200000000001\"]\n");
	char *env[] = { "AWS_ENDPOINT_URL=http://127.0.0.1:9", "AWS_ACCESS_KEY_ID=AKIDEXAMPLE",
			"AWS_SECRET_ACCESS_KEY=secret", "AWS_MAX_ATTEMPTS=1", "AWS_PROFILE=",
			"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", NULL };
	char *err = NULL;

	(void)state;
	assert_int_equal(tp_pool_test_cli(NULL, &err, env, dir, "claim", NULL), 3);
	if (!strstr(err, "dynamodb:tidepool-leases") || !strstr(err, "127.0.0.1:9"))
		fail_msg("expected the table and the endpoint in: %s", err);
	free(err);
	assert_int_equal(tp_pool_test_cli(NULL, &err, env, dir, "status", NULL), 3);
	free(err);
	tp_test_rmtree(dir);
	free(dir);
}

static void test_claim__credentials_refuses_to_run_itself(void **state)
{
	char *dir = tp_pool_test_project("claim-loop", six_accounts), *err = NULL;
	char *env[] = { "TIDEPOOL_IN_CREDENTIAL_PROCESS=1", NULL };

	(void)state;
	assert_int_equal(tp_pool_test_cli(NULL, &err, env, dir, "credentials", "200000000001",
					  NULL), 2);
	assert_non_null(strstr(err, "inside its own credential_process"));
	free(err);
	/* without a lease there are no credentials */
	json_decref(tp_pool_test_status(dir, NULL));
	assert_int_equal(tp_pool_test_cli(NULL, &err, NULL, dir, "credentials", "200000000001",
					  "--token", "1", NULL), 3);
	assert_non_null(strstr(err, "no longer live"));
	free(err);
	tp_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_claim__twelve_claims_on_six_accounts),
		cmocka_unit_test(test_claim__waiters_get_the_released_accounts),
		cmocka_unit_test(test_claim__profile_works_while_the_lease_lasts),
		cmocka_unit_test(test_claim__bad_arguments_exit_2),
		cmocka_unit_test(test_claim__bad_configuration_touches_no_store),
		cmocka_unit_test(test_claim__an_unreachable_table_is_exit_3),
		cmocka_unit_test(test_claim__credentials_refuses_to_run_itself),
	};

	signal(SIGPIPE, SIG_IGN);
	tp_http_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
