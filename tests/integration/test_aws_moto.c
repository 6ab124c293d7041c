/*
 * The client against a real local AWS (moto) with signature checking on:
 * one signed call of each protocol succeeds, and a wrong secret is refused
 * with SignatureDoesNotMatch and a request id. The tidepool binary's
 * `whoami` is checked the same way.
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
#include "aws/http.h"
#include "aws/sts.h"
#include "aws/util.h"
#include "aws/xml.h"
#include "tests/support/moto.h"
#include "tests/support/testutil.h"

static tp_local *moto;

static int setup(void **state)
{
	(void)state;
	tp_http_global_init();
	moto = tp_test_moto_start(1, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tp_local_stop(moto);
	tp_http_global_cleanup();
	return 0;
}

static void test_aws_moto__query_signed(void **state)
{
	tp_aws_client *c = tp_test_moto_client(moto, 1);
	tp_identity id;

	(void)state;
	assert_int_equal(tp_sts_get_caller_identity(c, &id), 0);
	assert_string_equal(id.arn, "arn:aws:iam::123456789012:user/tidepool");
	assert_string_equal(id.account, "123456789012");
	tp_aws_client_free(c);
}

static void test_aws_moto__ec2_signed(void **state)
{
	tp_aws_client *c = tp_test_moto_client(moto, 1);
	tp_params p = TP_PARAMS_INIT;
	xmlDocPtr doc = NULL;
	char id[64];

	(void)state;
	tp_params_add(&p, "CidrBlock", "10.9.0.0/16");
	assert_int_equal(tp_aws_query(c, &doc, "ec2", NULL, "CreateVpc", &p), 0);
	tp_xml_text_buf(tp_xml_root(doc), "vpc/vpcId", id, sizeof(id));
	assert_true(tp_starts_with(id, "vpc-"));
	xmlFreeDoc(doc);
	tp_params_release(&p);
	tp_aws_client_free(c);
}

static void test_aws_moto__json_signed(void **state)
{
	tp_aws_client *c = tp_test_moto_client(moto, 1);
	json_t *req, *resp = NULL, *names;

	(void)state;
	req = json_pack("{s:s, s:[{s:s, s:s}], s:[{s:s, s:s}], s:s}", "TableName", "signed",
			"AttributeDefinitions", "AttributeName", "pk", "AttributeType", "S",
			"KeySchema", "AttributeName", "pk", "KeyType", "HASH",
			"BillingMode", "PAY_PER_REQUEST");
	assert_int_equal(tp_aws_json(c, &resp, "dynamodb", NULL, "CreateTable", req), 0);
	json_decref(req);
	json_decref(resp);
	assert_int_equal(tp_aws_json(c, &resp, "dynamodb", NULL, "ListTables", NULL), 0);
	names = json_object_get(resp, "TableNames");
	assert_int_equal(json_array_size(names), 1);
	assert_string_equal(json_string_value(json_array_get(names, 0)), "signed");
	json_decref(resp);
	tp_aws_client_free(c);
}

/*
 * REST-XML: a key with a space, a slash and a tilde. (moto 5.2 re-decodes S3
 * paths before verifying, so keys with '+', '=', '&' or non-ASCII fail its
 * check for botocore too; the botocore differential test covers those.)
 */
static void test_aws_moto__rest_xml_signed(void **state)
{
	static const char key[] = "dir/a b~c.txt";
	tp_aws_client *c = tp_test_moto_client(moto, 1);
	tp_rest_response r = TP_REST_RESPONSE_INIT;
	tp_rest_request req;
	tp_buf path = TP_BUF_INIT;

	(void)state;
	memset(&req, 0, sizeof(req));
	req.operation = "CreateBucket";
	req.method = "PUT";
	req.bucket = "tidepool-signed";
	req.path = "/";
	assert_int_equal(tp_aws_rest(c, &r, "s3", NULL, &req), 0);
	tp_buf_addc(&path, '/');
	tp_aws_uri_escape(&path, key, 1);
	req.operation = "PutObject";
	req.path = path.ptr;
	req.body = "hello";
	req.body_len = 5;
	req.content_type = "text/plain";
	assert_int_equal(tp_aws_rest(c, &r, "s3", NULL, &req), 0);
	req.operation = "GetObject";
	req.method = "GET";
	req.body = NULL;
	req.body_len = 0;
	req.content_type = NULL;
	assert_int_equal(tp_aws_rest(c, &r, "s3", NULL, &req), 0);
	assert_string_equal(tp_buf_cstr(&r.body), "hello");
	tp_http_response_release(&r);
	tp_buf_release(&path);
	tp_aws_client_free(c);
}

/*
 * REST-JSON: a POST with a body. (moto 5.2 cannot verify REST-JSON requests
 * with an empty body, botocore's included: it hashes its header dict as the
 * payload. Requests with a body verify normally.)
 */
static void test_aws_moto__rest_json_signed(void **state)
{
	tp_aws_client *c = tp_test_moto_client(moto, 1);
	json_t *body = json_pack("{s:s, s:s}", "name", "signed-api", "description", "a b/c?d");
	json_t *resp = NULL;

	(void)state;
	assert_int_equal(tp_aws_rest_json(c, &resp, "apigateway", NULL, "CreateRestApi", "POST",
					  "/restapis", NULL, body), 0);
	assert_string_equal(json_string_value(json_object_get(resp, "name")), "signed-api");
	assert_non_null(json_string_value(json_object_get(resp, "id")));
	json_decref(resp);
	json_decref(body);
	tp_aws_client_free(c);
}

static void test_aws_moto__wrong_secret_is_refused(void **state)
{
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_aws_client *c = NULL;
	const tp_error *e;
	tp_identity id;

	(void)state;
	o.endpoint_url = tp_local_endpoint(moto);
	o.creds = tp_creds_static(tp_local_access_key(moto), "not-the-secret", NULL);
	o.max_attempts = 3;
	assert_int_equal(tp_aws_client_new(&c, &o), 0);
	assert_int_equal(tp_sts_get_caller_identity(c, &id), TP_EAUTH);
	e = tp_error_last();
	assert_string_equal(e->aws_code, "SignatureDoesNotMatch");
	assert_int_equal(e->http_status, 403);
	assert_true(strlen(e->request_id) > 8);
	assert_null(strstr(e->msg, "not-the-secret"));
	{
		tp_aws_stats st;
		tp_aws_client_stats(c, &st);
		assert_int_equal(st.attempts, 1); /* an auth failure is not retried */
	}
	tp_aws_client_free(c);
}

static char *env_kv(const char *k, const char *v)
{
	return tp_xasprintf("%s=%s", k, v);
}

static int run_whoami(const char *secret, char **out, char **err)
{
	char *argv[] = { (char *)tp_test_tidepool_bin(), "whoami", NULL };
	char *env[] = {
		env_kv("AWS_ENDPOINT_URL", tp_local_endpoint(moto)),
		env_kv("AWS_ACCESS_KEY_ID", tp_local_access_key(moto)),
		env_kv("AWS_SECRET_ACCESS_KEY", secret),
		tp_xstrdup("AWS_SESSION_TOKEN="), tp_xstrdup("AWS_PROFILE="),
		tp_xstrdup("AWS_REGION=us-east-1"), NULL
	};
	int rc = tp_test_run(argv, env, out, err);
	size_t i;

	for (i = 0; env[i]; i++)
		free(env[i]);
	return rc;
}

static void test_aws_moto__whoami_prints_the_user_arn(void **state)
{
	char *out = NULL, *err = NULL;

	(void)state;
	assert_int_equal(run_whoami(tp_local_secret_key(moto), &out, &err), 0);
	assert_non_null(strstr(out, "arn:aws:iam::123456789012:user/tidepool"));
	assert_non_null(strstr(out, "123456789012"));
	free(out);
	free(err);
}

static void test_aws_moto__whoami_wrong_secret_exits_3(void **state)
{
	char *out = NULL, *err = NULL;

	(void)state;
	assert_int_equal(run_whoami("wrong-secret-value", &out, &err), 3);
	assert_non_null(strstr(err, "SignatureDoesNotMatch"));
	assert_non_null(strstr(err, "request id "));
	assert_null(strstr(err, "request id none"));
	assert_null(strstr(err, "wrong-secret-value"));
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aws_moto__query_signed),
		cmocka_unit_test(test_aws_moto__ec2_signed),
		cmocka_unit_test(test_aws_moto__json_signed),
		cmocka_unit_test(test_aws_moto__rest_xml_signed),
		cmocka_unit_test(test_aws_moto__rest_json_signed),
		cmocka_unit_test(test_aws_moto__wrong_secret_is_refused),
		cmocka_unit_test(test_aws_moto__whoami_prints_the_user_arn),
		cmocka_unit_test(test_aws_moto__whoami_wrong_secret_exits_3),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
