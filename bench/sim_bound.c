/*
 * A lower bound on the makespan of a run, true for every schedule that
 * runs the same test runs under tidepool's model (an account runs one
 * suite at a time, a suite's stacks are deployed in its account before its
 * test starts, at most m = -j accounts leased at once). All durations
 * below are the actual ones the simulated cloud and suites take, not the
 * estimates the scheduler sees.
 *
 *   need(i, a)  the deploy time suite i's stacks need in pool account a,
 *               at the least: the longest path through the DAG of i's
 *               stacks where a stack already at the right hash weighs 0,
 *               one at an older hash its update time, one found in
 *               ROLLBACK_COMPLETE its delete plus create time, a missing
 *               one its create time. A stack cannot start before its
 *               dependencies finish in that account, so no suite's test
 *               can start on a before need(i, a) from the start, whatever
 *               ran there earlier.
 *   D(i)        min over pool accounts of need(i, a).
 *   c(a)        min over suites of need(i, a): whichever suite an account
 *               runs first waits at least this long for its stacks.
 *   T(i)        the summed durations of the test runs suite i executed in
 *               the run (its first, and its retry when the first failed).
 *   W           sum of T(i).
 *
 *   A = max over suites of D(i) + T(i)
 *         (its first test cannot start before D(i); a retry starts after
 *         the run before it ends);
 *   B = the smallest M for which some k <= m has
 *         W + max(S(k), E(M), E'(M)) <= k * M, where
 *         S(k) = the sum of the k smallest c(a) over the pool, and
 *         E(M) = the integral over tau in [0, M) of
 *                ceil(W(tau) / (M - tau)),  W(tau) = sum of T(i) over the
 *                suites with D(i) >= tau
 *         (wait(a), the time account a spends waiting for deploys, and its
 *         test time fit in [0, M], so the accounts a schedule uses are busy
 *         W + sum of wait(a) <= k * M. Sum of wait(a) >= S(k): each waits
 *         at least c(a) for its first suite. Sum of wait(a) >= E(M): it is
 *         the integral over tau of #{a : wait(a) >= tau}, and every account
 *         that runs a suite with D(i) >= tau waited that long (a stack
 *         of a chain is created within one of the account's deploys, and
 *         deploys on one account do not overlap), so it has at most M - tau
 *         left for tests; those suites' W(tau) needs at least
 *         W(tau) / (M - tau) such accounts. With more than m accounts used
 *         in all, at most m are busy at once and k = m applies. B is the
 *         least M passing, found by bisection; E is summed over 1 s steps,
 *         each step taking the least its integrand can be within the step);
 *         E'(M) = the integral over tau in [0, M) of
 *                ceil((W - F(tau, M)) / (M - tau)), where F(tau, M) is the
 *                maximum flow from the suites (each supplying T(i)) through
 *                the pairs (i, a) with need(i, a) < tau to the pool
 *                accounts (each taking at most M - c(a))
 *         (the placement term, bench/sim_flow.c. Proof: let Y be the
 *         accounts with wait(a) < tau. A test run of suite i on account a
 *         needs need(i, a) <= wait(a) (as above), so every run on Y uses a
 *         pair with need(i, a) < tau, and account a holds at most
 *         M - wait(a) <= M - c(a) of tests. Whatever Y is, the test time
 *         on Y is a flow in that network (split among accounts, and from
 *         every pool account: a relaxation, so at most its maximum
 *         F(tau, M)), and the rest, W - F(tau, M) or more, runs on
 *         accounts with wait(a) >= tau, at most M - tau each: at least
 *         (W - F) / (M - tau) of them. Integrating #{a : wait(a) >= tau}
 *         as for E gives sum of wait(a) >= E'(M). F only grows with tau,
 *         so each 10 s step takes F at its end and M - tau at its start.
 *         E' is E where every suite could run on any account with its
 *         stacks; on a warm pool it also counts that the accounts holding
 *         a suite's stacks have only M each: F = W - W(tau) when
 *         capacity never binds. The integral stops at the largest
 *         need(i, a) (a step past it): leaving the rest out only lowers
 *         it, and over that fixed range each integrand only falls as M
 *         grows, so passing is monotone in M past it (the search starts
 *         from the B without E', which passes no later). B is found to
 *         within 1 s and rounded down);
 *   LB = max(A, B).
 *
 * It leaves out, so it stays a lower bound: polling delays, throttling,
 * call latency, deploys after an account's first suite, attempts lost to
 * failed deploys, deploy work that overlaps nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/util.h"
#include "bench/sim.h"

#define STEP_MS 1000

/* The weight of stack s in account a before the run. */
static int64_t weight(const sim_workload *w, size_t a, size_t s)
{
	switch (w->initial[a * w->nstacks + s]) {
	case SIM_CURRENT: return 0;
	case SIM_STALE: return sim_update_ms(w, a, s);
	case SIM_ROLLED_BACK: return sim_delete_ms(w, a, s) + sim_create_ms(w, a, s);
	case SIM_ABSENT: break;
	}
	return sim_create_ms(w, a, s);
}

/* need(i, a): the suite's stacks are ascending, so dependencies come first. */
static int64_t need(const sim_workload *w, const sim_suite *u, size_t a, int64_t *fin)
{
	int64_t longest = 0;
	size_t i, k;

	for (i = 0; i < u->nstacks; i++) {
		const sim_stack *st = &w->stacks[u->stacks[i]];
		int64_t ready = 0;

		for (k = 0; k < st->ndeps; k++)
			if (fin[st->deps[k]] > ready)
				ready = fin[st->deps[k]];
		fin[u->stacks[i]] = ready + weight(w, a, u->stacks[i]);
		if (fin[u->stacks[i]] > longest)
			longest = fin[u->stacks[i]];
	}
	return longest;
}

typedef struct dt {
	int64_t d, t;                /* D(i), T(i); d first (by_value sorts on it) */
} dt;

/* E(M): see the top. d/t: D(i) and T(i) of every suite, sorted by D ascending. */
static int64_t waits_at_least(const int64_t *d, const int64_t *t, size_t n, int64_t m_ms)
{
	int64_t total = 0, left = 0, tau;
	size_t i = 0, k;

	for (k = 0; k < n; k++)
		left += t[k];                /* W(0) */
	for (tau = 0; tau + STEP_MS <= m_ms; tau += STEP_MS) {
		int64_t span = m_ms - tau, count;

		while (i < n && d[i] < tau + STEP_MS)   /* W at the step's end: the least within it */
			left -= t[i++];
		if (left <= 0)
			break;
		count = (left + span - 1) / span;
		total += count * STEP_MS;
	}
	return total;
}

/* What a bound computation needs to test an M. */
typedef struct bound_in {
	const sim_workload *w;
	const int64_t *d, *t;        /* D(i) and T(i), by D ascending */
	const int64_t *c;            /* c(a) ascending */
	int64_t work;
	sim_flow *flow;              /* NULL: without the placement term */
	const int64_t *supply;       /* per group: its test time */
} bound_in;

static int passes(const bound_in *in, int64_t m_ms)
{
	int64_t e = waits_at_least(in->d, in->t, in->w->nsuites, m_ms), s_k = 0;
	int k;

	if (in->flow) {
		int64_t e2 = sim_flow_waits(in->flow, in->supply, m_ms);

		if (e2 > e)
			e = e2;
	}
	for (k = 1; k <= in->w->sc.naccounts && (size_t)k <= in->w->npool; k++) {
		s_k += in->c[k - 1];
		if (in->work + (s_k > e ? s_k : e) <= (int64_t)k * m_ms)
			return 1;
	}
	return 0;
}

/*
 * The least M that passes, to within `res` ms, knowing that lo fails:
 * returns lo' + 1 for the largest lo' seen failing, so the result is never
 * above the least passing M (passing is monotone in M from A on, and M < A
 * does not matter: LB >= A).
 */
static int64_t smallest_m(const bound_in *in, int64_t lo, int64_t res)
{
	int64_t step = 1, hi;

	while (!passes(in, lo + step)) {
		lo += step;
		step *= 2;
	}
	hi = lo + step;
	while (hi - lo > res) {
		int64_t mid = lo + (hi - lo) / 2;

		if (passes(in, mid))
			hi = mid;
		else
			lo = mid;
	}
	return lo + 1;
}

static int by_value(const void *x, const void *y)
{
	int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;

	return a < b ? -1 : a > b;
}

/* Suites ordered by their stacks, so equal lists are neighbours. */
static int by_stacks(const void *x, const void *y, void *ctx)
{
	const sim_workload *w = ctx;
	const sim_suite *a = &w->suites[*(const size_t *)x], *b = &w->suites[*(const size_t *)y];
	size_t i;

	if (a->nstacks != b->nstacks)
		return a->nstacks < b->nstacks ? -1 : 1;
	for (i = 0; i < a->nstacks; i++)
		if (a->stacks[i] != b->stacks[i])
			return a->stacks[i] < b->stacks[i] ? -1 : 1;
	return 0;
}

/* Suites needing the same stacks form a group: n->group_of, n->ngroups, a member each. */
static size_t *make_groups(sim_needs *n, const sim_workload *w)
{
	size_t *order = tp_xcalloc(w->nsuites + 1, sizeof(size_t));
	size_t *member = tp_xcalloc(w->nsuites + 1, sizeof(size_t)), i;

	n->group_of = tp_xcalloc(w->nsuites + 1, sizeof(size_t));
	for (i = 0; i < w->nsuites; i++)
		order[i] = i;
	qsort_r(order, w->nsuites, sizeof(*order), by_stacks, (void *)w);
	n->ngroups = 0;
	for (i = 0; i < w->nsuites; i++) {
		if (i == 0 || by_stacks(&order[i - 1], &order[i], (void *)w) != 0)
			member[n->ngroups++] = order[i];
		n->group_of[order[i]] = n->ngroups - 1;
	}
	free(order);
	return member;
}

void sim_needs_init(sim_needs *n, const sim_workload *w)
{
	int64_t *fin = tp_xcalloc(w->nstacks, sizeof(int64_t)), *gneed;
	size_t *member = make_groups(n, w), g, i, a;

	gneed = tp_xcalloc(n->ngroups * w->npool + 1, sizeof(int64_t));
	for (g = 0; g < n->ngroups; g++)
		for (a = 0; a < w->npool; a++)
			gneed[g * w->npool + a] = need(w, &w->suites[member[g]], a, fin);
	n->d = tp_xcalloc(w->nsuites + 1, sizeof(int64_t));
	n->c = tp_xcalloc(w->npool + 1, sizeof(int64_t));
	for (a = 0; a < w->npool; a++)
		n->c[a] = INT64_MAX;
	for (i = 0; i < w->nsuites; i++) {
		n->d[i] = INT64_MAX;
		for (a = 0; a < w->npool; a++) {
			int64_t x = gneed[n->group_of[i] * w->npool + a];

			if (x < n->d[i])
				n->d[i] = x;
			if (x < n->c[a])
				n->c[a] = x;
		}
	}
	qsort(n->c, w->npool, sizeof(*n->c), by_value);
	n->flow = sim_flow_new(n->ngroups, w->npool, gneed);
	free(gneed);
	free(member);
	free(fin);
}

void sim_needs_release(sim_needs *n)
{
	free(n->d);
	free(n->c);
	free(n->group_of);
	sim_flow_free(n->flow);
	n->d = n->c = NULL;
	n->group_of = NULL;
	n->flow = NULL;
}

void sim_bound_compute(sim_bound *out, const sim_workload *w, const sim_needs *n,
		       const int *test_runs_of)
{
	dt *by_d = tp_xcalloc(w->nsuites + 1, sizeof(*by_d));
	int64_t *d_of = tp_xcalloc(w->nsuites + 1, sizeof(int64_t));
	int64_t *t_of = tp_xcalloc(w->nsuites + 1, sizeof(int64_t));
	int64_t *by_t = tp_xcalloc(w->nsuites + 1, sizeof(int64_t));   /* T(i) by suite */
	int64_t work = 0;
	size_t i;

	memset(out, 0, sizeof(*out));
	out->chain_suite = -1;
	for (i = 0; i < w->nsuites; i++) {
		const sim_suite *u = &w->suites[i];
		int64_t t = 0;
		int r;

		for (r = 0; r < test_runs_of[i]; r++)
			t += u->run_ms[r < SIM_TEST_RUNS ? r : SIM_TEST_RUNS - 1];
		work += t;
		by_t[i] = t;
		by_d[i].d = n->d[i];
		by_d[i].t = t;
		if (t > 0 && n->d[i] + t > out->chain_ms) {
			out->chain_ms = n->d[i] + t;
			out->chain_suite = (int)i;
		}
	}
	qsort(by_d, w->nsuites, sizeof(*by_d), by_value);   /* d first: sorts by D */
	for (i = 0; i < w->nsuites; i++) {
		d_of[i] = by_d[i].d;
		t_of[i] = by_d[i].t;
	}
	{
		int64_t *supply = tp_xcalloc(n->ngroups + 1, sizeof(int64_t));
		bound_in in = { w, d_of, t_of, n->c, work, NULL, supply };

		for (i = 0; i < w->nsuites; i++)
			supply[n->group_of[i]] += by_t[i];
		out->plain_ms = smallest_m(&in, 0, 1);
		in.flow = n->flow;
		out->work_ms = out->plain_ms;
		if (out->plain_ms > sim_flow_range(n->flow))   /* where passing is monotone */
			out->work_ms = smallest_m(&in, out->plain_ms - 1, 1000);
		free(supply);
	}
	out->lb_ms = out->chain_ms > out->work_ms ? out->chain_ms : out->work_ms;
	free(by_t);
	free(by_d);
	free(d_of);
	free(t_of);
}
