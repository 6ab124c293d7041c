/*
 * The sweeper over a real SQLite pool and an in-memory cloud per account
 * (test-only resource types and a test `reach` passed through the sweep's
 * options): dirty and expired accounts are cleaned and become available,
 * available ones are not touched; a clean that fails three times in a row
 * quarantines the account with its reason, which `tidepool status` shows;
 * dry runs change nothing; refusals and blocklisted accounts.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "accounts/pool.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/sweep.h"
#include "tests/support/testutil.h"

/* ---- an in-memory cloud per account -------------------------------------- */

typedef struct thing {
	char account[13];
	char id[32];
	const char *type;
	int alive;
} thing;

static struct {
	pthread_mutex_t mu;
	thing t[64];
	size_t n;
	char reached[16][13];
	size_t nreached;
	const char *refuse;       /* reach refuses this account */
} cloud = { PTHREAD_MUTEX_INITIALIZER, { { "", "", NULL, 0 } }, 0, { "" }, 0, NULL };

static void put(const char *account, const char *type, const char *id)
{
	thing *t = &cloud.t[cloud.n++];

	tp_strlcpy(t->account, account, sizeof(t->account));
	tp_strlcpy(t->id, id, sizeof(t->id));
	t->type = type;
	t->alive = 1;
}

static size_t alive_in(const char *account)
{
	size_t i, n = 0;

	for (i = 0; i < cloud.n; i++)
		n += cloud.t[i].alive && strcmp(cloud.t[i].account, account) == 0;
	return n;
}

static int list_of(const tp_resource_type *type, tp_clean_ctx *ctx, tp_resource_list *out)
{
	size_t i;

	pthread_mutex_lock(&cloud.mu);
	for (i = 0; i < cloud.n; i++)
		if (cloud.t[i].alive && strcmp(cloud.t[i].type, type->name) == 0 &&
		    strcmp(cloud.t[i].account, ctx->account) == 0)
			tp_resource_list_add(out, tp_resource_new(type, "global", cloud.t[i].id));
	pthread_mutex_unlock(&cloud.mu);
	return 0;
}

static int remove_thing(tp_clean_ctx *ctx, const tp_resource *r)
{
	size_t i;
	int rc = TP_ENOTFOUND;

	if (strcmp(r->type->name, "Stuck") == 0)
		return tp_error_set_aws(TP_EAWS, 403, "AccessDenied", "req-9",
					"DeleteStuck %s: AccessDenied: explicit deny", r->id);
	pthread_mutex_lock(&cloud.mu);
	for (i = 0; i < cloud.n; i++)
		if (strcmp(cloud.t[i].id, r->id) == 0 &&
		    strcmp(cloud.t[i].account, ctx->account) == 0 && cloud.t[i].alive) {
			cloud.t[i].alive = 0;
			rc = 0;
		}
	pthread_mutex_unlock(&cloud.mu);
	return rc;
}

static int list_widget(tp_clean_ctx *c, const char *region, tp_resource_list *out);
static int list_stuck(tp_clean_ctx *c, const char *region, tp_resource_list *out);
static const tp_resource_type t_widget = { "Widget", 1, NULL, list_widget, remove_thing, NULL };
static const tp_resource_type t_stuck = { "Stuck", 1, NULL, list_stuck, remove_thing, NULL };
static const tp_resource_type *const types[] = { &t_widget, &t_stuck, NULL };

static int list_widget(tp_clean_ctx *c, const char *region, tp_resource_list *out)
{
	(void)region;
	return list_of(&t_widget, c, out);
}

static int list_stuck(tp_clean_ctx *c, const char *region, tp_resource_list *out)
{
	(void)region;
	return list_of(&t_stuck, c, out);
}

static int test_reach(void *ctx, tp_aws_client **client, const char *account)
{
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;

	(void)ctx;
	pthread_mutex_lock(&cloud.mu);
	tp_strlcpy(cloud.reached[cloud.nreached++], account, 13);
	pthread_mutex_unlock(&cloud.mu);
	if (cloud.refuse && strcmp(cloud.refuse, account) == 0)
		return tp_error_set(TP_EINVAL, "refusing to clean %s: its alias 'prod-eu' contains "
				    "\"prod\"", account);
	o.region = "us-east-1";
	o.creds = tp_creds_static("AKIDEXAMPLE", "secret", NULL);
	return tp_aws_client_new(client, &o);
}

/* ---- the pool ------------------------------------------------------------ */

static const char *const ids[] = {
	"100000000001", "100000000002",   /* expired */
	"100000000003", "100000000004",   /* dirty */
	"100000000005", "100000000006",   /* available */
};

typedef struct fixture {
	char *dir;
	tp_pool *pool;
	time_t now;
} fixture;

static time_t fixture_clock(void *ctx)
{
	return ((fixture *)ctx)->now;
}

static void open_pool(fixture *f, const char *const *blocklist, size_t nblock)
{
	tp_pool_opts o = TP_POOL_OPTS_INIT;

	o.store_url = "sqlite:pool.db";
	o.accounts = nblock ? NULL : ids;     /* none may be in both lists */
	o.n_accounts = nblock ? 0 : TP_ARRAY_SIZE(ids);
	o.blocklist = blocklist;
	o.n_blocklist = nblock;
	o.store.base_dir = f->dir;
	o.store.clock = fixture_clock;
	o.store.clock_ctx = f;
	if (tp_pool_open(&f->pool, &o) < 0 || tp_pool_sync(f->pool, NULL) < 0)
		fail_msg("pool: %s", tp_error_last()->msg);
}

static void lease(fixture *f, const char *id, long ttl, int release)
{
	tp_acquire_opts a = TP_ACQUIRE_OPTS_INIT;
	tp_lease l;

	a.holder = "ci-1";
	a.ttl = ttl;
	a.account = id;
	assert_int_equal(tp_store_acquire(tp_pool_store(f->pool), &l, &a), 0);
	if (release)
		assert_int_equal(tp_store_release(tp_pool_store(f->pool), id, l.token,
						  TP_RELEASE_DIRTY), 0);
}

static int setup(void **state)
{
	fixture *f = tp_xcalloc(1, sizeof(*f));
	char *yaml;

	memset(cloud.t, 0, sizeof(cloud.t));
	cloud.n = cloud.nreached = 0;
	cloud.refuse = NULL;
	f->dir = tp_test_tmpdir("sweep");
	f->now = 1700000000;
	yaml = tp_xasprintf("pool:\n  store: sqlite:pool.db\n  accounts: [%s, %s, %s, %s, %s, %s]\n",
			    ids[0], ids[1], ids[2], ids[3], ids[4], ids[5]);
	free(tp_test_write_file(f->dir, "tidepool.yaml", yaml));
	free(yaml);
	open_pool(f, NULL, 0);
	lease(f, ids[0], 600, 0);
	lease(f, ids[1], 600, 0);
	lease(f, ids[2], 600, 1);
	lease(f, ids[3], 600, 1);
	f->now += 3600;     /* the two leases of ids[0..1] expired without a heartbeat */
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	tp_pool_free(f->pool);
	tp_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

static tp_sweep_opts sweep_opts(fixture *f, int dry_run)
{
	static const char *const regions[] = { "us-east-1" };
	tp_sweep_opts o = TP_SWEEP_OPTS_INIT;

	o.pool = f->pool;
	o.reach = test_reach;
	o.nuke.regions = regions;
	o.nuke.n_regions = 1;
	o.nuke.types = types;
	o.nuke.dry_run = dry_run;
	o.nuke.poll_ms = 5;
	o.accounts_parallel = 3;
	return o;
}

static tp_account_state state_of(fixture *f, const char *id, tp_account *out)
{
	tp_account a = TP_ACCOUNT_INIT;
	tp_account_state st;

	assert_int_equal(tp_store_get(tp_pool_store(f->pool), &a, id), 0);
	st = tp_account_state_at(&a, f->now);
	if (out)
		*out = a;
	else
		tp_account_release(&a);
	return st;
}

static const tp_sweep_item *item_of(const tp_sweep_report *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->items[i].account, id) == 0)
			return &r->items[i];
	return NULL;
}

static void populate_all(void)
{
	size_t i;
	char id[32];

	for (i = 0; i < TP_ARRAY_SIZE(ids); i++) {
		snprintf(id, sizeof(id), "w-%zu-a", i);
		put(ids[i], "Widget", id);
		snprintf(id, sizeof(id), "w-%zu-b", i);
		put(ids[i], "Widget", id);
	}
}

static int was_reached(const char *id)
{
	size_t i;

	for (i = 0; i < cloud.nreached; i++)
		if (strcmp(cloud.reached[i], id) == 0)
			return 1;
	return 0;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_sweep__cleans_expired_and_dirty_and_leaves_available_alone(void **state)
{
	fixture *f = *state;
	tp_sweep_opts o = sweep_opts(f, 0);
	tp_sweep_report r;
	size_t i;

	populate_all();
	assert_int_equal(state_of(f, ids[0], NULL), TP_ACCOUNT_EXPIRED);
	assert_int_equal(state_of(f, ids[2], NULL), TP_ACCOUNT_DIRTY);
	assert_int_equal(tp_sweep_run(&r, &o), 0);
	assert_int_equal(r.n, 4);
	assert_int_equal(r.cleaned, 4);
	assert_int_equal(r.failed + r.quarantined + r.skipped, 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(state_of(f, ids[i], NULL), TP_ACCOUNT_AVAILABLE);
		assert_int_equal(alive_in(ids[i]), 0);
		assert_int_equal(item_of(&r, ids[i])->outcome, TP_SWEEP_CLEANED);
		assert_int_equal(item_of(&r, ids[i])->report.summary.finished, 2);
	}
	assert_int_equal(item_of(&r, ids[0])->before, TP_ACCOUNT_EXPIRED);
	assert_int_equal(item_of(&r, ids[2])->before, TP_ACCOUNT_DIRTY);
	for (i = 4; i < 6; i++) {
		assert_int_equal(state_of(f, ids[i], NULL), TP_ACCOUNT_AVAILABLE);
		assert_int_equal(alive_in(ids[i]), 2);
		assert_false(was_reached(ids[i]));
		assert_null(item_of(&r, ids[i]));
	}
	tp_sweep_report_release(&r);
}

static void test_sweep__three_failed_cleans_quarantine_with_the_reason_in_status(void **state)
{
	fixture *f = *state;
	tp_sweep_opts o = sweep_opts(f, 0);
	tp_sweep_report r;
	tp_account a;
	char *yaml_dir = f->dir, *out = NULL, *err = NULL;
	char *argv[] = { (char *)tp_test_tidepool_bin(), "status", "-C", yaml_dir, NULL };
	int round;

	o.only = ids[2];
	put(ids[2], "Stuck", "stuck-1");
	put(ids[2], "Widget", "w-ok");
	for (round = 1; round <= 3; round++) {
		const tp_sweep_item *it;

		assert_int_equal(tp_sweep_run(&r, &o), 0);
		assert_int_equal(r.n, 1);
		it = item_of(&r, ids[2]);
		assert_int_equal(it->outcome, round < 3 ? TP_SWEEP_FAILED : TP_SWEEP_QUARANTINED);
		assert_int_equal(it->failed_cleans, round);
		assert_non_null(strstr(it->reason, "AccessDenied"));
		assert_non_null(strstr(it->reason, "Stuck - stuck-1"));
		assert_int_equal(state_of(f, ids[2], NULL),
				 round < 3 ? TP_ACCOUNT_DIRTY : TP_ACCOUNT_QUARANTINED);
		tp_sweep_report_release(&r);
	}
	assert_int_equal(alive_in(ids[2]), 1);      /* the widget went on the first round */
	assert_int_equal(state_of(f, ids[2], &a), TP_ACCOUNT_QUARANTINED);
	assert_non_null(strstr(a.reason, "AccessDenied"));
	tp_account_release(&a);
	/* A quarantined account is not swept again. */
	cloud.nreached = 0;
	assert_int_equal(tp_sweep_run(&r, &o), 0);
	assert_int_equal(r.n, 0);
	assert_false(was_reached(ids[2]));
	tp_sweep_report_release(&r);
	/* `tidepool status` shows the state and the reason. */
	assert_int_equal(tp_test_run(argv, NULL, &out, &err), 0);
	if (!strstr(out, "quarantined") || !strstr(out, "AccessDenied"))
		fail_msg("status does not show the quarantine reason:\n%s\n%s", out, err);
	free(out);
	free(err);
}

static void test_sweep__dry_run_changes_nothing(void **state)
{
	fixture *f = *state;
	tp_sweep_opts o = sweep_opts(f, 1);
	tp_sweep_report r;
	size_t i;

	populate_all();
	assert_int_equal(tp_sweep_run(&r, &o), 0);
	assert_int_equal(r.n, 4);
	for (i = 0; i < 4; i++) {
		assert_int_equal(item_of(&r, ids[i])->outcome, TP_SWEEP_WOULD_CLEAN);
		assert_null(item_of(&r, ids[i])->reason);
		assert_int_equal(item_of(&r, ids[i])->report.summary.nukeable, 2);
		assert_int_equal(alive_in(ids[i]), 2);
	}
	assert_int_equal(state_of(f, ids[0], NULL), TP_ACCOUNT_EXPIRED);
	assert_int_equal(state_of(f, ids[2], NULL), TP_ACCOUNT_DIRTY);
	tp_sweep_report_release(&r);
}

static void test_sweep__a_refused_account_is_a_failed_clean(void **state)
{
	fixture *f = *state;
	tp_sweep_opts o = sweep_opts(f, 0);
	tp_sweep_report r;
	const tp_sweep_item *it;

	populate_all();
	cloud.refuse = ids[3];
	assert_int_equal(tp_sweep_run(&r, &o), 0);
	it = item_of(&r, ids[3]);
	assert_int_equal(it->outcome, TP_SWEEP_FAILED);
	assert_non_null(strstr(it->reason, "contains \"prod\""));
	assert_int_equal(alive_in(ids[3]), 2);
	assert_int_equal(state_of(f, ids[3], NULL), TP_ACCOUNT_DIRTY);
	assert_int_equal(r.cleaned, 3);
	tp_sweep_report_release(&r);
}

static void test_sweep__blocklisted_accounts_are_skipped(void **state)
{
	static const char *const block[] = { "100000000004" };
	fixture *f = *state;
	tp_sweep_opts o;
	tp_sweep_report r;
	const tp_sweep_item *it;

	populate_all();
	tp_pool_free(f->pool);
	open_pool(f, block, 1);
	o = sweep_opts(f, 0);
	assert_int_equal(tp_sweep_run(&r, &o), 0);
	it = item_of(&r, ids[3]);
	assert_int_equal(it->outcome, TP_SWEEP_SKIPPED);
	assert_non_null(strstr(it->reason, "blocklist"));
	assert_false(was_reached(ids[3]));
	assert_int_equal(alive_in(ids[3]), 2);
	assert_int_equal(r.cleaned, 3);
	assert_int_equal(r.skipped, 1);
	tp_sweep_report_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_sweep__cleans_expired_and_dirty_and_leaves_available_alone, setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_sweep__three_failed_cleans_quarantine_with_the_reason_in_status, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_sweep__dry_run_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sweep__a_refused_account_is_a_failed_clean, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sweep__blocklisted_accounts_are_skipped, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
