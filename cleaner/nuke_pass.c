/*
 * One delete pass of the nuke loop. Items wait in a queue per (type,
 * region) group; a group is ready when no type it waits for (and, for
 * everything but stacks, no stack) has an unsettled item in its region
 * (global: in any region). The coordinator keeps at most `parallel` jobs
 * in flight, polls asynchronous deletes with backoff, and fails items past
 * their deadline without waiting for a stuck call: its late answer is
 * ignored (the item's generation moved on) and the next re-list tells the
 * truth.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/nuke_internal.h"

typedef struct queue {
	size_t *ix;
	size_t n, head;
} queue;

typedef struct pass {
	nk_run *run;
	queue *q;              /* per group: pending items */
	size_t *waiting;       /* items polling gone */
	size_t nwaiting;
	size_t *running;       /* items with a remove in flight */
	size_t nrunning;
	size_t total, settled, progress;
	int force;             /* a waits_for cycle: start regardless */
} pass;

static size_t ngroups(const nk_run *run)
{
	return (run->ntypes ? run->ntypes : 1) * (run->nregions + 1);
}

static int *active_of(nk_run *run, size_t i)
{
	return &run->active[NK_GROUP(run, run->track[i].type_ix, run->track[i].region_ix)];
}

static void enqueue(pass *p, size_t i)
{
	queue *q = &p->q[NK_GROUP(p->run, p->run->track[i].type_ix, p->run->track[i].region_ix)];

	q->ix = tp_xrealloc(q->ix, (q->n + 1) * sizeof(*q->ix));
	q->ix[q->n++] = i;
}

static void begin(pass *p, int stacks_only)
{
	nk_run *run = p->run;
	size_t i;

	p->q = tp_xcalloc(ngroups(run), sizeof(*p->q));
	p->running = tp_xcalloc((size_t)run->parallel, sizeof(*p->running));
	memset(run->active, 0, ngroups(run) * sizeof(*run->active));
	for (i = 0; i < run->rep->n; i++) {
		nk_track *tr = &run->track[i];

		tr->phase = NK_IDLE;
		if (!tr->nukeable || (stacks_only && tr->type_ix != run->stack_ix))
			continue;
		tr->phase = NK_PENDING;
		(*active_of(run, i))++;
		run->relist[NK_GROUP(run, tr->type_ix, tr->region_ix)] = 1;
		enqueue(p, i);
		p->total++;
	}
}

static void end(pass *p)
{
	size_t g;

	for (g = 0; g < ngroups(p->run); g++)
		free(p->q[g].ix);
	free(p->q);
	free(p->waiting);
	free(p->running);
}

/* ---- readiness ----------------------------------------------------------- */

static int blocked_by(const nk_run *run, int t, int g, int b)
{
	size_t r;

	if (run->types[t]->global) {
		for (r = 0; r <= run->nregions; r++)
			if (run->active[NK_GROUP(run, b, r)])
				return 1;
		return 0;
	}
	return run->active[NK_GROUP(run, b, g)] || run->active[NK_GROUP(run, b, run->nregions)];
}

static int group_ready(const pass *p, int t, int g)
{
	const nk_run *run = p->run;
	const int *w;

	if (p->force || t == run->stack_ix)
		return 1;
	if (run->stack_ix >= 0 && blocked_by(run, t, g, run->stack_ix))
		return 0;
	for (w = run->waits[t]; *w >= 0; w++)
		if (blocked_by(run, t, g, *w))
			return 0;
	return 1;
}

/* ---- state changes -------------------------------------------------------- */

static void settle(pass *p, size_t i, tp_nuke_state st, const char *reason)
{
	nk_track *tr = &p->run->track[i];

	if (tr->phase == NK_WAITING) {
		size_t k;

		for (k = 0; k < p->nwaiting; k++)
			if (p->waiting[k] == i) {
				p->waiting[k] = p->waiting[--p->nwaiting];
				break;
			}
	}
	tr->phase = NK_SETTLED;
	tr->gen++;
	(*active_of(p->run, i))--;
	p->settled++;
	if (st == TP_NUKE_REMOVED) {
		p->progress++;
		tr->nukeable = 0;
	}
	if (st == TP_NUKE_FAILED && !tp_streq(tr->last_error, reason)) {
		p->progress++;
		free(tr->last_error);
		tr->last_error = tp_xstrdup(reason);
	}
	nk_set_state(p->run, i, st, reason);
}

static void fail_with(pass *p, size_t i, const tp_error *err)
{
	char msg[2400];

	settle(p, i, TP_NUKE_FAILED, tp_error_format(err, msg, sizeof(msg)));
}

static void unrun(pass *p, size_t i)
{
	size_t k;

	for (k = 0; k < p->nrunning; k++)
		if (p->running[k] == i) {
			p->running[k] = p->running[--p->nrunning];
			return;
		}
}

static void start_waiting(pass *p, size_t i)
{
	nk_track *tr = &p->run->track[i];

	tr->phase = NK_WAITING;
	tr->polling = 0;         /* a poll of an earlier wait may still be out: its gen is stale */
	tr->poll_interval = p->run->poll_ms;
	tr->next_poll = tp_now_ms() + tr->poll_interval;
	p->waiting = tp_xrealloc(p->waiting, (p->nwaiting + 1) * sizeof(*p->waiting));
	p->waiting[p->nwaiting++] = i;
	nk_set_state(p->run, i, TP_NUKE_WAITING, NULL);
}

static void removed_answer(pass *p, nk_job *j)
{
	size_t i = j->item;

	unrun(p, i);
	if (j->rc == 0 && p->run->types[p->run->track[i].type_ix]->gone)
		start_waiting(p, i);
	else if (j->rc == 0 || j->rc == TP_ENOTFOUND)
		settle(p, i, TP_NUKE_REMOVED, NULL);
	else
		fail_with(p, i, &j->err);
}

static void gone_answer(pass *p, nk_job *j)
{
	nk_track *tr = &p->run->track[j->item];
	int64_t cap = p->run->poll_ms * 16;

	tr->polling = 0;
	if (j->rc == 1) {
		settle(p, j->item, TP_NUKE_REMOVED, NULL);
	} else if (j->rc < 0) {
		fail_with(p, j->item, &j->err);
	} else {
		tr->poll_interval = tr->poll_interval * 2 > cap ? cap : tr->poll_interval * 2;
		tr->next_poll = tp_now_ms() + tr->poll_interval;
	}
}

static void answer(pass *p, nk_job *j)
{
	if (j->kind == NK_REMOVE || j->kind == NK_GONE) {
		nk_track *tr = &p->run->track[j->item];

		if (j->gen == tr->gen)   /* else: timed out before it answered */
			(j->kind == NK_REMOVE ? removed_answer : gone_answer)(p, j);
	}
	nk_job_free(j);
}

static void timed_out(pass *p, size_t i, const char *what)
{
	char msg[256], dur[32];

	tp_format_duration(dur, sizeof(dur), (long)(p->run->timeout_ms / 1000));
	snprintf(msg, sizeof(msg), "timed out after %s %s", dur, what);
	settle(p, i, TP_NUKE_FAILED, msg);
}

static void check_deadlines(pass *p, int64_t now)
{
	size_t k;

	for (k = 0; k < p->nrunning;) {
		size_t i = p->running[k];

		if (p->run->track[i].deadline > now) {
			k++;
			continue;
		}
		p->running[k] = p->running[--p->nrunning];
		timed_out(p, i, "(the delete call did not return)");
	}
	for (k = 0; k < p->nwaiting;) {
		size_t i = p->waiting[k];

		if (p->run->track[i].deadline > now)
			k++;
		else
			timed_out(p, i, "waiting for the delete to finish");
	}
}

/* ---- submitting ----------------------------------------------------------- */

static nk_job *item_job(pass *p, size_t i, nk_kind kind)
{
	nk_run *run = p->run;
	nk_track *tr = &run->track[i];
	nk_job *j = nk_job_new(run, kind);

	j->type = run->types[tr->type_ix];
	j->res = run->rep->items[i].res;
	j->region = nk_region_name(run, tr->region_ix);
	j->item = i;
	j->gen = tr->gen;
	j->ctx.deadline_ms = tr->deadline;
	return j;
}

static void start_remove(pass *p, size_t i)
{
	nk_track *tr = &p->run->track[i];

	tr->phase = NK_RUNNING;
	tr->deadline = tp_now_ms() + p->run->timeout_ms;
	p->running[p->nrunning++] = i;
	p->run->rep->items[i].attempts++;
	nk_set_state(p->run, i, TP_NUKE_REMOVING, NULL);
	nk_submit(p->run, item_job(p, i, NK_REMOVE));
}

static void start_polls(pass *p, int64_t now)
{
	size_t k;

	for (k = 0; k < p->nwaiting && p->run->inflight < p->run->parallel; k++) {
		nk_track *tr = &p->run->track[p->waiting[k]];

		if (tr->polling || tr->next_poll > now)
			continue;
		tr->polling = 1;
		nk_submit(p->run, item_job(p, p->waiting[k], NK_GONE));
	}
}

/* Start ready items, stacks' group first, then in type order. */
static size_t start_removes(pass *p)
{
	nk_run *run = p->run;
	size_t t, g, started = 0;

	for (t = 0; t < run->ntypes; t++)
		for (g = 0; g <= run->nregions; g++) {
			queue *q = &p->q[NK_GROUP(run, t, g)];

			if (q->head == q->n || !group_ready(p, (int)t, (int)g))
				continue;
			while (q->head < q->n && run->inflight < run->parallel &&
			       p->nrunning < (size_t)run->parallel) {
				start_remove(p, q->ix[q->head++]);
				started++;
			}
		}
	return started;
}

/* Nothing runs, nothing waits, items pend, none is ready: a waits_for cycle
 * (a registry mistake). Start them anyway rather than hang. */
static void break_cycle(pass *p)
{
	if (!p->force && p->nrunning == 0 && p->nwaiting == 0 && p->settled < p->total)
		p->force = 1;
}

static int64_t next_wake(const pass *p, int64_t now)
{
	int64_t wake = now + p->run->progress_ms;
	size_t k;

	for (k = 0; k < p->nrunning; k++)
		if (p->run->track[p->running[k]].deadline < wake)
			wake = p->run->track[p->running[k]].deadline;
	for (k = 0; k < p->nwaiting; k++) {
		const nk_track *tr = &p->run->track[p->waiting[k]];

		if (!tr->polling && tr->next_poll < wake)
			wake = tr->next_poll;
		if (tr->deadline < wake)
			wake = tr->deadline;
	}
	return wake > now ? wake - now : 0;
}

static void step(pass *p, const char *phase)
{
	int64_t now = tp_now_ms();
	nk_job *j;

	start_polls(p, now);
	if (start_removes(p) == 0 && p->run->inflight < p->run->parallel) {
		break_cycle(p);
		if (p->force)
			start_removes(p);
	}
	j = nk_take(p->run, next_wake(p, now));
	if (j)
		answer(p, j);
	check_deadlines(p, tp_now_ms());
	nk_progress(p->run, phase, p->settled, p->total, 0);
}

int nk_pass(nk_run *run, int stacks_only, size_t *progress)
{
	const char *phase = stacks_only ? "stacks" : "delete";
	pass p;

	memset(&p, 0, sizeof(p));
	p.run = run;
	begin(&p, stacks_only);
	while (p.settled < p.total && !nk_interrupted(run))
		step(&p, phase);
	nk_progress(run, phase, p.settled, p.total, 1);
	*progress = p.progress;
	end(&p);
	return 0;
}
