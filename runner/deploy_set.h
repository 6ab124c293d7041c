/*
 * The stacks a deploy works on, made ready before any AWS call: the graph
 * of what was asked for (suites/graph.h), every template read and checked
 * (runner/deploy_template.h: YAML or JSON, a map with Resources; every
 * parameter tidepool.yaml gives is declared, every declared parameter
 * without a Default is given), every content hash computed (suites/hash.h),
 * and the specs the deployer takes (tp_deploy_request.stacks).
 *
 * Every error is TP_EINVAL (exit 2) and names where tidepool.yaml wrote the
 * offending thing, then where in the template, e.g.
 *   tidepool.yaml:31:7: stacks[4].parameters.Stagee: stacks/api.yaml declares
 *   no parameter 'Stagee' (did you mean 'Stage'?)
 *   tidepool.yaml:27:5: stacks[4].template: stacks/api.yaml:12:3: not YAML
 *   or JSON: mapping values are not allowed here
 *
 * A set is read-only once made and may be shared by any number of
 * deployments and threads; it borrows the config, which must outlive it.
 */
#ifndef TP_DEPLOY_SET_H
#define TP_DEPLOY_SET_H

#include <stddef.h>

#include "runner/deploy_engine.h"
#include "suites/config.h"
#include "suites/graph.h"
#include "suites/hash.h"

typedef struct tp_deploy_set_item tp_deploy_set_item;

typedef struct tp_deploy_set {
	const tp_config *config;
	tp_stack_graph *graph;
	tp_deploy_stack_spec *specs;   /* graph order (dependencies first) */
	size_t n;
	tp_deploy_set_item *items;     /* what the specs point into */
} tp_deploy_set;

/*
 * The set for stacks `names` (n of them) and everything they depend on;
 * names NULL or n 0 = every stack of the config. Returns 0 with *out set
 * (caller frees), or TP_EINVAL (unknown stack, cycle, bad template,
 * parameter, missing watch path) with *out NULL.
 */
int tp_deploy_set_new(tp_deploy_set **out, const tp_config *c, const char *const *names, size_t n);

/* NULL is a no-op. */
void tp_deploy_set_free(tp_deploy_set *s);

/* The config's stack behind spec i, and its content hash. */
const tp_config_stack *tp_deploy_set_stack(const tp_deploy_set *s, size_t i);
const char *tp_deploy_set_hash(const tp_deploy_set *s, size_t i);

/* Spec index of stack `name`, or (size_t)-1. */
size_t tp_deploy_set_find(const tp_deploy_set *s, const char *name);

#endif
