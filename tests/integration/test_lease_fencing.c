/*
 * Expiry and fencing from the command line (issue 3, must-show 4): a lease
 * not renewed within its TTL shows as expired and cannot be extended; once
 * the account has been through the sweeper (expired, taken as dirty ->
 * cleaning -> available: a simulated clean) and leased again, the old
 * holder's extend, release and credentials fail with "lease superseded"
 * and change nothing - also when the new holder is the same owner, since
 * the old token names the old lease.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/http.h"
#include "aws/util.h"
#include "tests/pool_testutil.h"
#include "tests/support/testutil.h"

#define ACCOUNT "300000000001"

static const char one_account[] = "pool:\n  accounts: [\"" ACCOUNT "\"]\n";

/* claim --json as `owner`; returns the token. */
static long long claim(const char *dir, const char *owner, const char *ttl)
{
	char *out = NULL, *err = NULL;
	json_t *doc;
	long long token;

	if (tp_pool_test_cli(&out, &err, NULL, dir, "claim", "--json", "--owner", owner, "--ttl",
			     ttl, NULL) != 0)
		fail_msg("claim as %s: %s", owner, err);
	doc = json_loads(out, 0, NULL);
	assert_string_equal(json_string_value(json_object_get(doc, "account")), ACCOUNT);
	token = json_integer_value(json_object_get(doc, "token"));
	json_decref(doc);
	free(out);
	free(err);
	return token;
}

/* The account's status entry as compact JSON (caller frees). */
static char *snapshot(const char *dir)
{
	json_t *st = tp_pool_test_status(dir, NULL), *a;
	char *text;

	a = json_deep_copy(tp_pool_test_account(st, ACCOUNT));
	json_object_del(a, "expires_in_seconds");   /* moves with the clock */
	text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(a);
	json_decref(st);
	return text;
}

static const char *state_of(const char *dir, char *buf, size_t size)
{
	json_t *st = tp_pool_test_status(dir, NULL);

	tp_strlcpy(buf, json_string_value(json_object_get(tp_pool_test_account(st, ACCOUNT),
							  "state")), size);
	json_decref(st);
	return buf;
}

/* Run a command that must fail with exit 3 and `needle` on stderr. */
static void refused(const char *dir, const char *needle, const char *cmd, const char *token,
		    const char *extra)
{
	char *err = NULL;
	int rc = extra ? tp_pool_test_cli(NULL, &err, NULL, dir, cmd, ACCOUNT, "--token", token,
					  "--ttl", extra, NULL)
		       : tp_pool_test_cli(NULL, &err, NULL, dir, cmd, ACCOUNT, "--token", token, NULL);

	if (rc != 3 || !strstr(err, needle))
		fail_msg("%s --token %s: expected exit 3 and '%s', got %d: %s", cmd, token, needle,
			 rc, err);
	free(err);
}

/* Expire the lease, clean the account as the sweeper would, lease it again as `owner`. */
static long long expire_clean_reclaim(const char *dir, const char *old_token, const char *owner)
{
	char state[32];
	tp_store *s;

	tp_sleep_ms(2100);
	assert_string_equal(state_of(dir, state, sizeof(state)), "expired");
	refused(dir, "expired", "extend", old_token, "1h");
	s = tp_pool_test_store(dir);
	tp_pool_test_clean(s, ACCOUNT);
	tp_store_free(s);
	assert_string_equal(state_of(dir, state, sizeof(state)), "available");
	return claim(dir, owner, "1h");
}

static void superseded_changes_nothing(const char *new_owner)
{
	char *dir = tp_pool_test_project("fencing", one_account), *before, *after, *err = NULL;
	long long old_token = claim(dir, "old-holder", "1s"), token;
	char old[32];

	snprintf(old, sizeof(old), "%lld", old_token);
	token = expire_clean_reclaim(dir, old, new_owner);
	assert_true(token > old_token);
	before = snapshot(dir);
	refused(dir, "lease superseded", "extend", old, "1h");
	refused(dir, "lease superseded", "release", old, NULL);
	refused(dir, "lease superseded", "credentials", old, NULL);
	if (strcmp(new_owner, "old-holder") != 0) {
		/* without a token, the old holder's name does not reach the new lease */
		assert_int_equal(tp_pool_test_cli(NULL, &err, NULL, dir, "release", ACCOUNT,
						  "--owner", "old-holder", NULL), 3);
		assert_non_null(strstr(err, "lease superseded"));
		free(err);
	}
	after = snapshot(dir);
	assert_string_equal(after, before);
	assert_non_null(strstr(after, "\"state\":\"leased\""));
	free(before);
	free(after);
	tp_test_rmtree(dir);
	free(dir);
}

static void test_lease_fencing__another_holder(void **state)
{
	(void)state;
	superseded_changes_nothing("new-holder");
}

static void test_lease_fencing__the_same_owner_again(void **state)
{
	(void)state;
	superseded_changes_nothing("old-holder");
}

/* The live lease works with its token and with its owner's name. */
static void test_lease_fencing__the_live_lease_is_served(void **state)
{
	char *dir = tp_pool_test_project("fencing-live", one_account), token[32], *out = NULL;

	(void)state;
	snprintf(token, sizeof(token), "%lld", claim(dir, "me", "10m"));
	assert_int_equal(tp_pool_test_cli(&out, NULL, NULL, dir, "extend", ACCOUNT, "--token",
					  token, "--ttl", "3h", NULL), 0);
	assert_non_null(strstr(out, "in 3h 0m"));
	free(out);
	assert_int_equal(tp_pool_test_cli(NULL, NULL, NULL, dir, "extend", ACCOUNT, "--owner", "me",
					  "--ttl", "1h", NULL), 0);
	assert_int_equal(tp_pool_test_cli(NULL, NULL, NULL, dir, "release", ACCOUNT, "--owner",
					  "me", NULL), 0);
	assert_string_equal(state_of(dir, token, sizeof(token)), "dirty");
	tp_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lease_fencing__another_holder),
		cmocka_unit_test(test_lease_fencing__the_same_owner_again),
		cmocka_unit_test(test_lease_fencing__the_live_lease_is_served),
	};

	tp_http_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
