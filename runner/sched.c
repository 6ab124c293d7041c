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
 *
 * The plans an idle account follows are in sched_plan.c, what a deploy
 * carries beyond its suite's stacks in sched_extra.c; the state they share
 * is in sched_internal.h.
 */
#include "runner/sched.h"

#include <stdlib.h>
#include <string.h>

#include "aws/util.h"
#include "runner/sched_internal.h"

#define DEFAULT_STACK_MS 60000
#define DEFAULT_SUITE_MS 300000
#define WARM_SHARE 10            /* warm_value's discount: 1 / WARM_SHARE */

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

int64_t sched_stack_ms(tp_sched *s, int sid)
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
	s->plan_expires = INT64_MAX;
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

account *sched_find_account(tp_sched *s, int handle)
{
	size_t i;

	for (i = 0; i < s->naccts; i++)
		if (s->accts[i].handle == handle)
			return &s->accts[i];
	return NULL;
}

int sched_have(const account *a, int sid)
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
		c = sched_group_cost(s, a, k->groups[i]);
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
		c = sched_group_cost(s, a, (int)i);
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
	account *a = sched_find_account(s, handle);
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

void tp_sched_account_lost(tp_sched *s, int handle)
{
	account *a = sched_find_account(s, handle);

	if (!a)
		return;
	/* Its suite, if any, runs on until the driver reports how it ended;
	 * tp_sched_suite_done copes with an account no longer there, and the
	 * retry goes elsewhere (failed_on names this handle). */
	release_account(s, a);
}

/*
 * The deploy time group gi needs over deployments hv[0..nhv) (sid -> hid,
 * -1 none): the longest chain of its stacks through depends_on, a stack
 * already there at the right hash counting 0 (without depends_on from the
 * driver, every stack is its own chain and they add up).
 */
int64_t sched_chain_cost(tp_sched *s, const int *hv, size_t nhv, int gi)
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
		int64_t own = (size_t)sid < nhv && hv[sid] == g->m[i].hid ? 0 : sched_stack_ms(s, sid);
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
int64_t sched_group_cost(tp_sched *s, account *a, int gi)
{
	size_t i;

	if ((size_t)gi >= a->ncost) {
		a->cost = tp_xrealloc(a->cost, s->ngroups * sizeof(*a->cost));
		for (i = a->ncost; i < s->ngroups; i++)
			a->cost[i] = NO_COST;
		a->ncost = s->ngroups;
	}
	if (a->cost[gi] == NO_COST)
		a->cost[gi] = sched_chain_cost(s, a->have, a->nhave, gi);
	return a->cost[gi];
}

/* ---- results ---------------------------------------------------------------------- */

int64_t sched_now(const tp_sched *s)
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
	account *a = sched_find_account(s, u->account);

	if (!u->running)
		return;
	s->version++;
	u->running = 0;
	s->running--;
	s->running_retryable -= u->retryable;
	u->retryable = 0;
	u->ended = sched_now(s);
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

int sched_failed_on(const suite *u, int handle)
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
		if (!u->taken && (!a || !sched_failed_on(u, a->handle)))
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
		if (sched_have(a, g->m[i].sid) != g->m[i].hid)
			saved += sched_stack_ms(s, g->m[i].sid) * s->stks[g->m[i].sid].waiting[g->m[i].hid];
	return saved / WARM_SHARE / (int64_t)(s->naccts ? s->naccts : 1);
}

/* The least deploy time group gi needs on any leased account. */
int64_t sched_group_best(tp_sched *s, int gi)
{
	group *g = &s->groups[gi];
	size_t i;

	if (g->best_valid)
		return g->best;
	g->best = INT64_MAX;
	for (i = 0; i < s->naccts; i++) {
		int64_t c = sched_group_cost(s, &s->accts[i], gi);
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
		int64_t best = sched_group_best(s, gi), here = sched_group_cost(s, a, gi);

		return s->suites[u].key + best - (here - best) + warm_value(s, a, gi);
	}
}

/* The best pending suite for account a, or -1 (strict: never one that failed on a). */
int sched_choose(tp_sched *s, account *a, int strict, int *gid)
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

static void start(tp_sched *s, account *a, int idx, tp_sched_action *out)
{
	suite *u = &s->suites[idx];
	int64_t t = sched_now(s);

	u->taken = 1;
	u->running = 1;
	u->attempts++;
	u->retryable = u->attempts <= u->retries;
	u->account = a->handle;
	u->started = t;
	u->ended = 0;
	a->busy = idx;
	s->started_any = 1;
	a->free_at = t + u->expected + sched_group_cost(s, a, u->group);
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
		idx = sched_choose_endgame(s, a);
	else if (s->o.policy == TP_SCHED_POLICY_AFFINITY)
		idx = sched_choose_planned(s, a);
	else
		idx = sched_choose(s, a, 1, &gi);
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
		start(s, stuck_one, sched_choose(s, stuck_one, 0, &gi), out);
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
