/*
 * What one deployment of a run carries: the suite's own stacks, plus the
 * extras the scheduler asks for (tp_sched_extra_stacks: stacks pending
 * suites need whose depends_on chain ends within the suite's own deploy,
 * so the suite waits no longer and later suites find them there).
 *
 * The suite's stacks come from its deploy set; the extras from one set of
 * every stack the selected suites use, made (templates read, hashes
 * computed) once, the first time an extra is asked for. A plan copies the
 * specs and renumbers their depends_on into its own order: the suite's
 * stacks first (closed under depends_on), then the extras in the
 * scheduler's order (each one's dependencies among the suite's stacks, the
 * earlier extras, or already on the account, in which case the dependency
 * is dropped: the deployer does not wait for what is there).
 *
 * The deployer borrows a plan's specs until it is freed, so plans live
 * until the end of the run (tp_run_plans_release).
 */
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/run_internal.h"

/* Every stack some selected suite uses, once. */
static const tp_deploy_set *all_stacks(run_state *r)
{
	const tp_config *c = r->cfg;
	const char **names;
	char *used;
	size_t n = 0, i, k;

	if (r->all_stacks || r->all_stacks_failed)
		return r->all_stacks;
	used = tp_xcalloc(c->n_stacks + 1, 1);
	for (i = 0; i < r->nsuites; i++)
		for (k = 0; k < r->suites[i].nstacks; k++)
			used[tp_config_find_stack(c, r->suites[i].stacks[k].name) - c->stacks] = 1;
	names = tp_xcalloc(c->n_stacks + 1, sizeof(*names));
	for (i = 0; i < c->n_stacks; i++)
		if (used[i])
			names[n++] = c->stacks[i].name;
	if (n && tp_deploy_set_new(&r->all_stacks, c, names, n) < 0) {
		/* every suite's own set was made, so this cannot fail on the
		 * config; if a file changed meanwhile, deploy without extras */
		run_event(r, "warning: no extra stacks in this run's deploys: %s", tp_error_last()->msg);
		tp_error_clear();
		r->all_stacks_failed = 1;
	}
	free(names);
	free(used);
	return r->all_stacks;
}

static size_t index_in(const tp_deploy_stack_spec *specs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(specs[i].stack.name, name) == 0)
			return i;
	return (size_t)-1;
}

static run_plan *keep_plan(run_state *r, run_plan *p)
{
	r->plans = tp_xrealloc(r->plans, (r->nplans + 1) * sizeof(*r->plans));
	r->plans[r->nplans++] = p;
	return p;
}

/* Append spec `src` (from a set whose specs are `from`) with its deps renumbered. */
static void append(run_plan *p, const tp_deploy_stack_spec *from, const tp_deploy_stack_spec *src)
{
	tp_deploy_stack_spec *dst = &p->specs[p->n];
	size_t *deps = tp_xcalloc(src->ndeps + 1, sizeof(*deps)), k;

	dst->stack = src->stack;
	dst->ndeps = 0;
	for (k = 0; k < src->ndeps; k++) {
		size_t at = index_in(p->specs, p->n, from[src->deps[k]].stack.name);

		if (at != (size_t)-1)
			deps[dst->ndeps++] = at;
	}
	dst->deps = deps;
	p->n++;
}

const run_plan *tp_run_plan(run_state *r, const run_attempt *a)
{
	const tp_deploy_set *own = a->suite->set, *all = NULL;
	const char **extra = tp_xcalloc(a->nextras + 1, sizeof(*extra));
	size_t nextra = 0, i;
	run_plan *p = tp_xcalloc(1, sizeof(*p));

	if (a->nextras)
		all = all_stacks(r);
	for (i = 0; all && i < a->nextras; i++)
		if (tp_deploy_set_find(all, a->extras[i]) != (size_t)-1 &&
		    tp_deploy_set_find(own, a->extras[i]) == (size_t)-1)
			extra[nextra++] = a->extras[i];
	if (nextra == 0) {      /* the suite's set as it is */
		free(extra);
		p->specs = own->specs;
		p->n = p->nown = own->n;
		return keep_plan(r, p);
	}
	p->owned = 1;
	p->specs = tp_xcalloc(own->n + nextra, sizeof(*p->specs));
	for (i = 0; i < own->n; i++)
		append(p, own->specs, &own->specs[i]);
	p->nown = p->n;
	for (i = 0; i < nextra; i++)
		append(p, all->specs, &all->specs[tp_deploy_set_find(all, extra[i])]);
	free(extra);
	return keep_plan(r, p);
}

void tp_run_plans_release(run_state *r)
{
	size_t i, k;

	for (i = 0; i < r->nplans; i++) {
		run_plan *p = r->plans[i];

		for (k = 0; p->owned && k < p->n; k++)
			free((size_t *)p->specs[k].deps);
		if (p->owned)
			free(p->specs);
		free(p);
	}
	free(r->plans);
	r->plans = NULL;
	r->nplans = 0;
	tp_deploy_set_free(r->all_stacks);
	r->all_stacks = NULL;
}
