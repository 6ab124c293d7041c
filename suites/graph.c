/*
 * The stack graph (suites/graph.h): selection by a walk over depends_on,
 * then Kahn's algorithm with a min-heap on the config position, so the
 * order is topological and, among free stacks, the file's. Whatever Kahn
 * cannot order lies on or behind a cycle; one is found by following
 * unordered dependencies until a stack repeats.
 */
#include "suites/graph.h"

#include <stdlib.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"
#include "suites/nameindex.h"
#include "suites/suggest.h"

#define NONE ((size_t)-1)

typedef struct node {
	const tp_config_stack *stack;
	size_t *deps, ndeps;
	size_t *dependents, ndependents;
	size_t level;
} node;

struct tp_stack_graph {
	node *nodes;
	size_t n;
	size_t depth;
	tp_nameindex ix;     /* stack name -> node */
};

/* Everything indexed by config position while building. */
typedef struct builder {
	const tp_config *c;
	tp_nameindex ix;          /* stack name -> config position */
	unsigned char *selected;
	size_t **deps;            /* per position: config positions of its depends_on */
	size_t *order;            /* config positions in topological order */
	size_t n_order;
} builder;

/* ---- a min-heap of config positions ------------------------------------ */

typedef struct heap {
	size_t *v;
	size_t n;
} heap;

static void heap_push(heap *h, size_t x)
{
	size_t i = h->n++, parent;

	h->v[i] = x;
	while (i > 0 && h->v[parent = (i - 1) / 2] > h->v[i]) {
		size_t t = h->v[parent];

		h->v[parent] = h->v[i];
		h->v[i] = t;
		i = parent;
	}
}

static size_t heap_pop(heap *h)
{
	size_t top = h->v[0], i = 0;

	h->v[0] = h->v[--h->n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < h->n && h->v[l] < h->v[m])
			m = l;
		if (r < h->n && h->v[r] < h->v[m])
			m = r;
		if (m == i)
			return top;
		t = h->v[m];
		h->v[m] = h->v[i];
		h->v[i] = t;
		i = m;
	}
}

/* ---- selection ------------------------------------------------------------ */

static int unknown_stack(const tp_config *c, const char *name)
{
	tp_suggest s;
	size_t i;

	tp_suggest_init(&s, name);
	for (i = 0; i < c->n_stacks; i++)
		tp_suggest_add(&s, c->stacks[i].name);
	if (tp_suggest_best(&s))
		return tp_error_set(TP_EINVAL, "unknown stack '%s' (did you mean '%s'?)", name,
				    tp_suggest_best(&s));
	return tp_error_set(TP_EINVAL, "unknown stack '%s'", name);
}

/* Resolve every depends_on to config positions. */
static int resolve_deps(builder *b)
{
	const tp_config *c = b->c;
	size_t i, j;

	for (i = 0; i < c->n_stacks; i++) {
		const tp_config_list *d = &c->stacks[i].depends_on;

		b->deps[i] = tp_xcalloc(d->n + 1, sizeof(size_t));
		for (j = 0; j < d->n; j++) {
			b->deps[i][j] = tp_nameindex_find(&b->ix, d->items[j]);
			if (b->deps[i][j] == NONE)
				return tp_error_set(TP_EINVAL, "%s:%u:%u: stacks[%zu].depends_on: "
						    "unknown stack '%s'", c->path,
						    d->marks ? d->marks[j].line : c->stacks[i].mark.line,
						    d->marks ? d->marks[j].column : c->stacks[i].mark.column,
						    i, d->items[j]);
		}
	}
	return 0;
}

/* Mark `start` and everything it depends on (an explicit stack, no recursion). */
static void select_closure(builder *b, size_t start, size_t *stack)
{
	size_t top = 0, u, j;

	if (b->selected[start])
		return;
	b->selected[start] = 1;
	stack[top++] = start;
	while (top) {
		u = stack[--top];
		for (j = 0; j < b->c->stacks[u].depends_on.n; j++) {
			size_t w = b->deps[u][j];

			if (!b->selected[w]) {
				b->selected[w] = 1;
				stack[top++] = w;
			}
		}
	}
}

static int select_names(builder *b, const char *const *names, size_t n)
{
	size_t *stack = tp_xcalloc(b->c->n_stacks + 1, sizeof(size_t));
	size_t i, pos;
	int rc = 0;

	for (i = 0; i < b->c->n_stacks && (!names || n == 0); i++)
		select_closure(b, i, stack);
	for (i = 0; names && i < n && rc == 0; i++) {
		pos = tp_nameindex_find(&b->ix, names[i]);
		if (pos == NONE)
			rc = unknown_stack(b->c, names[i]);
		else
			select_closure(b, pos, stack);
	}
	free(stack);
	return rc;
}

/* ---- ordering ------------------------------------------------------------- */

static void count_indegrees(const builder *b, size_t *indeg, size_t **users, size_t *nusers)
{
	size_t i, j, n = b->c->n_stacks;

	for (i = 0; i < n; i++) {
		if (!b->selected[i])
			continue;
		for (j = 0; j < b->c->stacks[i].depends_on.n; j++) {
			size_t d = b->deps[i][j];

			indeg[i]++;
			users[d] = tp_xrealloc(users[d], (nusers[d] + 1) * sizeof(size_t));
			users[d][nusers[d]++] = i;
		}
	}
}

static void kahn(builder *b, size_t *indeg, size_t **users, const size_t *nusers)
{
	heap h = { tp_xcalloc(b->c->n_stacks + 1, sizeof(size_t)), 0 };
	size_t i, u;

	for (i = 0; i < b->c->n_stacks; i++)
		if (b->selected[i] && indeg[i] == 0)
			heap_push(&h, i);
	while (h.n) {
		u = heap_pop(&h);
		b->order[b->n_order++] = u;
		for (i = 0; i < nusers[u]; i++)
			if (--indeg[users[u][i]] == 0)
				heap_push(&h, users[u][i]);
	}
	free(h.v);
}

/*
 * Some selected stacks were never ordered: each of them has an unordered
 * dependency, so following those from the first one must revisit a stack.
 */
static int report_cycle(const builder *b, const size_t *indeg)
{
	const tp_config *c = b->c;
	size_t n = c->n_stacks, u = 0, j, start, first;
	size_t *seen_at = tp_xcalloc(n + 1, sizeof(size_t)), *path = tp_xcalloc(n + 1, sizeof(size_t));
	size_t len = 0, i;
	tp_buf msg = TP_BUF_INIT;

	while (!(b->selected[u] && indeg[u] > 0))
		u++;
	while (!seen_at[u]) {
		path[len++] = u;
		seen_at[u] = len;
		for (j = 0; indeg[b->deps[u][j]] == 0 || !b->selected[b->deps[u][j]]; j++)
			;
		u = b->deps[u][j];
	}
	start = seen_at[u] - 1;
	first = start;
	for (i = start; i < len; i++)
		if (path[i] < path[first])
			first = i;
	for (i = 0; i <= len - start; i++)
		tp_buf_addf(&msg, "%s%s", i ? " -> " : "",
			    c->stacks[path[start + (first - start + i) % (len - start)]].name);
	tp_error_set(TP_EINVAL, "%s:%u:%u: stacks: depends_on cycle: %s", c->path,
		     c->stacks[path[first]].mark.line, c->stacks[path[first]].mark.column,
		     tp_buf_cstr(&msg));
	tp_buf_release(&msg);
	free(seen_at);
	free(path);
	return TP_EINVAL;
}

static int order(builder *b)
{
	size_t n = b->c->n_stacks, i, selected = 0;
	size_t *indeg = tp_xcalloc(n + 1, sizeof(size_t));
	size_t **users = tp_xcalloc(n + 1, sizeof(size_t *));
	size_t *nusers = tp_xcalloc(n + 1, sizeof(size_t));
	int rc = 0;

	count_indegrees(b, indeg, users, nusers);
	kahn(b, indeg, users, nusers);
	for (i = 0; i < n; i++)
		selected += b->selected[i];
	if (b->n_order < selected)
		rc = report_cycle(b, indeg);
	for (i = 0; i < n; i++)
		free(users[i]);
	free(users);
	free(nusers);
	free(indeg);
	return rc;
}

/* ---- the graph ------------------------------------------------------------ */

static void add_edge(node *from, node *to, size_t to_i, size_t from_i)
{
	from->deps = tp_xrealloc(from->deps, (from->ndeps + 1) * sizeof(size_t));
	from->deps[from->ndeps++] = to_i;
	to->dependents = tp_xrealloc(to->dependents, (to->ndependents + 1) * sizeof(size_t));
	to->dependents[to->ndependents++] = from_i;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* Node numbers of node i's dependencies, sorted, each once; returns how many. */
static size_t node_deps(const builder *b, const size_t *node_of, size_t i, size_t *out)
{
	size_t pos = b->order[i], n = b->c->stacks[pos].depends_on.n, j, k = 0;

	for (j = 0; j < n; j++)
		out[j] = node_of[b->deps[pos][j]];
	qsort(out, n, sizeof(size_t), cmp_size);
	for (j = 0; j < n; j++)
		if (k == 0 || out[k - 1] != out[j])
			out[k++] = out[j];
	return k;
}

static tp_stack_graph *build_graph(const builder *b)
{
	tp_stack_graph *g = tp_xcalloc(1, sizeof(*g));
	size_t *node_of = tp_xcalloc(b->c->n_stacks + 1, sizeof(size_t));
	const char **names = tp_xcalloc(b->n_order + 1, sizeof(char *));
	size_t i, j, nd, *deps;

	g->n = b->n_order;
	g->nodes = tp_xcalloc(g->n + 1, sizeof(node));
	for (i = 0; i < g->n; i++) {
		node_of[b->order[i]] = i;
		g->nodes[i].stack = &b->c->stacks[b->order[i]];
		names[i] = g->nodes[i].stack->name;
	}
	for (i = 0; i < g->n; i++) {
		node *u = &g->nodes[i];

		deps = tp_xcalloc(u->stack->depends_on.n + 1, sizeof(size_t));
		nd = node_deps(b, node_of, i, deps);
		for (j = 0; j < nd; j++) {
			add_edge(u, &g->nodes[deps[j]], deps[j], i);
			if (g->nodes[deps[j]].level + 1 > u->level)
				u->level = g->nodes[deps[j]].level + 1;
		}
		free(deps);
		if (u->level > g->depth)
			g->depth = u->level;
	}
	tp_nameindex_init(&g->ix, names, g->n);
	free(names);
	free(node_of);
	return g;
}

static void builder_release(builder *b)
{
	size_t i;

	for (i = 0; b->deps && i < b->c->n_stacks; i++)
		free(b->deps[i]);
	free(b->deps);
	free(b->selected);
	free(b->order);
	tp_nameindex_release(&b->ix);
}

int tp_stack_graph_for_stacks(tp_stack_graph **out, const tp_config *c,
			      const char *const *names, size_t n)
{
	builder b = { c, { NULL, 0 }, NULL, NULL, NULL, 0 };
	const char **all = tp_xcalloc(c->n_stacks + 1, sizeof(char *));
	size_t i;
	int rc;

	*out = NULL;
	for (i = 0; i < c->n_stacks; i++)
		all[i] = c->stacks[i].name;
	tp_nameindex_init(&b.ix, all, c->n_stacks);
	free(all);
	b.selected = tp_xcalloc(c->n_stacks + 1, 1);
	b.deps = tp_xcalloc(c->n_stacks + 1, sizeof(size_t *));
	b.order = tp_xcalloc(c->n_stacks + 1, sizeof(size_t));
	rc = resolve_deps(&b);
	if (rc == 0)
		rc = select_names(&b, names, n);
	if (rc == 0)
		rc = order(&b);
	if (rc == 0)
		*out = build_graph(&b);
	builder_release(&b);
	return rc;
}

int tp_stack_graph_for_suites(tp_stack_graph **out, const tp_config *c,
			      const char *const *names, size_t n)
{
	const char **stacks = NULL;
	size_t i, j, k = 0, total = 0;
	int rc;

	*out = NULL;
	for (i = 0; i < n; i++) {
		const tp_config_suite *s = tp_config_find_suite(c, names[i]);

		if (!s)
			return tp_error_set(TP_EINVAL, "unknown suite '%s'", names[i]);
		total += s->stacks.n;
	}
	if (total == 0)    /* suites that need no stack: an empty graph, not "all" */
		return (*out = tp_xcalloc(1, sizeof(**out))), 0;
	stacks = tp_xcalloc(total, sizeof(char *));
	for (i = 0; i < n; i++) {
		const tp_config_suite *s = tp_config_find_suite(c, names[i]);

		for (j = 0; j < s->stacks.n; j++)
			stacks[k++] = s->stacks.items[j];
	}
	rc = tp_stack_graph_for_stacks(out, c, stacks, k);
	free(stacks);
	return rc;
}

void tp_stack_graph_free(tp_stack_graph *g)
{
	size_t i;

	if (!g)
		return;
	for (i = 0; i < g->n; i++) {
		free(g->nodes[i].deps);
		free(g->nodes[i].dependents);
	}
	free(g->nodes);
	tp_nameindex_release(&g->ix);
	free(g);
}

size_t tp_stack_graph_count(const tp_stack_graph *g)
{
	return g->n;
}

const tp_config_stack *tp_stack_graph_stack(const tp_stack_graph *g, size_t i)
{
	return g->nodes[i].stack;
}

size_t tp_stack_graph_find(const tp_stack_graph *g, const char *name)
{
	return g->n ? tp_nameindex_find(&g->ix, name) : NONE;
}

const size_t *tp_stack_graph_deps(const tp_stack_graph *g, size_t i, size_t *n)
{
	*n = g->nodes[i].ndeps;
	return g->nodes[i].deps;
}

const size_t *tp_stack_graph_dependents(const tp_stack_graph *g, size_t i, size_t *n)
{
	*n = g->nodes[i].ndependents;
	return g->nodes[i].dependents;
}

size_t tp_stack_graph_level(const tp_stack_graph *g, size_t i)
{
	return g->nodes[i].level;
}

size_t tp_stack_graph_depth(const tp_stack_graph *g)
{
	return g->depth;
}
