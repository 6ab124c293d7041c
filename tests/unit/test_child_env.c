/* What a child acting in a pool account inherits, and what it never does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/util.h"
#include "runner/child_env.h"

static void test_child_env__runner_identity_never_passes(void **state)
{
	char *base[] = {
		"PATH=/usr/bin", "HOME=/home/ci", "LANG=C.UTF-8",
		"AWS_ACCESS_KEY_ID=AKIARUNNER", "AWS_SECRET_ACCESS_KEY=runner-secret",
		"AWS_SESSION_TOKEN=runner-token", "AWS_SECURITY_TOKEN=old-token",
		"AWS_PROFILE=admin", "AWS_DEFAULT_PROFILE=admin",
		"AWS_CONFIG_FILE=/home/ci/.aws/config",
		"AWS_SHARED_CREDENTIALS_FILE=/home/ci/.aws/credentials",
		"AWS_WEB_IDENTITY_TOKEN_FILE=/tmp/oidc", "AWS_ROLE_ARN=arn:aws:iam::1:role/ci",
		"AWS_ROLE_SESSION_NAME=ci", "AWS_CREDENTIAL_EXPIRATION=2030-01-01T00:00:00Z",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=/v2/creds",
		"AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1/creds",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN=container-token",
		"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/tmp/tok",
		"AWS_EC2_METADATA_SERVICE_ENDPOINT=http://169.254.169.254",
		"AWS_REGION=eu-central-1", "AWS_ENDPOINT_URL=http://runner-only",
		"AWS_ENDPOINT_URL_DYNAMODB=http://ddb-local:8000", "AWS_MAX_ATTEMPTS=5",
		"TIDEPOOL_SUITE=stale", "TIDEPOOL_OUTPUT_X_Y=stale", NULL
	};
	tp_creds c = { "ASIASUITE", "suite-secret", "suite-token", 0, NULL, NULL };
	tp_env e = TP_ENV_INIT;
	size_t i;

	(void)state;
	tp_env_init_scrubbed(&e, base);
	tp_env_set_account(&e, &c, "us-west-2", NULL);
	for (i = 0; tp_env_array(&e)[i]; i++) {
		const char *v = tp_env_array(&e)[i];
		if (strstr(v, "runner") || strstr(v, "RUNNER") || strstr(v, "admin") ||
		    strstr(v, "/home/ci/.aws") || strstr(v, "oidc") || strstr(v, "container-token") ||
		    strstr(v, "stale") || strstr(v, "old-token") || strstr(v, "role/ci"))
			fail_msg("leaked into the child: %s", v);
	}
	assert_string_equal(tp_env_get(&e, "AWS_ACCESS_KEY_ID"), "ASIASUITE");
	assert_string_equal(tp_env_get(&e, "AWS_SECRET_ACCESS_KEY"), "suite-secret");
	assert_string_equal(tp_env_get(&e, "AWS_SESSION_TOKEN"), "suite-token");
	assert_string_equal(tp_env_get(&e, "AWS_REGION"), "us-west-2");
	assert_string_equal(tp_env_get(&e, "AWS_DEFAULT_REGION"), "us-west-2");
	assert_null(tp_env_get(&e, "AWS_ENDPOINT_URL"));
	assert_null(tp_env_get(&e, "AWS_PROFILE"));
	assert_null(tp_env_get(&e, "AWS_ROLE_ARN"));
	assert_null(tp_env_get(&e, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"));
	assert_string_equal(tp_env_get(&e, "AWS_CONFIG_FILE"), "/dev/null");
	assert_string_equal(tp_env_get(&e, "AWS_SHARED_CREDENTIALS_FILE"), "/dev/null");
	assert_string_equal(tp_env_get(&e, "AWS_EC2_METADATA_DISABLED"), "true");
	/* harmless settings pass */
	assert_string_equal(tp_env_get(&e, "PATH"), "/usr/bin");
	assert_string_equal(tp_env_get(&e, "AWS_ENDPOINT_URL_DYNAMODB"), "http://ddb-local:8000");
	assert_string_equal(tp_env_get(&e, "AWS_MAX_ATTEMPTS"), "5");
	assert_null(tp_env_get(&e, "TIDEPOOL_SUITE"));
	tp_env_release(&e);
}

static void test_child_env__endpoint_when_in_force(void **state)
{
	char *base[] = { "PATH=/bin", NULL };
	tp_creds c = { "A", "S", NULL, 0, NULL, NULL };
	tp_env e = TP_ENV_INIT;

	(void)state;
	tp_env_init_scrubbed(&e, base);
	tp_env_set_account(&e, &c, "us-east-1", "http://127.0.0.1:5000");
	assert_string_equal(tp_env_get(&e, "AWS_ENDPOINT_URL"), "http://127.0.0.1:5000");
	assert_null(tp_env_get(&e, "AWS_SESSION_TOKEN"));   /* none given */
	tp_env_set(&e, "PATH", "/other");
	assert_string_equal(tp_env_get(&e, "PATH"), "/other");
	tp_env_release(&e);
}

static void test_child_env__output_names(void **state)
{
	static const char *const cases[][3] = {
		{ "api", "TableName", "TIDEPOOL_OUTPUT_API_TABLENAME" },
		{ "common-infra", "Queue.Url", "TIDEPOOL_OUTPUT_COMMON_INFRA_QUEUE_URL" },
		{ "a1", "b-2", "TIDEPOOL_OUTPUT_A1_B_2" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(cases); i++) {
		tp_buf b = TP_BUF_INIT;
		tp_env_output_name(&b, cases[i][0], cases[i][1]);
		assert_string_equal(tp_buf_cstr(&b), cases[i][2]);
		tp_buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_child_env__runner_identity_never_passes),
		cmocka_unit_test(test_child_env__endpoint_when_in_force),
		cmocka_unit_test(test_child_env__output_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
