/* The lease-store contract, backend-independent (see store_cases.h). */
#include "tests/store_cases.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/error.h"
#include "aws/util.h"

#define A1 "111111111111"
#define A2 "222222222222"
#define A3 "333333333333"
#define T0 ((time_t)1700000000)

int (*tp_store_cases_open)(tp_store_fixture *f);
void (*tp_store_cases_close)(tp_store_fixture *f);

time_t tp_store_fixture_clock(void *fixture)
{
	return ((tp_store_fixture *)fixture)->now;
}

static int setup(void **state)
{
	tp_store_fixture *f = tp_xcalloc(1, sizeof(*f));

	f->now = T0;
	if (tp_store_cases_open(f) < 0)
		fail_msg("cannot open the store: %s", tp_error_last()->msg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	tp_store_fixture *f = *state;

	tp_store_cases_close(f);
	free(f);
	return 0;
}

static tp_store *add3(void **state)
{
	tp_store_fixture *f = *state;

	assert_int_equal(tp_store_add(f->store, A1), 0);
	assert_int_equal(tp_store_add(f->store, A2), 0);
	assert_int_equal(tp_store_add(f->store, A3), 0);
	return f->store;
}

static tp_lease lease_of(tp_store *s, const char *holder, const char *account, long ttl)
{
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	tp_lease l;

	o.holder = holder;
	o.run_id = "run-1";
	o.ttl = ttl;
	o.account = account;
	if (tp_store_acquire(s, &l, &o) < 0)
		fail_msg("acquire %s: %s", account ? account : "(any)", tp_error_last()->msg);
	return l;
}

static void get(tp_store *s, tp_account *a, const char *id)
{
	if (tp_store_get(s, a, id) < 0)
		fail_msg("get %s: %s", id, tp_error_last()->msg);
}

static void expect_error(int rc, int code, const char *needle)
{
	assert_int_equal(rc, code);
	assert_int_equal(tp_error_last()->code, code);
	if (!strstr(tp_error_last()->msg, needle))
		fail_msg("expected '%s' in: %s", needle, tp_error_last()->msg);
}

static void test_store__add_list_get(void **state)
{
	tp_store *s = add3(state);
	tp_account_list l;
	tp_account a;

	assert_int_equal(tp_store_add(s, A2), 1);
	assert_int_equal(tp_store_list(s, &l), 0);
	assert_int_equal(l.n, 3);
	assert_string_equal(l.items[0].id, A1);
	assert_string_equal(l.items[2].id, A3);
	tp_account_list_release(&l);
	get(s, &a, A2);
	assert_int_equal(a.state, TP_ACCOUNT_AVAILABLE);
	assert_int_equal(a.version, 1);
	assert_null(a.holder);
	assert_int_equal(a.changed_at, T0);
	tp_account_release(&a);
	expect_error(tp_store_get(s, &a, "444444444444"), TP_ENOTFOUND, "not in the pool");
}

static void test_store__acquire_fills_the_lease(void **state)
{
	tp_store_fixture *f = *state;
	tp_store *s = add3(state);
	tp_lease l = lease_of(s, "alice", NULL, 600);
	tp_account a;

	assert_int_equal(l.token, 2);
	assert_int_equal(l.expires_at, T0 + 600);
	get(s, &a, l.account);
	assert_int_equal(a.state, TP_ACCOUNT_LEASED);
	assert_int_equal(a.version, l.token);
	assert_string_equal(a.holder, "alice");
	assert_string_equal(a.run_id, "run-1");
	assert_int_equal(a.leased_at, f->now);
	assert_int_equal(a.expires_at, T0 + 600);
	tp_account_release(&a);
}

static void test_store__acquire_until_none_is_available(void **state)
{
	tp_store *s = add3(state);
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	tp_lease l1 = lease_of(s, "a", NULL, 60), l2 = lease_of(s, "b", NULL, 60);
	tp_lease l3 = lease_of(s, "c", NULL, 60), l4;

	assert_string_not_equal(l1.account, l2.account);
	assert_string_not_equal(l2.account, l3.account);
	assert_string_not_equal(l1.account, l3.account);
	o.holder = "d";
	o.ttl = 60;
	expect_error(tp_store_acquire(s, &l4, &o), TP_EBUSY, "no account available");
	assert_non_null(strstr(tp_error_last()->msg, "3 leased"));
}

static void test_store__acquire_a_named_account(void **state)
{
	tp_store *s = add3(state);
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	tp_lease l = lease_of(s, "a", A2, 60);

	assert_string_equal(l.account, A2);
	o.holder = "b";
	o.ttl = 60;
	o.account = A2;
	expect_error(tp_store_acquire(s, &l, &o), TP_EBUSY, "leased by a");
	o.account = "444444444444";
	expect_error(tp_store_acquire(s, &l, &o), TP_ENOTFOUND, "not in the pool");
}

/* Prefers A3, excludes A1. */
static long prefer_a3(void *ctx, const tp_account *a)
{
	(*(int *)ctx)++;
	if (strcmp(a->id, A1) == 0)
		return -1;
	return strcmp(a->id, A3) == 0 ? 10 : 1;
}

static void test_store__acquire_follows_the_score(void **state)
{
	tp_store *s = add3(state);
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	tp_lease l;
	int calls = 0;

	o.holder = "h";
	o.ttl = 60;
	o.score = prefer_a3;
	o.score_ctx = &calls;
	assert_int_equal(tp_store_acquire(s, &l, &o), 0);
	assert_string_equal(l.account, A3);
	assert_true(calls >= 3);
	assert_int_equal(tp_store_acquire(s, &l, &o), 0);
	assert_string_equal(l.account, A2);
	expect_error(tp_store_acquire(s, &l, &o), TP_EBUSY, "no account available");
}

static void test_store__renew_moves_the_expiry(void **state)
{
	tp_store_fixture *f = *state;
	tp_store *s = add3(state);
	tp_lease l = lease_of(s, "a", A1, 60);
	tp_account a;
	time_t exp;

	f->now += 50;
	assert_int_equal(tp_store_renew(s, A1, l.token, 120, &exp), 0);
	assert_int_equal(exp, f->now + 120);
	get(s, &a, A1);
	assert_int_equal(a.expires_at, f->now + 120);
	assert_int_equal(a.version, l.token);      /* renewing is not a transition */
	tp_account_release(&a);
	f->now += 100;
	assert_int_equal(tp_store_renew(s, A1, l.token, 60, NULL), 0);
}

static void test_store__an_expired_lease_cannot_be_renewed(void **state)
{
	tp_store_fixture *f = *state;
	tp_store *s = add3(state);
	tp_lease l = lease_of(s, "a", A1, 60);
	tp_account a;

	f->now += 61;
	get(s, &a, A1);
	assert_int_equal(tp_account_state_at(&a, f->now), TP_ACCOUNT_EXPIRED);
	assert_string_equal(tp_account_state_name(tp_account_state_at(&a, f->now)), "expired");
	tp_account_release(&a);
	expect_error(tp_store_renew(s, A1, l.token, 60, NULL), TP_ECONFLICT, "expired");
	get(s, &a, A1);
	assert_int_equal(a.expires_at, T0 + 60);
	tp_account_release(&a);
	/* not acquirable either */
	lease_of(s, "b", A2, 60);
	lease_of(s, "c", A3, 60);
	{
		tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
		o.holder = "d";
		o.ttl = 60;
		expect_error(tp_store_acquire(s, &l, &o), TP_EBUSY, "1 expired");
	}
}

static void test_store__release_to_dirty_or_available(void **state)
{
	tp_store *s = add3(state);
	tp_lease l1 = lease_of(s, "a", A1, 60), l2 = lease_of(s, "b", A2, 60);
	tp_account a;

	assert_int_equal(tp_store_release(s, A1, l1.token, TP_RELEASE_DIRTY), 0);
	assert_int_equal(tp_store_release(s, A2, l2.token, TP_RELEASE_AVAILABLE), 0);
	get(s, &a, A1);
	assert_int_equal(a.state, TP_ACCOUNT_DIRTY);
	assert_int_equal(a.version, l1.token + 1);
	assert_null(a.holder);
	assert_null(a.run_id);
	assert_int_equal(a.expires_at, 0);
	tp_account_release(&a);
	get(s, &a, A2);
	assert_int_equal(a.state, TP_ACCOUNT_AVAILABLE);
	tp_account_release(&a);
	expect_error(tp_store_release(s, A1, l1.token, TP_RELEASE_DIRTY), TP_ECONFLICT,
		     "lease superseded");
}

static void test_store__records_stacks_under_the_lease(void **state)
{
	tp_store *s = add3(state);
	tp_lease l = lease_of(s, "a", A1, 60);
	tp_account a;

	assert_int_equal(tp_store_record_stack(s, A1, l.token, "common", "h1"), 0);
	assert_int_equal(tp_store_record_stack(s, A1, l.token, "api.v2", "h2"), 0);
	assert_int_equal(tp_store_record_stack(s, A1, l.token, "common", "h3"), 0);
	get(s, &a, A1);
	assert_int_equal(a.n_stacks, 2);
	assert_string_equal(a.stacks[0].name, "api.v2");
	assert_string_equal(tp_account_stack_hash(&a, "common"), "h3");
	tp_account_release(&a);
	assert_int_equal(tp_store_record_stack(s, A1, l.token, "api.v2", NULL), 0);
	expect_error(tp_store_record_stack(s, A1, l.token + 1, "x", "h"), TP_ECONFLICT,
		     "lease superseded");
	get(s, &a, A1);
	assert_int_equal(a.n_stacks, 1);
	assert_null(tp_account_stack_hash(&a, "api.v2"));
	assert_null(tp_account_stack_hash(&a, "x"));
	tp_account_release(&a);
	/* the stacks outlive the lease (keep-stacks cleaning) */
	assert_int_equal(tp_store_release(s, A1, l.token, TP_RELEASE_AVAILABLE), 0);
	get(s, &a, A1);
	assert_string_equal(tp_account_stack_hash(&a, "common"), "h3");
	tp_account_release(&a);
}

/* Expiry, simulated clean, a new lease: the old holder's token is dead. */
static void test_store__a_superseded_lease_changes_nothing(void **state)
{
	tp_store_fixture *f = *state;
	tp_store *s = add3(state);
	tp_lease old = lease_of(s, "old", A1, 60), cur;
	tp_account before, after;
	int64_t v;

	f->now += 120;
	assert_int_equal(tp_store_clean_begin(s, A1, old.token, &v), 0);
	assert_int_equal(tp_store_clean_end(s, A1, v, &(tp_clean_outcome){ 1, NULL, 0, 0 }, NULL), 0);
	cur = lease_of(s, "new", A1, 60);
	assert_true(cur.token > old.token);
	get(s, &before, A1);
	expect_error(tp_store_renew(s, A1, old.token, 600, NULL), TP_ECONFLICT, "lease superseded");
	assert_non_null(strstr(tp_error_last()->msg, "leased by new"));
	expect_error(tp_store_release(s, A1, old.token, TP_RELEASE_DIRTY), TP_ECONFLICT,
		     "lease superseded");
	expect_error(tp_store_record_stack(s, A1, old.token, "x", "h"), TP_ECONFLICT,
		     "lease superseded");
	get(s, &after, A1);
	assert_int_equal(after.state, TP_ACCOUNT_LEASED);
	assert_int_equal(after.version, before.version);
	assert_string_equal(after.holder, "new");
	assert_int_equal(after.expires_at, before.expires_at);
	assert_int_equal(after.n_stacks, 0);
	tp_account_release(&before);
	tp_account_release(&after);
	assert_int_equal(tp_store_release(s, A1, cur.token, TP_RELEASE_DIRTY), 0);
}

static void clean_fails(tp_store *s, const char *id, const char *why, tp_account_state want)
{
	tp_account a;
	tp_account_state st;
	int64_t v;

	get(s, &a, id);
	assert_int_equal(tp_store_clean_begin(s, id, a.version, &v), 0);
	assert_int_equal(tp_store_clean_end(s, id, v, &(tp_clean_outcome){ 0, why, 0, 0 }, &st), 0);
	assert_int_equal(st, want);
	tp_account_release(&a);
}

static void test_store__three_failed_cleans_quarantine(void **state)
{
	tp_store *s = add3(state);
	tp_lease l = lease_of(s, "a", A1, 60);
	tp_account a;
	int64_t v;

	assert_int_equal(tp_store_release(s, A1, l.token, TP_RELEASE_DIRTY), 0);
	clean_fails(s, A1, "S3Bucket b: AccessDenied", TP_ACCOUNT_DIRTY);
	clean_fails(s, A1, "S3Bucket b: AccessDenied", TP_ACCOUNT_DIRTY);
	get(s, &a, A1);
	assert_int_equal(a.failed_cleans, 2);
	tp_account_release(&a);
	clean_fails(s, A1, "IAMRole r: DeleteConflict", TP_ACCOUNT_QUARANTINED);
	get(s, &a, A1);
	assert_int_equal(a.state, TP_ACCOUNT_QUARANTINED);
	assert_int_equal(a.failed_cleans, 3);
	assert_string_equal(a.reason, "IAMRole r: DeleteConflict");
	expect_error(tp_store_clean_begin(s, A1, a.version, &v), TP_ECONFLICT, "quarantined");
	tp_account_release(&a);
}

static void test_store__an_interrupted_clean_is_not_a_failure(void **state)
{
	tp_store *s = add3(state);
	tp_lease l = lease_of(s, "a", A1, 60);
	tp_clean_outcome stop = { 0, NULL, 0, 1 };
	tp_account_state st;
	tp_account a;
	int i;
	int64_t v;

	assert_int_equal(tp_store_release(s, A1, l.token, TP_RELEASE_DIRTY), 0);
	clean_fails(s, A1, "boom", TP_ACCOUNT_DIRTY);
	for (i = 0; i < TP_QUARANTINE_AFTER + 1; i++) {
		get(s, &a, A1);
		assert_int_equal(tp_store_clean_begin(s, A1, a.version, &v), 0);
		assert_int_equal(tp_store_clean_end(s, A1, v, &stop, &st), 0);
		assert_int_equal(st, TP_ACCOUNT_DIRTY);
		tp_account_release(&a);
	}
	get(s, &a, A1);
	assert_int_equal(a.state, TP_ACCOUNT_DIRTY);
	assert_int_equal(a.failed_cleans, 1);      /* only the real failure counts */
	assert_string_equal(a.reason, "the clean was interrupted");
	tp_account_release(&a);
}

static void test_store__a_good_clean_resets_the_count(void **state)
{
	tp_store *s = add3(state);
	tp_lease l = lease_of(s, "a", A1, 60);
	tp_account a;
	int64_t v;

	assert_int_equal(tp_store_record_stack(s, A1, l.token, "common", "h1"), 0);
	assert_int_equal(tp_store_release(s, A1, l.token, TP_RELEASE_DIRTY), 0);
	clean_fails(s, A1, "boom", TP_ACCOUNT_DIRTY);
	get(s, &a, A1);
	assert_int_equal(tp_store_clean_begin(s, A1, a.version, &v), 0);
	tp_account_release(&a);
	assert_int_equal(tp_store_clean_end(s, A1, v, &(tp_clean_outcome){ 1, NULL, 1, 0 }, NULL), 0);
	get(s, &a, A1);
	assert_int_equal(a.state, TP_ACCOUNT_AVAILABLE);
	assert_int_equal(a.failed_cleans, 0);
	assert_null(a.reason);
	assert_int_equal(a.n_stacks, 0);          /* full-mode clean forgot them */
	tp_account_release(&a);
}

static void test_store__the_sweeper_is_fenced_by_version(void **state)
{
	tp_store_fixture *f = *state;
	tp_store *s = add3(state);
	tp_lease l = lease_of(s, "a", A1, 60);
	int64_t v;

	/* a live lease is not cleanable; an available account neither */
	expect_error(tp_store_clean_begin(s, A1, l.token, &v), TP_ECONFLICT, "changed since");
	expect_error(tp_store_clean_begin(s, A2, 1, &v), TP_ECONFLICT, "available");
	assert_int_equal(tp_store_release(s, A1, l.token, TP_RELEASE_DIRTY), 0);
	/* a stale version (read before the release) */
	expect_error(tp_store_clean_begin(s, A1, l.token, &v), TP_ECONFLICT, "changed since");
	assert_int_equal(tp_store_clean_begin(s, A1, l.token + 1, &v), 0);
	expect_error(tp_store_clean_end(s, A1, v - 1, &(tp_clean_outcome){ 1, NULL, 0, 0 }, NULL),
		     TP_ECONFLICT, "cleaning");
	f->now += 10;
	assert_int_equal(tp_store_clean_end(s, A1, v, &(tp_clean_outcome){ 1, NULL, 0, 0 }, NULL), 0);
}

static void test_store__remove_refuses_a_leased_account(void **state)
{
	tp_store *s = add3(state);
	tp_lease l = lease_of(s, "a", A1, 60);
	tp_account_list list;

	(void)l;
	expect_error(tp_store_remove(s, A1, 0), TP_ECONFLICT, "--force");
	assert_int_equal(tp_store_remove(s, A2, 0), 0);
	assert_int_equal(tp_store_remove(s, A1, 1), 0);
	expect_error(tp_store_remove(s, A1, 0), TP_ENOTFOUND, "not in the pool");
	assert_int_equal(tp_store_list(s, &list), 0);
	assert_int_equal(list.n, 1);
	assert_string_equal(list.items[0].id, A3);
	tp_account_list_release(&list);
}

static void test_store__bad_arguments_change_nothing(void **state)
{
	tp_store *s = add3(state);
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	tp_account_list list;
	tp_lease l;

	expect_error(tp_store_add(s, "12345"), TP_EINVAL, "12 digits");
	expect_error(tp_store_add(s, "1234567890123"), TP_EINVAL, "12 digits");
	expect_error(tp_store_add(s, "12345678901a"), TP_EINVAL, "12 digits");
	o.ttl = 60;
	expect_error(tp_store_acquire(s, &l, &o), TP_EINVAL, "holder");
	o.holder = "h";
	o.ttl = 0;
	expect_error(tp_store_acquire(s, &l, &o), TP_EINVAL, "TTL");
	expect_error(tp_store_renew(s, A1, 1, -5, NULL), TP_EINVAL, "TTL");
	expect_error(tp_store_record_stack(s, A1, 1, "", "h"), TP_EINVAL, "stack name");
	assert_int_equal(tp_store_list(s, &list), 0);
	assert_int_equal(list.n, 3);
	assert_int_equal(list.items[0].state, TP_ACCOUNT_AVAILABLE);
	assert_int_equal(list.items[1].state, TP_ACCOUNT_AVAILABLE);
	assert_int_equal(list.items[2].state, TP_ACCOUNT_AVAILABLE);
	tp_account_list_release(&list);
}

#define CASE(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

static const struct CMUnitTest cases[] = {
	CASE(test_store__add_list_get),
	CASE(test_store__acquire_fills_the_lease),
	CASE(test_store__acquire_until_none_is_available),
	CASE(test_store__acquire_a_named_account),
	CASE(test_store__acquire_follows_the_score),
	CASE(test_store__renew_moves_the_expiry),
	CASE(test_store__an_expired_lease_cannot_be_renewed),
	CASE(test_store__release_to_dirty_or_available),
	CASE(test_store__records_stacks_under_the_lease),
	CASE(test_store__a_superseded_lease_changes_nothing),
	CASE(test_store__three_failed_cleans_quarantine),
	CASE(test_store__an_interrupted_clean_is_not_a_failure),
	CASE(test_store__a_good_clean_resets_the_count),
	CASE(test_store__the_sweeper_is_fenced_by_version),
	CASE(test_store__remove_refuses_a_leased_account),
	CASE(test_store__bad_arguments_change_nothing),
};

int tp_store_cases_run(const char *group_name)
{
	return _cmocka_run_group_tests(group_name, cases, TP_ARRAY_SIZE(cases), NULL, NULL);
}
