/*
 * The nuke loop against an in-memory cloud of test-only resource types
 * (passed through the engine's options, never the registry): dry run,
 * stacks first and waited for, waits_for order within a region and across
 * regions for global types, bounded parallelism, passes until done, the
 * no-progress stop, per-resource timeouts (a stuck call and a delete that
 * never finishes), waits_for cycles, eventually consistent listings,
 * listing errors, filters, interruption, and the output forms.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/nuke.h"
#include "suites/config.h"

/* ---- the in-memory cloud ------------------------------------------------- */

typedef struct behaviour {
	const char *type;
	int fail_always;        /* remove: AccessDenied, every time */
	int fail_first;         /* the first N removes of each resource fail */
	int64_t sleep_ms;       /* remove takes this long */
	int polls;              /* async: gone says "not yet" this many times */
	int never_gone;
	int gone_fails;         /* async delete ends DELETE_FAILED */
	int ghost;              /* listed once more after removal */
	int list_fails;
	int morph;              /* the first N removes fail, each with another message */
} behaviour;

typedef struct fake {
	const char *type;
	char region[32];
	char id[64];
	char stack[64];         /* owning stack (dies with it) */
	int alive, deleting, polls, removes, ghost;
} fake;

#define MAX_FAKES 512
#define MAX_LOG 2048

static struct {
	pthread_mutex_t mu;
	fake res[MAX_FAKES];
	size_t n;
	char log[MAX_LOG][96];  /* "Type:id" per remove call, in call order */
	size_t nlog;
	int concurrent, max_concurrent;
	const behaviour *beh;
	size_t nbeh;
} cloud = { PTHREAD_MUTEX_INITIALIZER, { { 0 } }, 0, { { 0 } }, 0, 0, 0, NULL, 0 };

static const behaviour *behaviour_of(const char *type)
{
	static const behaviour none = { NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	size_t i;

	for (i = 0; i < cloud.nbeh; i++)
		if (strcmp(cloud.beh[i].type, type) == 0)
			return &cloud.beh[i];
	return &none;
}

static void put(const char *type, const char *region, const char *id, const char *stack)
{
	fake *f = &cloud.res[cloud.n++];

	memset(f, 0, sizeof(*f));
	f->type = type;
	tp_strlcpy(f->region, region, sizeof(f->region));
	tp_strlcpy(f->id, id, sizeof(f->id));
	tp_strlcpy(f->stack, stack ? stack : "", sizeof(f->stack));
	f->alive = 1;
}

static void log_call(const char *type, const char *id)
{
	if (cloud.nlog < MAX_LOG)
		snprintf(cloud.log[cloud.nlog++], sizeof(cloud.log[0]), "%s:%s", type, id);
}

static fake *find(const tp_resource *r)
{
	size_t i;

	for (i = 0; i < cloud.n; i++)
		if (strcmp(cloud.res[i].type, r->type->name) == 0 && strcmp(cloud.res[i].id, r->id) == 0 &&
		    (r->type->global || strcmp(cloud.res[i].region, r->region) == 0))
			return &cloud.res[i];
	return NULL;
}

static int fake_list(const tp_resource_type *t, const char *region, tp_resource_list *out)
{
	size_t i;

	if (behaviour_of(t->name)->list_fails)
		return tp_error_set_aws(TP_EAWS, 500, "InternalError", "req-1",
					"List%s in %s: InternalError", t->name, region);
	pthread_mutex_lock(&cloud.mu);
	for (i = 0; i < cloud.n; i++) {
		fake *f = &cloud.res[i];
		tp_resource *r;

		if (strcmp(f->type, t->name) != 0 || (!f->alive && !f->ghost))
			continue;
		if (!t->global && strcmp(f->region, region) != 0)
			continue;
		if (!f->alive)
			f->ghost--;
		r = tp_resource_new(t, t->global ? "global" : f->region, f->id);
		if (f->stack[0])
			tp_resource_add_tag(r, "aws:cloudformation:stack-name", f->stack);
		tp_resource_list_add(out, r);
	}
	pthread_mutex_unlock(&cloud.mu);
	return 0;
}

static void enter(void)
{
	pthread_mutex_lock(&cloud.mu);
	if (++cloud.concurrent > cloud.max_concurrent)
		cloud.max_concurrent = cloud.concurrent;
	pthread_mutex_unlock(&cloud.mu);
}

static int leave(int rc)
{
	pthread_mutex_lock(&cloud.mu);
	cloud.concurrent--;
	pthread_mutex_unlock(&cloud.mu);
	return rc;
}

static int fake_remove(tp_clean_ctx *ctx, const tp_resource *r)
{
	const behaviour *b = behaviour_of(r->type->name);
	fake *f;
	int rc = 0, attempt;

	(void)ctx;
	enter();
	if (b->sleep_ms)
		tp_sleep_ms(b->sleep_ms);
	pthread_mutex_lock(&cloud.mu);
	log_call(r->type->name, r->id);
	f = find(r);
	attempt = f ? ++f->removes : 0;
	if (!f || !f->alive) {
		rc = tp_error_set(TP_ENOTFOUND, "%s %s not found", r->type->name, r->id);
	} else if (b->fail_always || attempt <= b->fail_first) {
		rc = tp_error_set_aws(TP_EAWS, 403, b->fail_always ? "AccessDenied" : "DependencyViolation",
				      "req-7", "Delete%s %s: %s", r->type->name, r->id,
				      b->fail_always ? "AccessDenied: not allowed" : "has dependents");
	} else if (attempt <= b->morph) {
		rc = tp_error_set_aws(TP_EAWS, 409, "Conflict", "req-8", "Delete%s %s: %d left",
				      r->type->name, r->id, b->morph - attempt + 1);
	} else if (b->polls || b->never_gone || b->gone_fails) {
		f->deleting = 1;
		f->polls = b->polls;
	} else {
		f->alive = 0;
		f->ghost = b->ghost;
	}
	pthread_mutex_unlock(&cloud.mu);
	return leave(rc);
}

static void kill_owned(const fake *stack)
{
	size_t i;

	for (i = 0; i < cloud.n; i++)
		if (strcmp(cloud.res[i].stack, stack->id) == 0 &&
		    strcmp(cloud.res[i].region, stack->region) == 0)
			cloud.res[i].alive = 0;
}

static int fake_gone(tp_clean_ctx *ctx, const tp_resource *r)
{
	const behaviour *b = behaviour_of(r->type->name);
	fake *f;
	int rc = 0;

	(void)ctx;
	pthread_mutex_lock(&cloud.mu);
	f = find(r);
	if (!f || !f->alive) {
		rc = 1;
	} else if (b->gone_fails) {
		rc = tp_error_set(TP_EAWS, "stack %s: DELETE_FAILED: bucket not empty", r->id);
	} else if (!b->never_gone && f->polls-- <= 0) {
		f->alive = 0;
		kill_owned(f);
		rc = 1;
	}
	pthread_mutex_unlock(&cloud.mu);
	return rc;
}

#define FAKE_TYPE(var, NAME, GLOBAL, WAITS, GONE)                                       \
	static int list_##var(tp_clean_ctx *c, const char *region, tp_resource_list *out); \
	static const tp_resource_type var = { NAME, GLOBAL, WAITS, list_##var, fake_remove, GONE }; \
	static int list_##var(tp_clean_ctx *c, const char *region, tp_resource_list *out)   \
	{                                                                                   \
		(void)c;                                                                    \
		return fake_list(&var, region, out);                                        \
	}

static const char *const waits_sg[] = { "SecurityGroup", NULL };
static const char *const waits_bucket[] = { "Bucket", NULL };
static const char *const waits_a[] = { "CycleB", NULL };
static const char *const waits_b[] = { "CycleA", NULL };
static const char *const waits_hang[] = { "Hang", NULL };

FAKE_TYPE(t_stack, "CloudFormationStack", 0, NULL, fake_gone)
FAKE_TYPE(t_bucket, "Bucket", 0, NULL, NULL)
FAKE_TYPE(t_sg, "SecurityGroup", 0, NULL, NULL)
FAKE_TYPE(t_vpc, "Vpc", 0, waits_sg, NULL)
FAKE_TYPE(t_role, "Role", 1, waits_bucket, NULL)
FAKE_TYPE(t_broken, "Broken", 0, NULL, NULL)
FAKE_TYPE(t_flaky, "Flaky", 0, NULL, NULL)
FAKE_TYPE(t_slow, "Slow", 0, NULL, NULL)
FAKE_TYPE(t_hang, "Hang", 0, NULL, NULL)
FAKE_TYPE(t_after_hang, "AfterHang", 0, waits_hang, NULL)
FAKE_TYPE(t_cycle_a, "CycleA", 0, waits_a, NULL)
FAKE_TYPE(t_cycle_b, "CycleB", 0, waits_b, NULL)
FAKE_TYPE(t_ghost, "Ghost", 0, NULL, NULL)
FAKE_TYPE(t_unlistable, "Unlistable", 0, NULL, NULL)
FAKE_TYPE(t_morph, "Morph", 0, NULL, NULL)

static const tp_resource_type *const all_types[] = {
	&t_stack, &t_bucket, &t_sg, &t_vpc, &t_role, &t_broken, &t_flaky, &t_slow, &t_hang,
	&t_after_hang, &t_cycle_a, &t_cycle_b, &t_ghost, &t_unlistable, &t_morph, NULL
};

static const char *const regions[] = { "us-east-1", "eu-west-1" };

static int reset(void **state)
{
	(void)state;
	memset(cloud.res, 0, sizeof(cloud.res));
	cloud.n = cloud.nlog = 0;
	cloud.concurrent = cloud.max_concurrent = 0;
	cloud.beh = NULL;
	cloud.nbeh = 0;
	return 0;
}

static size_t alive_count(void)
{
	size_t i, n = 0;

	for (i = 0; i < cloud.n; i++)
		n += cloud.res[i].alive;
	return n;
}

/* Index of the first / last log line starting with `prefix`, or -1. */
static long log_at(const char *prefix, int last)
{
	long i, at = -1;

	for (i = 0; i < (long)cloud.nlog; i++)
		if (tp_starts_with(cloud.log[i], prefix)) {
			at = i;
			if (!last)
				break;
		}
	return at;
}

/* ---- running the engine -------------------------------------------------- */

static tp_aws_client *dummy_client(void)
{
	static tp_aws_client *c;
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;

	if (!c) {
		o.region = "us-east-1";
		o.creds = tp_creds_static("AKIDEXAMPLE", "secret", NULL);
		assert_int_equal(tp_aws_client_new(&c, &o), 0);
	}
	return c;
}

static tp_nuke_opts opts(int dry_run)
{
	tp_nuke_opts o = TP_NUKE_OPTS_INIT;

	o.client = dummy_client();
	o.account = "111111111111";
	o.regions = regions;
	o.n_regions = 2;
	o.types = all_types;
	o.dry_run = dry_run;
	o.poll_ms = 5;
	o.progress_ms = 20;
	return o;
}

static const tp_nuke_item *item(const tp_nuke_report *r, const char *type, const char *id)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (strcmp(r->items[i].res->type->name, type) == 0 &&
		    strcmp(r->items[i].res->id, id) == 0)
			return &r->items[i];
	fail_msg("no item %s %s in the report", type, id);
	return NULL;
}

/* ---- tests ---------------------------------------------------------------- */

static void populate_mixed(void)
{
	put("CloudFormationStack", "us-east-1", "app", NULL);
	put("Bucket", "us-east-1", "app-owned", "app");    /* dies with its stack */
	put("Bucket", "us-east-1", "b1", NULL);
	put("Bucket", "eu-west-1", "b2", NULL);
	put("SecurityGroup", "us-east-1", "sg-1", NULL);
	put("SecurityGroup", "us-east-1", "sg-2", NULL);
	put("Vpc", "us-east-1", "vpc-1", NULL);
	put("Vpc", "eu-west-1", "vpc-2", NULL);
	put("Role", "global", "role-1", NULL);
}

static void test_nuke__dry_run_lists_everything_and_deletes_nothing(void **state)
{
	tp_nuke_opts o = opts(1);
	tp_nuke_report rep;
	size_t i;

	(void)state;
	populate_mixed();
	assert_int_equal(tp_nuke_run(&rep, &o), 0);
	assert_int_equal(cloud.nlog, 0);
	assert_int_equal(alive_count(), 9);
	assert_int_equal(rep.n, 9);
	assert_int_equal(rep.summary.total, 9);
	assert_int_equal(rep.summary.nukeable, 9);
	assert_int_equal(rep.summary.filtered, 0);
	assert_int_equal(rep.summary.failed, 0);
	assert_int_equal(rep.summary.finished, 0);
	for (i = 0; i < rep.n; i++)
		assert_int_equal(rep.items[i].state, TP_NUKE_WOULD_REMOVE);
	assert_string_equal(item(&rep, "Role", "role-1")->res->region, "global");
	assert_false(tp_nuke_report_clean(&rep));
	tp_nuke_report_release(&rep);
}

static void test_nuke__stacks_first_then_dependency_order(void **state)
{
	static const behaviour beh[] = {
		{ "CloudFormationStack", 0, 0, 0, 3, 0, 0, 0, 0, 0 },
		{ "SecurityGroup", 0, 0, 20, 0, 0, 0, 0, 0, 0 },
		{ "Bucket", 0, 0, 10, 0, 0, 0, 0, 0, 0 },
	};
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;
	long first_other, i;

	(void)state;
	cloud.beh = beh;
	cloud.nbeh = TP_ARRAY_SIZE(beh);
	populate_mixed();
	assert_int_equal(tp_nuke_run(&rep, &o), 0);
	assert_int_equal(alive_count(), 0);
	assert_true(tp_nuke_report_clean(&rep));
	/* The stack was removed first; nothing else started before it was gone. */
	assert_int_equal(log_at("CloudFormationStack:", 0), 0);
	first_other = 1;
	for (i = first_other; i < (long)cloud.nlog; i++)
		assert_false(tp_starts_with(cloud.log[i], "CloudFormationStack:"));
	/* What the stack owned went with it: never removed by us, still "removed". */
	assert_int_equal(log_at("Bucket:app-owned", 0), -1);
	assert_int_equal(item(&rep, "Bucket", "app-owned")->state, TP_NUKE_REMOVED);
	/* vpc-1 waited for both security groups of its region. */
	assert_true(log_at("Vpc:vpc-1", 0) > log_at("SecurityGroup:", 1));
	/* The global role waited for buckets in every region. */
	assert_true(log_at("Role:role-1", 0) > log_at("Bucket:", 1));
	assert_int_equal(rep.summary.finished, 9);
	assert_int_equal(rep.summary.failed, 0);
	assert_int_equal(item(&rep, "CloudFormationStack", "app")->state, TP_NUKE_REMOVED);
	tp_nuke_report_release(&rep);
}

static void test_nuke__parallelism_is_bounded(void **state)
{
	static const behaviour beh[] = { { "Slow", 0, 0, 15, 0, 0, 0, 0, 0, 0 } };
	static const int bounds[] = { 1, 4 };
	char id[32];
	size_t b, i;

	(void)state;
	for (b = 0; b < TP_ARRAY_SIZE(bounds); b++) {
		tp_nuke_opts o = opts(0);
		tp_nuke_report rep;

		reset(NULL);
		cloud.beh = beh;
		cloud.nbeh = 1;
		for (i = 0; i < 24; i++) {
			snprintf(id, sizeof(id), "slow-%02zu", i);
			put("Slow", regions[i % 2], id, NULL);
		}
		o.parallel = bounds[b];
		assert_int_equal(tp_nuke_run(&rep, &o), 0);
		assert_int_equal(alive_count(), 0);
		assert_int_equal(cloud.max_concurrent, bounds[b]);
		tp_nuke_report_release(&rep);
	}
}

/* Runs sharing a worker pool: the pool's size bounds them together. */
static void test_nuke__a_shared_pool_bounds_every_run_on_it(void **state)
{
	static const behaviour beh[] = { { "Slow", 0, 0, 10, 0, 0, 0, 0, 0, 0 } };
	tp_workq *shared = NULL;
	char id[32];
	size_t i;
	int run;

	(void)state;
	cloud.beh = beh;
	cloud.nbeh = 1;
	assert_int_equal(tp_workq_new(&shared, 2), 0);
	assert_int_equal(tp_workq_threads(shared), 2);
	for (run = 0; run < 2; run++) {
		tp_nuke_opts o = opts(0);
		tp_nuke_report rep;

		for (i = 0; i < 10; i++) {
			snprintf(id, sizeof(id), "slow-%d-%02zu", run, i);
			put("Slow", "us-east-1", id, NULL);
		}
		o.pool = shared;
		o.parallel = 8;
		assert_int_equal(tp_nuke_run(&rep, &o), 0);
		assert_true(tp_nuke_report_clean(&rep));
		tp_nuke_report_release(&rep);
	}
	assert_int_equal(cloud.max_concurrent, 2);
	assert_int_equal(alive_count(), 0);
	tp_workq_free(shared);
}

static void test_nuke__a_pass_without_progress_stops(void **state)
{
	static const behaviour beh[] = { { "Broken", 1, 0, 0, 0, 0, 0, 0, 0, 0 } };
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;
	const tp_nuke_item *it;

	(void)state;
	cloud.beh = beh;
	cloud.nbeh = 1;
	put("Broken", "us-east-1", "x1", NULL);
	put("Broken", "eu-west-1", "x2", NULL);
	put("Bucket", "us-east-1", "fine", NULL);
	o.max_passes = 50;
	assert_int_equal(tp_nuke_run(&rep, &o), 0);
	/* pass 1 removed the bucket, pass 2 removed nothing: stop */
	assert_int_equal(rep.summary.passes, 2);
	assert_int_equal(log_at("Broken:x1", 1) - log_at("Broken:x1", 0) > 0, 1);
	assert_int_equal(rep.summary.failed, 2);
	assert_int_equal(rep.summary.finished, 1);
	it = item(&rep, "Broken", "x1");
	assert_int_equal(it->state, TP_NUKE_FAILED);
	assert_int_equal(it->attempts, 2);
	assert_non_null(strstr(it->reason, "AccessDenied"));
	assert_non_null(strstr(it->reason, "req-7"));
	assert_false(tp_nuke_report_clean(&rep));
	tp_nuke_report_release(&rep);
}

static void test_nuke__repeats_passes_until_nothing_is_left(void **state)
{
	static const behaviour beh[] = { { "Flaky", 0, 1, 0, 0, 0, 0, 0, 0, 0 } };
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;

	(void)state;
	cloud.beh = beh;
	cloud.nbeh = 1;
	put("Flaky", "us-east-1", "f1", NULL);
	put("Bucket", "us-east-1", "b1", NULL);
	assert_int_equal(tp_nuke_run(&rep, &o), 0);
	assert_int_equal(rep.summary.passes, 2);
	assert_int_equal(item(&rep, "Flaky", "f1")->state, TP_NUKE_REMOVED);
	assert_int_equal(item(&rep, "Flaky", "f1")->attempts, 2);
	assert_null(item(&rep, "Flaky", "f1")->reason);
	assert_true(tp_nuke_report_clean(&rep));
	assert_int_equal(alive_count(), 0);
	tp_nuke_report_release(&rep);
}

/* Nothing else removed, but each failure says something new: keep going. */
static void test_nuke__a_changing_failure_counts_as_progress(void **state)
{
	static const behaviour beh[] = { { "Morph", 0, 0, 0, 0, 0, 0, 0, 0, 3 } };
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;

	(void)state;
	cloud.beh = beh;
	cloud.nbeh = 1;
	put("Morph", "us-east-1", "m1", NULL);
	assert_int_equal(tp_nuke_run(&rep, &o), 0);
	assert_int_equal(rep.summary.passes, 4);
	assert_int_equal(item(&rep, "Morph", "m1")->attempts, 4);
	assert_int_equal(item(&rep, "Morph", "m1")->state, TP_NUKE_REMOVED);
	assert_true(tp_nuke_report_clean(&rep));
	tp_nuke_report_release(&rep);
}

static void test_nuke__max_passes_bounds_the_loop(void **state)
{
	static const behaviour beh[] = { { "Flaky", 0, 5, 0, 0, 0, 0, 0, 0, 0 } };
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;

	(void)state;
	cloud.beh = beh;
	cloud.nbeh = 1;
	put("Flaky", "us-east-1", "f1", NULL);
	put("Bucket", "us-east-1", "b1", NULL);
	put("Bucket", "us-east-1", "b2", NULL);
	o.max_passes = 1;
	assert_int_equal(tp_nuke_run(&rep, &o), 0);
	assert_int_equal(rep.summary.passes, 1);
	assert_int_equal(item(&rep, "Flaky", "f1")->state, TP_NUKE_FAILED);
	assert_non_null(strstr(item(&rep, "Flaky", "f1")->reason, "DependencyViolation"));
	tp_nuke_report_release(&rep);
}

static void test_nuke__a_stuck_delete_times_out_and_unblocks_dependents(void **state)
{
	static const behaviour beh[] = { { "Hang", 0, 0, 1200, 0, 0, 0, 0, 0, 0 } };
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;
	const tp_nuke_item *it;
	int64_t t0 = tp_now_ms();

	(void)state;
	cloud.beh = beh;
	cloud.nbeh = 1;
	put("Hang", "us-east-1", "h1", NULL);
	put("AfterHang", "us-east-1", "a1", NULL);
	o.timeout_ms = 150;
	o.max_passes = 1;
	assert_int_equal(tp_nuke_run(&rep, &o), 0);
	it = item(&rep, "Hang", "h1");
	assert_int_equal(it->state, TP_NUKE_FAILED);
	assert_non_null(strstr(it->reason, "timed out"));
	/* The dependent went ahead once its blocker timed out, before the call returned. */
	assert_int_equal(item(&rep, "AfterHang", "a1")->state, TP_NUKE_REMOVED);
	assert_true(log_at("AfterHang:a1", 0) < log_at("Hang:h1", 0));
	assert_true(tp_now_ms() - t0 >= 1200);   /* the run waited for its worker */
	tp_nuke_report_release(&rep);
}

static void test_nuke__an_async_delete_that_never_ends_times_out(void **state)
{
	static const behaviour beh[] = { { "CloudFormationStack", 0, 0, 0, 0, 1, 0, 0, 0, 0 } };
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;
	const tp_nuke_item *it;

	(void)state;
	cloud.beh = beh;
	cloud.nbeh = 1;
	put("CloudFormationStack", "us-east-1", "stuck", NULL);
	put("Bucket", "us-east-1", "b1", NULL);
	o.timeout_ms = 200;
	assert_int_equal(tp_nuke_run(&rep, &o), 0);
	it = item(&rep, "CloudFormationStack", "stuck");
	assert_int_equal(it->state, TP_NUKE_FAILED);
	assert_non_null(strstr(it->reason, "waiting for the delete to finish"));
	assert_int_equal(item(&rep, "Bucket", "b1")->state, TP_NUKE_REMOVED);
	tp_nuke_report_release(&rep);
}

static void test_nuke__a_failed_async_delete_carries_its_reason(void **state)
{
	static const behaviour beh[] = { { "CloudFormationStack", 0, 0, 0, 0, 0, 1, 0, 0, 0 } };
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;
	const tp_nuke_item *it;

	(void)state;
	cloud.beh = beh;
	cloud.nbeh = 1;
	put("CloudFormationStack", "eu-west-1", "bad", NULL);
	put("Bucket", "eu-west-1", "b1", NULL);
	assert_int_equal(tp_nuke_run(&rep, &o), 0);
	it = item(&rep, "CloudFormationStack", "bad");
	assert_int_equal(it->state, TP_NUKE_FAILED);
	assert_non_null(strstr(it->reason, "DELETE_FAILED: bucket not empty"));
	assert_int_equal(item(&rep, "Bucket", "b1")->state, TP_NUKE_REMOVED);
	tp_nuke_report_release(&rep);
}

static void test_nuke__a_waits_for_cycle_does_not_hang(void **state)
{
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;

	(void)state;
	put("CycleA", "us-east-1", "a", NULL);
	put("CycleB", "us-east-1", "b", NULL);
	assert_int_equal(tp_nuke_run(&rep, &o), 0);
	assert_true(tp_nuke_report_clean(&rep));
	assert_int_equal(alive_count(), 0);
	tp_nuke_report_release(&rep);
}

static void test_nuke__a_resource_listed_after_removal_is_removed_again(void **state)
{
	static const behaviour beh[] = { { "Ghost", 0, 0, 0, 0, 0, 0, 1, 0, 0 } };
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;

	(void)state;
	cloud.beh = beh;
	cloud.nbeh = 1;
	put("Ghost", "us-east-1", "g1", NULL);
	assert_int_equal(tp_nuke_run(&rep, &o), 0);
	assert_int_equal(rep.summary.passes, 2);
	assert_int_equal(item(&rep, "Ghost", "g1")->attempts, 2);   /* 2nd: already gone */
	assert_int_equal(item(&rep, "Ghost", "g1")->state, TP_NUKE_REMOVED);
	assert_true(tp_nuke_report_clean(&rep));
	tp_nuke_report_release(&rep);
}

static void test_nuke__listing_errors_are_reported_and_leave_it_unclean(void **state)
{
	static const behaviour beh[] = { { "Unlistable", 0, 0, 0, 0, 0, 0, 0, 1, 0 } };
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;

	(void)state;
	cloud.beh = beh;
	cloud.nbeh = 1;
	put("Bucket", "us-east-1", "b1", NULL);
	assert_int_equal(tp_nuke_run(&rep, &o), 0);
	assert_int_equal(rep.n_errors, 2);   /* both regions */
	assert_string_equal(rep.errors[0].type, "Unlistable");
	assert_non_null(strstr(rep.errors[0].message, "InternalError"));
	assert_int_equal(item(&rep, "Bucket", "b1")->state, TP_NUKE_REMOVED);
	assert_int_equal(rep.summary.scan_errors, 2);
	assert_false(tp_nuke_report_clean(&rep));
	tp_nuke_report_release(&rep);
}

static void test_nuke__filters_keep_with_reasons(void **state)
{
	static const char yaml[] =
		"pool: {accounts: [\"111111111111\"], role: Role-Keep}\n"
		"cleaner:\n  mode: full\n  protect:\n    - {type: Bucket, name: \"keep-*\", match: glob}\n";
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;
	tp_filter f = TP_FILTER_INIT;
	tp_config *c = NULL;
	const tp_nuke_item *it;

	(void)state;
	assert_int_equal(tp_config_parse(&c, "tidepool.yaml", yaml, strlen(yaml)), 0);
	tp_filter_from_config(&f, c);
	o.filter = &f;
	put("Bucket", "us-east-1", "keep-me", NULL);
	put("Bucket", "us-east-1", "drop-me", NULL);
	assert_int_equal(tp_nuke_run(&rep, &o), 0);
	it = item(&rep, "Bucket", "keep-me");
	assert_int_equal(it->state, TP_NUKE_FILTERED);
	assert_non_null(strstr(it->reason, "cleaner.protect[0]"));
	assert_int_equal(item(&rep, "Bucket", "drop-me")->state, TP_NUKE_REMOVED);
	assert_int_equal(rep.summary.filtered, 1);
	assert_int_equal(rep.summary.skipped, 1);
	assert_int_equal(rep.summary.finished, 1);
	assert_true(tp_nuke_report_clean(&rep));
	assert_int_equal(alive_count(), 1);
	tp_nuke_report_release(&rep);
	tp_config_free(c);
}

static volatile sig_atomic_t stop_flag;

static void interrupt_on_first_removal(void *ctx, const tp_nuke_event *ev)
{
	(void)ctx;
	if (ev->kind == TP_NUKE_EV_ITEM && ev->item->state == TP_NUKE_REMOVED)
		stop_flag = 1;
}

static void test_nuke__interrupt_stops_and_says_so(void **state)
{
	static const behaviour beh[] = { { "Slow", 0, 0, 10, 0, 0, 0, 0, 0, 0 } };
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;
	char id[32];
	size_t i;

	(void)state;
	cloud.beh = beh;
	cloud.nbeh = 1;
	for (i = 0; i < 40; i++) {
		snprintf(id, sizeof(id), "s%02zu", i);
		put("Slow", "us-east-1", id, NULL);
	}
	stop_flag = 0;
	o.parallel = 2;
	o.interrupted = &stop_flag;
	o.on_event = interrupt_on_first_removal;
	assert_int_equal(tp_nuke_run(&rep, &o), TP_EINTR);
	assert_true(rep.summary.interrupted);
	assert_true(alive_count() > 0);
	assert_true(rep.summary.failed > 0);
	assert_false(tp_nuke_report_clean(&rep));
	tp_nuke_report_release(&rep);
}

typedef struct seen {
	int scanned, progress, items;
	size_t scan_total;
} seen;

static void count_events(void *ctx, const tp_nuke_event *ev)
{
	seen *s = ctx;

	if (ev->kind == TP_NUKE_EV_SCANNED) {
		s->scanned++;
		s->scan_total = ev->summary->total;
	}
	s->progress += ev->kind == TP_NUKE_EV_PROGRESS;
	s->items += ev->kind == TP_NUKE_EV_ITEM;
}

static void test_nuke__output_forms(void **state)
{
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;
	tp_buf line = TP_BUF_INIT;
	seen s = { 0, 0, 0, 0 };
	json_t *doc, *res, *sum;
	char *text;

	(void)state;
	put("Bucket", "eu-west-1", "b2", NULL);
	put("Role", "global", "r1", NULL);
	o.on_event = count_events;
	o.event_ctx = &s;
	assert_int_equal(tp_nuke_run(&rep, &o), 0);
	assert_int_equal(s.scanned, 1);
	assert_int_equal(s.scan_total, 2);
	assert_true(s.progress >= 1);
	assert_int_equal(s.items, 2 * 3);   /* would remove, removing, removed */
	tp_nuke_format_item(&line, item(&rep, "Bucket", "b2"));
	assert_string_equal(tp_buf_cstr(&line), "eu-west-1 - Bucket - b2 - removed");
	tp_buf_reset(&line);
	tp_nuke_format_scan_summary(&line, &rep.summary);
	assert_string_equal(tp_buf_cstr(&line), "Scan complete: 2 total, 2 nukeable, 0 filtered.");
	tp_buf_reset(&line);
	tp_nuke_format_nuke_summary(&line, &rep.summary);
	assert_string_equal(tp_buf_cstr(&line), "Nuke complete: 0 failed, 0 skipped, 2 finished.");
	tp_buf_reset(&line);
	doc = tp_nuke_report_json(&rep);
	text = json_dumps(doc, JSON_COMPACT);
	res = json_object_get(doc, "resources");
	sum = json_object_get(doc, "summary");
	assert_int_equal(json_array_size(res), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(res, 0), "state")),
			    "removed");
	assert_true(json_is_null(json_object_get(json_array_get(res, 0), "reason")));
	assert_int_equal(json_integer_value(json_object_get(sum, "finished")), 2);
	assert_true(json_is_true(json_object_get(doc, "clean")));
	free(text);
	json_decref(doc);
	tp_buf_release(&line);
	tp_nuke_report_release(&rep);
}

static void test_nuke__bad_options_are_refused(void **state)
{
	tp_nuke_opts o = opts(0);
	tp_nuke_report rep;

	(void)state;
	o.account = "12345";
	assert_int_equal(tp_nuke_run(&rep, &o), TP_EINVAL);
	tp_nuke_report_release(&rep);
	o = opts(0);
	o.n_regions = 0;
	assert_int_equal(tp_nuke_run(&rep, &o), TP_EINVAL);
	tp_nuke_report_release(&rep);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_nuke__dry_run_lists_everything_and_deletes_nothing, reset),
		cmocka_unit_test_setup(test_nuke__stacks_first_then_dependency_order, reset),
		cmocka_unit_test_setup(test_nuke__parallelism_is_bounded, reset),
		cmocka_unit_test_setup(test_nuke__a_shared_pool_bounds_every_run_on_it, reset),
		cmocka_unit_test_setup(test_nuke__a_pass_without_progress_stops, reset),
		cmocka_unit_test_setup(test_nuke__repeats_passes_until_nothing_is_left, reset),
		cmocka_unit_test_setup(test_nuke__a_changing_failure_counts_as_progress, reset),
		cmocka_unit_test_setup(test_nuke__max_passes_bounds_the_loop, reset),
		cmocka_unit_test_setup(test_nuke__a_stuck_delete_times_out_and_unblocks_dependents, reset),
		cmocka_unit_test_setup(test_nuke__an_async_delete_that_never_ends_times_out, reset),
		cmocka_unit_test_setup(test_nuke__a_failed_async_delete_carries_its_reason, reset),
		cmocka_unit_test_setup(test_nuke__a_waits_for_cycle_does_not_hang, reset),
		cmocka_unit_test_setup(test_nuke__a_resource_listed_after_removal_is_removed_again, reset),
		cmocka_unit_test_setup(test_nuke__listing_errors_are_reported_and_leave_it_unclean, reset),
		cmocka_unit_test_setup(test_nuke__filters_keep_with_reasons, reset),
		cmocka_unit_test_setup(test_nuke__interrupt_stops_and_says_so, reset),
		cmocka_unit_test_setup(test_nuke__output_forms, reset),
		cmocka_unit_test_setup(test_nuke__bad_options_are_refused, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
