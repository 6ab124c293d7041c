/*
 * Checks that need the whole file: stack and suite names are unique, every
 * name in depends_on and suites[].stacks is a stack, and depends_on has no
 * cycle (the first one found is named in full, starting from the stack
 * defined first in the file).
 *
 * Lookups go through a sorted index and the cycle search is iterative, so
 * a file at the parser's limits (100000 nodes) stays cheap and never runs
 * out of C stack.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"
#include "suites/config_internal.h"
#include "suites/nameindex.h"
#include "suites/suggest.h"

#define NONE ((size_t)-1)

static void stack_index(tp_nameindex *ix, const tp_config *c)
{
	const char **names = tp_xcalloc(c->n_stacks + 1, sizeof(*names));
	size_t i;

	for (i = 0; i < c->n_stacks; i++)
		names[i] = c->stacks[i].name;
	tp_nameindex_init(ix, names, c->n_stacks);
	free(names);
}

static int unique_stacks(tp_cfg_ctx *ctx, const tp_nameindex *ix)
{
	const tp_config *c = ctx->c;
	size_t first = 0, dup = tp_nameindex_first_dup(ix, &first);
	char path[64], where[32];

	if (dup == NONE)
		return 0;
	snprintf(path, sizeof(path), "stacks[%zu].name", dup);
	return tp_cfg_fail_at(ctx, c->stacks[dup].mark, path,
			      "duplicate stack '%s' (first defined at %s)", c->stacks[dup].name,
			      tp_cfg_first_at(where, sizeof(where), c->stacks[first].mark,
					      c->stacks[dup].mark));
}

static int unique_suites(tp_cfg_ctx *ctx)
{
	const tp_config *c = ctx->c;
	const char **names = tp_xcalloc(c->n_suites + 1, sizeof(*names));
	size_t i, first = 0, dup;
	tp_nameindex ix;
	char path[64], where[32];

	for (i = 0; i < c->n_suites; i++)
		names[i] = c->suites[i].name;
	tp_nameindex_init(&ix, names, c->n_suites);
	dup = tp_nameindex_first_dup(&ix, &first);
	tp_nameindex_release(&ix);
	free(names);
	if (dup == NONE)
		return 0;
	snprintf(path, sizeof(path), "suites[%zu].name", dup);
	return tp_cfg_fail_at(ctx, c->suites[dup].mark, path,
			      "duplicate suite '%s' (first defined at %s)", c->suites[dup].name,
			      tp_cfg_first_at(where, sizeof(where), c->suites[first].mark,
					      c->suites[dup].mark));
}

static int unknown_stack(tp_cfg_ctx *ctx, const tp_config_list *refs, size_t i,
			 const char *path)
{
	const tp_config *c = ctx->c;
	tp_suggest s;
	size_t k;

	tp_suggest_init(&s, refs->items[i]);
	for (k = 0; k < c->n_stacks; k++)
		tp_suggest_add(&s, c->stacks[k].name);
	if (tp_suggest_best(&s))
		return tp_cfg_fail_at(ctx, refs->marks[i], path,
				      "unknown stack '%s' (did you mean '%s'?)",
				      refs->items[i], tp_suggest_best(&s));
	return tp_cfg_fail_at(ctx, refs->marks[i], path, "unknown stack '%s'", refs->items[i]);
}

/* Every name in refs is a stack; the path names the list ("stacks[1].depends_on"). */
static int check_list(tp_cfg_ctx *ctx, const tp_nameindex *ix, const tp_config_list *refs,
		      const char *section, size_t owner, const char *key)
{
	char path[64];
	size_t i;

	for (i = 0; i < refs->n; i++) {
		if (tp_nameindex_find(ix, refs->items[i]) != NONE)
			continue;
		snprintf(path, sizeof(path), "%s[%zu].%s", section, owner, key);
		return unknown_stack(ctx, refs, i, path);
	}
	return 0;
}

static int check_references(tp_cfg_ctx *ctx, const tp_nameindex *ix)
{
	const tp_config *c = ctx->c;
	size_t i;

	for (i = 0; i < c->n_stacks; i++)
		if (check_list(ctx, ix, &c->stacks[i].depends_on, "stacks", i, "depends_on") < 0)
			return -1;
	for (i = 0; i < c->n_suites; i++)
		if (check_list(ctx, ix, &c->suites[i].stacks, "suites", i, "stacks") < 0)
			return -1;
	return 0;
}

/* depends_on as stack indices: edges[i][0..n_edges[i]). */
typedef struct graph {
	size_t n;
	size_t **edges;
	size_t *n_edges;
} graph;

static void graph_init(graph *g, const tp_config *c, const tp_nameindex *ix)
{
	size_t i, k;

	g->n = c->n_stacks;
	g->edges = tp_xcalloc(g->n + 1, sizeof(*g->edges));
	g->n_edges = tp_xcalloc(g->n + 1, sizeof(*g->n_edges));
	for (i = 0; i < g->n; i++) {
		const tp_config_list *deps = &c->stacks[i].depends_on;

		g->edges[i] = tp_xcalloc(deps->n + 1, sizeof(**g->edges));
		for (k = 0; k < deps->n; k++)
			g->edges[i][g->n_edges[i]++] = tp_nameindex_find(ix, deps->items[k]);
	}
}

static void graph_release(graph *g)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		free(g->edges[i]);
	free(g->edges);
	free(g->n_edges);
}

/* Depth-first search state: the path from the root is path[0..depth). */
typedef struct dfs {
	unsigned char *color;   /* 0 unvisited, 1 on the path, 2 done */
	size_t *path, *next_edge, *pos; /* pos[v]: v's place on the path */
	size_t depth;
} dfs;

/* Advance one step from the top of the path; returns the node closing a cycle or NONE. */
static size_t dfs_step(const graph *g, dfs *d)
{
	size_t u = d->path[d->depth - 1], w;

	if (d->next_edge[d->depth - 1] == g->n_edges[u]) {
		d->color[u] = 2;
		d->depth--;
		return NONE;
	}
	w = g->edges[u][d->next_edge[d->depth - 1]++];
	if (d->color[w] == 1)
		return w;
	if (d->color[w] == 0) {
		d->color[w] = 1;
		d->pos[w] = d->depth;
		d->next_edge[d->depth] = 0;
		d->path[d->depth++] = w;
	}
	return NONE;
}

/* The first cycle: its members are d->path[*start..d->depth). */
static int find_cycle(const graph *g, dfs *d, size_t *start)
{
	size_t root, w = NONE;

	for (root = 0; root < g->n && w == NONE; root++) {
		if (d->color[root])
			continue;
		d->color[root] = 1;
		d->pos[root] = 0;
		d->next_edge[0] = 0;
		d->path[0] = root;
		d->depth = 1;
		while (d->depth && w == NONE)
			w = dfs_step(g, d);
	}
	if (w == NONE)
		return 0;
	*start = d->pos[w];
	return 1;
}

/* "a -> b -> c -> a", from the member defined first. */
static int report_cycle(tp_cfg_ctx *ctx, const size_t *members, size_t n)
{
	const tp_config *c = ctx->c;
	tp_buf msg = TP_BUF_INIT;
	size_t i, first = 0;

	for (i = 1; i < n; i++)
		if (members[i] < members[first])
			first = i;
	for (i = 0; i <= n; i++)
		tp_buf_addf(&msg, "%s%s", i ? " -> " : "", c->stacks[members[(first + i) % n]].name);
	tp_cfg_fail_at(ctx, c->stacks[members[first]].mark, "stacks",
		       "depends_on cycle: %s", tp_buf_cstr(&msg));
	tp_buf_release(&msg);
	return TP_EINVAL;
}

static int check_cycles(tp_cfg_ctx *ctx, const tp_nameindex *ix)
{
	size_t n = ctx->c->n_stacks + 1, start;
	dfs d = { tp_xcalloc(n, 1), tp_xcalloc(n, sizeof(size_t)),
		  tp_xcalloc(n, sizeof(size_t)), tp_xcalloc(n, sizeof(size_t)), 0 };
	graph g;
	int rc = 0;

	graph_init(&g, ctx->c, ix);
	if (find_cycle(&g, &d, &start))
		rc = report_cycle(ctx, d.path + start, d.depth - start);
	graph_release(&g);
	free(d.color);
	free(d.path);
	free(d.next_edge);
	free(d.pos);
	return rc;
}

int tp_cfg_check_refs(tp_cfg_ctx *ctx)
{
	tp_nameindex ix;
	int rc;

	stack_index(&ix, ctx->c);
	rc = unique_stacks(ctx, &ix);
	if (rc == 0)
		rc = unique_suites(ctx);
	if (rc == 0)
		rc = check_references(ctx, &ix);
	if (rc == 0)
		rc = check_cycles(ctx, &ix);
	tp_nameindex_release(&ix);
	return rc;
}
