/*
 * The scheduler's plans (see sched.h for the policy): the run plan, which
 * the accounts follow until the endgame, and the endgame plan.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/util.h"
#include "runner/sched_internal.h"

#define REPLAN_SHARE 50          /* the run plan is made again after this % of a wave of starts */

/*
 * When account a should be free, as of t: idle now; busy until its suite's
 * expected end; past that, the suite runs longer than expected (durations
 * have a heavy tail, and a new suite's is a guess): as long again as half
 * the time it has run so far, at least a minute.
 */
static int64_t free_from(const tp_sched *s, const account *a, int64_t t)
{
	int64_t more;

	if (a->busy < 0)
		return t;
	if (a->free_at > t)
		return a->free_at;
	more = (t - s->suites[a->busy].started) / 2;
	return t + (more > 60000 ? more : 60000);
}

/* ---- the endgame plan ------------------------------------------------------------------- */

/* One active group in a plan: its pending suites in order, and where they finish soonest. */
typedef struct pgroup {
	int gi;
	size_t next;                 /* index in the group's suites of the next unplanned one */
	int64_t finish;              /* least avail + deploy over the accounts */
	size_t acct;                 /* where; SIZE_MAX when nowhere */
} pgroup;

/* The next unplanned pending suite of p's group, or -1. */
static int pg_next(tp_sched *s, pgroup *p)
{
	const group *g = &s->groups[p->gi];

	while (p->next < g->ns && s->suites[g->suites[p->next]].taken)
		p->next++;
	return p->next < g->ns ? g->suites[p->next] : -1;
}

/* Where suite u (of p's group) could start soonest, given the accounts' availability. */
static void pg_best(tp_sched *s, pgroup *p, int u, const int64_t *avail)
{
	size_t b;

	p->finish = INT64_MAX;
	p->acct = SIZE_MAX;
	for (b = 0; b < s->naccts; b++) {
		int64_t f;

		const account *a = &s->accts[b];

		if (u >= 0 && s->suites[u].nfailed_on && sched_failed_on(&s->suites[u], a->handle))
			continue;
		f = avail[b] + ((size_t)p->gi < a->ncost && a->cost[p->gi] != NO_COST ?
				a->cost[p->gi] : sched_group_cost(s, &s->accts[b], p->gi));
		if (f < p->finish) {
			p->finish = f;
			p->acct = b;
		}
	}
}

/*
 * Endgame (no more suites to start than accounts leased): plan every
 * pending suite onto the leased accounts, busy ones from when they should
 * be free, by Max-Min: repeatedly the suite whose earliest finish (its
 * account's free time + the deploy it needs there + its length) is latest
 * goes to the account giving that finish. An idle account then takes the
 * first suite planned for it, or waits: a busy account will run its
 * suites sooner than it could (usually: without a deploy). The plan holds
 * until something happens that it did not foresee (a suite ends, stacks
 * land, an account comes or goes).
 *
 * Suites of one group need the same deploys, so a group's soonest finish
 * is computed once and its suites are planned longest first.
 */
/* The group whose next suite finishes latest at best (Max-Min), or NULL when none is left. */
static pgroup *latest(tp_sched *s, pgroup *pg, size_t n, int64_t *eft)
{
	pgroup *pick = NULL;
	size_t i;

	for (i = 0; i < n; i++) {
		int u = pg_next(s, &pg[i]);
		int64_t f;

		if (u < 0 || pg[i].acct == SIZE_MAX)
			continue;
		f = pg[i].finish + s->suites[u].expected;
		if (!pick || f > *eft) {
			pick = &pg[i];
			*eft = f;
		}
	}
	return pick;
}

static void endgame_plan(tp_sched *s)
{
	int64_t t = sched_now(s), eft = 0, *avail = tp_xcalloc(s->naccts + 1, sizeof(*avail));
	pgroup *pg = tp_xcalloc(s->nactive + 1, sizeof(*pg)), *pick;
	size_t i, b, n = s->nactive;

	s->plan_expires = INT64_MAX;
	for (b = 0; b < s->naccts; b++) {
		account *a = &s->accts[b];

		avail[b] = free_from(s, a, t);
		a->planned = -1;
		if (a->busy >= 0 && avail[b] < s->plan_expires)
			s->plan_expires = avail[b];   /* still busy then: the plan was wrong */
	}
	for (i = 0; i < n; i++) {
		pg[i].gi = s->active[i];
		pg[i].next = s->groups[pg[i].gi].head;
		pg_best(s, &pg[i], pg_next(s, &pg[i]), avail);
	}
	while ((pick = latest(s, pg, n, &eft)) != NULL) {
		b = pick->acct;
		if (s->accts[b].busy < 0 && s->accts[b].planned < 0)
			s->accts[b].planned = pg_next(s, pick);
		avail[b] = eft;
		pick->next++;
		for (i = 0; i < n; i++)      /* those that counted on b, and the next of pick's group */
			if (&pg[i] == pick || pg[i].acct == b)
				pg_best(s, &pg[i], pg_next(s, &pg[i]), avail);
	}
	s->planned_at = s->version;
	free(pg);
	free(avail);
}

/* ---- the run plan ------------------------------------------------------------------------- */

/*
 * Before the endgame, the accounts follow a plan of the whole run: every
 * pending suite, longest first (counting the deploy nobody can avoid),
 * goes to the account where it would finish first (earliest finish time):
 * when that account should be free plus the deploy it would need there
 * then (given what the plan deployed there before it, with what rides
 * along when the driver deploys extras) plus its length. So a deploy is
 * taken only when it ends sooner than waiting for an account that needs
 * none, and when many accounts are free at once (the start), each long
 * suite goes to one that has its stacks rather than to whichever asked
 * first; equal finishes go to the account fewer other suites could use
 * as it is. An account keeps its planned suites in a queue (with the
 * deploy planned before each, which the broad deploys of sched_extra.c
 * weigh) and runs the next one when idle; the plan is made again when
 * something it did not foresee happens (an account comes or goes, a
 * retry, an account ahead of its plan) and after half a wave of starts,
 * since durations drift from the expected ones.
 *
 * The scratch (per account: when free, its stacks and deploy costs as
 * planned) lives in the tp_sched and grows with it.
 */
static void plan_scratch(tp_sched *s)
{
	if (s->naccts > s->pacc || s->ngroups > s->pgrp || s->nstks > s->pstk) {
		s->pacc = s->naccts > s->pacc ? s->naccts : s->pacc;
		s->pgrp = s->ngroups > s->pgrp ? s->ngroups : s->pgrp;
		s->pstk = s->nstks > s->pstk ? s->nstks : s->pstk;
		s->pavail = tp_xrealloc(s->pavail, (s->pacc + 1) * sizeof(*s->pavail));
		s->pvers = tp_xrealloc(s->pvers, (s->pacc + 1) * sizeof(*s->pvers));
		s->porder = tp_xrealloc(s->porder, (s->pacc + 1) * sizeof(*s->porder));
		s->phave = tp_xrealloc(s->phave, (s->pacc * s->pstk + 1) * sizeof(*s->phave));
		s->pcost = tp_xrealloc(s->pcost, (s->pacc * s->pgrp + 1) * sizeof(*s->pcost));
	}
}

static int64_t plan_cost(tp_sched *s, size_t b, int gi)
{
	int64_t *c = &s->pcost[b * s->pgrp + (size_t)gi];

	if (*c == NO_COST)
		*c = sched_chain_cost(s, s->phave + b * s->pstk, s->nstks, gi);
	return *c;
}

/* The plan deploys group gi (and what rides along) on account b. */
static void plan_deploy(tp_sched *s, size_t b, int gi)
{
	int *hv = s->phave + b * s->pstk, *sids = NULL;
	const group *g = &s->groups[gi];
	size_t i, n = 0;

	if (s->o.deploy_extras && s->o.stack_depends_on) {
		sids = tp_xcalloc(s->nstks + 1, sizeof(*sids));
		n = sched_extra_set(s, hv, s->nstks, gi, sids);
		for (i = 0; i < n; i++)
			hv[sids[i]] = s->xhid[sids[i]];
		free(sids);
	}
	for (i = 0; i < g->n; i++)
		hv[g->m[i].sid] = g->m[i].hid;
	for (i = 0; i < s->ngroups; i++)
		s->pcost[b * s->pgrp + i] = NO_COST;
}

static void plan_reset(tp_sched *s, int64_t t)
{
	size_t b, i;

	for (b = 0; b < s->naccts; b++) {
		account *a = &s->accts[b];

		s->pavail[b] = free_from(s, a, t);
		s->porder[b] = (int)b;
		for (i = 0; i < s->nstks; i++)
			s->phave[b * s->pstk + i] = sched_have(a, (int)i);
		for (i = 0; i < s->ngroups; i++)
			s->pcost[b * s->pgrp + i] = i < a->ncost ? a->cost[i] : NO_COST;
		a->nqueue = a->qhead = 0;
		s->pvers[b] = 0;
		for (i = 0; i < s->nactive; i++)   /* how many suites it fits as it is */
			if (plan_cost(s, b, s->active[i]) == 0)
				s->pvers[b] += s->groups[s->active[i]].npending;
	}
}

/* Account porder[k]'s time grew: move it right to keep porder sorted. */
static void plan_resort(tp_sched *s, size_t k)
{
	int b = s->porder[k];

	while (k + 1 < s->naccts && s->pavail[s->porder[k + 1]] <= s->pavail[b]) {
		s->porder[k] = s->porder[k + 1];
		k++;
	}
	s->porder[k] = b;
}

static int by_avail(const void *x, const void *y, void *ctx)
{
	const int64_t *av = ctx;
	int a = *(const int *)x, b = *(const int *)y;

	if (av[a] != av[b])
		return av[a] < av[b] ? -1 : 1;
	return a - b;
}

static void queue_push(account *a, int idx, int64_t cost)
{
	if (a->nqueue == a->aqueue) {
		a->aqueue = a->aqueue ? 2 * a->aqueue : 16;
		a->queue = tp_xrealloc(a->queue, a->aqueue * sizeof(*a->queue));
		a->qcost = tp_xrealloc(a->qcost, a->aqueue * sizeof(*a->qcost));
	}
	a->qcost[a->nqueue] = cost;
	a->queue[a->nqueue++] = idx;
}

/* Account b finishes suite u sooner (f, after a deploy c) than the best so far, or as soon with less. */
static int plan_better(const tp_sched *s, int b, int64_t f, int64_t c, int best, int64_t best_f,
		       int64_t best_c)
{
	if (best < 0 || f != best_f)
		return best < 0 || f < best_f;
	if (c != best_c)
		return c < best_c;
	return s->pvers[b] < s->pvers[best];   /* keep the accounts more suites fit */
}

/*
 * Suite idx to the account where it finishes first (ties: the least
 * deploy, then the account fewest other suites could use without one).
 * Returns 0 when no account may run it.
 */
static int plan_place(tp_sched *s, int idx)
{
	const suite *u = &s->suites[idx];
	int64_t best_f = 0, best_c = 0;
	size_t k, at = 0;
	int best = -1;

	for (k = 0; k < s->naccts; k++) {
		int b = s->porder[k];
		int64_t c, f;

		if (best >= 0 && s->pavail[b] + u->expected > best_f)
			break;           /* later accounts finish no sooner */
		if (u->nfailed_on && sched_failed_on(u, s->accts[b].handle))
			continue;
		c = plan_cost(s, (size_t)b, u->group);
		f = s->pavail[b] + c + u->expected;
		if (plan_better(s, b, f, c, best, best_f, best_c)) {
			best = b;
			best_f = f;
			best_c = c;
			at = k;
		}
	}
	if (best < 0)
		return 0;
	queue_push(&s->accts[best], idx, best_c);
	s->pavail[best] = best_f;
	plan_resort(s, at);
	if (best_c > 0)
		plan_deploy(s, (size_t)best, u->group);
	return 1;
}

static int by_effective(const void *x, const void *y, void *ctx)
{
	const tp_sched *s = ctx;
	const suite *a = &s->suites[*(const int *)x], *b = &s->suites[*(const int *)y];
	int64_t ka = a->key + s->groups[a->group].best, kb = b->key + s->groups[b->group].best;

	if (a->taken != b->taken)
		return a->taken - b->taken;
	if (ka != kb)
		return ka > kb ? -1 : 1;
	return *(const int *)x - *(const int *)y;
}

/*
 * The plan takes suites longest first, where a suite's length counts the
 * deploy it needs on every leased account (its group's best): a deploy
 * nobody can avoid belongs early, not in the run's last minutes.
 */
static void plan_order(tp_sched *s)
{
	size_t i;

	for (i = 0; i < s->nactive; i++)
		sched_group_best(s, s->active[i]);
	qsort_r(s->order, s->nsuites, sizeof(*s->order), by_effective, s);
}

static void plan_run(tp_sched *s)
{
	size_t i;

	plan_scratch(s);
	plan_reset(s, sched_now(s));
	qsort_r(s->porder, s->naccts, sizeof(*s->porder), by_avail, s->pavail);
	plan_order(s);
	for (i = 0; i < s->nsuites && !s->suites[s->order[i]].taken; i++)   /* taken ones last */
		plan_place(s, s->order[i]);
	s->run_planned_at = s->run_version;
	s->plan_starts = 0;
}

/* The next suite the run plan gives account a, or -1. */
static int queue_next(tp_sched *s, account *a)
{
	while (a->qhead < a->nqueue) {
		int idx = a->queue[a->qhead++];

		if (!s->suites[idx].taken && !sched_failed_on(&s->suites[idx], a->handle))
			return idx;
	}
	return -1;
}

static int plan_stale(const tp_sched *s)
{
	int every = (int)s->naccts * REPLAN_SHARE / 100;

	return s->run_planned_at != s->run_version || s->plan_starts >= (every > 0 ? every : 1);
}

/* Affinity's choice for idle account a before the endgame: the plan's next, or the best now. */
int sched_choose_planned(tp_sched *s, account *a)
{
	int idx, gi;

	if (plan_stale(s))
		plan_run(s);
	idx = queue_next(s, a);
	if (idx < 0 && s->plan_starts > 0) {   /* ahead of the plan: plan again */
		plan_run(s);
		idx = queue_next(s, a);
	}
	return idx >= 0 ? idx : sched_choose(s, a, 1, &gi);
}

int64_t tp_sched_wake_at(const tp_sched *s)
{
	size_t b;

	if (s->stopped || s->pending == 0 || s->planned_at != s->version)
		return INT64_MAX;
	for (b = 0; b < s->naccts; b++)
		if (s->accts[b].busy < 0)
			return s->plan_expires;   /* an idle account waits on the endgame plan */
	return INT64_MAX;
}

/* Affinity's endgame choice for idle account a: a suite, -1 (none may run here) or WAIT. */
int sched_choose_endgame(tp_sched *s, account *a)
{
	int gi = -1, u;

	if (s->planned_at != s->version || sched_now(s) >= s->plan_expires)
		endgame_plan(s);
	u = a->planned;
	if (u >= 0 && !s->suites[u].taken && !sched_failed_on(&s->suites[u], a->handle))
		return u;
	return sched_choose(s, a, 1, &gi) < 0 ? -1 : WAIT;
}
