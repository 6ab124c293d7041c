/*
 * The credential chain against a real local AWS (moto) with signature
 * checking on: web identity (unsigned AssumeRoleWithWebIdentity, as GitHub
 * Actions OIDC and EKS use it), role_arn + source_profile (AssumeRole
 * signed with the source profile's keys, chained through two roles) and the
 * pool's tp_creds_assume_role. Each assumed identity is then used for a
 * signed GetCallerIdentity, which names the role and session it got.
 *
 * The chain finds STS the way users point it anywhere: AWS_ENDPOINT_URL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/client.h"
#include "aws/creds.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/sts.h"
#include "aws/util.h"
#include "tests/support/moto.h"
#include "tests/support/testutil.h"

#define ACCOUNT "123456789012"

static const char *const aws_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE",
	"AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
	"AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_REGION", "AWS_DEFAULT_REGION",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS",
};

static tp_local *moto;
static char *dir;   /* HOME of the test */

static int group_setup(void **state)
{
	(void)state;
	tp_http_global_init();
	moto = tp_test_moto_start(1, 0);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tp_local_stop(moto);
	tp_http_global_cleanup();
	return 0;
}

static int setup(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(aws_vars); i++)
		unsetenv(aws_vars[i]);
	dir = tp_test_tmpdir("creds-moto");
	setenv("HOME", dir, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("AWS_ENDPOINT_URL", tp_local_endpoint(moto), 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tp_test_rmtree(dir);
	free(dir);
	return 0;
}

static void iam_call(const tp_local *l, const char *action, tp_params *p)
{
	tp_aws_client *iam = tp_test_moto_client(l, 1);
	xmlDocPtr doc = NULL;

	if (tp_aws_query(iam, &doc, "iam", NULL, action, p) < 0 &&
	    strcmp(tp_error_last()->aws_code, "EntityAlreadyExists") != 0)
		fail_msg("%s: %s", action, tp_error_last()->msg);
	xmlFreeDoc(doc);
	tp_params_release(p);
	tp_aws_client_free(iam);
}

/*
 * A role in the local account that anyone may assume, allowed everything
 * (so that, under signature checking, it may assume the next role).
 */
static void create_role(const tp_local *l, const char *name)
{
	tp_params p = TP_PARAMS_INIT;

	tp_params_add(&p, "RoleName", name);
	tp_params_add(&p, "AssumeRolePolicyDocument",
		      "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\","
		      "\"Principal\":{\"AWS\":\"*\",\"Federated\":\"token.actions.githubusercontent.com\"},"
		      "\"Action\":[\"sts:AssumeRole\",\"sts:AssumeRoleWithWebIdentity\"]}]}");
	iam_call(l, "CreateRole", &p);
	tp_params_add(&p, "RoleName", name);
	tp_params_add(&p, "PolicyName", "everything");
	tp_params_add(&p, "PolicyDocument", "{\"Version\":\"2012-10-17\",\"Statement\":"
		      "[{\"Effect\":\"Allow\",\"Action\":\"*\",\"Resource\":\"*\"}]}");
	iam_call(l, "PutRolePolicy", &p);
}

/* GetCallerIdentity signed with `creds` (taken over). */
static void caller(tp_cred_provider *creds, tp_identity *id)
{
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_aws_client *c = NULL;

	o.creds = creds;
	o.max_attempts = 1;
	assert_int_equal(tp_aws_client_new(&c, &o), 0);
	if (tp_sts_get_caller_identity(c, id) < 0)
		fail_msg("GetCallerIdentity: %s", tp_error_last()->msg);
	tp_aws_client_free(c);
}

/*
 * moto's signature checking cannot take an unsigned request (it fails with
 * a 500 on the missing Authorization), so web identity runs against a
 * second moto without it.
 */
static void test_creds_moto__web_identity_from_environment(void **state)
{
	char *token = tp_test_write_file(dir, "oidc-token", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln\n");
	tp_local *open_moto = tp_test_moto_start(0, 0);
	tp_cred_provider *chain;
	tp_creds c = TP_CREDS_INIT;
	tp_identity id;

	(void)state;
	setenv("AWS_ENDPOINT_URL", tp_local_endpoint(open_moto), 1);
	create_role(open_moto, "gha-deploy");
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token, 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::" ACCOUNT ":role/gha-deploy", 1);
	setenv("AWS_ROLE_SESSION_NAME", "gha-run-42", 1);
	chain = tp_creds_default_chain();
	if (tp_creds_get(chain, &c) < 0)
		fail_msg("the chain: %s", tp_error_last()->msg);
	assert_string_equal(c.source, "web identity arn:aws:iam::" ACCOUNT ":role/gha-deploy");
	assert_true(tp_starts_with(c.access_key_id, "ASIA"));
	assert_non_null(c.session_token);
	assert_true(c.expiration > tp_time_now() + 600);
	assert_string_equal(c.account_id, ACCOUNT);
	tp_creds_release(&c);
	caller(chain, &id);
	assert_string_equal(id.arn, "arn:aws:sts::" ACCOUNT ":assumed-role/gha-deploy/gha-run-42");
	free(token);
	tp_local_stop(open_moto);
}

static void write_profiles(const char *config)
{
	char *creds = tp_xasprintf("[base]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
				   tp_local_access_key(moto), tp_local_secret_key(moto));

	free(tp_test_write_file(dir, ".aws/credentials", creds));
	free(tp_test_write_file(dir, ".aws/config", config));
	free(creds);
}

static void test_creds_moto__source_profile_assumes_the_role(void **state)
{
	tp_cred_provider *chain;
	tp_creds c = TP_CREDS_INIT;
	tp_identity id;

	(void)state;
	create_role(moto, "dev");
	write_profiles("[profile dev]\nrole_arn = arn:aws:iam::" ACCOUNT ":role/dev\n"
		       "source_profile = base\nrole_session_name = alice\nregion = eu-west-1\n");
	setenv("AWS_PROFILE", "dev", 1);
	chain = tp_creds_default_chain();
	if (tp_creds_get(chain, &c) < 0)
		fail_msg("the chain: %s", tp_error_last()->msg);
	assert_string_equal(c.source, "profile dev (assumed role arn:aws:iam::" ACCOUNT ":role/dev)");
	assert_true(tp_starts_with(c.access_key_id, "ASIA"));
	assert_string_not_equal(c.access_key_id, tp_local_access_key(moto));
	tp_creds_release(&c);
	caller(chain, &id);
	assert_string_equal(id.arn, "arn:aws:sts::" ACCOUNT ":assumed-role/dev/alice");
}

static void test_creds_moto__source_profile_chain_of_two_roles(void **state)
{
	tp_cred_provider *chain;
	tp_identity id;

	(void)state;
	create_role(moto, "hop");
	create_role(moto, "target");
	write_profiles("[profile target]\nrole_arn = arn:aws:iam::" ACCOUNT ":role/target\n"
		       "source_profile = hop\nrole_session_name = second\n"
		       "[profile hop]\nrole_arn = arn:aws:iam::" ACCOUNT ":role/hop\n"
		       "source_profile = base\nrole_session_name = first\n");
	setenv("AWS_PROFILE", "target", 1);
	chain = tp_creds_default_chain();
	caller(chain, &id);
	assert_string_equal(id.arn, "arn:aws:sts::" ACCOUNT ":assumed-role/target/second");
}

static void test_creds_moto__wrong_source_keys_are_refused(void **state)
{
	tp_cred_provider *chain;
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	create_role(moto, "dev");
	free(tp_test_write_file(dir, ".aws/credentials", "[base]\naws_access_key_id = AKIANOTISSUED0000000\n"
				"aws_secret_access_key = not-the-secret\n"));
	free(tp_test_write_file(dir, ".aws/config", "[profile dev]\nrole_arn = arn:aws:iam::" ACCOUNT
				":role/dev\nsource_profile = base\n"));
	setenv("AWS_PROFILE", "dev", 1);
	setenv("AWS_MAX_ATTEMPTS", "1", 1);
	chain = tp_creds_default_chain();
	assert_int_equal(tp_creds_get(chain, &c), TP_EAUTH);
	assert_true(tp_starts_with(tp_error_last()->msg, "profile dev: AssumeRole arn:aws:iam::"
				   ACCOUNT ":role/dev: "));
	assert_true(tp_error_last()->aws_code[0] != '\0');
	assert_null(strstr(tp_error_last()->msg, "not-the-secret"));
	tp_cred_provider_free(chain);
	unsetenv("AWS_MAX_ATTEMPTS");
}

static void test_creds_moto__assume_role_for_a_pool_account(void **state)
{
	tp_cred_provider *base = tp_local_creds(moto), *role;
	tp_creds c = TP_CREDS_INIT;
	tp_identity id;

	(void)state;
	create_role(moto, "OrganizationAccountAccessRole");
	role = tp_creds_assume_role(base, "us-east-1",
				    "arn:aws:iam::" ACCOUNT ":role/OrganizationAccountAccessRole",
				    "tidepool-run1-orders", NULL, 900);
	if (tp_creds_get(role, &c) < 0)
		fail_msg("assume role: %s", tp_error_last()->msg);
	assert_true(c.expiration > tp_time_now() + 600);
	assert_true(c.expiration <= tp_time_now() + 960);   /* DurationSeconds=900 went through */
	tp_creds_release(&c);
	caller(role, &id);
	assert_string_equal(id.arn, "arn:aws:sts::" ACCOUNT
			    ":assumed-role/OrganizationAccountAccessRole/tidepool-run1-orders");
	tp_cred_provider_free(base);
}

#define T(name) cmocka_unit_test_setup_teardown(test_creds_moto__##name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(web_identity_from_environment),
		T(source_profile_assumes_the_role),
		T(source_profile_chain_of_two_roles),
		T(wrong_source_keys_are_refused),
		T(assume_role_for_a_pool_account),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
