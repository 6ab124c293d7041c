/*
 * The pool (accounts/pool.h) over a SQLite store: the id and blocklist
 * rules, all-or-nothing add and remove, acquire that never leases a
 * blocklisted account and waits when asked, the owner's token; and the
 * session names and role ARNs of accounts/creds.h.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "accounts/creds.h"
#include "accounts/pool.h"
#include "aws/error.h"
#include "aws/util.h"
#include "tests/support/testutil.h"

#define A1 "400000000001"
#define A2 "400000000002"
#define A3 "400000000003"
#define BL "499999999999"

struct fixture {
	char *dir;
	tp_pool *pool;
};

static int open_pool(tp_pool **out, const char *dir, const char *const *accounts, size_t n)
{
	static const char *const blocklist[] = { BL };
	tp_pool_opts o = TP_POOL_OPTS_INIT;

	o.store_url = "sqlite:.tidepool/pool.db";
	o.accounts = accounts;
	o.n_accounts = n;
	o.blocklist = blocklist;
	o.n_blocklist = 1;
	o.store.base_dir = dir;
	return tp_pool_open(out, &o);
}

static int setup(void **state)
{
	static const char *const accounts[] = { A1, A2 };
	struct fixture *f = tp_xcalloc(1, sizeof(*f));

	f->dir = tp_test_tmpdir("pool");
	if (open_pool(&f->pool, f->dir, accounts, 2) < 0 || tp_pool_sync(f->pool, NULL) < 0)
		fail_msg("open the pool: %s", tp_error_last()->msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tp_pool_free(f->pool);
	tp_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static size_t count(tp_pool *p)
{
	tp_account_list l;
	size_t n;

	assert_int_equal(tp_store_list(tp_pool_store(p), &l), 0);
	n = l.n;
	tp_account_list_release(&l);
	return n;
}

static tp_lease lease(tp_pool *p, const char *holder, const char *account)
{
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	tp_lease l;

	o.holder = holder;
	o.ttl = 600;
	o.account = account;
	if (tp_pool_acquire(p, &l, &o, 0) < 0)
		fail_msg("acquire: %s", tp_error_last()->msg);
	return l;
}

static void test_pool__open_checks_the_lists_before_the_store(void **state)
{
	static const char *const blocked[] = { A1, BL };
	static const char *const malformed[] = { A1, "4000000001" };
	char *dir = tp_test_tmpdir("pool-open"), *db = tp_xasprintf("%s/.tidepool", dir);
	tp_pool *p = NULL;
	struct stat st;

	(void)state;
	assert_int_equal(open_pool(&p, dir, blocked, 2), TP_EINVAL);
	assert_non_null(strstr(tp_error_last()->msg, "is in pool.blocklist"));
	assert_int_equal(open_pool(&p, dir, malformed, 2), TP_EINVAL);
	assert_non_null(strstr(tp_error_last()->msg, "'4000000001'"));
	assert_null(p);
	assert_int_not_equal(stat(db, &st), 0);    /* no store was made */
	tp_test_rmtree(dir);
	free(dir);
	free(db);
}

static void test_pool__sync_adds_the_configured_accounts_once(void **state)
{
	struct fixture *f = *state;
	size_t added = 9;

	assert_int_equal(count(f->pool), 2);
	assert_int_equal(tp_pool_sync(f->pool, &added), 0);
	assert_int_equal(added, 0);
}

static void test_pool__add_is_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	const char *bad_id[] = { A3, "40000000000x" };
	const char *blocked[] = { A3, BL };
	const char *good[] = { A3, A1 };
	size_t added;

	assert_int_equal(tp_pool_add(f->pool, bad_id, 2, &added), TP_EINVAL);
	assert_int_equal(tp_pool_add(f->pool, blocked, 2, &added), TP_EINVAL);
	assert_non_null(strstr(tp_error_last()->msg, "blocklist"));
	assert_int_equal(count(f->pool), 2);
	assert_int_equal(tp_pool_add(f->pool, good, 2, &added), 0);
	assert_int_equal(added, 1);
	assert_int_equal(count(f->pool), 3);
}

static void test_pool__remove_is_all_or_nothing(void **state)
{
	struct fixture *f = *state;
	const char *both[] = { A2, A1 };
	const char *missing[] = { A2, A3 };

	lease(f->pool, "h", A1);
	assert_int_equal(tp_pool_remove(f->pool, both, 2, 0), TP_ECONFLICT);
	assert_non_null(strstr(tp_error_last()->msg, "--force"));
	assert_int_equal(tp_pool_remove(f->pool, missing, 2, 0), TP_EINVAL);
	assert_non_null(strstr(tp_error_last()->msg, A3 " is not in the pool"));
	assert_int_equal(count(f->pool), 2);
	assert_int_equal(tp_pool_remove(f->pool, both, 2, 1), 0);
	assert_int_equal(count(f->pool), 0);
}

static void test_pool__never_leases_a_blocklisted_account(void **state)
{
	struct fixture *f = *state;
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	tp_lease l;

	/* in the store from before it was blocklisted */
	assert_int_equal(tp_store_add(tp_pool_store(f->pool), BL), 0);
	lease(f->pool, "a", NULL);
	lease(f->pool, "b", NULL);
	o.holder = "c";
	o.ttl = 60;
	assert_int_equal(tp_pool_acquire(f->pool, &l, &o, 0), TP_EBUSY);
	assert_non_null(strstr(tp_error_last()->msg, "none acceptable"));
	o.account = BL;
	assert_int_equal(tp_pool_acquire(f->pool, &l, &o, 0), TP_EINVAL);
}

struct release_later {
	tp_pool *pool;
	tp_lease lease;
};

static void *release_after_a_while(void *arg)
{
	struct release_later *r = arg;

	tp_sleep_ms(400);
	tp_store_release(tp_pool_store(r->pool), r->lease.account, r->lease.token,
			 TP_RELEASE_AVAILABLE);
	return NULL;
}

static void test_pool__acquire_waits_when_asked(void **state)
{
	struct fixture *f = *state;
	struct release_later r = { f->pool, { "", 0, 0 } };
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	pthread_t t;
	int64_t t0;
	tp_lease l;

	lease(f->pool, "a", A1);
	r.lease = lease(f->pool, "b", A2);
	o.holder = "c";
	o.ttl = 60;
	t0 = tp_now_ms();
	assert_int_equal(tp_pool_acquire(f->pool, &l, &o, 1), TP_EBUSY);
	assert_true(tp_now_ms() - t0 >= 1000);
	assert_non_null(strstr(tp_error_last()->msg, "waited 1s: no account available"));
	pthread_create(&t, NULL, release_after_a_while, &r);
	t0 = tp_now_ms();
	assert_int_equal(tp_pool_acquire(f->pool, &l, &o, 10), 0);
	pthread_join(t, NULL);
	assert_string_equal(l.account, A2);
	assert_true(tp_now_ms() - t0 >= 350);
	assert_true(tp_now_ms() - t0 < 5000);
}

static void test_pool__the_owner_token(void **state)
{
	struct fixture *f = *state;
	tp_lease l = lease(f->pool, "alice", A1);
	tp_account a;
	int64_t token;

	assert_int_equal(tp_pool_owner_token(f->pool, &token, A1, "alice"), 0);
	assert_int_equal(token, l.token);
	assert_int_equal(tp_pool_owner_token(f->pool, &token, A1, "bob"), TP_ECONFLICT);
	assert_non_null(strstr(tp_error_last()->msg, "lease superseded: account " A1
				" is leased by alice"));
	assert_int_equal(tp_pool_owner_token(f->pool, &token, A2, "alice"), TP_ECONFLICT);
	assert_non_null(strstr(tp_error_last()->msg, "not leased (it is available)"));
	assert_int_equal(tp_pool_owner_token(f->pool, &token, A3, "alice"), TP_EINVAL);
	assert_int_equal(tp_pool_live_lease(f->pool, &a, A1, l.token), 0);
	assert_string_equal(a.holder, "alice");
	tp_account_release(&a);
	assert_int_equal(tp_pool_live_lease(f->pool, &a, A1, l.token - 1), TP_ECONFLICT);
}

static void test_pool__session_names_suit_sts(void **state)
{
	static const struct {
		const char *a, *b, *want;
	} cases[] = {
		{ "claim", "alice@laptop", "tidepool-claim-alice@laptop" },
		{ "run-42", "orders", "tidepool-run-42-orders" },
		{ "claim", "Jo Doe/ci:x", "tidepool-claim-Jo-Doe-ci-x" },
		{ "claim", "a+b=c,d.e_f", "tidepool-claim-a+b=c,d.e_f" },
		{ "r", NULL, "tidepool-r" },
		{ "20260101T000000-abcdef", "a-very-long-suite-name-that-goes-on-and-on-forever",
		  "tidepool-20260101T000000-abcdef-a-very-long-suite-name-that-goes" },
	};
	char out[TP_SESSION_NAME_MAX + 1], *arn;
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(cases); i++) {
		tp_account_session_name(out, cases[i].a, cases[i].b);
		assert_string_equal(out, cases[i].want);
		assert_true(strlen(out) <= TP_SESSION_NAME_MAX);
	}
	arn = tp_account_role_arn(A1, "OrganizationAccountAccessRole");
	assert_string_equal(arn, "arn:aws:iam::" A1 ":role/OrganizationAccountAccessRole");
	free(arn);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool__open_checks_the_lists_before_the_store),
		T(test_pool__sync_adds_the_configured_accounts_once),
		T(test_pool__add_is_all_or_nothing),
		T(test_pool__remove_is_all_or_nothing),
		T(test_pool__never_leases_a_blocklisted_account),
		T(test_pool__acquire_waits_when_asked),
		T(test_pool__the_owner_token),
		cmocka_unit_test(test_pool__session_names_suit_sts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
