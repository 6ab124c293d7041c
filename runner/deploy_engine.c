/*
 * The deployer's engine (runner/deploy_engine.h).
 *
 * Every stack of every deployment is in one state: WAITING for its
 * dependencies, READY (in the ready queue, waiting for a slot under
 * max_active), ACTIVE (its machine runs: a call queued or out, or a timer
 * set) or DONE. Three queues and a heap hold ACTIVE and READY stacks by
 * reference (deployment, stack): ready, CloudFormation calls (one queue per
 * account: each takes a token from its account's bucket and from the
 * process-wide one), other calls (uploads, commands: no token), and the
 * timer heap ordered by (due, sequence). Accounts with queued calls are
 * served round-robin, so an account out of tokens never holds up another. An entry whose stack has
 * moved on (cancelled, or a newer timer) is dropped when it surfaces, so
 * nothing is ever searched for and removed.
 */
#include "runner/deploy_engine.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/util.h"
#include "runner/child_env.h"

typedef enum sstate { S_WAITING, S_READY, S_ACTIVE, S_DONE } sstate;

typedef struct stack_rt {
	sstate st;
	size_t pending;              /* dependencies not yet done */
	size_t *dependents;
	size_t ndependents;
	tp_dsm *m;
	tp_dsm_stack spec;           /* the request's, with env for commands */
	tp_kv_list env;
	int in_flight;               /* a job is out */
	int cancel;                  /* cancel at its next event */
	uint64_t timer_gen;          /* the live timer's generation */
	tp_deploy_stack_result res;
} stack_rt;

typedef struct deployment {
	tp_deploy_request req;
	size_t acct;                 /* index in the engine's accounts */
	stack_rt *s;
	size_t n, ndone;
	int finished;
} deployment;

typedef struct ref {
	size_t dep, stack;
} ref;

typedef struct queue {
	ref *v;
	size_t head, n, alloc;
} queue;

typedef struct bucket {
	double rate, size;           /* tokens per second (< 0: unlimited), capacity */
	double tokens;
	int64_t at;                  /* when tokens was last brought up to date */
	int started;
} bucket;

typedef struct account_rt {
	void *handle;                /* the deployments' account handle */
	bucket b;
	queue cfn;                   /* its CloudFormation calls, in order */
} account_rt;

typedef struct timer {
	int64_t due;
	uint64_t seq;
	uint64_t gen;
	size_t dep, stack;
} timer;

struct tp_deploy_engine {
	tp_deploy_engine_opts o;
	deployment **d;
	size_t nd, ad;
	queue ready, other;
	account_rt *acct;
	size_t nacct, aacct;
	size_t rr;                   /* round-robin start over accounts */
	bucket global;
	timer *heap;
	size_t nheap, aheap;
	uint64_t seq;
	size_t active, in_flight, unfinished;
};

/* ---- queues and the heap --------------------------------------------------------- */

static void q_push(queue *q, size_t dep, size_t stack)
{
	if (q->head > 0 && q->head == q->n)
		q->head = q->n = 0;
	if (q->n == q->alloc) {
		if (q->head > q->n / 2) {
			memmove(q->v, q->v + q->head, (q->n - q->head) * sizeof(*q->v));
			q->n -= q->head;
			q->head = 0;
		} else {
			q->alloc = q->alloc ? 2 * q->alloc : 16;
			q->v = tp_xrealloc(q->v, q->alloc * sizeof(*q->v));
		}
	}
	q->v[q->n].dep = dep;
	q->v[q->n++].stack = stack;
}

static int q_pop(queue *q, ref *out)
{
	if (q->head == q->n)
		return 0;
	*out = q->v[q->head++];
	return 1;
}

static int q_empty(const queue *q)
{
	return q->head == q->n;
}

static int timer_before(const timer *a, const timer *b)
{
	return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_swap(timer *h, size_t i, size_t j)
{
	timer t = h[i];

	h[i] = h[j];
	h[j] = t;
}

static void heap_push(tp_deploy_engine *e, timer t)
{
	size_t i;

	if (e->nheap == e->aheap) {
		e->aheap = e->aheap ? 2 * e->aheap : 64;
		e->heap = tp_xrealloc(e->heap, e->aheap * sizeof(*e->heap));
	}
	i = e->nheap++;
	e->heap[i] = t;
	while (i > 0 && timer_before(&e->heap[i], &e->heap[(i - 1) / 2])) {
		heap_swap(e->heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static timer heap_pop(tp_deploy_engine *e)
{
	timer top = e->heap[0];
	size_t i = 0;

	e->heap[0] = e->heap[--e->nheap];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;

		if (l < e->nheap && timer_before(&e->heap[l], &e->heap[m]))
			m = l;
		if (r < e->nheap && timer_before(&e->heap[r], &e->heap[m]))
			m = r;
		if (m == i)
			return top;
		heap_swap(e->heap, i, m);
		i = m;
	}
}

/* ---- the token buckets ----------------------------------------------------------------- */

static void bucket_init(bucket *b, double rate, double size)
{
	memset(b, 0, sizeof(*b));
	b->rate = rate;
	b->size = size > 0 ? size : 2 * rate;
	if (b->size < 1)
		b->size = 1;
}

static void bucket_refill(bucket *b, int64_t now)
{
	if (!b->started) {
		b->started = 1;
		b->tokens = b->size;
	} else if (now > b->at) {
		b->tokens += (double)(now - b->at) * b->rate / 1000.0;
		if (b->tokens > b->size)
			b->tokens = b->size;
	}
	if (now > b->at || b->at == 0)
		b->at = now;
}

static int bucket_has(bucket *b, int64_t now)
{
	if (b->rate < 0)
		return 1;
	bucket_refill(b, now);
	return b->tokens >= 1;
}

static void bucket_take(bucket *b)
{
	if (b->rate >= 0)
		b->tokens -= 1;
}

/* When `b` will hold a token (now when it does). */
static int64_t bucket_when(const bucket *b, int64_t now)
{
	double need;
	int64_t t;

	if (b->rate < 0 || !b->started)
		return now;
	need = 1 - (b->tokens + (double)(now > b->at ? now - b->at : 0) * b->rate / 1000.0);
	if (need <= 0)
		return now;
	t = now + (int64_t)ceil(need * 1000.0 / b->rate);
	return t;
}

/* The account entry for `handle`, added on first sight. */
static size_t account_of(tp_deploy_engine *e, void *handle)
{
	size_t i;

	for (i = 0; i < e->nacct; i++)
		if (e->acct[i].handle == handle)
			return i;
	if (e->nacct == e->aacct) {
		e->aacct = e->aacct ? 2 * e->aacct : 8;
		e->acct = tp_xrealloc(e->acct, e->aacct * sizeof(*e->acct));
	}
	memset(&e->acct[e->nacct], 0, sizeof(*e->acct));
	e->acct[e->nacct].handle = handle;
	bucket_init(&e->acct[e->nacct].b, e->o.rate, e->o.burst);
	return e->nacct++;
}

/* ---- finishing stacks ---------------------------------------------------------------------- */

static stack_rt *at(const tp_deploy_engine *e, size_t dep, size_t i)
{
	return &e->d[dep]->s[i];
}

static void notify(tp_deploy_engine *e, size_t dep, size_t i)
{
	if (e->o.on_stack)
		e->o.on_stack(e->o.ctx, dep, i, &at(e, dep, i)->res);
}

static void count_done(tp_deploy_engine *e, size_t dep)
{
	deployment *d = e->d[dep];

	if (++d->ndone < d->n)
		return;
	d->finished = 1;
	e->unfinished--;
	if (e->o.on_done)
		e->o.on_done(e->o.ctx, dep);
}

/* A stack that never starts: blocked behind a failure, or cancelled. */
static void never_started(tp_deploy_engine *e, size_t dep, size_t i, tp_deploy_outcome o,
			  const char *why, int64_t now)
{
	stack_rt *s = at(e, dep, i);

	s->st = S_DONE;
	s->res.outcome = o;
	s->res.message = tp_xstrdup(why);
	s->res.end_ms = now;
	notify(e, dep, i);
	count_done(e, dep);
}

/* Every stack that depends on `i`, directly or not, is blocked. */
static void block_dependents(tp_deploy_engine *e, size_t dep, size_t i, int64_t now)
{
	deployment *d = e->d[dep];
	size_t *todo = tp_xcalloc(d->n + 1, sizeof(size_t)), n = 0, k, j;
	int cancelled = d->s[i].res.outcome == TP_DEPLOY_CANCELLED;
	const char *verb = cancelled ? "was cancelled" : "failed";

	todo[n++] = i;
	while (n) {
		stack_rt *s = &d->s[todo[--n]];
		char *why = tp_xasprintf("not deployed: it depends on %s, which %s",
					 d->s[i].spec.name, verb);

		for (k = 0; k < s->ndependents; k++) {
			j = s->dependents[k];
			if (d->s[j].st == S_WAITING || d->s[j].st == S_READY) {
				never_started(e, dep, j, cancelled ? TP_DEPLOY_CANCELLED :
					      TP_DEPLOY_BLOCKED, why, now);
				todo[n++] = j;
			}
		}
		free(why);
	}
	free(todo);
}

static void make_ready(tp_deploy_engine *e, size_t dep, size_t i)
{
	at(e, dep, i)->st = S_READY;
	q_push(&e->ready, dep, i);
}

static void release_dependents(tp_deploy_engine *e, size_t dep, size_t i)
{
	stack_rt *s = at(e, dep, i);
	size_t k;

	for (k = 0; k < s->ndependents; k++) {
		stack_rt *t = at(e, dep, s->dependents[k]);

		if (t->st == S_WAITING && --t->pending == 0)
			make_ready(e, dep, s->dependents[k]);
	}
}

static void finish(tp_deploy_engine *e, size_t dep, size_t i, const tp_dsm_action *a,
		   int64_t now)
{
	stack_rt *s = at(e, dep, i);
	tp_deploy_outcome outcome = a->outcome;   /* `a` dies with the machine */

	s->st = S_DONE;
	s->res.outcome = a->outcome;
	s->res.message = tp_xstrdup(a->message);
	s->res.aws_code = tp_xstrdup(a->aws_code);
	if (a->stack)
		tp_cfn_stack_copy(&s->res.stack, a->stack);
	s->res.end_ms = now;
	s->res.calls = tp_dsm_calls(s->m);
	tp_dsm_free(s->m);
	s->m = NULL;
	e->active--;
	notify(e, dep, i);
	if (outcome == TP_DEPLOY_CREATED || outcome == TP_DEPLOY_UPDATED ||
	    outcome == TP_DEPLOY_SKIPPED)
		release_dependents(e, dep, i);
	else
		block_dependents(e, dep, i, now);
	count_done(e, dep);
}

/* Queue what the machine asked for. */
static void handle(tp_deploy_engine *e, size_t dep, size_t i, const tp_dsm_action *a, int64_t now)
{
	stack_rt *s = at(e, dep, i);
	timer t;

	switch (a->kind) {
	case TP_DSM_CALL:
		q_push(tp_cfn_op_is_cloudformation(a->req.op) ? &e->acct[e->d[dep]->acct].cfn
							       : &e->other, dep, i);
		break;
	case TP_DSM_WAIT:
		t.due = now + a->wait_ms;
		t.seq = e->seq++;
		t.gen = ++s->timer_gen;
		t.dep = dep;
		t.stack = i;
		heap_push(e, t);
		break;
	case TP_DSM_DONE:
		finish(e, dep, i, a, now);
		break;
	}
}

/* ---- starting stacks --------------------------------------------------------------------- */

/* TIDEPOOL_OUTPUT_* of every stack `i` depends on, directly or not. */
static void collect_outputs(deployment *d, size_t i)
{
	unsigned char *seen = tp_xcalloc(d->n + 1, 1);
	size_t *todo = tp_xcalloc(d->n + 1, sizeof(size_t)), n = 0, k, o;
	tp_buf name = TP_BUF_INIT;

	todo[n++] = i;
	while (n) {
		const tp_deploy_stack_spec *sp = &d->req.stacks[todo[--n]];

		for (k = 0; k < sp->ndeps; k++) {
			const stack_rt *dep = &d->s[sp->deps[k]];

			if (seen[sp->deps[k]])
				continue;
			seen[sp->deps[k]] = 1;
			todo[n++] = sp->deps[k];
			for (o = 0; o < dep->res.stack.outputs.n; o++) {
				tp_buf_reset(&name);
				tp_env_output_name(&name, dep->spec.name, dep->res.stack.outputs.items[o].key);
				tp_kv_list_add(&d->s[i].env, tp_buf_cstr(&name),
					       dep->res.stack.outputs.items[o].value);
			}
		}
	}
	tp_buf_release(&name);
	free(todo);
	free(seen);
}

static void start_one(tp_deploy_engine *e, size_t dep, size_t i, int64_t now)
{
	deployment *d = e->d[dep];
	stack_rt *s = &d->s[i];

	if (s->spec.command) {
		collect_outputs(d, i);
		s->spec.env = s->env.items;
		s->spec.nenv = s->env.n;
	}
	s->m = tp_dsm_new(&s->spec, &d->req.sm);
	s->st = S_ACTIVE;
	s->res.outcome = TP_DEPLOY_RUNNING;
	s->res.start_ms = now;
	e->active++;
	notify(e, dep, i);
	handle(e, dep, i, tp_dsm_start(s->m), now);
}

static int max_active(const tp_deploy_engine *e)
{
	return e->o.max_active > 0 ? e->o.max_active : 1024;
}

static void start_ready(tp_deploy_engine *e, int64_t now)
{
	ref r;

	while (e->active < (size_t)max_active(e) && q_pop(&e->ready, &r))
		if (at(e, r.dep, r.stack)->st == S_READY)
			start_one(e, r.dep, r.stack, now);
}

static void fire_timers(tp_deploy_engine *e, int64_t now)
{
	while (e->nheap && e->heap[0].due <= now) {
		timer t = heap_pop(e);
		stack_rt *s = at(e, t.dep, t.stack);

		if (s->st != S_ACTIVE || t.gen != s->timer_gen || s->in_flight)
			continue;
		handle(e, t.dep, t.stack, s->cancel ? tp_dsm_cancel(s->m) : tp_dsm_timer(s->m), now);
	}
}

/* ---- the interface ------------------------------------------------------------------------ */

tp_deploy_engine *tp_deploy_engine_new(const tp_deploy_engine_opts *opts)
{
	tp_deploy_engine *e = tp_xcalloc(1, sizeof(*e));

	e->o = *opts;
	if (e->o.rate == 0)
		e->o.rate = 5;
	if (e->o.global_rate == 0)
		e->o.global_rate = 100;
	bucket_init(&e->global, e->o.global_rate, e->o.global_burst);
	return e;
}

static void free_deployment(deployment *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		stack_rt *s = &d->s[i];

		tp_dsm_free(s->m);
		free(s->dependents);
		tp_kv_list_release(&s->env);
		free(s->res.message);
		free(s->res.aws_code);
		tp_cfn_stack_release(&s->res.stack);
	}
	free(d->s);
	free(d);
}

void tp_deploy_engine_free(tp_deploy_engine *e)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < e->nd; i++)
		free_deployment(e->d[i]);
	free(e->d);
	for (i = 0; i < e->nacct; i++)
		free(e->acct[i].cfn.v);
	free(e->acct);
	free(e->ready.v);
	free(e->other.v);
	free(e->heap);
	free(e);
}

static void link_stacks(deployment *d)
{
	size_t i, k;

	for (i = 0; i < d->n; i++) {
		const tp_deploy_stack_spec *sp = &d->req.stacks[i];

		d->s[i].spec = sp->stack;
		d->s[i].spec.env = NULL;
		d->s[i].spec.nenv = 0;
		d->s[i].res.name = sp->stack.name;
		d->s[i].pending = sp->ndeps;
		for (k = 0; k < sp->ndeps; k++) {
			stack_rt *dep = &d->s[sp->deps[k]];

			dep->dependents = tp_xrealloc(dep->dependents,
						      (dep->ndependents + 1) * sizeof(size_t));
			dep->dependents[dep->ndependents++] = i;
		}
	}
}

size_t tp_deploy_engine_submit(tp_deploy_engine *e, const tp_deploy_request *req, int64_t now)
{
	deployment *d = tp_xcalloc(1, sizeof(*d));
	size_t id = e->nd, i;

	d->req = *req;
	d->acct = account_of(e, req->account);
	d->n = req->nstacks;
	d->s = tp_xcalloc(d->n + 1, sizeof(*d->s));
	link_stacks(d);
	if (e->nd == e->ad) {
		e->ad = e->ad ? 2 * e->ad : 8;
		e->d = tp_xrealloc(e->d, e->ad * sizeof(*e->d));
	}
	e->d[e->nd++] = d;
	e->unfinished++;
	if (d->n == 0) {
		d->finished = 1;
		e->unfinished--;
		if (e->o.on_done)
			e->o.on_done(e->o.ctx, id);
	}
	for (i = 0; i < d->n; i++)
		if (d->s[i].pending == 0)
			make_ready(e, id, i);
	(void)now;
	return id;
}

/* Drop calls of stacks cancelled while queued; 1 when a live call heads q. */
static int live_head(tp_deploy_engine *e, queue *q)
{
	while (!q_empty(q)) {
		ref r = q->v[q->head];
		if (at(e, r.dep, r.stack)->st == S_ACTIVE)
			return 1;
		q->head++;
	}
	return 0;
}

static int hand_out(tp_deploy_engine *e, const ref *r, tp_deploy_job *job);

/* The next CloudFormation call whose account (and the process) has a token. */
static int next_cloudformation(tp_deploy_engine *e, int64_t now, tp_deploy_job *job)
{
	size_t k;

	for (k = 0; k < e->nacct; k++) {
		account_rt *a = &e->acct[(e->rr + k) % e->nacct];
		ref r;

		if (!live_head(e, &a->cfn) || !bucket_has(&a->b, now))
			continue;
		if (!bucket_has(&e->global, now))
			return 0;
		bucket_take(&a->b);
		bucket_take(&e->global);
		r = a->cfn.v[a->cfn.head++];
		e->rr = (e->rr + k + 1) % e->nacct;
		return hand_out(e, &r, job);
	}
	return 0;
}

static int hand_out(tp_deploy_engine *e, const ref *r, tp_deploy_job *job)
{
	stack_rt *s = at(e, r->dep, r->stack);

	if (s->st != S_ACTIVE)
		return 0;
	s->in_flight = 1;
	e->in_flight++;
	job->dep = r->dep;
	job->stack = r->stack;
	job->account = e->d[r->dep]->req.account;
	job->req = &tp_dsm_action_last(s->m)->req;
	return 1;
}

int tp_deploy_engine_next(tp_deploy_engine *e, int64_t now, tp_deploy_job *job)
{
	ref r;

	fire_timers(e, now);
	start_ready(e, now);
	while (q_pop(&e->other, &r))
		if (hand_out(e, &r, job))
			return 1;
	return next_cloudformation(e, now, job);
}

void tp_deploy_engine_complete(tp_deploy_engine *e, int64_t now, const tp_deploy_job *job,
			       const tp_cfn_result *res)
{
	stack_rt *s = at(e, job->dep, job->stack);
	const tp_dsm_action *a;

	if (!s->in_flight)
		return;
	s->in_flight = 0;
	e->in_flight--;
	a = tp_dsm_feed(s->m, res);
	if (s->cancel && a->kind != TP_DSM_DONE)
		a = tp_dsm_cancel(s->m);
	handle(e, job->dep, job->stack, a, now);
}

int64_t tp_deploy_engine_wakeup(const tp_deploy_engine *e, int64_t now)
{
	int64_t t = INT64_MAX;
	size_t i;

	if (!q_empty(&e->other) ||
	    (!q_empty(&e->ready) && e->active < (size_t)max_active(e)))
		return now;
	if (e->nheap)
		t = e->heap[0].due;
	for (i = 0; i < e->nacct; i++) {
		const account_rt *a = &e->acct[i];
		int64_t when, g;

		if (q_empty(&a->cfn))
			continue;        /* (a cancelled head only wakes us early) */
		when = bucket_when(&a->b, now);
		g = bucket_when(&e->global, now);
		if (g > when)
			when = g;
		if (when < t)
			t = when;
	}
	return t;
}

void tp_deploy_engine_cancel(tp_deploy_engine *e, size_t dep, int64_t now)
{
	deployment *d = e->d[dep];
	size_t i;

	for (i = 0; i < d->n; i++) {
		stack_rt *s = &d->s[i];

		if (s->st == S_WAITING || s->st == S_READY)
			never_started(e, dep, i, TP_DEPLOY_CANCELLED, "cancelled before it started", now);
		else if (s->st == S_ACTIVE && s->in_flight)
			s->cancel = 1;
		else if (s->st == S_ACTIVE)
			handle(e, dep, i, tp_dsm_cancel(s->m), now);
	}
}

int tp_deploy_engine_busy(const tp_deploy_engine *e)
{
	return e->unfinished > 0;
}

int tp_deploy_engine_finished(const tp_deploy_engine *e, size_t dep)
{
	return dep < e->nd && e->d[dep]->finished;
}

const tp_deploy_stack_result *tp_deploy_engine_result(const tp_deploy_engine *e, size_t dep,
						      size_t i)
{
	return &e->d[dep]->s[i].res;
}

size_t tp_deploy_engine_stack_count(const tp_deploy_engine *e, size_t dep)
{
	return e->d[dep]->n;
}

size_t tp_deploy_engine_in_flight(const tp_deploy_engine *e)
{
	return e->in_flight;
}

size_t tp_deploy_engine_active(const tp_deploy_engine *e)
{
	return e->active;
}
