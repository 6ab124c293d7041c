/*
 * `tidepool sweep` end to end against moto (issue 5, must-show 3): six
 * member accounts in the pool, two with expired leases, two dirty, two
 * available, each holding queues and a bucket with objects. A dry run
 * changes nothing; the real sweep cleans the four (now available, empty)
 * and never touches the two available ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "accounts/pool.h"
#include "aws/client.h"
#include "aws/error.h"
#include "aws/local.h"
#include "aws/util.h"
#include "tests/support/moto.h"
#include "tests/support/testutil.h"

#define ROLE "OrganizationAccountAccessRole"
#define N 6

static tp_local *moto;
static char *dir;
static const char *ids[N];

static void s3(tp_aws_client *c, const char *method, const char *bucket, const char *path,
	       const char *body)
{
	tp_rest_request rq = { 0 };
	tp_rest_response resp = TP_REST_RESPONSE_INIT;

	rq.operation = method;
	rq.method = method;
	rq.bucket = bucket;
	rq.path = path;
	rq.body = body;
	rq.body_len = body ? strlen(body) : 0;
	if (tp_aws_rest(c, &resp, "s3", NULL, &rq) < 0)
		fail_msg("S3 %s %s%s: %s", method, bucket, path, tp_error_last()->msg);
	tp_http_response_release(&resp);
}

/* Two queues and a bucket with five objects. */
static void fill(const char *account)
{
	tp_aws_client *c = tp_test_moto_client_in(moto, account, "sweep-test", NULL);
	char name[64], key[32];
	json_t *resp = NULL, *req;
	int i;

	for (i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "work-%d", i);
		req = json_pack("{s:s}", "QueueName", name);
		assert_int_equal(tp_aws_json(c, &resp, "sqs", NULL, "CreateQueue", req), 0);
		json_decref(req);
		json_decref(resp);
	}
	snprintf(name, sizeof(name), "data-%s", account);
	s3(c, "PUT", name, "/", NULL);
	for (i = 0; i < 5; i++) {
		snprintf(key, sizeof(key), "/obj-%d", i);
		s3(c, "PUT", name, key, "payload");
	}
	tp_aws_client_free(c);
}

/* Queues + buckets left in the account. */
static size_t left_in(const char *account)
{
	tp_aws_client *c = tp_test_moto_client_in(moto, account, "sweep-test", NULL);
	tp_rest_request rq = { 0 };
	tp_rest_response resp = TP_REST_RESPONSE_INIT;
	json_t *out = NULL;
	size_t n;

	assert_int_equal(tp_aws_json(c, &out, "sqs", NULL, "ListQueues", NULL), 0);
	n = json_array_size(json_object_get(out, "QueueUrls"));
	json_decref(out);
	rq.operation = "ListBuckets";
	rq.method = "GET";
	rq.path = "/";
	assert_int_equal(tp_aws_rest(c, &resp, "s3", NULL, &rq), 0);
	if (resp.body.len && strstr(tp_buf_cstr(&resp.body), "<Name>data-"))
		n++;
	tp_http_response_release(&resp);
	tp_aws_client_free(c);
	return n;
}

static tp_pool *open_pool(void)
{
	tp_pool_opts o = TP_POOL_OPTS_INIT;
	tp_pool *p = NULL;

	o.store_url = "sqlite:pool.db";
	o.accounts = ids;
	o.n_accounts = N;
	o.store.base_dir = dir;
	if (tp_pool_open(&p, &o) < 0 || tp_pool_sync(p, NULL) < 0)
		fail_msg("pool: %s", tp_error_last()->msg);
	return p;
}

static void lease(tp_pool *p, const char *id, long ttl, int release)
{
	tp_acquire_opts a = TP_ACQUIRE_OPTS_INIT;
	tp_lease l;

	a.holder = "ci-7";
	a.ttl = ttl;
	a.account = id;
	assert_int_equal(tp_store_acquire(tp_pool_store(p), &l, &a), 0);
	if (release)
		assert_int_equal(tp_store_release(tp_pool_store(p), id, l.token, TP_RELEASE_DIRTY), 0);
}

static tp_account_state state_of(tp_pool *p, const char *id)
{
	tp_account a = TP_ACCOUNT_INIT;
	tp_account_state st;

	assert_int_equal(tp_store_get(tp_pool_store(p), &a, id), 0);
	st = tp_account_state_at(&a, tp_store_now(tp_pool_store(p)));
	tp_account_release(&a);
	return st;
}

static int sweep(const char *a1, const char *a2, char **out, char **err)
{
	char *env[9];
	char *argv[] = { (char *)tp_test_tidepool_bin(), "sweep", "-C", dir, (char *)a1, (char *)a2,
			 NULL };
	size_t i, n = 0;
	int rc;

	env[n++] = tp_xasprintf("AWS_ENDPOINT_URL=%s", tp_local_endpoint(moto));
	env[n++] = tp_xasprintf("AWS_ACCESS_KEY_ID=%s", tp_local_access_key(moto));
	env[n++] = tp_xasprintf("AWS_SECRET_ACCESS_KEY=%s", tp_local_secret_key(moto));
	env[n++] = tp_xstrdup("AWS_SESSION_TOKEN=");
	env[n++] = tp_xstrdup("AWS_PROFILE=");
	env[n++] = tp_xstrdup("AWS_REGION=us-east-1");
	env[n++] = tp_xstrdup("AWS_CONFIG_FILE=/nonexistent/tidepool-test");
	env[n++] = tp_xstrdup("AWS_SHARED_CREDENTIALS_FILE=/nonexistent/tidepool-test");
	env[n] = NULL;
	rc = tp_test_run(argv, env, out, err);
	for (i = 0; i < n; i++)
		free(env[i]);
	return rc;
}

/* The end of a long output (cmocka's messages are short). */
static const char *tail(const char *s)
{
	size_t n = strlen(s);

	return n > 1500 ? s + n - 1500 : s;
}

static void test_sweep_moto__cleans_expired_and_dirty_accounts_only(void **state)
{
	tp_pool *p;
	char *yaml, *out = NULL, *err = NULL;
	int i, rc;

	(void)state;
	moto = tp_test_moto_start(0, N);
	dir = tp_test_tmpdir("sweep");
	for (i = 0; i < N; i++) {
		ids[i] = tp_local_account(moto, (size_t)i);
		fill(ids[i]);
	}
	yaml = tp_xasprintf("regions: [us-east-1]\npool:\n  store: sqlite:pool.db\n  role: %s\n"
			    "  accounts: [\"%s\", \"%s\", \"%s\", \"%s\", \"%s\", \"%s\"]\n"
			    "cleaner:\n  mode: full\n", ROLE, ids[0], ids[1], ids[2], ids[3], ids[4],
			    ids[5]);
	free(tp_test_write_file(dir, "tidepool.yaml", yaml));
	free(yaml);
	p = open_pool();
	lease(p, ids[0], 1, 0);
	lease(p, ids[1], 1, 0);
	lease(p, ids[2], 3600, 1);
	lease(p, ids[3], 3600, 1);
	tp_sleep_ms(2100);                       /* the 1 s leases expire unrenewed */
	assert_int_equal(state_of(p, ids[0]), TP_ACCOUNT_EXPIRED);
	assert_int_equal(state_of(p, ids[3]), TP_ACCOUNT_DIRTY);

	/* A dry run names the four and changes nothing. */
	rc = sweep(NULL, NULL, &out, &err);
	if (rc != 0)
		fail_msg("dry run exited %d:\n%s\n%s", rc, err, tail(out));
	for (i = 0; i < 4; i++)
		assert_non_null(strstr(out, ids[i]));
	assert_null(strstr(out, ids[4]));
	assert_non_null(strstr(out, "4 accounts would be cleaned"));
	assert_int_equal(state_of(p, ids[0]), TP_ACCOUNT_EXPIRED);
	assert_int_equal(state_of(p, ids[2]), TP_ACCOUNT_DIRTY);
	assert_int_equal(left_in(ids[0]), 3);
	free(out);
	free(err);

	rc = sweep("--no-dry-run", "--yes", &out, &err);
	if (rc != 0 || !strstr(out, "Sweep complete: 4 cleaned, 0 failed, 0 quarantined, 0 skipped."))
		fail_msg("sweep exited %d:\n%s\n%s", rc, err, tail(out));
	for (i = 0; i < N; i++)
		assert_int_equal(state_of(p, ids[i]), TP_ACCOUNT_AVAILABLE);
	for (i = 0; i < 4; i++)
		assert_int_equal(left_in(ids[i]), 0);
	for (i = 4; i < N; i++)
		assert_int_equal(left_in(ids[i]), 3);
	free(out);
	free(err);
	tp_pool_free(p);
	tp_local_stop(moto);
	tp_test_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sweep_moto__cleans_expired_and_dirty_accounts_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
