/*
 * The client's pieces that need no server: error parsing of every protocol,
 * endpoint resolution and overrides, parameter encoding; and the wire form
 * of each protocol, checked on a loopback server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/client_internal.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/service.h"
#include "aws/util.h"
#include "tests/support/httpd.h"

static tp_header hdr_json_type[] = { { "x-amzn-ErrorType", "ResourceNotFoundException:http://internal/" } };
static tp_header hdr_rid[] = { { "x-amzn-RequestId", "hdr-rid" } };
static tp_header hdr_s3rid[] = { { "x-amz-request-id", "s3-rid" } };

static void test_client__fault_parse(void **state)
{
	static const struct {
		tp_protocol proto;
		long status;
		tp_header *headers;
		size_t nheaders;
		const char *body;
		const char *code, *message, *rid;
		int cls;
	} cases[] = {
		{ TP_PROTO_QUERY, 400, NULL, 0,
		  "<ErrorResponse xmlns=\"x\"><Error><Type>Sender</Type><Code>ValidationError</Code>"
		  "<Message>Stack with id api does not exist</Message></Error><RequestId>q-1</RequestId></ErrorResponse>",
		  "ValidationError", "Stack with id api does not exist", "q-1", TP_ENOTFOUND },
		{ TP_PROTO_QUERY, 400, NULL, 0,
		  "<ErrorResponse><Error><Code>ValidationError</Code><Message>Template format error</Message>"
		  "</Error><RequestId>q-2</RequestId></ErrorResponse>",
		  "ValidationError", "Template format error", "q-2", TP_EAWS },
		{ TP_PROTO_QUERY, 400, NULL, 0,
		  "<ErrorResponse><Error><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
		  "<RequestId>q-3</RequestId></ErrorResponse>",
		  "Throttling", "Rate exceeded", "q-3", TP_ETHROTTLED },
		{ TP_PROTO_EC2, 400, NULL, 0,
		  "<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>gone</Message></Error>"
		  "</Errors><RequestID>e-1</RequestID></Response>",
		  "InvalidVpcID.NotFound", "gone", "e-1", TP_ENOTFOUND },
		{ TP_PROTO_REST_XML, 404, hdr_s3rid, 1,
		  "<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>"
		  "<RequestId>s-1</RequestId></Error>",
		  "NoSuchBucket", "The specified bucket does not exist", "s-1", TP_ENOTFOUND },
		{ TP_PROTO_REST_XML, 404, hdr_s3rid, 1, "", "NotFound", "(empty response)", "s3-rid", TP_ENOTFOUND },
		{ TP_PROTO_JSON, 400, hdr_rid, 1,
		  "{\"__type\":\"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException\",\"message\":\"The conditional request failed\"}",
		  "ConditionalCheckFailedException", "The conditional request failed", "hdr-rid", TP_EAWS },
		{ TP_PROTO_JSON, 400, hdr_rid, 1, "{\"__type\":\"ThrottlingException\",\"Message\":\"Rate\"}",
		  "ThrottlingException", "Rate", "hdr-rid", TP_ETHROTTLED },
		{ TP_PROTO_REST_JSON, 404, hdr_json_type, 1, "{\"Message\":\"Function not found: x\"}",
		  "ResourceNotFoundException", "Function not found: x", "", TP_ENOTFOUND },
		/* an XML body for a JSON service (emulators, gateways) */
		{ TP_PROTO_JSON, 403, hdr_rid, 1,
		  "<?xml version=\"1.0\"?><ErrorResponse><Errors><Error><Code>SignatureDoesNotMatch</Code>"
		  "<Message>bad sig</Message></Error></Errors></ErrorResponse>",
		  "SignatureDoesNotMatch", "bad sig", "hdr-rid", TP_EAUTH },
		{ TP_PROTO_QUERY, 503, NULL, 0, "not xml at all", "ServiceUnavailable", "(no message)", "", TP_EAWS },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(cases); i++) {
		tp_http_response r = TP_HTTP_RESPONSE_INIT;
		tp_aws_fault f;

		r.status = cases[i].status;
		r.headers = cases[i].headers;
		r.nheaders = cases[i].nheaders;
		tp_buf_adds(&r.body, cases[i].body);
		tp_aws_fault_parse(&f, cases[i].proto, &r);
		if (strcmp(f.code, cases[i].code) || strcmp(f.message, cases[i].message) ||
		    strcmp(f.request_id, cases[i].rid) ||
		    tp_aws_fault_class(&f, r.status) != cases[i].cls)
			fail_msg("case %zu: got code=%s message=%s rid=%s class=%d", i, f.code,
				 f.message, f.request_id, tp_aws_fault_class(&f, r.status));
		tp_buf_release(&r.body);
	}
}

static void test_client__endpoints(void **state)
{
	static const struct {
		const char *svc, *region, *override, *env_svc, *env_all;
		const char *url, *host, *signing_region;
	} cases[] = {
		{ "sts", "eu-west-1", NULL, NULL, NULL, "https://sts.eu-west-1.amazonaws.com",
		  "sts.eu-west-1.amazonaws.com", "eu-west-1" },
		{ "iam", "eu-west-1", NULL, NULL, NULL, "https://iam.amazonaws.com",
		  "iam.amazonaws.com", "us-east-1" },
		{ "organizations", "ap-south-1", NULL, NULL, NULL,
		  "https://organizations.us-east-1.amazonaws.com",
		  "organizations.us-east-1.amazonaws.com", "us-east-1" },
		{ "cloudwatch", "us-west-2", NULL, NULL, NULL, "https://monitoring.us-west-2.amazonaws.com",
		  "monitoring.us-west-2.amazonaws.com", "us-west-2" },
		{ "ecr", "us-west-2", NULL, NULL, NULL, "https://api.ecr.us-west-2.amazonaws.com",
		  "api.ecr.us-west-2.amazonaws.com", "us-west-2" },
		{ "dynamodb", "us-east-1", NULL, NULL, "http://localhost:4566/", "http://localhost:4566",
		  "localhost:4566", "us-east-1" },
		{ "dynamodb", "us-east-1", NULL, "http://127.0.0.1:8000", "http://localhost:4566",
		  "http://127.0.0.1:8000", "127.0.0.1:8000", "us-east-1" },
		{ "dynamodb", "us-east-1", "http://explicit:1", "http://127.0.0.1:8000", NULL,
		  "http://explicit:1", "explicit:1", "us-east-1" },
		{ "iam", "eu-west-1", NULL, NULL, "http://127.0.0.1:5000/base", "http://127.0.0.1:5000/base",
		  "127.0.0.1:5000", "us-east-1" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(cases); i++) {
		const tp_service *svc = tp_service_find(cases[i].svc);
		char var[128];
		tp_endpoint ep;

		snprintf(var, sizeof(var), "AWS_ENDPOINT_URL_%s", svc->env_name);
		if (cases[i].env_svc)
			setenv(var, cases[i].env_svc, 1);
		else
			unsetenv(var);
		if (cases[i].env_all)
			setenv("AWS_ENDPOINT_URL", cases[i].env_all, 1);
		else
			unsetenv("AWS_ENDPOINT_URL");
		assert_int_equal(tp_endpoint_resolve(&ep, svc, cases[i].region, cases[i].override), 0);
		if (strcmp(ep.url, cases[i].url) || strcmp(ep.host, cases[i].host) ||
		    strcmp(ep.signing_region, cases[i].signing_region))
			fail_msg("case %zu: %s %s %s", i, ep.url, ep.host, ep.signing_region);
		unsetenv(var);
	}
	unsetenv("AWS_ENDPOINT_URL");
}

static void test_client__bad_override_names_the_variable(void **state)
{
	tp_endpoint ep;

	(void)state;
	setenv("AWS_ENDPOINT_URL_STS", "localhost:5000", 1);
	assert_int_equal(tp_endpoint_resolve(&ep, tp_service_find("sts"), "us-east-1", NULL), TP_EINVAL);
	assert_non_null(strstr(tp_error_last()->msg, "AWS_ENDPOINT_URL_STS"));
	assert_non_null(strstr(tp_error_last()->msg, "localhost:5000"));
	unsetenv("AWS_ENDPOINT_URL_STS");
}

static void test_client__params_encoding(void **state)
{
	tp_params p = TP_PARAMS_INIT;
	tp_buf b = TP_BUF_INIT;

	(void)state;
	tp_params_add(&p, "Tags.member.1.Key", "a b&c=d/e~f");
	tp_params_addf(&p, "N", "%d", 42);
	tp_params_add(&p, "Empty", "");
	tp_params_add(&p, "U", "\xc3\xbc+*");
	tp_params_encode(&b, &p);
	assert_string_equal(tp_buf_cstr(&b),
			    "Tags.member.1.Key=a%20b%26c%3Dd%2Fe~f&N=42&Empty=&U=%C3%BC%2B%2A");
	tp_buf_release(&b);
	tp_params_release(&p);
}

/* ---- wire form, on a loopback server ----------------------------------- */

typedef struct seen {
	tp_test_http_req req;
	char body[4096];
	const char *reply;
	int status;
} seen;

static void capture(void *ctx, const tp_test_http_req *req, tp_test_reply *r)
{
	seen *s = ctx;

	s->req = *req;
	tp_strlcpy(s->body, req->body ? req->body : "", sizeof(s->body));
	s->req.body = NULL;
	r->status = s->status ? s->status : 200;
	r->body = tp_xstrdup(s->reply ? s->reply : "");
}

static tp_aws_client *local_client(tp_test_httpd *srv)
{
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_aws_client *c = NULL;

	o.region = "eu-west-1";
	o.endpoint_url = tp_test_httpd_url(srv);
	o.creds = tp_creds_static("AKIDEXAMPLE", "secret", "the-session-token");
	o.max_attempts = 1;
	assert_int_equal(tp_aws_client_new(&c, &o), 0);
	return c;
}

static void test_client__query_wire_form(void **state)
{
	seen s = { .reply = "<R><RResult/></R>" };
	tp_test_httpd *srv = tp_test_httpd_start(capture, &s);
	tp_aws_client *c = local_client(srv);
	tp_params p = TP_PARAMS_INIT;
	xmlDocPtr doc = NULL;
	char h[512];

	(void)state;
	tp_params_add(&p, "StackName", "a b");
	assert_int_equal(tp_aws_query(c, &doc, "cloudformation", NULL, "DescribeStacks", &p), 0);
	assert_string_equal(s.req.method, "POST");
	assert_string_equal(s.req.path, "/");
	assert_string_equal(s.body, "Action=DescribeStacks&Version=2010-05-15&StackName=a%20b");
	assert_non_null(tp_test_http_header(&s.req, "Authorization", h, sizeof(h)));
	assert_non_null(strstr(h, "/eu-west-1/cloudformation/aws4_request"));
	assert_non_null(tp_test_http_header(&s.req, "X-Amz-Security-Token", h, sizeof(h)));
	assert_string_equal(h, "the-session-token");
	xmlFreeDoc(doc);
	tp_params_release(&p);
	tp_aws_client_free(c);
	tp_test_httpd_stop(srv);
}

static void test_client__json_wire_form(void **state)
{
	seen s = { .reply = "{\"TableNames\":[\"t\"]}" };
	tp_test_httpd *srv = tp_test_httpd_start(capture, &s);
	tp_aws_client *c = local_client(srv);
	json_t *resp = NULL, *body = json_pack("{s:i}", "Limit", 5);
	char h[512];

	(void)state;
	assert_int_equal(tp_aws_json(c, &resp, "dynamodb", "us-west-2", "ListTables", body), 0);
	assert_string_equal(s.body, "{\"Limit\":5}");
	assert_string_equal(tp_test_http_header(&s.req, "X-Amz-Target", h, sizeof(h)),
			    "DynamoDB_20120810.ListTables");
	assert_string_equal(tp_test_http_header(&s.req, "Content-Type", h, sizeof(h)),
			    "application/x-amz-json-1.0");
	assert_non_null(strstr(tp_test_http_header(&s.req, "Authorization", h, sizeof(h)),
			       "/us-west-2/dynamodb/aws4_request"));
	assert_string_equal(json_string_value(json_array_get(json_object_get(resp, "TableNames"), 0)), "t");
	json_decref(resp);
	json_decref(body);
	tp_aws_client_free(c);
	tp_test_httpd_stop(srv);
}

static void test_client__s3_path_style_on_override(void **state)
{
	seen s = { .reply = "" };
	tp_test_httpd *srv = tp_test_httpd_start(capture, &s);
	tp_aws_client *c = local_client(srv);
	tp_rest_response r = TP_REST_RESPONSE_INIT;
	tp_params q = TP_PARAMS_INIT;
	tp_rest_request req;
	char h[256];

	(void)state;
	memset(&req, 0, sizeof(req));
	tp_params_add(&q, "versionId", "v 1");
	req.operation = "DeleteObject";
	req.method = "DELETE";
	req.bucket = "my-bucket";
	req.path = "/dir/a%20b";
	req.query = &q;
	assert_int_equal(tp_aws_rest(c, &r, "s3", NULL, &req), 0);
	assert_string_equal(s.req.method, "DELETE");
	assert_string_equal(s.req.path, "/my-bucket/dir/a%20b?versionId=v%201");
	assert_non_null(tp_test_http_header(&s.req, "x-amz-content-sha256", h, sizeof(h)));
	tp_http_response_release(&r);
	tp_params_release(&q);
	tp_aws_client_free(c);
	tp_test_httpd_stop(srv);
}

static void test_client__json_error_becomes_the_error_state(void **state)
{
	seen s = { .status = 400,
		   .reply = "{\"__type\":\"ResourceNotFoundException\",\"message\":\"Requested resource not found\"}" };
	tp_test_httpd *srv = tp_test_httpd_start(capture, &s);
	tp_aws_client *c = local_client(srv);
	json_t *resp = NULL;

	(void)state;
	assert_int_equal(tp_aws_json(c, &resp, "dynamodb", NULL, "DescribeTable", NULL), TP_ENOTFOUND);
	assert_null(resp);
	assert_string_equal(tp_error_last()->aws_code, "ResourceNotFoundException");
	assert_int_equal(tp_error_last()->http_status, 400);
	assert_non_null(strstr(tp_error_last()->msg, "dynamodb DescribeTable: Requested resource not found"));
	tp_aws_client_free(c);
	tp_test_httpd_stop(srv);
}

static void test_client__unreachable_endpoint_names_url_and_reason(void **state)
{
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_aws_client *c = NULL;
	json_t *resp = NULL;

	(void)state;
	o.endpoint_url = "http://127.0.0.1:1";
	o.creds = tp_creds_static("AKIDEXAMPLE", "secret", NULL);
	o.max_attempts = 2;
	o.retry_base_ms = 1;
	assert_int_equal(tp_aws_client_new(&c, &o), 0);
	assert_int_equal(tp_aws_json(c, &resp, "dynamodb", NULL, "ListTables", NULL), TP_ENET);
	assert_non_null(strstr(tp_error_last()->msg, "http://127.0.0.1:1"));
	assert_non_null(strstr(tp_error_last()->msg, "after 2 attempts"));
	assert_non_null(strstr(tp_error_last()->msg, "onnect"));   /* curl's reason */
	tp_aws_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client__fault_parse),
		cmocka_unit_test(test_client__endpoints),
		cmocka_unit_test(test_client__bad_override_names_the_variable),
		cmocka_unit_test(test_client__params_encoding),
		cmocka_unit_test(test_client__query_wire_form),
		cmocka_unit_test(test_client__json_wire_form),
		cmocka_unit_test(test_client__s3_path_style_on_override),
		cmocka_unit_test(test_client__json_error_becomes_the_error_state),
		cmocka_unit_test(test_client__unreachable_endpoint_names_url_and_reason),
	};

	tp_http_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
