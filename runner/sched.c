/*
 * The scheduler (see sched.h for the policy). Suites are grouped by the set
 * of stacks they need; a group keeps its suites longest first, and a head
 * index skips those already started. An account caches, per group, the
 * deploy time it would need; the cache is dropped when its stacks change.
 */
#include "runner/sched.h"

#include <stdlib.h>
#include <string.h>

#include "aws/util.h"

#define DEFAULT_STACK_MS 60000
#define NO_COST (-1)

typedef struct stackset {
	tp_stack_ref *refs;          /* owned strings */
	size_t n;
} stackset;

typedef struct group {
	stackset set;
	int *suites;                 /* longest first */
	size_t n, alloc;
	size_t head;                 /* suites[0..head) are all taken */
} group;

typedef struct suite {
	char *name;
	int64_t expected;
	int group, pos;
	int retries, attempts;
	int taken;                   /* started or final: not in the pending pool */
	int running, final, had_failure, flaky;
	tp_sched_result result;
	int account;
	int64_t started, ended;
	int *failed_on;
	size_t nfailed_on;
} suite;

typedef struct account {
	int handle;
	int busy;                    /* suite index, or -1 */
	stackset known;
	int64_t *cost;               /* per group, NO_COST when not computed */
} account;

struct tp_sched {
	tp_sched_opts o;
	suite *suites;
	size_t nsuites, suites_alloc;
	group *groups;
	size_t ngroups;
	account *accts;
	size_t naccts, accts_alloc;
	int leasing;                 /* LEASE actions not yet answered */
	int lease_blocked;
	int pending;                 /* suites not taken */
	int running;
	int stopped;                 /* fail-fast tripped or tp_sched_stop */
	int done_sent;
	int grouped;
};

/* ---- stack sets -------------------------------------------------------- */

static const char *set_hash(const stackset *set, const char *name)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		if (strcmp(set->refs[i].name, name) == 0)
			return set->refs[i].hash;
	return NULL;
}

/* Add or replace name -> hash. */
static void set_put(stackset *set, const char *name, const char *hash)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		if (strcmp(set->refs[i].name, name) == 0) {
			free((char *)set->refs[i].hash);
			set->refs[i].hash = tp_xstrdup(hash ? hash : "");
			return;
		}
	}
	set->refs = tp_xrealloc(set->refs, (set->n + 1) * sizeof(*set->refs));
	set->refs[set->n].name = tp_xstrdup(name);
	set->refs[set->n].hash = tp_xstrdup(hash ? hash : "");
	set->n++;
}

static void set_release(stackset *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		free((char *)set->refs[i].name);
		free((char *)set->refs[i].hash);
	}
	free(set->refs);
	set->refs = NULL;
	set->n = 0;
}

static int set_equal(const stackset *a, const tp_stack_ref *refs, size_t n)
{
	size_t i;

	if (a->n != n)
		return 0;
	for (i = 0; i < n; i++) {
		const char *h = set_hash(a, refs[i].name);
		if (!h || strcmp(h, refs[i].hash ? refs[i].hash : "") != 0)
			return 0;
	}
	return 1;
}

static int64_t stack_ms(const tp_sched *s, const char *name)
{
	return s->o.stack_deploy_ms ? s->o.stack_deploy_ms(s->o.ctx, name) : DEFAULT_STACK_MS;
}

/* Deploy time `need` costs on an account that has `have`. */
static int64_t missing_ms(const tp_sched *s, const stackset *need, const tp_stack_ref *have,
			  size_t nhave)
{
	int64_t ms = 0;
	size_t i, j;

	for (i = 0; i < need->n; i++) {
		int ok = 0;
		for (j = 0; j < nhave && !ok; j++)
			ok = strcmp(have[j].name, need->refs[i].name) == 0 &&
			     strcmp(have[j].hash, need->refs[i].hash) == 0;
		if (!ok)
			ms += stack_ms(s, need->refs[i].name);
	}
	return ms;
}

/* ---- construction ------------------------------------------------------ */

tp_sched *tp_sched_new(const tp_sched_opts *opts)
{
	tp_sched *s = tp_xcalloc(1, sizeof(*s));

	s->o = *opts;
	if (s->o.max_accounts < 1)
		s->o.max_accounts = 1;
	return s;
}

void tp_sched_free(tp_sched *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; i < s->nsuites; i++) {
		free(s->suites[i].name);
		free(s->suites[i].failed_on);
	}
	for (i = 0; i < s->ngroups; i++) {
		set_release(&s->groups[i].set);
		free(s->groups[i].suites);
	}
	for (i = 0; i < s->naccts; i++) {
		set_release(&s->accts[i].known);
		free(s->accts[i].cost);
	}
	free(s->suites);
	free(s->groups);
	free(s->accts);
	free(s);
}

static int find_group(tp_sched *s, const tp_sched_suite *in)
{
	size_t i;

	for (i = 0; i < s->ngroups; i++)
		if (set_equal(&s->groups[i].set, in->stacks, in->nstacks))
			return (int)i;
	s->groups = tp_xrealloc(s->groups, (s->ngroups + 1) * sizeof(*s->groups));
	memset(&s->groups[s->ngroups], 0, sizeof(*s->groups));
	for (i = 0; i < in->nstacks; i++)
		set_put(&s->groups[s->ngroups].set, in->stacks[i].name, in->stacks[i].hash);
	return (int)s->ngroups++;
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
	u->retries = in->retries > 0 ? in->retries : 0;
	u->account = -1;
	u->group = find_group(s, in);
	g = &s->groups[u->group];
	if (g->n == g->alloc) {
		g->alloc = g->alloc ? 2 * g->alloc : 8;
		g->suites = tp_xrealloc(g->suites, g->alloc * sizeof(*g->suites));
	}
	g->suites[g->n++] = (int)s->nsuites;
	s->pending++;
	return (int)s->nsuites++;
}

/* Longest first; equal lengths in the order added. */
static int by_expected(const void *a, const void *b, void *ctx)
{
	const tp_sched *s = ctx;
	const suite *x = &s->suites[*(const int *)a];
	const suite *y = &s->suites[*(const int *)b];

	if (x->expected != y->expected)
		return x->expected > y->expected ? -1 : 1;
	return *(const int *)a - *(const int *)b;
}

static void build_groups(tp_sched *s)
{
	size_t i, j;

	for (i = 0; i < s->ngroups; i++) {
		group *g = &s->groups[i];
		qsort_r(g->suites, g->n, sizeof(*g->suites), by_expected, s);
		for (j = 0; j < g->n; j++)
			s->suites[g->suites[j]].pos = (int)j;
	}
	s->grouped = 1;
}

/* ---- accounts ---------------------------------------------------------- */

static account *find_account(tp_sched *s, int handle)
{
	size_t i;

	for (i = 0; i < s->naccts; i++)
		if (s->accts[i].handle == handle)
			return &s->accts[i];
	return NULL;
}

static void invalidate(tp_sched *s, account *a)
{
	size_t i;

	for (i = 0; i < s->ngroups; i++)
		a->cost[i] = NO_COST;
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
	for (i = 0; i < n; i++)
		set_put(&a->known, stacks[i].name, stacks[i].hash);
	a->cost = tp_xcalloc(s->ngroups ? s->ngroups : 1, sizeof(*a->cost));
	invalidate(s, a);
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
	for (i = 0; i < n; i++)
		set_put(&a->known, stacks[i].name, stacks[i].hash);
	invalidate(s, a);
}

static void release_account(tp_sched *s, account *a)
{
	set_release(&a->known);
	free(a->cost);
	*a = s->accts[--s->naccts];
	s->lease_blocked = 0;    /* a slot in the pool opened up */
}

/* ---- results ----------------------------------------------------------- */

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
		s->pending--;
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
	s->pending++;
	if ((size_t)u->pos < g->head)
		g->head = (size_t)u->pos;
}

void tp_sched_suite_done(tp_sched *s, int idx, tp_sched_result r)
{
	suite *u = &s->suites[idx];
	account *a = find_account(s, u->account);

	if (!u->running)
		return;
	u->running = 0;
	s->running--;
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

/* ---- choosing ---------------------------------------------------------- */

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

	while (g->head < g->n && s->suites[g->suites[g->head]].taken)
		g->head++;
	for (i = g->head; i < g->n; i++) {
		const suite *u = &s->suites[g->suites[i]];
		if (!u->taken && (!a || !failed_on(u, a->handle)))
			return g->suites[i];
	}
	return -1;
}

static int64_t group_cost(tp_sched *s, account *a, size_t gi)
{
	if (a->cost[gi] == NO_COST)
		a->cost[gi] = missing_ms(s, &s->groups[gi].set, a->known.refs, a->known.n);
	return a->cost[gi];
}

/* The best pending suite for account a, or -1 (strict: never one that failed on a). */
static int choose(tp_sched *s, account *a, int strict)
{
	int64_t best_score = 0;
	int best = -1;
	size_t gi;

	for (gi = 0; gi < s->ngroups; gi++) {
		int u = group_first(s, &s->groups[gi], strict ? a : NULL);
		int64_t score;

		if (u < 0)
			continue;
		score = s->suites[u].expected - group_cost(s, a, gi);
		if (best < 0 || score > best_score || (score == best_score && u < best)) {
			best = u;
			best_score = score;
		}
	}
	return best;
}

static void start(tp_sched *s, account *a, int idx, tp_sched_action *out)
{
	suite *u = &s->suites[idx];

	u->taken = 1;
	u->running = 1;
	u->attempts++;
	u->account = a->handle;
	u->started = now(s);
	u->ended = 0;
	a->busy = idx;
	s->pending--;
	s->running++;
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

/*
 * An idle account: give it work or release it. Returns 1 with an action,
 * 0 when the only pending suites are retries that already failed here (the
 * account is "stuck": it waits for another account to take them).
 */
static int serve_idle(tp_sched *s, account *a, tp_sched_action *out)
{
	int idx;

	if (s->pending == 0 || s->stopped) {
		out->kind = TP_SCHED_RELEASE;
		out->account = a->handle;
		release_account(s, a);
		return 1;
	}
	idx = choose(s, a, 1);
	if (idx < 0)
		return 0;
	start(s, a, idx, out);
	return 1;
}

int tp_sched_next(tp_sched *s, tp_sched_action *out)
{
	account *stuck_one = NULL;
	size_t i;
	int want, stuck = 0;

	memset(out, 0, sizeof(*out));
	out->kind = TP_SCHED_IDLE;
	if (!s->grouped)
		build_groups(s);
	for (i = 0; i < s->naccts; i++) {
		if (s->accts[i].busy >= 0)
			continue;
		if (serve_idle(s, &s->accts[i], out))
			return 0;
		stuck++;
		stuck_one = &s->accts[i];
	}
	/* Lease while accounts that can do something are fewer than the work. */
	want = s->running + s->pending;
	if (want > s->o.max_accounts)
		want = s->o.max_accounts;
	if (s->pending > 0 && can_lease(s) && (int)s->naccts - stuck + s->leasing < want) {
		s->leasing++;
		out->kind = TP_SCHED_LEASE;
		return 0;
	}
	/* Only retries that failed on every idle account are left, nothing can
	 * free up and no account can be added: retry on one of them anyway. */
	if (stuck_one && s->running == 0 && s->leasing == 0) {
		start(s, stuck_one, choose(s, stuck_one, 0), out);
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
	size_t gi, i;

	for (gi = 0; gi < s->ngroups; gi++) {
		const group *g = &s->groups[gi];
		int64_t all = missing_ms(s, &g->set, NULL, 0);
		int64_t with = missing_ms(s, &g->set, stacks, n);
		int waiting = 0;

		if (all == with)
			continue;
		for (i = g->head; i < g->n; i++)
			waiting += !s->suites[g->suites[i]].taken;
		saved += (all - with) * waiting;
	}
	return saved;
}

/* ---- reading results --------------------------------------------------- */

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

/* ---- shards ------------------------------------------------------------ */

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
