/*
 * The deployer's engine (runner/deploy_engine.h) driven in virtual time by
 * an in-process fake of our own ops table: stacks take a set number of
 * virtual seconds to create, calls take a set latency. This is scheduling
 * logic only (the cloud itself is tested against moto, the state machine
 * against AWS-shaped responses): a stack starts as soon as its own
 * dependencies are complete (not level by level), the bound on stack
 * operations holds over all accounts, the shared rate limit spaces
 * CloudFormation calls, a failure blocks exactly its dependents, command
 * stacks see their dependencies' outputs, cancellation.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/deploy_engine.h"

#define MAXS 16
#define MAXA 32
#define MAXCALLS 4096

/* ---- a fake cloud in virtual time ---------------------------------------------------------- */

typedef struct fstack {
	int exists;
	int64_t done_at;          /* CREATE_COMPLETE from then on */
	char hash[80];
	int fail;                 /* ends ROLLBACK_COMPLETE */
} fstack;

typedef struct call {
	int64_t t;
	size_t account;
	tp_cfn_op op;
	char stack[32];
} call;

typedef struct world {
	const char *names[MAXS];
	int64_t duration_ms[MAXS];
	int fails[MAXS];              /* creating this stack fails (in every account) */
	fstack st[MAXA][MAXS];
	size_t nstacks;
	int64_t now;
	int64_t latency_ms;
	call calls[MAXCALLS];
	size_t ncalls;
	char env_seen[256];           /* the env a command got */
	size_t max_active_seen;
	tp_deploy_engine *e;
} world;

typedef struct acct {
	world *w;
	size_t i;
} acct;

static size_t stack_index(world *w, const char *name)
{
	size_t i;

	for (i = 0; i < w->nstacks; i++)
		if (strcmp(w->names[i], name) == 0)
			return i;
	fail_msg("unknown stack %s", name);
	return 0;
}

static void record(world *w, size_t a, const tp_cfn_request *q)
{
	call *c = &w->calls[w->ncalls++];

	assert_true(w->ncalls < MAXCALLS);
	c->t = w->now;
	c->account = a;
	c->op = q->op;
	tp_strlcpy(c->stack, q->stack_name, sizeof(c->stack));
}

static void describe(world *w, fstack *s, const tp_cfn_request *q, tp_cfn_result *out)
{
	if (!s->exists) {
		tp_cfn_result_error(out, TP_ENOTFOUND, "ValidationError", "Stack with id x does not exist");
		return;
	}
	out->has_stack = 1;
	out->stack.stack_id = tp_xstrdup(q->stack_name);
	out->stack.stack_name = tp_xstrdup(q->stack_name);
	out->stack.status = tp_xstrdup(w->now < s->done_at ? "CREATE_IN_PROGRESS" :
				       s->fail ? "ROLLBACK_COMPLETE" : "CREATE_COMPLETE");
	tp_kv_list_add(&out->stack.tags, "tidepool:hash", s->hash);
	tp_kv_list_add(&out->stack.outputs, "Name", q->stack_name);
}

static const char *tag_hash(const tp_cfn_request *q)
{
	size_t i;

	for (i = 0; i < q->ntags; i++)
		if (strcmp(q->tags[i].key, "tidepool:hash") == 0)
			return q->tags[i].value;
	return "";
}

static int fake_call(void *account, const tp_cfn_request *q, tp_cfn_result *out)
{
	acct *a = account;
	world *w = a->w;
	size_t i = stack_index(w, q->stack_name);
	fstack *s = &w->st[a->i][i];

	record(w, a->i, q);
	switch (q->op) {
	case TP_CFN_DESCRIBE_STACKS:
		describe(w, s, q, out);
		break;
	case TP_CFN_CREATE_STACK:
	case TP_CFN_UPDATE_STACK:
		s->exists = 1;
		s->done_at = w->now + w->duration_ms[i];
		s->fail = w->fails[i];
		tp_strlcpy(s->hash, tag_hash(q), sizeof(s->hash));
		out->stack_id = tp_xstrdup(q->stack_name);
		break;
	case TP_CFN_RUN_COMMAND:
		if (q->nenv)
			snprintf(w->env_seen, sizeof(w->env_seen), "%s=%s", q->env[0].key, q->env[0].value);
		s->exists = 1;
		s->done_at = w->now;
		tp_strlcpy(s->hash, q->hash, sizeof(s->hash));
		break;
	case TP_CFN_DESCRIBE_STACK_EVENTS:
		break;
	default:
		tp_cfn_result_error(out, TP_ERROR, NULL, "not in the fake");
	}
	return out->rc;
}

static const tp_cfn_ops fake_ops = {
	"fake", fake_call, fake_call, fake_call, fake_call, fake_call, fake_call, fake_call,
};

/* Jobs out, completing at `at`. */
typedef struct pending {
	tp_deploy_job job;
	int64_t at;
} pending;

/* Run everything to the end in virtual time; calls take w->latency_ms. */
static void run(world *w)
{
	pending out[MAXA * MAXS];
	size_t nout = 0, i;
	tp_deploy_job job;
	int guard = 0;

	while (tp_deploy_engine_busy(w->e)) {
		int64_t next = INT64_MAX;

		assert_true(++guard < 100000);
		while (tp_deploy_engine_next(w->e, w->now, &job)) {
			out[nout].job = job;
			out[nout++].at = w->now + w->latency_ms;
			if (tp_deploy_engine_active(w->e) > w->max_active_seen)
				w->max_active_seen = tp_deploy_engine_active(w->e);
		}
		for (i = 0; i < nout; i++)
			if (out[i].at < next)
				next = out[i].at;
		if (tp_deploy_engine_wakeup(w->e, w->now) < next)
			next = tp_deploy_engine_wakeup(w->e, w->now);
		assert_true(next != INT64_MAX);
		w->now = next;
		for (i = 0; i < nout;) {
			tp_cfn_result r = TP_CFN_RESULT_INIT;

			if (out[i].at > w->now) {
				i++;
				continue;
			}
			tp_cfn_ops_call(&fake_ops, out[i].job.account, out[i].job.req, &r);
			tp_deploy_engine_complete(w->e, w->now, &out[i].job, &r);
			tp_cfn_result_release(&r);
			out[i] = out[--nout];
		}
	}
}

/* ---- fixtures ------------------------------------------------------------------------------ */

typedef struct fx {
	world w;
	tp_deploy_stack_spec specs[MAXS];
	size_t deps[MAXS][MAXS];
	acct accts[MAXA];
	tp_deploy_engine_opts eo;
} fx;

static int setup(void **state)
{
	fx *f = tp_xcalloc(1, sizeof(*f));

	f->eo.rate = -1;    /* unlimited unless a test says otherwise */
	f->eo.global_rate = -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	tp_deploy_engine_free(f->w.e);
	free(f);
	return 0;
}

/* Stack `name`, `secs` to create, depending on the stacks named in `deps` ("a,b"). */
static void add_stack(fx *f, const char *name, int secs, const char *deps)
{
	size_t i = f->w.nstacks++, n = 0;
	tp_deploy_stack_spec *sp = &f->specs[i];
	const char *p = deps ? deps : "";
	char one[32];

	f->w.names[i] = name;
	f->w.duration_ms[i] = (int64_t)secs * 1000;
	sp->stack.name = name;
	sp->stack.hash = "h1";
	sp->stack.template_body = "Resources: {}";
	sp->stack.template_len = 13;
	while (*p) {
		size_t len = strcspn(p, ",");

		tp_strlcpy(one, p, len + 1 < sizeof(one) ? len + 1 : sizeof(one));
		f->deps[i][n++] = stack_index(&f->w, one);
		p += len + (p[len] == ',');
	}
	sp->deps = f->deps[i];
	sp->ndeps = n;
}

static void submit(fx *f, size_t naccounts, int64_t poll_ms)
{
	size_t a;

	f->w.e = tp_deploy_engine_new(&f->eo);
	for (a = 0; a < naccounts; a++) {
		tp_deploy_request req;
		tp_dsm_opts o = TP_DSM_OPTS_INIT;

		f->accts[a].w = &f->w;
		f->accts[a].i = a;
		o.account = "111111111111";
		o.region = "us-east-1";
		o.project = "p";
		o.poll_first_ms = poll_ms;
		o.poll_max_ms = poll_ms;
		memset(&req, 0, sizeof(req));
		req.stacks = f->specs;
		req.nstacks = f->w.nstacks;
		req.account = &f->accts[a];
		req.sm = o;
		assert_int_equal(tp_deploy_engine_submit(f->w.e, &req, 0), a);
	}
}

/* Time of the first `op` for stack in account a; -1 when none. */
static int64_t first(const world *w, size_t a, tp_cfn_op op, const char *stack)
{
	size_t i;

	for (i = 0; i < w->ncalls; i++)
		if (w->calls[i].account == a && w->calls[i].op == op &&
		    strcmp(w->calls[i].stack, stack) == 0)
			return w->calls[i].t;
	return -1;
}

/* End of `stack` in account a: the engine's end time. */
static int64_t ended(const fx *f, size_t a, const char *stack)
{
	return tp_deploy_engine_result(f->w.e, a, stack_index((world *)&f->w, stack))->end_ms;
}

static tp_deploy_outcome outcome(const fx *f, size_t a, const char *stack)
{
	return tp_deploy_engine_result(f->w.e, a, stack_index((world *)&f->w, stack))->outcome;
}

/* ---- tests ---------------------------------------------------------------------------------- */

/*
 *   slow (100 s)    fast (5 s)
 *        \             |
 *         \          after_fast (5 s)
 *          \         /
 *            last
 * after_fast starts when fast is done, long before slow is: no levels.
 */
static void test_deploy_engine__starts_as_soon_as_dependencies_are_done(void **state)
{
	fx *f = *state;
	size_t a;

	add_stack(f, "slow", 100, NULL);
	add_stack(f, "fast", 5, NULL);
	add_stack(f, "after_fast", 5, "fast");
	add_stack(f, "last", 1, "slow,after_fast");
	f->w.latency_ms = 50;
	submit(f, 3, 1000);
	run(&f->w);
	for (a = 0; a < 3; a++) {
		int64_t create_after = first(&f->w, a, TP_CFN_CREATE_STACK, "after_fast");

		assert_int_equal(outcome(f, a, "last"), TP_DEPLOY_CREATED);
		assert_true(create_after >= ended(f, a, "fast"));
		assert_true(create_after < 10 * 1000);            /* not after slow's 100 s */
		assert_true(first(&f->w, a, TP_CFN_CREATE_STACK, "last") >= ended(f, a, "slow"));
		assert_true(first(&f->w, a, TP_CFN_CREATE_STACK, "last") >= ended(f, a, "after_fast"));
		assert_true(ended(f, a, "last") < 105 * 1000);
	}
}

/* No CreateStack of any stack before every dependency has completed, in every account. */
static void test_deploy_engine__dag_order_in_every_account(void **state)
{
	fx *f = *state;
	size_t a, i, k;

	add_stack(f, "base", 3, NULL);
	add_stack(f, "storage", 1, NULL);
	add_stack(f, "data", 4, "base");
	add_stack(f, "messaging", 2, "base");
	add_stack(f, "api", 2, "data,messaging,storage");
	add_stack(f, "worker", 6, "messaging,data");
	add_stack(f, "ops", 1, "api,worker");
	add_stack(f, "tracing", 2, "base");
	f->w.latency_ms = 30;
	submit(f, 8, 1000);
	run(&f->w);
	for (a = 0; a < 8; a++)
		for (i = 0; i < f->w.nstacks; i++) {
			int64_t c = first(&f->w, a, TP_CFN_CREATE_STACK, f->w.names[i]);

			assert_int_equal(outcome(f, a, f->w.names[i]), TP_DEPLOY_CREATED);
			for (k = 0; k < f->specs[i].ndeps; k++) {
				const char *d = f->w.names[f->specs[i].deps[k]];

				/* the dependency's CREATE_COMPLETE was seen before we created */
				assert_true(c >= ended(f, a, d));
				assert_true(ended(f, a, d) >= f->w.st[a][f->specs[i].deps[k]].done_at);
			}
		}
}

/* At most max_active stack operations at once over all accounts. */
static void test_deploy_engine__concurrency_bound(void **state)
{
	fx *f = *state;
	char names[6][8];
	size_t i, a;

	for (i = 0; i < 6; i++) {
		snprintf(names[i], sizeof(names[i]), "s%zu", i);
		add_stack(f, names[i], 2 + (int)i, NULL);
	}
	f->eo.max_active = 5;
	f->w.latency_ms = 10;
	submit(f, 10, 1000);
	run(&f->w);
	assert_int_equal(f->w.max_active_seen, 5);
	for (a = 0; a < 10; a++)
		for (i = 0; i < 6; i++)
			assert_int_equal(outcome(f, a, names[i]), TP_DEPLOY_CREATED);
}

/*
 * Per-account buckets: an account's k-th CloudFormation call comes no
 * earlier than (k - burst) / rate, but accounts do not wait for each other.
 */
static void test_deploy_engine__rate_limit_per_account(void **state)
{
	fx *f = *state;
	size_t i, a, per[12] = { 0 };

	add_stack(f, "a", 1, NULL);
	add_stack(f, "b", 1, NULL);
	f->eo.rate = 4;
	f->eo.burst = 2;
	f->w.latency_ms = 0;
	submit(f, 12, 1000);
	run(&f->w);
	assert_true(f->w.ncalls >= 12 * 2 * 3);
	for (i = 0; i < f->w.ncalls; i++) {
		size_t k = per[f->w.calls[i].account]++;
		if (k >= 2 && f->w.calls[i].t < (int64_t)((double)(k - 2) * 1000 / 4) - 1)
			fail_msg("account %zu's call %zu at %lld ms: faster than 4/s after a burst of 2",
				 f->w.calls[i].account, k, (long long)f->w.calls[i].t);
	}
	/* twelve accounts in parallel: far faster than one shared 4/s bucket */
	assert_true(f->w.calls[f->w.ncalls - 1].t < (int64_t)(f->w.ncalls - 2) * 250 / 4);
	for (a = 0; a < 12; a++)
		assert_int_equal(outcome(f, a, "b"), TP_DEPLOY_CREATED);
}

/* The process-wide bucket: the k-th call overall no earlier than (k - burst) / rate. */
static void test_deploy_engine__global_rate_limit(void **state)
{
	fx *f = *state;
	size_t i;

	add_stack(f, "a", 1, NULL);
	add_stack(f, "b", 1, NULL);
	f->eo.global_rate = 4;
	f->eo.global_burst = 2;
	f->w.latency_ms = 0;
	submit(f, 12, 1000);
	run(&f->w);
	assert_true(f->w.ncalls >= 12 * 2 * 3);
	for (i = 0; i < f->w.ncalls; i++)
		if (i >= 2 && f->w.calls[i].t < (int64_t)((double)(i - 2) * 1000 / 4) - 1)
			fail_msg("call %zu at %lld ms: faster than 4/s after a burst of 2", i,
				 (long long)f->w.calls[i].t);
	assert_true(f->w.calls[f->w.ncalls - 1].t >= (int64_t)(f->w.ncalls - 2) * 250 - 1);
}

/* A failed stack blocks what depends on it, and only that; other accounts go on. */
static void test_deploy_engine__failure_blocks_only_dependents(void **state)
{
	fx *f = *state;
	const tp_deploy_stack_result *r;

	add_stack(f, "base", 1, NULL);
	add_stack(f, "bad", 2, "base");
	add_stack(f, "above_bad", 1, "bad");
	add_stack(f, "top", 1, "above_bad");
	add_stack(f, "side", 3, "base");
	f->w.fails[1] = 1;
	f->w.latency_ms = 10;
	submit(f, 2, 1000);
	run(&f->w);
	assert_int_equal(outcome(f, 0, "base"), TP_DEPLOY_CREATED);
	assert_int_equal(outcome(f, 0, "bad"), TP_DEPLOY_FAILED);
	assert_int_equal(outcome(f, 0, "above_bad"), TP_DEPLOY_BLOCKED);
	assert_int_equal(outcome(f, 0, "top"), TP_DEPLOY_BLOCKED);
	assert_int_equal(outcome(f, 0, "side"), TP_DEPLOY_CREATED);
	assert_int_equal(outcome(f, 1, "side"), TP_DEPLOY_CREATED);
	r = tp_deploy_engine_result(f->w.e, 0, 3);
	assert_string_equal(r->message, "not deployed: it depends on bad, which failed");
	assert_int_equal(first(&f->w, 0, TP_CFN_DESCRIBE_STACKS, "top"), -1);
	assert_int_equal(r->start_ms, 0);
}

/* A second deploy: one DescribeStacks per stack, all skipped. */
static void test_deploy_engine__redeploy_is_one_describe_each(void **state)
{
	fx *f = *state;
	size_t a, i, n = 0;

	add_stack(f, "x", 1, NULL);
	add_stack(f, "y", 1, "x");
	add_stack(f, "z", 1, "y");
	submit(f, 4, 1000);
	run(&f->w);
	tp_deploy_engine_free(f->w.e);
	f->w.ncalls = 0;
	submit(f, 4, 1000);
	run(&f->w);
	for (a = 0; a < 4; a++)
		for (i = 0; i < 3; i++)
			assert_int_equal(outcome(f, a, f->w.names[i]), TP_DEPLOY_SKIPPED);
	for (i = 0; i < f->w.ncalls; i++)
		n += f->w.calls[i].op == TP_CFN_DESCRIBE_STACKS;
	assert_int_equal(f->w.ncalls, 12);
	assert_int_equal(n, 12);
}

/* A command stack gets TIDEPOOL_OUTPUT_* of what it depends on, even indirectly. */
static void test_deploy_engine__command_stacks_see_outputs(void **state)
{
	fx *f = *state;

	add_stack(f, "common-base", 1, NULL);
	add_stack(f, "mid", 1, "common-base");
	add_stack(f, "cmd", 1, "mid");
	f->specs[2].stack.template_body = NULL;
	f->specs[2].stack.template_len = 0;
	f->specs[2].stack.command = "deploy";
	submit(f, 1, 1000);
	run(&f->w);
	assert_int_equal(outcome(f, 0, "cmd"), TP_DEPLOY_CREATED);
	/* the nearest dependency first; its own dependency's outputs come too */
	assert_string_equal(f->w.env_seen, "TIDEPOOL_OUTPUT_MID_NAME=mid");
	assert_int_equal(first(&f->w, 0, TP_CFN_RUN_COMMAND, "cmd") >= ended(f, 0, "mid"), 1);
}

static void test_deploy_engine__cancel(void **state)
{
	fx *f = *state;
	tp_deploy_job job;
	tp_cfn_result r = TP_CFN_RESULT_INIT;

	add_stack(f, "a", 1, NULL);
	add_stack(f, "b", 1, "a");
	submit(f, 1, 1000);
	assert_int_equal(tp_deploy_engine_next(f->w.e, 0, &job), 1);   /* a's DescribeStacks */
	tp_deploy_engine_cancel(f->w.e, 0, 0);
	assert_int_equal(outcome(f, 0, "b"), TP_DEPLOY_CANCELLED);
	assert_true(tp_deploy_engine_busy(f->w.e));                     /* a's call is out */
	tp_cfn_result_error(&r, TP_ENOTFOUND, "ValidationError", "Stack with id a does not exist");
	tp_deploy_engine_complete(f->w.e, 10, &job, &r);
	tp_cfn_result_release(&r);
	assert_int_equal(outcome(f, 0, "a"), TP_DEPLOY_CANCELLED);
	assert_false(tp_deploy_engine_busy(f->w.e));
	assert_int_equal(tp_deploy_engine_next(f->w.e, 20, &job), 0);
}

static void test_deploy_engine__empty_deployment_is_finished(void **state)
{
	fx *f = *state;

	submit(f, 1, 1000);
	assert_true(tp_deploy_engine_finished(f->w.e, 0));
	assert_false(tp_deploy_engine_busy(f->w.e));
	assert_int_equal(tp_deploy_engine_wakeup(f->w.e, 5), INT64_MAX);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_deploy_engine__starts_as_soon_as_dependencies_are_done),
		T(test_deploy_engine__dag_order_in_every_account),
		T(test_deploy_engine__concurrency_bound),
		T(test_deploy_engine__rate_limit_per_account),
		T(test_deploy_engine__global_rate_limit),
		T(test_deploy_engine__failure_blocks_only_dependents),
		T(test_deploy_engine__redeploy_is_one_describe_each),
		T(test_deploy_engine__command_stacks_see_outputs),
		T(test_deploy_engine__cancel),
		T(test_deploy_engine__empty_deployment_is_finished),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
