/*
 * Retries against a loopback HTTP server that fails N times and then
 * succeeds: throttling of every flavour, 503s, connection resets, timeouts;
 * the last error after max attempts; validation errors never retried; the
 * token bucket stops a storm.
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
#include "aws/retry.h"
#include "aws/sts.h"
#include "aws/util.h"
#include "tests/support/httpd.h"

typedef enum { F_XML, F_JSON, F_STATUS, F_RESET, F_SLOW } fault_kind;

typedef struct fault {
	fault_kind kind;
	int status;
	const char *code;    /* AWS error code in the body */
	int failures;        /* how many requests fail before success */
	int served;
} fault;

static const char ok_sts[] =
	"<GetCallerIdentityResponse><GetCallerIdentityResult><Arn>arn:aws:iam::111111111111:user/x</Arn>"
	"<Account>111111111111</Account><UserId>AID</UserId></GetCallerIdentityResult>"
	"<ResponseMetadata><RequestId>ok-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>";

static void handler(void *ctx, const tp_test_http_req *req, tp_test_reply *r)
{
	fault *f = ctx;
	int fail = f->served++ < f->failures;

	(void)req;
	snprintf(r->headers, sizeof(r->headers), "x-amzn-RequestId: req-%d\r\n", f->served);
	if (!fail) {
		r->body = tp_xstrdup(ok_sts);
		return;
	}
	switch (f->kind) {
	case F_RESET:
		r->action = TP_TEST_RESET;
		return;
	case F_SLOW:
		r->delay_ms = 700;
		r->body = tp_xstrdup(ok_sts);
		return;
	case F_STATUS:
		r->status = f->status;
		return;
	case F_JSON:
		r->status = f->status;
		r->body = tp_xasprintf("{\"__type\":\"com.amazonaws#%s\",\"message\":\"no\"}", f->code);
		return;
	case F_XML:
		r->status = f->status;
		r->body = tp_xasprintf("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code>"
				       "<Message>slow down</Message></Error><RequestId>rid-%d</RequestId>"
				       "</ErrorResponse>", f->code, f->served);
		return;
	}
}

typedef struct env {
	tp_test_httpd *srv;
	tp_aws_client *client;
	tp_retry_bucket *bucket;
} env;

static void start(env *e, fault *f, int max_attempts, int bucket_capacity, long timeout_ms)
{
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;

	e->srv = tp_test_httpd_start(handler, f);
	assert_non_null(e->srv);
	e->bucket = bucket_capacity ? tp_retry_bucket_new(bucket_capacity) : NULL;
	o.region = "us-east-1";
	o.endpoint_url = tp_test_httpd_url(e->srv);
	o.creds = tp_creds_static("AKIDEXAMPLE", "secret", NULL);
	o.max_attempts = max_attempts;
	o.retry_base_ms = 2;
	o.retry_cap_ms = 20;
	o.timeout_ms = timeout_ms;
	o.bucket = e->bucket;
	assert_int_equal(tp_aws_client_new(&e->client, &o), 0);
}

static void stop(env *e)
{
	tp_aws_client_free(e->client);
	tp_retry_bucket_free(e->bucket);
	tp_test_httpd_stop(e->srv);
}

static int call(env *e)
{
	tp_identity id;

	return tp_sts_get_caller_identity(e->client, &id);
}

/* Every retryable fault: success after N failures, N retries counted. */
static void test_retry__succeeds_after_n_failures(void **state)
{
	static const fault cases[] = {
		{ F_XML, 400, "Throttling", 2, 0 },
		{ F_XML, 400, "ThrottlingException", 2, 0 },
		{ F_XML, 400, "RequestLimitExceeded", 2, 0 },
		{ F_XML, 503, "SlowDown", 2, 0 },
		{ F_XML, 400, "RequestThrottled", 1, 0 },
		{ F_JSON, 400, "TooManyRequestsException", 2, 0 },
		{ F_STATUS, 429, NULL, 2, 0 },
		{ F_STATUS, 500, NULL, 2, 0 },
		{ F_STATUS, 502, NULL, 1, 0 },
		{ F_STATUS, 503, NULL, 2, 0 },
		{ F_STATUS, 504, NULL, 2, 0 },
		{ F_RESET, 0, NULL, 2, 0 },
		{ F_SLOW, 0, NULL, 1, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(cases); i++) {
		fault f = cases[i];
		tp_aws_stats st;
		env e;

		start(&e, &f, 3, 0, 300);
		if (call(&e) != 0)
			fail_msg("case %zu (%s %d): %s", i, f.code ? f.code : "-", f.status,
				 tp_error_last()->msg);
		tp_aws_client_stats(e.client, &st);
		assert_int_equal(f.served, f.failures + 1);
		assert_int_equal(st.retries, (uint64_t)f.failures);
		assert_int_equal(st.attempts, (uint64_t)f.failures + 1);
		stop(&e);
	}
}

static void test_retry__counts_by_cause(void **state)
{
	fault f = { F_XML, 400, "Throttling", 2, 0 };
	tp_aws_stats st;
	env e;

	(void)state;
	start(&e, &f, 3, 0, 0);
	assert_int_equal(call(&e), 0);
	tp_aws_client_stats(e.client, &st);
	assert_int_equal(st.throttled, 2);
	assert_int_equal(st.transient, 0);
	stop(&e);
}

static void test_retry__gives_up_with_the_last_error(void **state)
{
	fault f = { F_XML, 400, "Throttling", 100, 0 };
	env e;

	(void)state;
	start(&e, &f, 3, 0, 0);
	assert_int_equal(call(&e), TP_ETHROTTLED);
	assert_int_equal(f.served, 3);
	assert_string_equal(tp_error_last()->aws_code, "Throttling");
	assert_string_equal(tp_error_last()->request_id, "rid-3");  /* the last attempt's */
	stop(&e);
}

static void test_retry__honours_max_attempts(void **state)
{
	fault f = { F_STATUS, 503, NULL, 100, 0 };
	env e;

	(void)state;
	start(&e, &f, 5, 0, 0);
	assert_int_equal(call(&e), TP_EAWS);
	assert_int_equal(f.served, 5);
	assert_int_equal(tp_error_last()->http_status, 503);
	stop(&e);
}

static void test_retry__reset_every_time_is_a_network_error(void **state)
{
	fault f = { F_RESET, 0, NULL, 100, 0 };
	env e;

	(void)state;
	start(&e, &f, 3, 0, 0);
	assert_int_equal(call(&e), TP_ENET);
	assert_int_equal(f.served, 3);
	assert_non_null(strstr(tp_error_last()->msg, "after 3 attempts"));
	assert_non_null(strstr(tp_error_last()->msg, tp_test_httpd_url(e.srv)));
	stop(&e);
}

static void test_retry__validation_error_is_not_retried(void **state)
{
	static const fault cases[] = {
		{ F_XML, 400, "ValidationError", 100, 0 },
		{ F_JSON, 400, "ValidationException", 100, 0 },
		{ F_XML, 403, "AccessDenied", 100, 0 },
		{ F_STATUS, 404, NULL, 100, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(cases); i++) {
		fault f = cases[i];
		env e;

		start(&e, &f, 3, 0, 0);
		assert_true(call(&e) < 0);
		assert_int_equal(f.served, 1);
		stop(&e);
	}
}

/* A bucket of 10 tokens pays for two retries (5 each), then none; the
 * retry it refused is counted, in the client and in the process's totals. */
static void test_retry__token_bucket_stops_a_storm(void **state)
{
	fault f = { F_STATUS, 503, NULL, 1000, 0 };
	tp_aws_stats st, before, after, delta;
	env e;

	(void)state;
	tp_aws_stats_process(&before);
	start(&e, &f, 3, 10, 0);
	assert_true(call(&e) < 0);    /* 3 attempts: 2 retries, bucket now 0 */
	assert_int_equal(f.served, 3);
	assert_int_equal(tp_retry_bucket_level(e.bucket), 0);
	assert_true(call(&e) < 0);    /* no tokens: 1 attempt */
	assert_int_equal(f.served, 4);
	tp_aws_client_stats(e.client, &st);
	assert_int_equal(st.quota_refused, 1);
	assert_int_equal(st.retries, 2);
	stop(&e);
	/* the process's totals outlive the client */
	tp_aws_stats_process(&after);
	tp_aws_stats_sub(&delta, &after, &before);
	assert_int_equal(delta.calls, 2);
	assert_int_equal(delta.attempts, 4);
	assert_int_equal(delta.retries, 2);
	assert_int_equal(delta.transient, 2);
	assert_int_equal(delta.quota_refused, 1);
}

static void test_retry__classify(void **state)
{
	(void)state;
	assert_int_equal(tp_retry_classify(0, 200, NULL), TP_RETRY_NONE);
	assert_int_equal(tp_retry_classify(0, 400, "Throttling"), TP_RETRY_THROTTLE);
	assert_int_equal(tp_retry_classify(0, 400, "ValidationError"), TP_RETRY_NONE);
	assert_int_equal(tp_retry_classify(0, 429, NULL), TP_RETRY_THROTTLE);
	assert_int_equal(tp_retry_classify(0, 503, NULL), TP_RETRY_TRANSIENT);
	assert_int_equal(tp_retry_classify(TP_ENET, 0, NULL), TP_RETRY_TRANSIENT);
	assert_int_equal(tp_retry_classify(TP_ETIMEOUT, 0, NULL), TP_RETRY_TIMEOUT);
}

static void test_retry__full_jitter_is_bounded(void **state)
{
	int i, attempt;

	(void)state;
	for (attempt = 1; attempt <= 12; attempt++) {
		int64_t ceiling = 1000LL << (attempt - 1);
		if (ceiling > 20000)
			ceiling = 20000;
		for (i = 0; i < 200; i++) {
			int64_t d = tp_retry_delay_ms(attempt, 1000, 20000);
			assert_true(d >= 0 && d <= ceiling);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry__classify),
		cmocka_unit_test(test_retry__full_jitter_is_bounded),
		cmocka_unit_test(test_retry__succeeds_after_n_failures),
		cmocka_unit_test(test_retry__counts_by_cause),
		cmocka_unit_test(test_retry__gives_up_with_the_last_error),
		cmocka_unit_test(test_retry__honours_max_attempts),
		cmocka_unit_test(test_retry__reset_every_time_is_a_network_error),
		cmocka_unit_test(test_retry__validation_error_is_not_retried),
		cmocka_unit_test(test_retry__token_bucket_stops_a_storm),
	};

	tp_http_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
