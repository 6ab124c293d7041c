/*
 * The deployer's threads (runner/deploy.h) in real time, against an
 * in-process fake of our own ops table (thread-safe, calls take a few
 * milliseconds, stacks a few more to create). Scheduling logic only: the
 * bound on stack operations holds under threads, no CreateStack goes out
 * before its dependencies completed in that account, callbacks may submit
 * more work, cancellation ends everything promptly. Run under
 * ThreadSanitizer too (TIDEPOOL_SANITIZE=thread).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/deploy.h"

#define NSTACKS 8
#define MAXACCT 24
#define MAXLOG 20000

typedef struct entry {
	int64_t start, end;
	int account;
	tp_cfn_op op;
	int stack;
	int complete_seen;     /* DescribeStacks answered CREATE_COMPLETE */
} entry;

typedef struct cloud {
	pthread_mutex_t lock;  /* everything below */
	int64_t done_at[MAXACCT][NSTACKS];   /* 0 = no stack */
	char hash[MAXACCT][NSTACKS][8];
	entry log[MAXLOG];
	size_t nlog;
	int calls_now, max_calls;            /* calls in progress at once */
	int64_t call_ms, create_ms;
	int64_t slow_create_ms;              /* for cancel: stacks that take long */
} cloud;

typedef struct acct {
	cloud *c;
	int i;
} acct;

static const char *const names[NSTACKS] = {
	"base", "storage", "data", "messaging", "api", "worker", "ops", "tracing",
};

static int index_of(const char *name)
{
	int i;

	for (i = 0; i < NSTACKS; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return -1;
}

static const char *hash_tag(const tp_cfn_request *q)
{
	size_t i;

	for (i = 0; i < q->ntags; i++)
		if (strcmp(q->tags[i].key, "tidepool:hash") == 0)
			return q->tags[i].value;
	return "";
}

static void answer(cloud *c, int a, int s, const tp_cfn_request *q, tp_cfn_result *out,
		   entry *e, int64_t now)
{
	switch (q->op) {
	case TP_CFN_DESCRIBE_STACKS:
		if (!c->done_at[a][s]) {
			tp_cfn_result_error(out, TP_ENOTFOUND, "ValidationError", "does not exist");
			break;
		}
		out->has_stack = 1;
		out->stack.stack_id = tp_xstrdup(names[s]);
		out->stack.status = tp_xstrdup(now >= c->done_at[a][s] ? "CREATE_COMPLETE" :
							       "CREATE_IN_PROGRESS");
		e->complete_seen = now >= c->done_at[a][s];
		tp_kv_list_add(&out->stack.tags, "tidepool:hash", c->hash[a][s]);
		break;
	case TP_CFN_CREATE_STACK:
	case TP_CFN_UPDATE_STACK:
		c->done_at[a][s] = now + (c->slow_create_ms ? c->slow_create_ms : c->create_ms);
		tp_strlcpy(c->hash[a][s], hash_tag(q), sizeof(c->hash[a][s]));
		out->stack_id = tp_xstrdup(names[s]);
		break;
	default:
		tp_cfn_result_error(out, TP_ERROR, NULL, "not in the fake");
	}
}

static int fake_call(void *account, const tp_cfn_request *q, tp_cfn_result *out)
{
	acct *a = account;
	cloud *c = a->c;
	int s = index_of(q->stack_name);
	entry e;

	memset(&e, 0, sizeof(e));
	pthread_mutex_lock(&c->lock);
	if (++c->calls_now > c->max_calls)
		c->max_calls = c->calls_now;
	pthread_mutex_unlock(&c->lock);
	e.start = tp_now_ms();
	tp_sleep_ms(c->call_ms);
	pthread_mutex_lock(&c->lock);
	answer(c, a->i, s, q, out, &e, tp_now_ms());
	e.end = tp_now_ms();
	e.account = a->i;
	e.op = q->op;
	e.stack = s;
	if (c->nlog < MAXLOG)
		c->log[c->nlog++] = e;
	c->calls_now--;
	pthread_mutex_unlock(&c->lock);
	return out->rc;
}

static const tp_cfn_ops fake_ops = {
	"fake", fake_call, fake_call, fake_call, fake_call, fake_call, fake_call, fake_call,
};

/* The shop DAG. */
static const size_t d_data[] = { 0 }, d_messaging[] = { 0 }, d_api[] = { 1, 2, 3 },
		    d_worker[] = { 2, 3 }, d_ops[] = { 4, 5 }, d_tracing[] = { 0 };

static void specs(tp_deploy_stack_spec *sp)
{
	static const size_t *const deps[NSTACKS] = {
		NULL, NULL, d_data, d_messaging, d_api, d_worker, d_ops, d_tracing,
	};
	static const size_t ndeps[NSTACKS] = { 0, 0, 1, 1, 3, 2, 2, 1 };
	int i;

	memset(sp, 0, NSTACKS * sizeof(*sp));
	for (i = 0; i < NSTACKS; i++) {
		sp[i].stack.name = names[i];
		sp[i].stack.hash = "h1";
		sp[i].stack.template_body = "{}";
		sp[i].stack.template_len = 2;
		sp[i].deps = deps[i];
		sp[i].ndeps = ndeps[i];
	}
}

/* Watching from the callbacks: stack operations at once. */
typedef struct watch {
	int active, max_active;   /* the coordinator's thread only */
	tp_deployer *d;
	tp_deploy_request more;   /* on_done of deployment 0 submits this */
	int submitted_more;
	size_t more_id;
} watch;

static void on_stack(void *ctx, size_t dep, size_t i, const tp_deploy_stack_result *r)
{
	watch *w = ctx;

	(void)dep;
	(void)i;
	if (r->outcome == TP_DEPLOY_RUNNING) {
		if (++w->active > w->max_active)
			w->max_active = w->active;
	} else if (r->start_ms) {
		w->active--;
	}
}

static void on_done(void *ctx, size_t dep)
{
	watch *w = ctx;

	/* on_done runs once per deployment; the flag is raised only once the
	 * submission is in, so a waiter that sees it also sees the new work */
	if (dep == 0 && w->more.nstacks && !w->submitted_more) {
		w->more_id = tp_deployer_submit(w->d, &w->more);
		__atomic_store_n(&w->submitted_more, 1, __ATOMIC_SEQ_CST);
	}
}

typedef struct fx {
	cloud c;
	acct accts[MAXACCT];
	tp_deploy_stack_spec sp[NSTACKS];
	watch w;
} fx;

static int setup(void **state)
{
	fx *f = tp_xcalloc(1, sizeof(*f));

	pthread_mutex_init(&f->c.lock, NULL);
	f->c.call_ms = 2;
	f->c.create_ms = 15;
	specs(f->sp);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	pthread_mutex_destroy(&f->c.lock);
	free(f);
	return 0;
}

static tp_deploy_request request(fx *f, int a)
{
	tp_deploy_request r;
	tp_dsm_opts o = TP_DSM_OPTS_INIT;

	f->accts[a].c = &f->c;
	f->accts[a].i = a;
	o.account = "111111111111";
	o.region = "us-east-1";
	o.project = "shop";
	o.poll_first_ms = 5;
	o.poll_max_ms = 20;
	memset(&r, 0, sizeof(r));
	r.stacks = f->sp;
	r.nstacks = NSTACKS;
	r.account = &f->accts[a];
	r.sm = o;
	return r;
}

static tp_deployer *new_deployer(fx *f, int workers, int max_active)
{
	tp_deployer_opts o = TP_DEPLOYER_OPTS_INIT;
	tp_deployer *d = NULL;

	o.ops = &fake_ops;
	o.workers = workers;
	o.max_active = max_active;
	o.rate = -1;
	o.on_stack = on_stack;
	o.on_done = on_done;
	o.ctx = &f->w;
	assert_int_equal(tp_deployer_new(&d, &o), 0);
	f->w.d = d;
	return d;
}

/* When stack s of account a was first seen CREATE_COMPLETE (end of that DescribeStacks). */
static int64_t seen_complete(const cloud *c, int a, int s)
{
	size_t i;

	for (i = 0; i < c->nlog; i++)
		if (c->log[i].account == a && c->log[i].stack == s && c->log[i].complete_seen)
			return c->log[i].end;
	return -1;
}

static void assert_dag_order(const fx *f, int naccounts)
{
	size_t i, k;

	for (i = 0; i < f->c.nlog; i++) {
		const entry *e = &f->c.log[i];

		if (e->op != TP_CFN_CREATE_STACK)
			continue;
		assert_true(e->account < naccounts);
		for (k = 0; k < f->sp[e->stack].ndeps; k++) {
			int64_t ok = seen_complete(&f->c, e->account, (int)f->sp[e->stack].deps[k]);

			if (ok < 0 || e->start < ok)
				fail_msg("account %d: CreateStack %s at %lld before %s was complete (%lld)",
					 e->account, names[e->stack], (long long)e->start,
					 names[f->sp[e->stack].deps[k]], (long long)ok);
		}
	}
}

static void test_deploy_driver__many_accounts_bound_and_order(void **state)
{
	fx *f = *state;
	tp_deployer *d = new_deployer(f, 4, 6);
	tp_deploy_request r;
	size_t ids[MAXACCT], creates = 0, i;
	int a;

	for (a = 0; a < 20; a++) {
		r = request(f, a);
		ids[a] = tp_deployer_submit(d, &r);
	}
	tp_deployer_wait_all(d);
	for (a = 0; a < 20; a++) {
		assert_int_equal(tp_deployer_stack_count(d, ids[a]), NSTACKS);
		for (i = 0; i < NSTACKS; i++)
			assert_int_equal(tp_deployer_result(d, ids[a], i)->outcome, TP_DEPLOY_CREATED);
	}
	tp_deployer_free(d);
	assert_true(f->w.max_active <= 6);
	assert_true(f->w.max_active >= 4);    /* the bound was reached, so it was what held */
	assert_true(f->c.max_calls <= 4);     /* never more calls at once than workers */
	for (i = 0; i < f->c.nlog; i++)
		creates += f->c.log[i].op == TP_CFN_CREATE_STACK;
	assert_int_equal(creates, 20 * NSTACKS);
	assert_dag_order(f, 20);
}

/* A callback submits more work; the first deployment's results stay readable. */
static void test_deploy_driver__submit_from_a_callback(void **state)
{
	fx *f = *state;
	tp_deployer *d = new_deployer(f, 2, 64);
	tp_deploy_request r = request(f, 0);
	size_t first = tp_deployer_submit(d, &r);
	size_t i;

	f->w.more = request(f, 1);
	assert_int_equal(tp_deployer_wait(d, first, 20000), 0);
	while (!__atomic_load_n(&f->w.submitted_more, __ATOMIC_SEQ_CST))
		tp_sleep_ms(1);
	tp_deployer_wait_all(d);
	assert_int_equal(f->w.more_id, 1);
	assert_int_equal(tp_deployer_wait(d, 1, 0), 0);
	for (i = 0; i < NSTACKS; i++) {
		assert_int_equal(tp_deployer_result(d, first, i)->outcome, TP_DEPLOY_CREATED);
		assert_int_equal(tp_deployer_result(d, 1, i)->outcome, TP_DEPLOY_CREATED);
	}
	tp_deployer_free(d);
	assert_dag_order(f, 2);
}

/* Everything deployed: the second round is one DescribeStacks per stack. */
static void test_deploy_driver__second_round_skips(void **state)
{
	fx *f = *state;
	tp_deployer *d = new_deployer(f, 4, 64);
	tp_deploy_request r;
	size_t i, before;
	int a;

	for (a = 0; a < 4; a++)
		r = request(f, a), tp_deployer_submit(d, &r);
	tp_deployer_wait_all(d);
	before = f->c.nlog;
	for (a = 0; a < 4; a++)
		r = request(f, a), tp_deployer_submit(d, &r);
	tp_deployer_wait_all(d);
	for (a = 0; a < 4; a++)
		for (i = 0; i < NSTACKS; i++)
			assert_int_equal(tp_deployer_result(d, 4 + (size_t)a, i)->outcome,
					 TP_DEPLOY_SKIPPED);
	tp_deployer_free(d);
	assert_int_equal(f->c.nlog - before, 4 * NSTACKS);
}

static void test_deploy_driver__wait_times_out_and_free_cancels(void **state)
{
	fx *f = *state;
	tp_deployer *d;
	tp_deploy_request r;
	int64_t t0;

	f->c.slow_create_ms = 60 * 1000;
	d = new_deployer(f, 2, 64);
	r = request(f, 0);
	tp_deployer_submit(d, &r);
	assert_int_equal(tp_deployer_wait(d, 0, 100), TP_ETIMEOUT);
	t0 = tp_now_ms();
	tp_deployer_cancel_all(d);
	assert_int_equal(tp_deployer_wait(d, 0, 5000), 0);
	assert_int_equal(tp_deployer_result(d, 0, 0)->outcome, TP_DEPLOY_CANCELLED);
	assert_int_equal(tp_deployer_result(d, 4, 0), NULL);      /* no such deployment */
	assert_int_equal(tp_deployer_result(d, 0, 2)->outcome, TP_DEPLOY_CANCELLED);
	tp_deployer_free(d);
	assert_true(tp_now_ms() - t0 < 2000);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_deploy_driver__many_accounts_bound_and_order),
		T(test_deploy_driver__submit_from_a_callback),
		T(test_deploy_driver__second_round_skips),
		T(test_deploy_driver__wait_times_out_and_free_cancels),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
