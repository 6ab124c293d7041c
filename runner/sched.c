/*
 * The scheduler (see sched.h for the policy).
 *
 * Stack names and hashes are interned: a stack is a number (sid), a hash of
 * it another (hid), so an account's deployments are an array sid -> hid
 * and comparing is comparing integers. Suites that need the same stacks at
 * the same hashes form a group; a group keeps its suites in the policy's
 * order and a head index skips those already started. Groups with suites
 * still pending are in an "active" list, so choosing a suite for an account
 * visits only those.
 *
 * An account caches, per group, the deploy time the group would need there;
 * when a stack changes on the account only the groups holding that stack
 * are recomputed. For tp_sched_lease_score every (stack, hash) counts the
 * pending suites that need it, so scoring an account is one pass over its
 * stacks rather than over every group.
 */
#include "runner/sched.h"

#include <stdlib.h>
#include <string.h>

#include "aws/util.h"

#define DEFAULT_STACK_MS 60000
#define DEFAULT_SUITE_MS 300000
#define WARM_SHARE 10            /* warm_value's discount: 1 / WARM_SHARE */
#define NO_COST (-1)
#define EXTRA_SHARE 90           /* extras end within this % of the suite's own deploy */
#define BROAD_SHARE 50           /* a broad deploy may cost this % of the later ones it saves */
#define REPLAN_SHARE 50          /* the run plan is made again after this % of a wave of starts */

/* ---- interned stacks ------------------------------------------------------ */

typedef struct stk {
	char *name;
	int64_t ms;                  /* deploy time; -1 until first asked */
	int *deps;                   /* sids of its depends_on (when the driver tells) */
	size_t ndeps;
	int rank;                    /* 0 for a root, else 1 + its deepest dependency's */
	int resolving;               /* guards against a depends_on cycle */
	char **hashes;               /* hid -> hash */
	int *waiting;                /* hid -> pending suites that need the stack at it */
	size_t nhashes;
	int *groups;                 /* groups that hold the stack */
	size_t ngroups, agroups;
} stk;

typedef struct member {
	int sid, hid;
	size_t dep0, ndeps;          /* its dependencies in the group: depidx[dep0..] */
} member;

typedef struct group {
	member *m;                   /* by (rank, sid): dependencies first */
	size_t n;
	size_t *depidx;
	uint64_t key;
	int *suites;                 /* in the policy's order */
	size_t ns, alloc;
	size_t head;                 /* suites[0..head) are all taken */
	int npending;
	int active;                  /* position in the active list, -1 when none pending */
	int64_t best;                /* the least deploy time it needs on any leased account */
	int best_valid;              /* best is up to date */
} group;

typedef struct suite {
	char *name;
	int64_t expected;
	int64_t key;                 /* the length it is ordered by (see build_groups) */
	int unknown;                 /* no history: expected is the others' mean */
	int group, pos;
	int retries, attempts;
	int taken;                   /* started or final: not in the pending pool */
	int running, final, had_failure, flaky;
	int retryable;               /* running, and a failure would bring it back */
	tp_sched_result result;
	int account;
	int64_t started, ended;
	int *failed_on;
	size_t nfailed_on;
} suite;

typedef struct account {
	int handle;
	int busy;                    /* suite index, or -1 */
	int64_t free_at;             /* busy: when its suite should end */
	int planned;                 /* endgame: the suite the plan gives it next, or -1 */
	int *have;                   /* sid -> hid deployed there, -1 none */
	size_t nhave;
	int64_t *cost;               /* per group, NO_COST when not computed */
	size_t ncost;
	int *queue;                  /* the run plan: the suites it runs next, in order */
	int64_t *qcost;              /* the deploy the plan expects before each */
	size_t nqueue, aqueue, qhead;
} account;

typedef struct name_map {
	int *slots;                  /* index + 1; 0 empty */
	size_t cap;
} name_map;

struct tp_sched {
	tp_sched_opts o;
	stk *stks;
	size_t nstks, astks;
	name_map stack_map;          /* stack name -> sid */
	name_map group_map;          /* group key -> gid */
	suite *suites;
	size_t nsuites, suites_alloc;
	group *groups;
	size_t ngroups, agroups;
	int *active;                 /* gids with pending suites */
	size_t nactive;
	account *accts;
	size_t naccts, accts_alloc;
	int64_t *fin;                /* scratch for critical paths */
	size_t nfin;
	int *order;                  /* every suite in the policy's order (the run plan's) */
	unsigned run_version;        /* counts what the run plan did not foresee */
	unsigned run_planned_at;     /* the run_version the run plan was made at */
	int plan_starts;             /* suites started since the run plan */
	int64_t *pavail;             /* run plan scratch: per account, when free */
	int64_t *pvers;              /* per account: pending suites it could run without a deploy */
	int *porder;                 /* account indices by pavail */
	int *phave;                  /* naccts x nstks: deployments as planned */
	int64_t *pcost;              /* naccts x ngroups: deploy costs as planned */
	size_t pacc, pgrp, pstk;     /* the scratch's dimensions */
	int *by_rank;                /* every sid, dependencies first (extra_stacks) */
	size_t nby_rank;             /* how many sids it holds (rebuilt when stacks are added) */
	int64_t *xfin;               /* scratch per sid for extra_stacks */
	int *xhid;
	unsigned version;            /* counts events the endgame plan cannot foresee */
	unsigned planned_at;         /* the version the plan was made at */
	int leasing;                 /* LEASE actions not yet answered */
	int lease_blocked;
	int pending;                 /* suites not taken */
	int running;
	int running_retryable;
	int stopped;                 /* fail-fast tripped or tp_sched_stop */
	int started_any;
	int done_sent;
	int grouped;
};

/* ---- hashing and the maps -------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--) {
		h ^= *c++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define FNV_INIT 0xcbf29ce484222325ULL

static uint64_t name_key(const char *name)
{
	return fnv(FNV_INIT, name, strlen(name));
}

/* Slot for `key` in m whose entry satisfies eq (or the empty slot where it would go). */
static size_t map_slot(const name_map *m, uint64_t key, int (*eq)(const void *, int, const void *),
		       const void *ctx, const void *want)
{
	size_t i = (size_t)key & (m->cap - 1);

	while (m->slots[i] && !eq(ctx, m->slots[i] - 1, want))
		i = (i + 1) & (m->cap - 1);
	return i;
}

static void map_grow(name_map *m, size_t count, uint64_t (*key_of)(const void *, int),
		     const void *ctx)
{
	int *old = m->slots;
	size_t oldcap = m->cap, i;

	if (m->cap && 2 * (count + 1) <= m->cap)
		return;
	m->cap = m->cap ? 2 * m->cap : 64;
	m->slots = tp_xcalloc(m->cap, sizeof(*m->slots));
	for (i = 0; i < oldcap; i++) {
		size_t j;

		if (!old[i])
			continue;
		j = (size_t)key_of(ctx, old[i] - 1) & (m->cap - 1);
		while (m->slots[j])
			j = (j + 1) & (m->cap - 1);
		m->slots[j] = old[i];
	}
	free(old);
}

static int stack_eq(const void *ctx, int sid, const void *name)
{
	return strcmp(((const tp_sched *)ctx)->stks[sid].name, name) == 0;
}

static uint64_t stack_key(const void *ctx, int sid)
{
	return name_key(((const tp_sched *)ctx)->stks[sid].name);
}

/* ---- interning ------------------------------------------------------------- */

static int lookup_stack(const tp_sched *s, const char *name)
{
	size_t i;

	if (!s->stack_map.cap)
		return -1;
	i = map_slot(&s->stack_map, name_key(name), stack_eq, s, name);
	return s->stack_map.slots[i] - 1;
}

static int lookup_hash(const tp_sched *s, int sid, const char *hash)
{
	const stk *k = &s->stks[sid];
	size_t i;

	for (i = 0; i < k->nhashes; i++)
		if (strcmp(k->hashes[i], hash ? hash : "") == 0)
			return (int)i;
	return -1;
}

static int intern_hash(tp_sched *s, int sid, const char *hash)
{
	stk *k = &s->stks[sid];
	int hid = lookup_hash(s, sid, hash);

	if (hid >= 0)
		return hid;
	k->hashes = tp_xrealloc(k->hashes, (k->nhashes + 1) * sizeof(*k->hashes));
	k->waiting = tp_xrealloc(k->waiting, (k->nhashes + 1) * sizeof(*k->waiting));
	k->hashes[k->nhashes] = tp_xstrdup(hash ? hash : "");
	k->waiting[k->nhashes] = 0;
	return (int)k->nhashes++;
}

static int intern_stack(tp_sched *s, const char *name);

/* Its depends_on from the driver, interned, and its rank. */
static void resolve_deps(tp_sched *s, int sid)
{
	const char *const *names = NULL;
	char **copy;
	size_t n, i;
	int rank = 0;

	if (!s->o.stack_depends_on)
		return;
	n = s->o.stack_depends_on(s->o.ctx, s->stks[sid].name, &names);
	copy = tp_xcalloc(n + 1, sizeof(*copy));     /* interning asks again for others */
	for (i = 0; i < n; i++)
		copy[i] = tp_xstrdup(names[i]);
	s->stks[sid].resolving = 1;
	s->stks[sid].deps = tp_xcalloc(n + 1, sizeof(int));
	for (i = 0; i < n; i++) {
		int d = intern_stack(s, copy[i]);   /* s->stks may move */

		free(copy[i]);
		if (s->stks[d].resolving)           /* a cycle: leave that edge out */
			continue;
		s->stks[sid].deps[s->stks[sid].ndeps++] = d;
		if (s->stks[d].rank + 1 > rank)
			rank = s->stks[d].rank + 1;
	}
	free(copy);
	s->stks[sid].rank = rank;
	s->stks[sid].resolving = 0;
}

static int intern_stack(tp_sched *s, const char *name)
{
	int sid = lookup_stack(s, name);
	size_t slot;

	if (sid >= 0)
		return sid;
	if (s->nstks == s->astks) {
		s->astks = s->astks ? 2 * s->astks : 16;
		s->stks = tp_xrealloc(s->stks, s->astks * sizeof(*s->stks));
	}
	memset(&s->stks[s->nstks], 0, sizeof(*s->stks));
	s->stks[s->nstks].name = tp_xstrdup(name);
	s->stks[s->nstks].ms = -1;
	sid = (int)s->nstks++;
	map_grow(&s->stack_map, s->nstks, stack_key, s);
	slot = map_slot(&s->stack_map, name_key(name), stack_eq, s, name);
	s->stack_map.slots[slot] = sid + 1;
	resolve_deps(s, sid);
	return sid;
}

static int64_t stack_ms(tp_sched *s, int sid)
{
	stk *k = &s->stks[sid];

	if (k->ms < 0)
		k->ms = s->o.stack_deploy_ms ? s->o.stack_deploy_ms(s->o.ctx, k->name) :
					       DEFAULT_STACK_MS;
	return k->ms;
}

/* ---- groups ------------------------------------------------------------------ */

static int by_rank(const void *a, const void *b, void *ctx)
{
	const tp_sched *s = ctx;
	const member *x = a, *y = b;

	if (s->stks[x->sid].rank != s->stks[y->sid].rank)
		return s->stks[x->sid].rank - s->stks[y->sid].rank;
	if (x->sid != y->sid)
		return x->sid - y->sid;
	return x->hid - y->hid;
}

static uint64_t members_key(const member *m, size_t n)
{
	uint64_t h = FNV_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		h = fnv(h, &m[i].sid, sizeof(m[i].sid));
		h = fnv(h, &m[i].hid, sizeof(m[i].hid));
	}
	return h;
}

typedef struct group_probe {
	const member *m;
	size_t n;
} group_probe;

static int group_eq(const void *ctx, int gid, const void *want)
{
	const group *g = &((const tp_sched *)ctx)->groups[gid];
	const group_probe *p = want;
	size_t i;

	if (g->n != p->n)
		return 0;
	for (i = 0; i < g->n; i++)
		if (g->m[i].sid != p->m[i].sid || g->m[i].hid != p->m[i].hid)
			return 0;
	return 1;
}

static uint64_t group_key(const void *ctx, int gid)
{
	return ((const tp_sched *)ctx)->groups[gid].key;
}

/* Where each member's dependencies are within the group. */
static void link_members(tp_sched *s, group *g)
{
	size_t i, j, k, n = 0;

	for (i = 0; i < g->n; i++)
		n += s->stks[g->m[i].sid].ndeps;
	g->depidx = tp_xcalloc(n + 1, sizeof(size_t));
	for (n = 0, i = 0; i < g->n; i++) {
		const stk *st = &s->stks[g->m[i].sid];

		g->m[i].dep0 = n;
		for (k = 0; k < st->ndeps; k++)
			for (j = 0; j < i; j++)
				if (g->m[j].sid == st->deps[k])
					g->depidx[n + g->m[i].ndeps++] = j;
		n += g->m[i].ndeps;
	}
}

static void stack_in_group(stk *k, int gid)
{
	if (k->ngroups && k->groups[k->ngroups - 1] == gid)
		return;
	if (k->ngroups == k->agroups) {
		k->agroups = k->agroups ? 2 * k->agroups : 8;
		k->groups = tp_xrealloc(k->groups, k->agroups * sizeof(*k->groups));
	}
	k->groups[k->ngroups++] = gid;
}

static int new_group(tp_sched *s, member *m, size_t n, uint64_t key)
{
	group *g;
	size_t i;
	int gid;

	if (s->ngroups == s->agroups) {
		s->agroups = s->agroups ? 2 * s->agroups : 16;
		s->groups = tp_xrealloc(s->groups, s->agroups * sizeof(*s->groups));
		s->active = tp_xrealloc(s->active, s->agroups * sizeof(*s->active));
	}
	gid = (int)s->ngroups++;
	g = &s->groups[gid];
	memset(g, 0, sizeof(*g));
	g->m = m;
	g->n = n;
	g->key = key;
	g->active = -1;
	link_members(s, g);
	for (i = 0; i < n; i++)
		stack_in_group(&s->stks[m[i].sid], gid);
	return gid;
}

/* The group of these stacks, made when new. */
static int find_group(tp_sched *s, const tp_stack_ref *refs, size_t n)
{
	member *m = tp_xcalloc(n + 1, sizeof(*m));
	group_probe probe;
	size_t i, k = 0, slot;
	uint64_t key;
	int gid;

	for (i = 0; i < n; i++)
		m[i].sid = intern_stack(s, refs[i].name);
	for (i = 0; i < n; i++)
		m[i].hid = intern_hash(s, m[i].sid, refs[i].hash);
	qsort_r(m, n, sizeof(*m), by_rank, s);
	for (i = 0; i < n; i++)           /* a stack named twice counts once */
		if (k == 0 || m[k - 1].sid != m[i].sid || m[k - 1].hid != m[i].hid)
			m[k++] = m[i];
	key = members_key(m, k);
	probe.m = m;
	probe.n = k;
	map_grow(&s->group_map, s->ngroups + 1, group_key, s);
	slot = map_slot(&s->group_map, key, group_eq, s, &probe);
	if (s->group_map.slots[slot]) {
		free(m);
		return s->group_map.slots[slot] - 1;
	}
	gid = new_group(s, m, k, key);
	s->group_map.slots[slot] = gid + 1;
	return gid;
}

/* ---- pending suites ------------------------------------------------------------ */

static void activate(tp_sched *s, int gid)
{
	group *g = &s->groups[gid];

	if (g->active >= 0)
		return;
	g->active = (int)s->nactive;
	s->active[s->nactive++] = gid;
}

static void deactivate(tp_sched *s, int gid)
{
	group *g = &s->groups[gid];
	int last;

	if (g->active < 0)
		return;
	last = s->active[--s->nactive];
	s->active[g->active] = last;
	s->groups[last].active = g->active;
	g->active = -1;
}

/* A suite of group gid leaves (delta -1) or rejoins (+1) the pending pool. */
static void count_pending(tp_sched *s, int gid, int delta)
{
	group *g = &s->groups[gid];
	size_t i;

	g->npending += delta;
	s->pending += delta;
	for (i = 0; i < g->n; i++)
		s->stks[g->m[i].sid].waiting[g->m[i].hid] += delta;
	if (g->npending > 0)
		activate(s, gid);
	else
		deactivate(s, gid);
}

/* ---- construction ------------------------------------------------------------- */

tp_sched *tp_sched_new(const tp_sched_opts *opts)
{
	tp_sched *s = tp_xcalloc(1, sizeof(*s));

	s->o = *opts;
	if (s->o.max_accounts < 1)
		s->o.max_accounts = 1;
	s->planned_at = (unsigned)-1;
	s->run_planned_at = (unsigned)-1;
	return s;
}

void tp_sched_free(tp_sched *s)
{
	size_t i, j;

	if (!s)
		return;
	for (i = 0; i < s->nsuites; i++) {
		free(s->suites[i].name);
		free(s->suites[i].failed_on);
	}
	for (i = 0; i < s->ngroups; i++) {
		free(s->groups[i].m);
		free(s->groups[i].depidx);
		free(s->groups[i].suites);
	}
	for (i = 0; i < s->naccts; i++) {
		free(s->accts[i].have);
		free(s->accts[i].cost);
		free(s->accts[i].queue);
		free(s->accts[i].qcost);
	}
	for (i = 0; i < s->nstks; i++) {
		for (j = 0; j < s->stks[i].nhashes; j++)
			free(s->stks[i].hashes[j]);
		free(s->stks[i].hashes);
		free(s->stks[i].waiting);
		free(s->stks[i].name);
		free(s->stks[i].deps);
		free(s->stks[i].groups);
	}
	free(s->stks);
	free(s->stack_map.slots);
	free(s->group_map.slots);
	free(s->suites);
	free(s->groups);
	free(s->active);
	free(s->accts);
	free(s->fin);
	free(s->by_rank);
	free(s->order);
	free(s->pavail);
	free(s->pvers);
	free(s->porder);
	free(s->phave);
	free(s->pcost);
	free(s->xfin);
	free(s->xhid);
	free(s);
}

int tp_sched_add_suite(tp_sched *s, const tp_sched_suite *in)
{
	suite *u;
	group *g;

	if (s->nsuites == s->suites_alloc) {
		s->suites_alloc = s->suites_alloc ? 2 * s->suites_alloc : 16;
		s->suites = tp_xrealloc(s->suites, s->suites_alloc * sizeof(*s->suites));
	}
	u = &s->suites[s->nsuites];
	memset(u, 0, sizeof(*u));
	u->name = tp_xstrdup(in->name);
	u->expected = in->expected_ms > 0 ? in->expected_ms : 0;
	u->unknown = in->expected_ms < 0;
	u->retries = in->retries > 0 ? in->retries : 0;
	u->account = -1;
	u->group = find_group(s, in->stacks, in->nstacks);
	g = &s->groups[u->group];
	if (g->ns == g->alloc) {
		g->alloc = g->alloc ? 2 * g->alloc : 8;
		g->suites = tp_xrealloc(g->suites, g->alloc * sizeof(*g->suites));
	}
	g->suites[g->ns++] = (int)s->nsuites;
	s->nsuites++;
	count_pending(s, u->group, +1);
	return (int)s->nsuites - 1;
}

/* Longest first (FIFO: in the order added); equal lengths in the order added. */
static int by_expected(const void *a, const void *b, void *ctx)
{
	const tp_sched *s = ctx;
	const suite *x = &s->suites[*(const int *)a];
	const suite *y = &s->suites[*(const int *)b];

	if (s->o.policy != TP_SCHED_POLICY_FIFO && x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

/*
 * Suites without history get the mean of the others. Affinity orders them
 * as long as the longest known suite: their length could be anything, and
 * one that turns out long hurts least when it started early.
 */
static void fill_unknown(tp_sched *s)
{
	int64_t sum = 0, longest = 0, mean;
	size_t i, known = 0;

	for (i = 0; i < s->nsuites; i++) {
		if (s->suites[i].unknown)
			continue;
		sum += s->suites[i].expected;
		known++;
		if (s->suites[i].expected > longest)
			longest = s->suites[i].expected;
	}
	mean = known ? sum / (int64_t)known : DEFAULT_SUITE_MS;
	for (i = 0; i < s->nsuites; i++) {
		suite *u = &s->suites[i];

		if (u->unknown)
			u->expected = mean;
		u->key = u->unknown && s->o.policy == TP_SCHED_POLICY_AFFINITY && longest > mean ?
			 longest : u->expected;
	}
}

static void build_groups(tp_sched *s)
{
	size_t i, j;

	fill_unknown(s);
	for (i = 0; i < s->ngroups; i++) {
		group *g = &s->groups[i];

		qsort_r(g->suites, g->ns, sizeof(*g->suites), by_expected, s);
		for (j = 0; j < g->ns; j++)
			s->suites[g->suites[j]].pos = (int)j;
	}
	s->order = tp_xcalloc(s->nsuites + 1, sizeof(*s->order));
	for (i = 0; i < s->nsuites; i++)
		s->order[i] = (int)i;
	qsort_r(s->order, s->nsuites, sizeof(*s->order), by_expected, s);
	s->grouped = 1;
}

/* ---- accounts ------------------------------------------------------------------- */

static account *find_account(tp_sched *s, int handle)
{
	size_t i;

	for (i = 0; i < s->naccts; i++)
		if (s->accts[i].handle == handle)
			return &s->accts[i];
	return NULL;
}

static int have(const account *a, int sid)
{
	return (size_t)sid < a->nhave ? a->have[sid] : -1;
}

static int group_needs(const group *g, int sid, int hid)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (g->m[i].sid == sid)
			return g->m[i].hid == hid;
	return 0;
}

static void set_have(tp_sched *s, account *a, int sid, int hid)
{
	size_t i;

	if ((size_t)sid >= a->nhave) {
		size_t n = s->nstks > (size_t)sid ? s->nstks : (size_t)sid + 1;

		a->have = tp_xrealloc(a->have, n * sizeof(*a->have));
		for (i = a->nhave; i < n; i++)
			a->have[i] = -1;
		a->nhave = n;
	}
	if (a->have[sid] == hid)
		return;
	for (i = 0; i < s->stks[sid].ngroups; i++) {
		group *g = &s->groups[s->stks[sid].groups[i]];

		/* A group that needed the hash replaced needs more here now: its
		 * best may have been this account. */
		if (a->have[sid] >= 0 && group_needs(g, sid, a->have[sid]))
			g->best_valid = 0;
		if ((size_t)s->stks[sid].groups[i] < a->ncost)
			a->cost[s->stks[sid].groups[i]] = NO_COST;
	}
	a->have[sid] = hid;
}

static int64_t group_cost(tp_sched *s, account *a, int gi);
static size_t extra_set(tp_sched *s, const int *hv, size_t nhv, int gi, int *out);

/* Account a's stacks grew: the groups holding stack sid may be cheapest there now. */
static void lower_bests(tp_sched *s, account *a, int sid)
{
	const stk *k = &s->stks[sid];
	size_t i;

	for (i = 0; i < k->ngroups; i++) {
		group *g = &s->groups[k->groups[i]];
		int64_t c;

		if (!g->best_valid)
			continue;
		c = group_cost(s, a, k->groups[i]);
		if (c < g->best)
			g->best = c;
	}
}

static void record_stacks(tp_sched *s, account *a, const tp_stack_ref *stacks, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int sid = intern_stack(s, stacks[i].name);
		set_have(s, a, sid, intern_hash(s, sid, stacks[i].hash));
	}
}

void tp_sched_account_leased(tp_sched *s, int handle, const tp_stack_ref *stacks, size_t n)
{
	account *a;
	size_t i;

	if (s->leasing > 0)
		s->leasing--;
	if (s->naccts == s->accts_alloc) {
		s->accts_alloc = s->accts_alloc ? 2 * s->accts_alloc : 8;
		s->accts = tp_xrealloc(s->accts, s->accts_alloc * sizeof(*s->accts));
	}
	a = &s->accts[s->naccts++];
	memset(a, 0, sizeof(*a));
	a->handle = handle;
	a->busy = -1;
	a->planned = -1;
	s->version++;
	s->run_version++;
	record_stacks(s, a, stacks, n);
	for (i = 0; i < s->ngroups; i++) {
		group *g = &s->groups[i];
		int64_t c;

		if (!g->best_valid)
			continue;
		c = group_cost(s, a, (int)i);
		if (c < g->best)
			g->best = c;
	}
}

void tp_sched_lease_failed(tp_sched *s)
{
	if (s->leasing > 0)
		s->leasing--;
	s->lease_blocked = 1;
}

void tp_sched_lease_retry(tp_sched *s)
{
	s->lease_blocked = 0;
}

void tp_sched_stacks_deployed(tp_sched *s, int handle, const tp_stack_ref *stacks, size_t n)
{
	account *a = find_account(s, handle);
	size_t i;

	if (!a)
		return;
	s->version++;
	record_stacks(s, a, stacks, n);
	for (i = 0; i < n; i++) {
		int sid = lookup_stack(s, stacks[i].name);
		if (sid >= 0)
			lower_bests(s, a, sid);
	}
}

static void release_account(tp_sched *s, account *a)
{
	size_t i;

	for (i = 0; i < s->ngroups; i++)      /* groups whose best it may have been */
		if (i >= a->ncost || a->cost[i] == NO_COST || a->cost[i] <= s->groups[i].best)
			s->groups[i].best_valid = 0;
	free(a->have);
	free(a->cost);
	free(a->queue);
	free(a->qcost);
	*a = s->accts[--s->naccts];
	s->run_version++;
	s->lease_blocked = 0;    /* a slot in the pool opened up */
	s->version++;
}

/*
 * The deploy time group gi needs over deployments hv[0..nhv) (sid -> hid,
 * -1 none): the longest chain of its stacks through depends_on, a stack
 * already there at the right hash counting 0 (without depends_on from the
 * driver, every stack is its own chain and they add up).
 */
static int64_t chain_cost(tp_sched *s, const int *hv, size_t nhv, int gi)
{
	const group *g = &s->groups[gi];
	int64_t longest = 0, sum = 0;
	size_t i, k;

	if (g->n > s->nfin) {
		s->fin = tp_xrealloc(s->fin, g->n * sizeof(*s->fin));
		s->nfin = g->n;
	}
	for (i = 0; i < g->n; i++) {
		int sid = g->m[i].sid;
		int64_t own = (size_t)sid < nhv && hv[sid] == g->m[i].hid ? 0 : stack_ms(s, sid);
		int64_t ready = 0;

		for (k = 0; k < g->m[i].ndeps; k++)
			if (s->fin[g->depidx[g->m[i].dep0 + k]] > ready)
				ready = s->fin[g->depidx[g->m[i].dep0 + k]];
		s->fin[i] = ready + own;
		if (s->fin[i] > longest)
			longest = s->fin[i];
		sum += own;
	}
	return s->o.stack_depends_on ? longest : sum;
}

/* The deploy time group gi needs on account a (cached per account and group). */
static int64_t group_cost(tp_sched *s, account *a, int gi)
{
	size_t i;

	if ((size_t)gi >= a->ncost) {
		a->cost = tp_xrealloc(a->cost, s->ngroups * sizeof(*a->cost));
		for (i = a->ncost; i < s->ngroups; i++)
			a->cost[i] = NO_COST;
		a->ncost = s->ngroups;
	}
	if (a->cost[gi] == NO_COST)
		a->cost[gi] = chain_cost(s, a->have, a->nhave, gi);
	return a->cost[gi];
}

/* ---- results ---------------------------------------------------------------------- */

static int64_t now(const tp_sched *s)
{
	return s->o.now_ms ? s->o.now_ms(s->o.ctx) : 0;
}

static void finish(tp_sched *s, suite *u, tp_sched_result r)
{
	u->final = 1;
	u->result = r;
	if (!u->taken) {
		u->taken = 1;
		count_pending(s, u->group, -1);
	}
}

static void skip_pending(tp_sched *s)
{
	size_t i;

	for (i = 0; i < s->nsuites; i++)
		if (!s->suites[i].taken)
			finish(s, &s->suites[i], TP_SCHED_SKIPPED);
}

static void requeue(tp_sched *s, suite *u)
{
	group *g = &s->groups[u->group];

	u->taken = 0;
	s->run_version++;             /* the retry is in no plan */
	count_pending(s, u->group, +1);
	if ((size_t)u->pos < g->head)
		g->head = (size_t)u->pos;
}

void tp_sched_suite_done(tp_sched *s, int idx, tp_sched_result r)
{
	suite *u = &s->suites[idx];
	account *a = find_account(s, u->account);

	if (!u->running)
		return;
	s->version++;
	u->running = 0;
	s->running--;
	s->running_retryable -= u->retryable;
	u->retryable = 0;
	u->ended = now(s);
	if (a)
		a->busy = -1;
	if (r == TP_SCHED_PASSED) {
		u->flaky = u->had_failure;
		finish(s, u, r);
		return;
	}
	u->had_failure = 1;
	u->failed_on = tp_xrealloc(u->failed_on, (u->nfailed_on + 1) * sizeof(int));
	u->failed_on[u->nfailed_on++] = u->account;
	if (r != TP_SCHED_SKIPPED && u->attempts <= u->retries && !s->stopped) {
		requeue(s, u);
		return;
	}
	finish(s, u, r == TP_SCHED_SKIPPED ? TP_SCHED_SKIPPED : r);
	if (s->o.fail_fast && r != TP_SCHED_SKIPPED) {
		s->stopped = 1;
		skip_pending(s);
	}
}

void tp_sched_stop(tp_sched *s)
{
	s->stopped = 1;
	skip_pending(s);
}

/* ---- choosing ------------------------------------------------------------------------ */

static int failed_on(const suite *u, int handle)
{
	size_t i;

	for (i = 0; i < u->nfailed_on; i++)
		if (u->failed_on[i] == handle)
			return 1;
	return 0;
}

/* First pending suite of g that may run on `a` (any account when a is NULL). */
static int group_first(tp_sched *s, group *g, const account *a)
{
	size_t i;

	while (g->head < g->ns && s->suites[g->suites[g->head]].taken)
		g->head++;
	for (i = g->head; i < g->ns; i++) {
		const suite *u = &s->suites[g->suites[i]];
		if (!u->taken && (!a || !failed_on(u, a->handle)))
			return g->suites[i];
	}
	return -1;
}

/*
 * What deploying group gi's missing stacks on account a is worth to the
 * suites after it: each stack saves its deploy time for every pending
 * suite that needs it and runs here, about 1 in (accounts leased) of them.
 * That counts every stack's time in full (the sum, not the chain) and
 * every such suite as if it came here, so it is discounted to a tenth
 * (WARM_SHARE, fitted with bench/sim: it takes cold pools from about 1.18
 * to 1.13 of the lower bound and leaves warm ones be). It keeps a cold
 * account's first deploys on the stacks most suites need, so that later
 * suites find them there.
 */
static int64_t warm_value(tp_sched *s, const account *a, int gi)
{
	const group *g = &s->groups[gi];
	int64_t saved = 0;
	size_t i;

	for (i = 0; i < g->n; i++)
		if (have(a, g->m[i].sid) != g->m[i].hid)
			saved += stack_ms(s, g->m[i].sid) * s->stks[g->m[i].sid].waiting[g->m[i].hid];
	return saved / WARM_SHARE / (int64_t)(s->naccts ? s->naccts : 1);
}

/* The least deploy time group gi needs on any leased account. */
static int64_t group_best(tp_sched *s, int gi)
{
	group *g = &s->groups[gi];
	size_t i;

	if (g->best_valid)
		return g->best;
	g->best = INT64_MAX;
	for (i = 0; i < s->naccts; i++) {
		int64_t c = group_cost(s, &s->accts[i], gi);
		if (c < g->best)
			g->best = c;
	}
	g->best_valid = 1;
	return g->best;
}

static int64_t score(tp_sched *s, account *a, int gi, int u)
{
	switch (s->o.policy) {
	case TP_SCHED_POLICY_FIFO:
		return -(int64_t)u;
	case TP_SCHED_POLICY_LONGEST:
		return s->suites[u].key;
	case TP_SCHED_POLICY_AFFINITY:
		break;
	}
	/*
	 * Longest first, where a suite's length includes the deploy it needs
	 * wherever it runs (best: on the leased account that has most of its
	 * stacks): a suite that needs a deploy on every account is as long
	 * as its test plus that deploy, and starting it early keeps the
	 * deploy out of the end of the run. Less the deploy it needs here
	 * beyond that: the affinity, time this account would waste. Plus a
	 * little for what the deploy leaves behind (warm_value).
	 */
	{
		int64_t best = group_best(s, gi), here = group_cost(s, a, gi);

		return s->suites[u].key + best - (here - best) + warm_value(s, a, gi);
	}
}

/* The best pending suite for account a, or -1 (strict: never one that failed on a). */
static int choose(tp_sched *s, account *a, int strict, int *gid)
{
	int64_t best_score = 0;
	int best = -1;
	size_t i;

	for (i = 0; i < s->nactive; i++) {
		int gi = s->active[i], u;
		int64_t sc;

		u = group_first(s, &s->groups[gi], strict ? a : NULL);
		if (u < 0)
			continue;
		sc = score(s, a, gi, u);
		if (best < 0 || sc > best_score || (sc == best_score && u < best)) {
			best = u;
			best_score = sc;
			*gid = gi;
		}
	}
	return best;
}

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

		if (u >= 0 && s->suites[u].nfailed_on && failed_on(&s->suites[u], a->handle))
			continue;
		f = avail[b] + ((size_t)p->gi < a->ncost && a->cost[p->gi] != NO_COST ?
				a->cost[p->gi] : group_cost(s, &s->accts[b], p->gi));
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

static void plan(tp_sched *s)
{
	int64_t t = now(s), eft = 0, *avail = tp_xcalloc(s->naccts + 1, sizeof(*avail));
	pgroup *pg = tp_xcalloc(s->nactive + 1, sizeof(*pg)), *pick;
	size_t i, b, n = s->nactive;

	for (b = 0; b < s->naccts; b++) {
		account *a = &s->accts[b];

		avail[b] = free_from(s, a, t);
		a->planned = -1;
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

#define WAIT (-2)

/* ---- the run plan ------------------------------------------------------------------------- */

/*
 * Before the endgame, the accounts follow a plan of the whole run: every
 * pending suite, in the policy's order (longest first), goes to the
 * account where it would finish first (earliest finish time): when that
 * account should be free (busy ones from their suite's expected end) plus
 * the deploy it would need there then (given what the plan deployed there
 * before it, extras included when the driver deploys them) plus its
 * length. So a deploy is taken only when it ends sooner than waiting for
 * an account that needs none, and when many accounts are free at once
 * (the start), each long suite goes to one that has its stacks rather than
 * to whichever asked first. An idle account runs the next suite the plan
 * gives it; the plan is made again when something it did not foresee
 * happens (an account comes or goes, a retry, an account out of planned
 * work) and every half wave of starts, since durations drift from the
 * expected ones.
 */
static void plan_scratch(tp_sched *s)
{
	size_t A = s->naccts, G = s->ngroups, N = s->nstks;

	if (A > s->pacc || G > s->pgrp || N > s->pstk) {
		s->pacc = A > s->pacc ? A : s->pacc;
		s->pgrp = G > s->pgrp ? G : s->pgrp;
		s->pstk = N > s->pstk ? N : s->pstk;
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
		*c = chain_cost(s, s->phave + b * s->pstk, s->nstks, gi);
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
		n = extra_set(s, hv, s->nstks, gi, sids);
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
			s->phave[b * s->pstk + i] = have(a, (int)i);
		for (i = 0; i < s->ngroups; i++)
			s->pcost[b * s->pgrp + i] = i < a->ncost ? a->cost[i] : NO_COST;
		a->nqueue = a->qhead = 0;
		s->pvers[b] = 0;
		for (i = 0; i < s->nactive; i++)
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
		if (u->nfailed_on && failed_on(u, s->accts[b].handle))
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
		group_best(s, s->active[i]);
	qsort_r(s->order, s->nsuites, sizeof(*s->order), by_effective, s);
}

static void plan_run(tp_sched *s)
{
	size_t i;

	plan_scratch(s);
	plan_reset(s, now(s));
	qsort_r(s->porder, s->naccts, sizeof(*s->porder), by_avail, s->pavail);
	plan_order(s);
	for (i = 0; i < s->nsuites && !s->suites[s->order[i]].taken; i++)
		plan_place(s, s->order[i]);
	s->run_planned_at = s->run_version;
	s->plan_starts = 0;
}

/* The next suite the run plan gives account a, or -1. */
static int queue_next(tp_sched *s, account *a)
{
	while (a->qhead < a->nqueue) {
		int idx = a->queue[a->qhead++];

		if (!s->suites[idx].taken && !failed_on(&s->suites[idx], a->handle))
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
static int choose_planned(tp_sched *s, account *a)
{
	int idx, gi;

	if (plan_stale(s))
		plan_run(s);
	idx = queue_next(s, a);
	if (idx < 0 && s->plan_starts > 0) {   /* ahead of the plan: plan again */
		plan_run(s);
		idx = queue_next(s, a);
	}
	return idx >= 0 ? idx : choose(s, a, 1, &gi);
}

/* Affinity's endgame choice for idle account a: a suite, -1 (none may run here) or WAIT. */
static int choose_endgame(tp_sched *s, account *a)
{
	int gi = -1, u;

	if (s->planned_at != s->version)
		plan(s);
	u = a->planned;
	if (u >= 0 && !s->suites[u].taken && !failed_on(&s->suites[u], a->handle))
		return u;
	return choose(s, a, 1, &gi) < 0 ? -1 : WAIT;
}

static void start(tp_sched *s, account *a, int idx, tp_sched_action *out)
{
	suite *u = &s->suites[idx];
	int64_t t = now(s);

	u->taken = 1;
	u->running = 1;
	u->attempts++;
	u->retryable = u->attempts <= u->retries;
	u->account = a->handle;
	u->started = t;
	u->ended = 0;
	a->busy = idx;
	s->started_any = 1;
	a->free_at = t + u->expected + group_cost(s, a, u->group);
	if (a->planned != idx)
		s->version++;    /* not what the plan had: it is stale */
	a->planned = -1;
	s->plan_starts++;
	count_pending(s, u->group, -1);
	s->running++;
	s->running_retryable += u->retryable;
	out->kind = TP_SCHED_RUN;
	out->suite = idx;
	out->account = a->handle;
	out->attempt = u->attempts;
}

static int can_lease(const tp_sched *s)
{
	return !s->stopped && !s->lease_blocked &&
	       (int)s->naccts + s->leasing < s->o.max_accounts;
}

enum { SERVED, STUCK, WAITING };

/*
 * An idle account: give it work, release it, or keep it. STUCK when the
 * only pending suites are retries that already failed here (it waits for
 * another account to take them); WAITING when it keeps itself for later.
 *
 * With nothing left to start, affinity keeps as many idle accounts as
 * running suites could still fail and come back (their retry then finds a
 * leased account, often with its stacks, instead of a fresh lease and a
 * full deploy); the other policies release at once.
 */
static int serve_idle(tp_sched *s, account *a, int idle, tp_sched_action *out)
{
	int idx, gi;

	if (s->pending == 0 || s->stopped) {
		if (!s->stopped && s->o.policy == TP_SCHED_POLICY_AFFINITY &&
		    idle <= s->running_retryable)
			return WAITING;
		out->kind = TP_SCHED_RELEASE;
		out->account = a->handle;
		release_account(s, a);
		return SERVED;
	}
	if (s->o.policy == TP_SCHED_POLICY_AFFINITY && s->pending <= (int)s->naccts)
		idx = choose_endgame(s, a);
	else if (s->o.policy == TP_SCHED_POLICY_AFFINITY)
		idx = choose_planned(s, a);
	else
		idx = choose(s, a, 1, &gi);
	if (idx == WAIT)
		return WAITING;
	if (idx < 0)
		return STUCK;
	start(s, a, idx, out);
	return SERVED;
}

/* Lease while accounts that can do something (all but `stuck`) are fewer than the work. */
static int lease_wanted(const tp_sched *s, int stuck)
{
	int want = s->running + s->pending;

	if (want > s->o.max_accounts)
		want = s->o.max_accounts;
	return s->pending > 0 && can_lease(s) && (int)s->naccts - stuck + s->leasing < want;
}

static int lease(tp_sched *s, tp_sched_action *out)
{
	s->leasing++;
	out->kind = TP_SCHED_LEASE;
	return 0;
}

/*
 * Serve the idle accounts in turn until one has an action (1). Otherwise
 * 0, with *stuck the accounts that can run none of the pending suites and
 * *stuck_one one of them.
 */
static int serve_all(tp_sched *s, tp_sched_action *out, int *stuck, account **stuck_one)
{
	size_t i;
	int idle = 0;

	for (i = 0; i < s->naccts; i++)
		idle += s->accts[i].busy < 0;
	for (i = 0; i < s->naccts; i++) {
		int r;

		if (s->accts[i].busy >= 0)
			continue;
		r = serve_idle(s, &s->accts[i], idle, out);
		if (r == SERVED)
			return 1;
		if (r == STUCK) {
			(*stuck)++;
			*stuck_one = &s->accts[i];
		}
	}
	return 0;
}

int tp_sched_next(tp_sched *s, tp_sched_action *out)
{
	account *stuck_one = NULL;
	int stuck = 0, gi;

	memset(out, 0, sizeof(*out));
	out->kind = TP_SCHED_IDLE;
	if (!s->grouped)
		build_groups(s);
	/* Ask for the accounts first: choices made knowing them all are better. */
	if (lease_wanted(s, 0))
		return lease(s, out);
	/* And the first choices wait for the leases out (a warm account that
	 * comes a moment later may be the one a suite should run on). */
	if (s->leasing > 0 && !s->started_any && s->o.policy == TP_SCHED_POLICY_AFFINITY)
		return 0;
	if (serve_all(s, out, &stuck, &stuck_one))
		return 0;
	if (lease_wanted(s, stuck))
		return lease(s, out);
	/* Only retries that failed on every idle account are left, nothing can
	 * free up and no account can be added: retry on one of them anyway. */
	if (stuck_one && s->running == 0 && s->leasing == 0) {
		start(s, stuck_one, choose(s, stuck_one, 0, &gi), out);
		return 0;
	}
	if (!s->done_sent && s->pending == 0 && s->running == 0 && s->naccts == 0 &&
	    s->leasing == 0) {
		s->done_sent = 1;
		out->kind = TP_SCHED_DONE;
	}
	return 0;
}

int64_t tp_sched_lease_score(const tp_sched *s, const tp_stack_ref *stacks, size_t n)
{
	int64_t saved = 0;
	size_t i;

	if (s->o.policy != TP_SCHED_POLICY_AFFINITY)
		return 0;
	for (i = 0; i < n; i++) {
		int sid = lookup_stack(s, stacks[i].name), hid;
		const stk *k;

		if (sid < 0 || (hid = lookup_hash(s, sid, stacks[i].hash)) < 0)
			continue;
		k = &s->stks[sid];
		if (k->waiting[hid] > 0)
			saved += (k->ms >= 0 ? k->ms : (s->o.stack_deploy_ms ?
				  s->o.stack_deploy_ms(s->o.ctx, k->name) : DEFAULT_STACK_MS)) *
				 k->waiting[hid];
	}
	return saved;
}

/* ---- what else a deploy can carry ------------------------------------------------------ */

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
	return ready + (hv_get(hv, nhv, sid) == hid ? 0 : stack_ms(s, sid));
}

/*
 * The stacks outside group gi worth deploying with it over deployments hv
 * (see tp_sched_extra_stacks): sids into out (room for every stack), their
 * hashes in s->xhid; returns how many.
 */
static size_t extra_set(tp_sched *s, const int *hv, size_t nhv, int gi, int *out)
{
	const group *g = &s->groups[gi];
	int64_t budget = chain_cost(s, hv, nhv, gi) * EXTRA_SHARE / 100;
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

/*
 * The chain of deploying group g and every stack marked in hv (hv[sid] <=
 * -2: wanted at hash -2 - hv[sid], not there) over account a's stacks.
 */
static int64_t broad_chain(tp_sched *s, const account *a, const group *g, const int *hv)
{
	int64_t longest = 0;
	size_t i, j, k;

	rank_order(s);
	for (i = 0; i < s->nstks; i++) {
		int sid = s->by_rank[i], need = hv[sid] <= -2, hid = -2 - hv[sid];
		int64_t ready = 0;

		for (j = 0; j < g->n; j++)
			if (g->m[j].sid == sid) {
				need = 1;
				hid = g->m[j].hid;
			}
		s->xfin[sid] = 0;
		if (!need)
			continue;
		for (k = 0; k < s->stks[sid].ndeps; k++)
			if (s->xfin[s->stks[sid].deps[k]] > ready)
				ready = s->xfin[s->stks[sid].deps[k]];
		s->xfin[sid] = ready + (have(a, sid) == hid ? 0 : stack_ms(s, sid));
		if (s->xfin[sid] > longest)
			longest = s->xfin[sid];
	}
	return longest;
}

/*
 * What the run plan has account a deploy after its current suite, if
 * deploying it now costs less than it will: the stacks of its planned
 * suites missing there, when deploying them with the current suite's
 * lengthens this deploy by less than the deploys the plan expects for them
 * later. Adds them (sid -> hid) to want[]; returns 1 when it did.
 */
static int broad_set(tp_sched *s, account *a, int gi, int *want)
{
	const group *g = &s->groups[gi];
	int64_t later = 0, now_cost = group_cost(s, a, gi), with;
	size_t q, i;
	int *hv, any = 0;

	for (q = a->qhead; q < a->nqueue; q++)
		if (!s->suites[a->queue[q]].taken)
			later += a->qcost[q];
	if (later <= 0)
		return 0;
	hv = tp_xcalloc(s->nstks + 1, sizeof(*hv));
	for (i = 0; i < s->nstks; i++)
		hv[i] = want[i] >= 0 ? want[i] : have(a, (int)i);
	for (q = a->qhead; q < a->nqueue; q++) {
		const group *h = &s->groups[s->suites[a->queue[q]].group];

		if (s->suites[a->queue[q]].taken)
			continue;
		for (i = 0; i < h->n; i++)
			if (want[h->m[i].sid] == -1)
				hv[h->m[i].sid] = -2 - h->m[i].hid;   /* wanted, not there yet */
	}
	/* the chain of deploying g and everything marked, over what is there */
	for (i = 0; i < s->nstks; i++)
		if (hv[i] <= -2) {
			any = 1;
			break;
		}
	if (!any) {
		free(hv);
		return 0;
	}
	with = broad_chain(s, a, g, hv);
	if (with - now_cost <= later * BROAD_SHARE / 100) {
		for (i = 0; i < s->nstks; i++)
			if (hv[i] <= -2 && want[i] == -1)
				want[i] = -2 - hv[i];
	} else {
		any = 0;
	}
	free(hv);
	return any;
}

size_t tp_sched_extra_stacks(tp_sched *s, int handle, tp_stack_ref *out, size_t cap)
{
	account *a = find_account(s, handle);
	size_t i, n, k = 0;
	int *sids, *want, gi;

	if (!a || a->busy < 0 || s->o.policy != TP_SCHED_POLICY_AFFINITY ||
	    !s->o.stack_depends_on)
		return 0;
	gi = s->suites[a->busy].group;
	sids = tp_xcalloc(s->nstks + 1, sizeof(*sids));
	want = tp_xcalloc(s->nstks + 1, sizeof(*want));
	for (i = 0; i < s->nstks; i++)
		want[i] = -1;
	n = extra_set(s, a->have, a->nhave, gi, sids);
	for (i = 0; i < n; i++)
		want[sids[i]] = s->xhid[sids[i]];
	for (i = 0; i < s->groups[gi].n; i++)          /* the suite's own: not extras */
		want[s->groups[gi].m[i].sid] = -3;
	broad_set(s, a, gi, want);
	rank_order(s);
	for (i = 0; i < s->nstks && k < cap; i++) {
		int sid = s->by_rank[i];

		if (want[sid] < 0 || have(a, sid) == want[sid])
			continue;
		out[k].name = s->stks[sid].name;
		out[k++].hash = s->stks[sid].hashes[want[sid]];
	}
	free(sids);
	free(want);
	return k;
}

/* ---- reading results ----------------------------------------------------------------- */

size_t tp_sched_suite_count(const tp_sched *s)
{
	return s->nsuites;
}

void tp_sched_suite_get(const tp_sched *s, int idx, tp_sched_suite_state *out)
{
	const suite *u = &s->suites[idx];

	out->name = u->name;
	out->result = u->result;
	out->final = u->final;
	out->attempts = u->attempts;
	out->flaky = u->flaky;
	out->account = u->account;
	out->started_ms = u->started;
	out->ended_ms = u->ended;
}

void tp_sched_counts_get(const tp_sched *s, tp_sched_counts *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	out->pending = s->pending;
	out->running = s->running;
	out->accounts = (int)s->naccts;
	for (i = 0; i < s->nsuites; i++) {
		const suite *u = &s->suites[i];
		if (!u->taken)
			out->remaining_ms += u->expected;
		if (!u->final)
			continue;
		if (u->result == TP_SCHED_PASSED)
			out->passed++;
		else if (u->result == TP_SCHED_SKIPPED)
			out->skipped++;
		else
			out->failed++;
	}
}

/* ---- shards ------------------------------------------------------------------------------ */

typedef struct shard_item {
	const char *name;
	int64_t ms;
	size_t index;
} shard_item;

static int by_ms_then_name(const void *a, const void *b)
{
	const shard_item *x = a, *y = b;

	if (x->ms != y->ms)
		return x->ms > y->ms ? -1 : 1;
	return strcmp(x->name, y->name);
}

void tp_sched_shard(const char *const *names, const int64_t *expected_ms, size_t n,
		    int index, int shards, int *in_shard)
{
	shard_item *items = tp_xcalloc(n ? n : 1, sizeof(*items));
	int64_t *load = tp_xcalloc((size_t)(shards > 0 ? shards : 1), sizeof(*load));
	size_t i;
	int b, best;

	for (i = 0; i < n; i++) {
		items[i].name = names[i];
		items[i].ms = expected_ms[i];
		items[i].index = i;
		in_shard[i] = 0;
	}
	qsort(items, n, sizeof(*items), by_ms_then_name);
	for (i = 0; i < n; i++) {
		for (best = 0, b = 1; b < shards; b++)
			if (load[b] < load[best])
				best = b;
		load[best] += items[i].ms;
		in_shard[items[i].index] = best == index;
	}
	free(items);
	free(load);
}
