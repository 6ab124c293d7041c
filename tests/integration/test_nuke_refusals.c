/*
 * What `tidepool nuke` refuses (issue 5, must-show 2), against moto with an
 * organization: each refusal has its message and exit status 2, and a
 * marker queue in every account shows that nothing was deleted although
 * every case asks for --no-dry-run --yes. Refusals that need no AWS call
 * run with an unreachable endpoint, so an AWS call would have failed with
 * status 3 instead. Bad input (unknown resource type, malformed regex, an
 * id that is not 12 digits) is named before any AWS call too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/local.h"
#include "aws/util.h"
#include "tests/support/moto.h"
#include "tests/support/testutil.h"

#define ROLE "OrganizationAccountAccessRole"
#define UNREACHABLE "http://127.0.0.1:1"

static tp_local *moto;
static const char *mgmt, *m1, *m2;
static char *dir;

/* Create the marker queue in `account` (create), or fail the test when it is gone. */
static void marker(const char *account, int create)
{
	if (!tp_test_marker_queue(moto, account, create))
		fail_msg("the marker queue in %s was deleted", account);
}

static int setup(void **state)
{
	tp_aws_client *c;
	tp_params p = TP_PARAMS_INIT;
	xmlDocPtr doc = NULL;

	(void)state;
	moto = tp_test_moto_start(0, 2);
	mgmt = tp_local_management_account(moto);
	m1 = tp_local_account(moto, 0);
	m2 = tp_local_account(moto, 1);
	dir = tp_test_tmpdir("refusals");
	marker(mgmt, 1);
	marker(m1, 1);
	marker(m2, 1);
	c = tp_test_moto_client_in(moto, m1, "refusal-test", NULL);   /* m1's alias says production */
	tp_params_add(&p, "AccountAlias", "shop-prod-eu");
	assert_int_equal(tp_aws_query(c, &doc, "iam", NULL, "CreateAccountAlias", &p), 0);
	xmlFreeDoc(doc);
	tp_params_release(&p);
	tp_aws_client_free(c);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tp_local_stop(moto);
	tp_test_rmtree(dir);
	free(dir);
	return 0;
}

typedef struct run_result {
	int rc;
	char *out, *err;
} run_result;

/* tidepool nuke with `yaml`'s cleaner/pool lines, as `caller` (NULL: moto's own keys). */
static run_result nuke(const char *pool_yaml, const char *target, const char *endpoint,
		       const tp_creds *caller, int yes)
{
	char *yaml = tp_xasprintf("regions: [us-east-1]\npool:\n  store: sqlite:pool.db\n"
				  "  role: %s\n%s", ROLE, pool_yaml);
	char *env[10];
	char *argv[] = { (char *)tp_test_tidepool_bin(), "nuke", "-C", dir, (char *)target,
			 "--no-dry-run", yes ? "--yes" : NULL, NULL };
	run_result r;
	size_t i, n = 0;

	free(tp_test_write_file(dir, "tidepool.yaml", yaml));
	env[n++] = tp_xasprintf("AWS_ENDPOINT_URL=%s", endpoint ? endpoint : tp_local_endpoint(moto));
	env[n++] = tp_xasprintf("AWS_ACCESS_KEY_ID=%s", caller ? caller->access_key_id
							    : tp_local_access_key(moto));
	env[n++] = tp_xasprintf("AWS_SECRET_ACCESS_KEY=%s", caller ? caller->secret_access_key
								: tp_local_secret_key(moto));
	env[n++] = tp_xasprintf("AWS_SESSION_TOKEN=%s", caller ? caller->session_token : "");
	env[n++] = tp_xstrdup("AWS_PROFILE=");
	env[n++] = tp_xstrdup("AWS_REGION=us-east-1");
	env[n++] = tp_xstrdup("AWS_CONFIG_FILE=/nonexistent/tidepool-test");
	env[n++] = tp_xstrdup("AWS_SHARED_CREDENTIALS_FILE=/nonexistent/tidepool-test");
	env[n] = NULL;
	r.rc = tp_test_run(argv, env, &r.out, &r.err);
	for (i = 0; i < n; i++)
		free(env[i]);
	free(yaml);
	return r;
}

static void expect(run_result r, int rc, const char *message, const char *what)
{
	if (r.rc != rc || !strstr(r.err, message))
		fail_msg("%s: exit %d (expected %d), stderr lacks '%s':\n%s\n%s", what, r.rc, rc,
			 message, r.err, r.out);
	free(r.out);
	free(r.err);
	marker(mgmt, 0);     /* nothing was deleted anywhere */
	marker(m1, 0);
	marker(m2, 0);
}

static void test_nuke_refusals__each_with_its_message_and_status(void **state)
{
	char pool[512], msg[256];
	tp_creds as_m2 = TP_CREDS_INIT;
	tp_aws_client *c;

	(void)state;
	/* the caller's own account (moto's keys belong to the management account) */
	snprintf(pool, sizeof(pool), "  accounts: [\"%s\", \"%s\"]\n", mgmt, m1);
	expect(nuke(pool, mgmt, NULL, NULL, 1), 2,
	       "refusing to clean 123456789012: it is the caller's own account", "own account");
	/* not in the pool: no AWS call */
	snprintf(pool, sizeof(pool), "  accounts: [\"%s\"]\n", m1);
	snprintf(msg, sizeof(msg), "refusing to clean %s: it is not in the pool", m2);
	expect(nuke(pool, m2, UNREACHABLE, NULL, 1), 2, msg, "not in the pool");
	/* blocklisted: no AWS call */
	snprintf(pool, sizeof(pool), "  accounts: [\"%s\"]\n  blocklist: [\"%s\"]\n", m1, m2);
	snprintf(msg, sizeof(msg), "refusing to clean %s: it is in pool.blocklist", m2);
	expect(nuke(pool, m2, UNREACHABLE, NULL, 1), 2, msg, "blocklisted");
	/* an alias containing "prod" */
	snprintf(pool, sizeof(pool), "  accounts: [\"%s\"]\n", m1);
	snprintf(msg, sizeof(msg), "refusing to clean %s: its alias 'shop-prod-eu' contains \"prod\"",
		 m1);
	expect(nuke(pool, m1, NULL, NULL, 1), 2, msg, "prod alias");
	/* --no-dry-run without --yes and without a terminal: no AWS call */
	expect(nuke(pool, m1, UNREACHABLE, NULL, 0), 2,
	       "--no-dry-run needs --yes when stdin is not a terminal", "no --yes");
	/* the management account, asked by a member (so not the caller's own) */
	c = tp_test_moto_client_in(moto, m2, "refusal-test", &as_m2);
	tp_aws_client_free(c);
	snprintf(pool, sizeof(pool), "  accounts: [\"%s\"]\n", mgmt);
	expect(nuke(pool, mgmt, NULL, &as_m2, 1), 2,
	       "refusing to clean 123456789012: it is the management account of organization o-",
	       "management account");
	tp_creds_release(&as_m2);
}

static void test_nuke_refusals__allow_prod_alias_lifts_the_alias_check(void **state)
{
	char pool[512];
	run_result r;

	(void)state;
	snprintf(pool, sizeof(pool), "  accounts: [\"%s\"]\ncleaner:\n  allow_prod_alias: true\n"
		 "  protect:\n    - {type: SQSQueue, name: tidepool-marker}\n", m1);
	r = nuke(pool, m1, NULL, NULL, 1);
	if (r.rc != 0 || !strstr(r.out, "SQSQueue") || !strstr(r.out, "Nuke complete: 0 failed"))
		fail_msg("exit %d:\n%s\n%s", r.rc, r.out, r.err);
	assert_non_null(strstr(r.err, "(alias shop-prod-eu)"));
	free(r.out);
	free(r.err);
	marker(m1, 0);     /* protected */
}

static void test_nuke_refusals__bad_input_is_named_before_any_aws_call(void **state)
{
	static const struct {
		const char *cleaner, *target, *message;
	} v[] = {
		{ "cleaner:\n  protect:\n    - {type: S3Buckt, name: x}\n", NULL,
		  "cleaner.protect[0].type: unknown resource type 'S3Buckt' (did you mean 'S3Bucket'?)" },
		{ "cleaner:\n  resource_types: {exclude: [LambdaFunctions]}\n", NULL,
		  "unknown resource type 'LambdaFunctions' (did you mean 'LambdaFunction'?)" },
		{ "cleaner:\n  protect:\n    - {name: \"a(b\", match: regex}\n", NULL,
		  "invalid regular expression 'a(b'" },
		{ "", "12345678901", "'12345678901' is not an AWS account id (12 digits)" },
		{ "", "abcdefghijkl", "'abcdefghijkl' is not an AWS account id (12 digits)" },
	};
	char pool[512];
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(v); i++) {
		snprintf(pool, sizeof(pool), "  accounts: [\"%s\"]\n%s", m1, v[i].cleaner);
		expect(nuke(pool, v[i].target ? v[i].target : m1, UNREACHABLE, NULL, 1), 2,
		       v[i].message, v[i].message);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nuke_refusals__each_with_its_message_and_status),
		cmocka_unit_test(test_nuke_refusals__allow_prod_alias_lifts_the_alias_check),
		cmocka_unit_test(test_nuke_refusals__bad_input_is_named_before_any_aws_call),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
