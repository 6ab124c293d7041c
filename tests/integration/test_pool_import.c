/*
 * tidepool pool import against an organization in moto (issue 3,
 * must-show 6). The organization:
 *
 *   root: member 4, member 5 (and the management account)
 *   +-- team:      member 0, member 1
 *   |   +-- sub:   member 2
 *   +-- other:     member 3
 *
 * Importing `team` adds exactly members 0, 1 and 2 (the OU and the OUs
 * below it); a blocklisted member is skipped and said so; importing the
 * root adds every member but never the management account; an unknown OU
 * is an error naming it, and no OU at all is a usage error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/util.h"
#include "tests/pool_testutil.h"
#include "tests/support/moto.h"
#include "tests/support/testutil.h"

#define MEMBERS 6

static tp_local *moto;
static char team[64], sub[64], other[64];
static char *env[8];

static void create_ou(tp_aws_client *c, char *out, const char *parent, const char *name)
{
	json_t *resp = NULL, *body = json_pack("{s:s, s:s}", "ParentId", parent, "Name", name);

	if (tp_aws_json(c, &resp, "organizations", NULL, "CreateOrganizationalUnit", body) < 0)
		fail_msg("CreateOrganizationalUnit %s: %s", name, tp_error_last()->msg);
	tp_strlcpy(out, json_string_value(json_object_get(json_object_get(resp,
			"OrganizationalUnit"), "Id")), 64);
	json_decref(resp);
	json_decref(body);
}

static void move(tp_aws_client *c, int member, const char *to)
{
	json_t *resp = NULL, *body = json_pack("{s:s, s:s, s:s}", "AccountId",
					       tp_local_account(moto, (size_t)member),
					       "SourceParentId", tp_local_root_id(moto),
					       "DestinationParentId", to);

	if (tp_aws_json(c, &resp, "organizations", NULL, "MoveAccount", body) < 0)
		fail_msg("MoveAccount: %s", tp_error_last()->msg);
	json_decref(resp);
	json_decref(body);
}

static int group_setup(void **state)
{
	tp_aws_client *c;

	(void)state;
	moto = tp_test_moto_start(0, MEMBERS);
	c = tp_test_moto_client(moto, 3);
	create_ou(c, team, tp_local_root_id(moto), "team");
	create_ou(c, sub, team, "sub");
	create_ou(c, other, tp_local_root_id(moto), "other");
	move(c, 0, team);
	move(c, 1, team);
	move(c, 2, sub);
	move(c, 3, other);
	tp_aws_client_free(c);
	env[0] = tp_xasprintf("AWS_ENDPOINT_URL=%s", tp_local_endpoint(moto));
	env[1] = tp_xasprintf("AWS_ACCESS_KEY_ID=%s", tp_local_access_key(moto));
	env[2] = tp_xasprintf("AWS_SECRET_ACCESS_KEY=%s", tp_local_secret_key(moto));
	env[3] = tp_xstrdup("AWS_SESSION_TOKEN=");
	env[4] = tp_xstrdup("AWS_PROFILE=");
	env[5] = tp_xstrdup("AWS_CONFIG_FILE=/dev/null");
	env[6] = tp_xstrdup("AWS_SHARED_CREDENTIALS_FILE=/dev/null");
	return 0;
}

static int group_teardown(void **state)
{
	int i;

	(void)state;
	for (i = 0; env[i]; i++)
		free(env[i]);
	tp_local_stop(moto);
	return 0;
}

/* The ids `pool list` prints, one string "a b c" in order. */
static char *pool_ids(const char *dir)
{
	char *out = NULL, *line, *nl;
	tp_buf b = TP_BUF_INIT;

	assert_int_equal(tp_pool_test_cli(&out, NULL, env, dir, "pool", "list", NULL), 0);
	for (line = out; *line; line = nl ? nl + 1 : line + strlen(line)) {
		nl = strchr(line, '\n');
		tp_buf_addf(&b, "%s%.12s", b.len ? " " : "", line);
	}
	free(out);
	return tp_buf_detach(&b);
}

/* "id id id" of the given members, sorted as pool list sorts. */
static char *members(int n, const int *which)
{
	char *ids[MEMBERS], *tmp;
	tp_buf b = TP_BUF_INIT;
	int i, j;

	for (i = 0; i < n; i++)
		ids[i] = (char *)tp_local_account(moto, (size_t)which[i]);
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(ids[j], ids[i]) < 0) {
				tmp = ids[i];
				ids[i] = ids[j];
				ids[j] = tmp;
			}
	for (i = 0; i < n; i++)
		tp_buf_addf(&b, "%s%s", i ? " " : "", ids[i]);
	return tp_buf_detach(&b);
}

static void test_pool_import__exactly_the_accounts_of_the_ou(void **state)
{
	char *yaml = tp_xasprintf("pool:\n  organizational_unit: %s\n", team);
	char *dir = tp_pool_test_project("import-ou", yaml), *out = NULL, *got, *want;
	static const int team_members[] = { 0, 1, 2 };

	(void)state;
	assert_int_equal(tp_pool_test_cli(&out, NULL, env, dir, "pool", "import", NULL), 0);
	assert_non_null(strstr(out, "added 3, 0 already in the pool"));
	free(out);
	got = pool_ids(dir);
	want = members(3, team_members);
	assert_string_equal(got, want);
	free(got);
	/* a second import finds them there */
	assert_int_equal(tp_pool_test_cli(&out, NULL, env, dir, "pool", "import", NULL), 0);
	assert_non_null(strstr(out, "added 0, 3 already in the pool"));
	free(out);
	got = pool_ids(dir);
	assert_string_equal(got, want);
	free(got);
	free(want);
	free(yaml);
	tp_test_rmtree(dir);
	free(dir);
}

static void test_pool_import__skips_the_blocklist(void **state)
{
	char *yaml = tp_xasprintf("pool:\n  blocklist: [\"%s\"]\n", tp_local_account(moto, 1));
	char *dir = tp_pool_test_project("import-block", yaml), *out = NULL, *got, *want, *line;
	static const int imported[] = { 0, 2 };

	(void)state;
	assert_int_equal(tp_pool_test_cli(&out, NULL, env, dir, "pool", "import", "--ou", team,
					  NULL), 0);
	line = tp_xasprintf("skipped  %s (in pool.blocklist)", tp_local_account(moto, 1));
	assert_non_null(strstr(out, line));
	got = pool_ids(dir);
	want = members(2, imported);
	assert_string_equal(got, want);
	free(line);
	free(got);
	free(want);
	free(out);
	free(yaml);
	tp_test_rmtree(dir);
	free(dir);
}

static void test_pool_import__the_root_without_the_management_account(void **state)
{
	char *dir = tp_pool_test_project("import-root", "pool: {}\n"), *out = NULL, *got, *want;
	static const int all[] = { 0, 1, 2, 3, 4, 5 };

	(void)state;
	assert_int_equal(tp_pool_test_cli(&out, NULL, env, dir, "pool", "import", "--ou",
					  tp_local_root_id(moto), NULL), 0);
	assert_non_null(strstr(out, "123456789012 (the organization's management account)"));
	got = pool_ids(dir);
	want = members(MEMBERS, all);
	assert_string_equal(got, want);
	assert_null(strstr(got, tp_local_management_account(moto)));
	free(got);
	free(want);
	free(out);
	tp_test_rmtree(dir);
	free(dir);
}

static void test_pool_import__errors(void **state)
{
	char *dir = tp_pool_test_project("import-bad", "pool: {}\n"), *err = NULL, *ids;

	(void)state;
	assert_int_equal(tp_pool_test_cli(NULL, &err, env, dir, "pool", "import", NULL), 2);
	assert_non_null(strstr(err, "needs --ou OU"));
	free(err);
	assert_int_equal(tp_pool_test_cli(NULL, &err, env, dir, "pool", "import", "--ou",
					  "ou-zzzz-zzzzzzzz", NULL), 3);
	assert_non_null(strstr(err, "ou-zzzz-zzzzzzzz"));
	free(err);
	ids = pool_ids(dir);
	assert_string_equal(ids, "");
	free(ids);
	tp_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_import__exactly_the_accounts_of_the_ou),
		cmocka_unit_test(test_pool_import__skips_the_blocklist),
		cmocka_unit_test(test_pool_import__the_root_without_the_management_account),
		cmocka_unit_test(test_pool_import__errors),
	};

	tp_http_global_init();
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
