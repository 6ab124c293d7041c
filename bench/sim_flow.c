/*
 * The lower bound's placement term (sim_bound.c, E'(M)): how much test
 * work the accounts that wait less than tau for deploys can hold at most.
 *
 * Suites needing the same stacks form a group; need(g, a) is the lower
 * bound's deploy chain of group g on pool account a before the run. An
 * account that waits less than tau in all runs only test runs with
 * need(g, a) < tau (their stacks are deployed within its waits), and at
 * most M - c(a) of them (whatever it runs, it waited c(a) first). So the test work such accounts hold is at most the
 * maximum flow from the groups (each supplying its test time) through the
 * pairs with need(g, a) < tau to the pool accounts (each taking at most
 * M - c(a)): a relaxation (a test run may split over accounts, every pool
 * account may take part), so an upper bound on what any schedule fits
 * there. The rest, W - F(tau), runs on accounts that waited at least tau
 * and have at most M - tau left for tests each.
 *
 * The flow is Dinic's, grown over tau: edges are added in order of need
 * and the flow so far stays feasible, so one pass over tau costs about
 * one maximum flow.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/util.h"
#include "bench/sim.h"

#define STEP_MS 10000
#define INF_CAP INT64_MAX / 4

typedef struct pair {
	int64_t need;
	int g, a;
} pair;

struct sim_flow {
	size_t ng, na;               /* groups, pool accounts */
	pair *pairs;                 /* every (g, a), by need */
	size_t npairs;
	int64_t *least;              /* per account: c(a), the least it waits to run anything */
	/* the graph: node 0 source, 1..ng groups, then accounts, then the sink */
	int *head, *next, *to;
	int64_t *cap;
	size_t nedges, aedges;
	int *level, *iter, *queue;
};

static int by_need(const void *x, const void *y)
{
	const pair *a = x, *b = y;

	return a->need < b->need ? -1 : a->need > b->need;
}

sim_flow *sim_flow_new(size_t ngroups, size_t naccounts, const int64_t *need)
{
	sim_flow *f = tp_xcalloc(1, sizeof(*f));
	size_t g, a, nodes = ngroups + naccounts + 2;

	f->ng = ngroups;
	f->na = naccounts;
	f->pairs = tp_xcalloc(ngroups * naccounts + 1, sizeof(*f->pairs));
	for (g = 0; g < ngroups; g++)
		for (a = 0; a < naccounts; a++) {
			pair *p = &f->pairs[f->npairs++];

			p->need = need[g * naccounts + a];
			p->g = (int)g;
			p->a = (int)a;
		}
	qsort(f->pairs, f->npairs, sizeof(*f->pairs), by_need);
	f->least = tp_xcalloc(naccounts + 1, sizeof(int64_t));
	for (a = 0; a < naccounts; a++)
		f->least[a] = INT64_MAX;
	for (g = 0; g < f->npairs; g++)
		if (f->pairs[g].need < f->least[f->pairs[g].a])
			f->least[f->pairs[g].a] = f->pairs[g].need;
	f->aedges = 2 * (f->npairs + nodes) + 2;
	f->next = tp_xcalloc(f->aedges, sizeof(int));
	f->to = tp_xcalloc(f->aedges, sizeof(int));
	f->cap = tp_xcalloc(f->aedges, sizeof(int64_t));
	f->head = tp_xcalloc(nodes, sizeof(int));
	f->level = tp_xcalloc(nodes, sizeof(int));
	f->iter = tp_xcalloc(nodes, sizeof(int));
	f->queue = tp_xcalloc(nodes, sizeof(int));
	return f;
}

int64_t sim_flow_range(const sim_flow *f)
{
	return f->npairs ? f->pairs[f->npairs - 1].need + STEP_MS : 0;
}

void sim_flow_free(sim_flow *f)
{
	if (!f)
		return;
	free(f->pairs);
	free(f->least);
	free(f->head);
	free(f->next);
	free(f->to);
	free(f->cap);
	free(f->level);
	free(f->iter);
	free(f->queue);
	free(f);
}

static size_t nodes(const sim_flow *f)
{
	return f->ng + f->na + 2;
}

static void add_edge(sim_flow *f, int u, int v, int64_t c)
{
	size_t e = f->nedges;

	f->to[e] = v;
	f->cap[e] = c;
	f->next[e] = f->head[u];
	f->head[u] = (int)e;
	f->to[e + 1] = u;
	f->cap[e + 1] = 0;
	f->next[e + 1] = f->head[v];
	f->head[v] = (int)e + 1;
	f->nedges += 2;
}

static int bfs(sim_flow *f, int s, int t)
{
	size_t qh = 0, qt = 0, i;
	int e;

	for (i = 0; i < nodes(f); i++)
		f->level[i] = -1;
	f->level[s] = 0;
	f->queue[qt++] = s;
	while (qh < qt) {
		int u = f->queue[qh++];

		for (e = f->head[u]; e >= 0; e = f->next[e])
			if (f->cap[e] > 0 && f->level[f->to[e]] < 0) {
				f->level[f->to[e]] = f->level[u] + 1;
				f->queue[qt++] = f->to[e];
			}
	}
	return f->level[t] >= 0;
}

static int64_t dfs(sim_flow *f, int u, int t, int64_t pushed)
{
	if (u == t)
		return pushed;
	for (; f->iter[u] >= 0; f->iter[u] = f->next[f->iter[u]]) {
		int e = f->iter[u], v = f->to[e];
		int64_t got;

		if (f->cap[e] <= 0 || f->level[v] != f->level[u] + 1)
			continue;
		got = dfs(f, v, t, pushed < f->cap[e] ? pushed : f->cap[e]);
		if (got > 0) {
			f->cap[e] -= got;
			f->cap[e ^ 1] += got;
			return got;
		}
	}
	return 0;
}

/* Augment to a maximum flow; returns what it added. */
static int64_t augment(sim_flow *f)
{
	int s = 0, t = (int)nodes(f) - 1;
	int64_t total = 0, got;
	size_t i;

	while (bfs(f, s, t)) {
		for (i = 0; i < nodes(f); i++)
			f->iter[i] = f->head[i];
		while ((got = dfs(f, s, t, INF_CAP)) > 0)
			total += got;
	}
	return total;
}

int64_t sim_flow_waits(sim_flow *f, const int64_t *supply, int64_t m_ms)
{
	int64_t work = 0, flow = 0, total = 0, tau;
	size_t i, p = 0;
	int sink = (int)nodes(f) - 1;

	f->nedges = 0;
	for (i = 0; i < nodes(f); i++)
		f->head[i] = -1;
	for (i = 0; i < f->ng; i++) {
		work += supply[i];
		if (supply[i] > 0)
			add_edge(f, 0, 1 + (int)i, supply[i]);
	}
	for (i = 0; i < f->na; i++)
		if (m_ms > f->least[i])
			add_edge(f, 1 + (int)(f->ng + i), sink, m_ms - f->least[i]);
	for (tau = 0; tau + STEP_MS <= m_ms && p < f->npairs; tau += STEP_MS) {
		int64_t left;

		/* the interval [tau, tau + STEP): F at its end, M - tau at its start (the least
		 * the integrand can be within it); it stops with the step that adds the last
		 * pair (leaving the rest out only lowers the sum, and keeps its range fixed) */
		for (; p < f->npairs && f->pairs[p].need < tau + STEP_MS; p++)
			if (supply[f->pairs[p].g] > 0)
				add_edge(f, 1 + f->pairs[p].g, 1 + (int)f->ng + f->pairs[p].a, INF_CAP);
		flow += augment(f);
		left = work - flow;
		if (left <= 0)
			break;
		total += (left + (m_ms - tau) - 1) / (m_ms - tau) * STEP_MS;
	}
	return total;
}
