/*
 * What a deploy can carry beyond its suite's stacks (see
 * tp_sched_extra_stacks in sched.h).
 */
#include <stdlib.h>
#include <string.h>

#include "aws/util.h"
#include "runner/sched_internal.h"

#define EXTRA_SHARE 90           /* extras end within this % of the suite's own deploy */
#define BROAD_SHARE 50           /* a broad deploy may cost this % of the later ones it saves */

static int sid_by_rank(const void *a, const void *b, void *ctx)
{
	const tp_sched *s = ctx;
	int x = *(const int *)a, y = *(const int *)b;

	if (s->stks[x].rank != s->stks[y].rank)
		return s->stks[x].rank - s->stks[y].rank;
	return x - y;
}

static void rank_order(tp_sched *s)
{
	size_t i;

	if (s->nby_rank == s->nstks)
		return;
	s->by_rank = tp_xrealloc(s->by_rank, (s->nstks + 1) * sizeof(*s->by_rank));
	s->xfin = tp_xrealloc(s->xfin, (s->nstks + 1) * sizeof(*s->xfin));
	s->xhid = tp_xrealloc(s->xhid, (s->nstks + 1) * sizeof(*s->xhid));
	for (i = 0; i < s->nstks; i++)
		s->by_rank[i] = (int)i;
	qsort_r(s->by_rank, s->nstks, sizeof(*s->by_rank), sid_by_rank, s);
	s->nby_rank = s->nstks;
}

/* The hash of sid most pending suites need, or -1 when none needs it. */
static int wanted_hash(const tp_sched *s, int sid)
{
	const stk *k = &s->stks[sid];
	int best = -1;
	size_t h;

	for (h = 0; h < k->nhashes; h++)
		if (k->waiting[h] > 0 && (best < 0 || k->waiting[h] > k->waiting[best]))
			best = (int)h;
	return best;
}

static int hv_get(const int *hv, size_t nhv, int sid)
{
	return (size_t)sid < nhv ? hv[sid] : -1;
}

/*
 * When stack sid would be done over deployments hv if every stack missing
 * there (at the hash group g needs, else the most wanted one) were deployed
 * at once; INT64_MAX when it or a dependency is missing and wanted by
 * nobody. Dependencies' times are in s->xfin already (rank order).
 */
static int64_t extra_finish(tp_sched *s, const int *hv, size_t nhv, const group *g, int sid)
{
	const stk *k = &s->stks[sid];
	int64_t ready = 0;
	size_t i;
	int hid = -1;

	for (i = 0; i < g->n; i++)
		if (g->m[i].sid == sid)
			hid = g->m[i].hid;
	if (hid < 0)
		hid = wanted_hash(s, sid);
	s->xhid[sid] = hid;
	for (i = 0; i < k->ndeps; i++)
		if (s->xfin[k->deps[i]] > ready)
			ready = s->xfin[k->deps[i]];
	if (ready == INT64_MAX)
		return INT64_MAX;
	if (hid < 0)
		return hv_get(hv, nhv, sid) >= 0 ? ready : INT64_MAX;
	return ready + (hv_get(hv, nhv, sid) == hid ? 0 : sched_stack_ms(s, sid));
}

/*
 * The stacks outside group gi worth deploying with it over deployments hv
 * (see tp_sched_extra_stacks): sids into out (room for every stack), their
 * hashes in s->xhid; returns how many.
 */
size_t sched_extra_set(tp_sched *s, const int *hv, size_t nhv, int gi, int *out)
{
	const group *g = &s->groups[gi];
	int64_t budget = sched_chain_cost(s, hv, nhv, gi) * EXTRA_SHARE / 100;
	size_t i, j, n = 0;

	if (budget <= 0)
		return 0;
	rank_order(s);
	for (i = 0; i < s->nstks; i++) {
		int sid = s->by_rank[i], mine = 0;

		s->xfin[sid] = extra_finish(s, hv, nhv, g, sid);
		for (j = 0; j < g->n; j++)
			mine |= g->m[j].sid == sid;
		if (!mine && s->xhid[sid] >= 0 && hv_get(hv, nhv, sid) != s->xhid[sid] &&
		    s->xfin[sid] <= budget)
			out[n++] = sid;
	}
	return n;
}

#define NONE (-1)                /* pick[]: not deployed as an extra */
#define OWN (-2)                 /* pick[]: one of the suite's own stacks */

/*
 * The chain of deploying group g together with every stack picked (pick[sid]
 * >= 0: at that hash) over account a's stacks, dependencies first.
 */
static int64_t chain_with(tp_sched *s, const account *a, const group *g, const int *pick)
{
	int64_t longest = 0;
	size_t i, j, k;

	rank_order(s);
	for (i = 0; i < s->nstks; i++) {
		int sid = s->by_rank[i], hid = pick[sid];
		int64_t ready = 0;

		for (j = 0; j < g->n; j++)
			if (g->m[j].sid == sid)
				hid = g->m[j].hid;
		s->xfin[sid] = 0;
		if (hid < 0)
			continue;
		for (k = 0; k < s->stks[sid].ndeps; k++)
			if (s->xfin[s->stks[sid].deps[k]] > ready)
				ready = s->xfin[s->stks[sid].deps[k]];
		s->xfin[sid] = ready + (sched_have(a, sid) == hid ? 0 : sched_stack_ms(s, sid));
		if (s->xfin[sid] > longest)
			longest = s->xfin[sid];
	}
	return longest;
}

/* The deploys the run plan expects on account a after its current suite. */
static int64_t planned_later(const tp_sched *s, const account *a)
{
	int64_t later = 0;
	size_t q;

	for (q = a->qhead; q < a->nqueue; q++)
		if (!s->suites[a->queue[q]].taken)
			later += a->qcost[q];
	return later;
}

/*
 * The broad deploy ("decide up front which stacks an account gets"): the
 * stacks of the suites the run plan gives account a after its current one
 * (group gi), picked too when deploying them now lengthens this deploy by
 * at most BROAD_SHARE % of the deploys the plan expects for them later
 * (the plan is made again as durations drift, so only a clear saving
 * counts). Adds them to pick[] (those not picked yet).
 */
static void broad_set(tp_sched *s, account *a, int gi, int *pick)
{
	int64_t later = planned_later(s, a), here = sched_group_cost(s, a, gi);
	int *more;
	size_t q, i;
	int any = 0;

	if (later <= 0)
		return;
	more = tp_xcalloc(s->nstks + 1, sizeof(*more));
	memcpy(more, pick, s->nstks * sizeof(*more));
	for (q = a->qhead; q < a->nqueue; q++) {
		const group *h = &s->groups[s->suites[a->queue[q]].group];

		for (i = 0; i < h->n && !s->suites[a->queue[q]].taken; i++)
			if (more[h->m[i].sid] == NONE && sched_have(a, h->m[i].sid) != h->m[i].hid) {
				more[h->m[i].sid] = h->m[i].hid;
				any = 1;
			}
	}
	if (any && chain_with(s, a, &s->groups[gi], more) - here <= later * BROAD_SHARE / 100)
		memcpy(pick, more, s->nstks * sizeof(*more));
	free(more);
}

size_t tp_sched_extra_stacks(tp_sched *s, int handle, tp_stack_ref *out, size_t cap)
{
	account *a = sched_find_account(s, handle);
	size_t i, n, k = 0;
	int *sids, *pick, gi;

	if (!a || a->busy < 0 || s->o.policy != TP_SCHED_POLICY_AFFINITY ||
	    !s->o.stack_depends_on || sched_group_cost(s, a, s->suites[a->busy].group) <= 0)
		return 0;
	gi = s->suites[a->busy].group;
	sids = tp_xcalloc(s->nstks + 1, sizeof(*sids));
	pick = tp_xcalloc(s->nstks + 1, sizeof(*pick));
	for (i = 0; i < s->nstks; i++)
		pick[i] = NONE;
	n = sched_extra_set(s, a->have, a->nhave, gi, sids);
	for (i = 0; i < n; i++)
		pick[sids[i]] = s->xhid[sids[i]];
	for (i = 0; i < s->groups[gi].n; i++)
		pick[s->groups[gi].m[i].sid] = OWN;
	broad_set(s, a, gi, pick);
	rank_order(s);
	for (i = 0; i < s->nstks && k < cap; i++) {
		int sid = s->by_rank[i];

		if (pick[sid] < 0 || sched_have(a, sid) == pick[sid])
			continue;
		out[k].name = s->stks[sid].name;
		out[k++].hash = s->stks[sid].hashes[pick[sid]];
	}
	free(sids);
	free(pick);
	return k;
}
