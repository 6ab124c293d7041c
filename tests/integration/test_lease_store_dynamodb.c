/*
 * The lease-store contract (tests/store_cases.c) on the DynamoDB backend,
 * against moto; and DynamoDB's own: the table is created on first use
 * (on-demand billing), a foreign table is refused, an unreachable endpoint
 * is a clear infrastructure error.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/store.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/util.h"
#include "tests/store_cases.h"
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
