/*
 * The stack graph: the stacks a selection needs (the selected stacks, or
 * the stacks of the selected suites, and everything they depend on,
 * transitively), validated as a DAG and numbered in a topological order.
 *
 *   tp_stack_graph *g = NULL;
 *   const char *want[] = { "api" };
 *   if (tp_stack_graph_for_stacks(&g, config, want, 1) < 0)
 *       ...                        // unknown stack, or a depends_on cycle
 *   for (i = 0; i < tp_stack_graph_count(g); i++)
 *       deploy(tp_stack_graph_stack(g, i));   // dependencies come first
 *
 * Nodes are numbered 0..count-1 so that every dependency has a smaller
 * number than its dependents; among stacks free to go at the same point the
 * one defined first in tidepool.yaml comes first, so the order is stable.
 * Dependency and dependent lists are sorted ascending.
 *
 * The loader already rejects cycles; the graph checks again (a tp_config
 * built by hand, or a future loader) and never loops on one.
 *
 * A graph borrows the config (which must outlive it) and is read-only once
 * built: safe to read from many threads.
 */
#ifndef TP_GRAPH_H
#define TP_GRAPH_H

#include <stddef.h>

#include "suites/config.h"

typedef struct tp_stack_graph tp_stack_graph;

/*
 * The subgraph `names` (n of them) need. names NULL or n 0 = every stack
 * of the config. Returns 0 with *out set (caller frees), or TP_EINVAL with
 * "unknown stack 'x' (did you mean 'y'?)" or "FILE:LINE:COL: stacks:
 * depends_on cycle: a -> b -> a" and *out NULL.
 */
int tp_stack_graph_for_stacks(tp_stack_graph **out, const tp_config *c,
			      const char *const *names, size_t n);

/* The subgraph the suites `names` need (their stacks and all depends_on). As above. */
int tp_stack_graph_for_suites(tp_stack_graph **out, const tp_config *c,
			      const char *const *names, size_t n);

void tp_stack_graph_free(tp_stack_graph *g);

size_t tp_stack_graph_count(const tp_stack_graph *g);

/* Node i's stack (borrowed from the config). */
const tp_config_stack *tp_stack_graph_stack(const tp_stack_graph *g, size_t i);

/* The node of stack `name`, or (size_t)-1 when the graph does not hold it. */
size_t tp_stack_graph_find(const tp_stack_graph *g, const char *name);

/* Direct dependencies / dependents of node i (node numbers, ascending). */
const size_t *tp_stack_graph_deps(const tp_stack_graph *g, size_t i, size_t *n);
const size_t *tp_stack_graph_dependents(const tp_stack_graph *g, size_t i, size_t *n);

/* Length of the longest dependency chain ending at node i (0 for a root). */
size_t tp_stack_graph_level(const tp_stack_graph *g, size_t i);

/* The longest chain in edges: max level (0 for an empty graph). */
size_t tp_stack_graph_depth(const tp_stack_graph *g);

#endif
