/*
 * The lease-store contract (tests/store_cases.c) on the DynamoDB backend,
 * against moto; and DynamoDB's own: the table is created on first use
 * (on-demand billing), a foreign table is refused, an unreachable endpoint
 * is a clear infrastructure error, and a transition whose answer was lost
 * (the client retried a write that had applied) is still recognised as
 * done: through a proxy that forwards the write to moto and then resets the
 * connection instead of answering.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "accounts/store.h"
#include "aws/error.h"
#include "aws/buf.h"
#include "aws/http.h"
#include "aws/util.h"
#include "tests/store_cases.h"
#include "tests/support/httpd.h"
#include "tests/support/moto.h"

static tp_local *moto;
static tp_aws_client *client;
static int tables;

static int open_dynamodb(tp_store_fixture *f)
{
	tp_store_opts o = TP_STORE_OPTS_INIT;
	char url[64];

	snprintf(url, sizeof(url), "dynamodb:leases-%d", ++tables);
	o.client = client;
	o.clock = tp_store_fixture_clock;
	o.clock_ctx = f;
	return tp_store_open(&f->store, url, &o);
}

static void close_dynamodb(tp_store_fixture *f)
{
	tp_store_free(f->store);
}

static void test_lease_store_dynamodb__creates_an_on_demand_table(void **state)
{
	tp_store *s = NULL;
	json_t *resp = NULL, *body = json_pack("{s:s}", "TableName", "fresh-table");
	tp_store_opts o = TP_STORE_OPTS_INIT;

	(void)state;
	o.client = client;
	assert_int_equal(tp_aws_json(client, &resp, "dynamodb", NULL, "DescribeTable", body),
			 TP_ENOTFOUND);
	assert_int_equal(tp_store_open(&s, "dynamodb:fresh-table", &o), 0);
	assert_string_equal(tp_store_url(s), "dynamodb:fresh-table");
	assert_int_equal(tp_aws_json(client, &resp, "dynamodb", NULL, "DescribeTable", body), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(
				    resp, "Table"), "BillingModeSummary"), "BillingMode")),
			    "PAY_PER_REQUEST");
	assert_string_equal(json_string_value(json_object_get(json_object_get(resp, "Table"),
							      "TableStatus")), "ACTIVE");
	json_decref(resp);
	tp_store_free(s);
	/* a second open finds it */
	assert_int_equal(tp_store_open(&s, "dynamodb:fresh-table", &o), 0);
	tp_store_free(s);
	json_decref(body);
}

static void test_lease_store_dynamodb__refuses_a_foreign_table(void **state)
{
	json_t *resp = NULL, *body = json_pack(
		"{s:s, s:[{s:s, s:s}], s:[{s:s, s:s}], s:s}", "TableName", "someone-elses",
		"AttributeDefinitions", "AttributeName", "pk", "AttributeType", "S",
		"KeySchema", "AttributeName", "pk", "KeyType", "HASH",
		"BillingMode", "PAY_PER_REQUEST");
	tp_store_opts o = TP_STORE_OPTS_INIT;
	tp_store *s = NULL;

	(void)state;
	assert_int_equal(tp_aws_json(client, &resp, "dynamodb", NULL, "CreateTable", body), 0);
	json_decref(resp);
	json_decref(body);
	o.client = client;
	assert_int_equal(tp_store_open(&s, "dynamodb:someone-elses", &o), TP_EINVAL);
	assert_non_null(strstr(tp_error_last()->msg, "not a tidepool lease table"));
	assert_null(s);
}

static void test_lease_store_dynamodb__an_unreachable_endpoint_is_infra(void **state)
{
	tp_aws_client_opts co = TP_AWS_CLIENT_OPTS_INIT;
	tp_store_opts o = TP_STORE_OPTS_INIT;
	tp_aws_client *dead = NULL;
	tp_store *s = NULL;
	int rc;

	(void)state;
	co.region = "us-east-1";
	co.endpoint_url = "http://127.0.0.1:9";
	co.creds = tp_local_creds(moto);
	co.max_attempts = 1;
	assert_int_equal(tp_aws_client_new(&dead, &co), 0);
	o.client = dead;
	rc = tp_store_open(&s, "dynamodb:leases", &o);
	assert_int_equal(rc, TP_ENET);
	assert_non_null(strstr(tp_error_last()->msg, "dynamodb:leases"));
	assert_null(s);
	tp_aws_client_free(dead);
}

/* ---- answers lost after the write applied --------------------------- */

struct proxy {
	char lose[64];             /* the operation whose next answer is lost; "" = none */
	int lost;
};

/* The request's headers worth forwarding, split in place in `block`. */
static size_t headers_of(tp_header *h, size_t max, char *block)
{
	char *line, *next;
	size_t n = 0;

	for (line = block; *line && n < max; line = next) {
		char *colon = strchr(line, ':'), *end = strstr(line, "\r\n");
		next = end ? end + 2 : line + strlen(line);
		if (!colon || (end && colon > end))
			continue;
		*colon = '\0';
		if (end)
			*end = '\0';
		if (strcasecmp(line, "Host") == 0 || strcasecmp(line, "Content-Length") == 0 ||
		    strcasecmp(line, "Connection") == 0 || strcasecmp(line, "Expect") == 0)
			continue;
		h[n].name = line;
		h[n++].value = colon + 1 + strspn(colon + 1, " ");
	}
	return n;
}

static void copy_header(tp_test_reply *reply, const tp_http_response *resp, const char *name)
{
	const char *v = tp_http_header(resp, name);
	size_t len = strlen(reply->headers);

	if (v)
		snprintf(reply->headers + len, sizeof(reply->headers) - len, "%s: %s\r\n", name, v);
}

/* Forward to moto; lose the answer of the chosen operation once. */
static void forward(void *ctx, const tp_test_http_req *req, tp_test_reply *reply)
{
	struct proxy *p = ctx;
	char block[sizeof(req->headers)], url[2200], target[128];
	tp_http_response resp = TP_HTTP_RESPONSE_INIT;
	tp_header h[32];
	tp_http_request r = { req->method, url, h, 0, req->body, req->body_len, 0, 0, 0 };

	tp_strlcpy(block, req->headers, sizeof(block));
	r.nheaders = headers_of(h, 32, block);
	snprintf(url, sizeof(url), "%s%s", tp_local_endpoint(moto), req->path);
	if (tp_http_send(&resp, &r) < 0) {
		reply->action = TP_TEST_RESET;
	} else if (p->lose[0] && tp_test_http_header(req, "X-Amz-Target", target, sizeof(target)) &&
		   tp_ends_with(target, p->lose)) {
		reply->action = TP_TEST_RESET;   /* applied at moto, answer lost */
		p->lose[0] = '\0';
		p->lost++;
	} else {
		reply->status = (int)resp.status;
		reply->body = tp_xstrdup(tp_buf_cstr(&resp.body));
		copy_header(reply, &resp, "Content-Type");
		copy_header(reply, &resp, "x-amzn-RequestId");
		copy_header(reply, &resp, "x-amzn-ErrorType");
	}
	tp_http_response_release(&resp);
}

static void lose_next(struct proxy *p, const char *operation)
{
	tp_strlcpy(p->lose, operation, sizeof(p->lose));
	p->lost = 0;
}

static void test_lease_store_dynamodb__a_lost_answer_is_not_a_lost_write(void **state)
{
	struct proxy p = { "", 0 };
	tp_test_httpd *httpd = tp_test_httpd_start(forward, &p);
	tp_aws_client_opts co = TP_AWS_CLIENT_OPTS_INIT;
	tp_store_opts o = TP_STORE_OPTS_INIT;
	tp_acquire_opts a = TP_ACQUIRE_OPTS_INIT;
	tp_clean_outcome ok = { 1, NULL, 0, 0 };
	tp_aws_client *c = NULL;
	tp_store *s = NULL;
	tp_account acct;
	int64_t v;
	tp_lease l;

	(void)state;
	co.region = "us-east-1";
	co.endpoint_url = tp_test_httpd_url(httpd);
	co.creds = tp_local_creds(moto);
	co.max_attempts = 3;
	co.retry_base_ms = 5;
	assert_int_equal(tp_aws_client_new(&c, &co), 0);
	o.client = c;
	assert_int_equal(tp_store_open(&s, "dynamodb:lost-answers", &o), 0);
	lose_next(&p, ".PutItem");
	assert_int_equal(tp_store_add(s, "500000000001"), 0);       /* added, not "was there" */
	assert_int_equal(p.lost, 1);
	a.holder = "me";
	a.ttl = 60;
	lose_next(&p, ".UpdateItem");
	assert_int_equal(tp_store_acquire(s, &l, &a), 0);           /* not EBUSY: it is ours */
	assert_int_equal(p.lost, 1);
	assert_string_equal(l.account, "500000000001");
	lose_next(&p, ".UpdateItem");
	assert_int_equal(tp_store_release(s, l.account, l.token, TP_RELEASE_DIRTY), 0);
	assert_int_equal(p.lost, 1);
	lose_next(&p, ".UpdateItem");
	assert_int_equal(tp_store_clean_begin(s, l.account, l.token + 1, &v), 0);
	lose_next(&p, ".UpdateItem");
	assert_int_equal(tp_store_clean_end(s, l.account, v, &ok, NULL), 0);
	assert_int_equal(p.lost, 1);
	assert_int_equal(tp_store_get(s, &acct, l.account), 0);
	assert_int_equal(acct.state, TP_ACCOUNT_AVAILABLE);
	assert_int_equal(acct.version, l.token + 3);
	tp_account_release(&acct);
	lose_next(&p, ".DeleteItem");
	assert_int_equal(tp_store_remove(s, l.account, 0), TP_ENOTFOUND);   /* gone, by us */
	assert_int_equal(p.lost, 1);
	assert_int_equal(tp_store_get(s, &acct, l.account), TP_ENOTFOUND);
	tp_store_free(s);
	tp_aws_client_free(c);
	tp_test_httpd_stop(httpd);
}

static int group_setup(void **state)
{
	(void)state;
	moto = tp_test_moto_start(0, 0);
	client = tp_test_moto_client(moto, 3);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tp_aws_client_free(client);
	tp_local_stop(moto);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lease_store_dynamodb__creates_an_on_demand_table),
		cmocka_unit_test(test_lease_store_dynamodb__refuses_a_foreign_table),
		cmocka_unit_test(test_lease_store_dynamodb__an_unreachable_endpoint_is_infra),
		cmocka_unit_test(test_lease_store_dynamodb__a_lost_answer_is_not_a_lost_write),
	};
	int failed;

	tp_http_global_init();
	group_setup(NULL);
	tp_store_cases_open = open_dynamodb;
	tp_store_cases_close = close_dynamodb;
	failed = tp_store_cases_run("store contract (dynamodb on moto)");
	failed |= cmocka_run_group_tests_name("dynamodb", tests, NULL, NULL);
	group_teardown(NULL);
	return failed;
}
