/*
 * Per-account credentials (accounts/creds.h) against moto: AssumeRole of
 * pool.role in each member account gives credentials of that account,
 * kept per (account, session) and shared by threads asking at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/creds.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/sts.h"
#include "aws/util.h"
#include "tests/support/moto.h"

#define THREADS 6

static tp_local *moto;

/* GetCallerIdentity with `c` says which account they belong to. */
static void account_of(const tp_creds *c, char *out)
{
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_aws_client *client = NULL;
	tp_identity id;

	o.region = "us-east-1";
	o.endpoint_url = tp_local_endpoint(moto);
	o.creds = tp_creds_static(c->access_key_id, c->secret_access_key, c->session_token);
	assert_int_equal(tp_aws_client_new(&client, &o), 0);
	if (tp_sts_get_caller_identity(client, &id) < 0)
		fail_msg("GetCallerIdentity: %s", tp_error_last()->msg);
	tp_strlcpy(out, id.account, 16);
	tp_aws_client_free(client);
}

static void test_pool_creds__each_account_its_own(void **state)
{
	tp_cred_provider *base = tp_local_creds(moto);
	tp_account_creds *ac = tp_account_creds_new(base, "us-east-1",
						    "OrganizationAccountAccessRole");
	tp_creds a = TP_CREDS_INIT, again = TP_CREDS_INIT, b = TP_CREDS_INIT;
	tp_creds other = TP_CREDS_INIT;
	char who[16];

	(void)state;
	assert_int_equal(tp_account_creds_get(ac, &a, tp_local_account(moto, 0),
					      "tidepool-run-1-orders", 0), 0);
	assert_int_equal(tp_account_creds_get(ac, &again, tp_local_account(moto, 0),
					      "tidepool-run-1-orders", 0), 0);
	assert_int_equal(tp_account_creds_get(ac, &other, tp_local_account(moto, 0),
					      "tidepool-run-1-payments", 0), 0);
	assert_int_equal(tp_account_creds_get(ac, &b, tp_local_account(moto, 1),
					      "tidepool-run-1-orders", 0), 0);
	assert_string_equal(again.access_key_id, a.access_key_id);      /* cached */
	assert_string_not_equal(other.access_key_id, a.access_key_id);  /* own session */
	assert_true(a.expiration > tp_time_now() + 600);
	account_of(&a, who);
	assert_string_equal(who, tp_local_account(moto, 0));
	account_of(&b, who);
	assert_string_equal(who, tp_local_account(moto, 1));
	assert_int_equal(tp_account_creds_get(ac, &b, "12345", "s", 0), TP_EINVAL);
	tp_creds_release(&a);
	tp_creds_release(&again);
	tp_creds_release(&b);
	tp_creds_release(&other);
	tp_account_creds_free(ac);
	tp_cred_provider_free(base);
}

struct shared {
	tp_account_creds *ac;
	char keys[THREADS][128];
};

static void *fetch(void *arg)
{
	struct shared *sh = ((void **)arg)[0];
	size_t i = (size_t)((void **)arg)[1];
	tp_creds c = TP_CREDS_INIT;

	if (tp_account_creds_get(sh->ac, &c, tp_local_account(moto, 0), "tidepool-threads", 0) == 0)
		tp_strlcpy(sh->keys[i], c.access_key_id, sizeof(sh->keys[i]));
	tp_creds_release(&c);
	return NULL;
}

static void test_pool_creds__threads_share_one_session(void **state)
{
	tp_cred_provider *base = tp_local_creds(moto);
	struct shared sh = { tp_account_creds_new(base, "us-east-1", "OrganizationAccountAccessRole"),
			     { { 0 } } };
	void *args[THREADS][2];
	pthread_t t[THREADS];
	size_t i;

	(void)state;
	for (i = 0; i < THREADS; i++) {
		args[i][0] = &sh;
		args[i][1] = (void *)i;
		pthread_create(&t[i], NULL, fetch, args[i]);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	for (i = 0; i < THREADS; i++) {
		assert_true(sh.keys[i][0] != '\0');
		assert_string_equal(sh.keys[i], sh.keys[0]);
	}
	tp_account_creds_free(sh.ac);
	tp_cred_provider_free(base);
}

static int group_setup(void **state)
{
	(void)state;
	moto = tp_test_moto_start(0, 2);
	setenv("AWS_ENDPOINT_URL", tp_local_endpoint(moto), 1);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tp_local_stop(moto);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_creds__each_account_its_own),
		cmocka_unit_test(test_pool_creds__threads_share_one_session),
	};

	tp_http_global_init();
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
