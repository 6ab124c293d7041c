/*
 * Preparing a deploy (runner/deploy_set.h): graph, templates, parameters,
 * hashes, specs. The first problem found stops it, as the config loader
 * does, and is reported with both places: tidepool.yaml and the template.
 */
#include "runner/deploy_set.h"

#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/deploy_template.h"
#include "suites/suggest.h"

struct tp_deploy_set_item {
	const tp_config_stack *cfg;
	char hash[TP_STACK_HASH_HEX];
	char *template;
	size_t template_len;
	tp_kv_list params;
	tp_kv_list tags;
	size_t *deps;
};

static size_t index_in_config(const tp_config *c, const tp_config_stack *s)
{
	return (size_t)(s - c->stacks);
}

/* Prefix the current error with where tidepool.yaml names the stack's template. */
static int at_template(const tp_config *c, const tp_config_stack *s)
{
	tp_error e;

	tp_error_save(&e);
	e.code = TP_EINVAL;
	tp_error_restore(&e);
	return tp_error_prefix("%s:%u:%u: stacks[%zu].template: ", c->path, s->mark.line,
			       s->mark.column, index_in_config(c, s));
}

static int unknown_param(const tp_config *c, const tp_config_stack *s, const tp_config_pair *p,
			 const tp_template_info *t)
{
	tp_suggest sg;
	size_t i;

	tp_suggest_init(&sg, p->key);
	for (i = 0; i < t->nparams; i++)
		tp_suggest_add(&sg, t->params[i].name);
	if (tp_suggest_best(&sg))
		return tp_error_set(TP_EINVAL, "%s:%u:%u: stacks[%zu].parameters.%s: %s declares no "
				    "parameter '%s' (did you mean '%s'?)", c->path, p->mark.line,
				    p->mark.column, index_in_config(c, s), p->key, s->template, p->key,
				    tp_suggest_best(&sg));
	return tp_error_set(TP_EINVAL, "%s:%u:%u: stacks[%zu].parameters.%s: %s declares no "
			    "parameter '%s'%s", c->path, p->mark.line, p->mark.column,
			    index_in_config(c, s), p->key, s->template, p->key,
			    t->nparams ? "" : " (it has no Parameters section)");
}

static const tp_config_pair *given(const tp_config_stack *s, const char *name)
{
	size_t i;

	for (i = 0; i < s->parameters.n; i++)
		if (strcmp(s->parameters.items[i].key, name) == 0)
			return &s->parameters.items[i];
	return NULL;
}

static int check_params(const tp_config *c, const tp_config_stack *s, const tp_template_info *t)
{
	size_t i;

	for (i = 0; i < s->parameters.n; i++)
		if (!tp_template_param_find(t, s->parameters.items[i].key))
			return unknown_param(c, s, &s->parameters.items[i], t);
	for (i = 0; i < t->nparams; i++) {
		const tp_template_param *p = &t->params[i];

		if (p->has_default || given(s, p->name))
			continue;
		return tp_error_set(TP_EINVAL, "%s:%u:%u: stacks[%zu].parameters: %s:%u:%u: parameter "
				    "'%s' has no Default, so tidepool.yaml must give it a value",
				    c->path, s->mark.line, s->mark.column, index_in_config(c, s),
				    s->template, p->line, p->column, p->name);
	}
	return 0;
}

/* Read and check a template stack's template. */
static int load_template(tp_deploy_set_item *it, const tp_config *c)
{
	const tp_config_stack *s = it->cfg;
	tp_template_info t = TP_TEMPLATE_INFO_INIT;
	int rc;

	if (tp_read_file(s->template_path, &it->template, &it->template_len) < 0)
		return at_template(c, s);
	if (tp_template_inspect(&t, s->template, it->template, it->template_len) < 0)
		return at_template(c, s);
	rc = check_params(c, s, &t);
	tp_template_info_release(&t);
	return rc;
}

static void map_to_kv(tp_kv_list *out, const tp_config_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		tp_kv_list_add(out, m->items[i].key, m->items[i].value);
}

static void fill_spec(tp_deploy_set *set, size_t i)
{
	tp_deploy_set_item *it = &set->items[i];
	tp_deploy_stack_spec *sp = &set->specs[i];
	const size_t *deps;
	size_t nd;

	map_to_kv(&it->params, &it->cfg->parameters);
	map_to_kv(&it->tags, &it->cfg->tags);
	deps = tp_stack_graph_deps(set->graph, i, &nd);
	it->deps = tp_xcalloc(nd + 1, sizeof(size_t));
	if (nd)
		memcpy(it->deps, deps, nd * sizeof(size_t));
	sp->stack.name = it->cfg->name;
	sp->stack.hash = it->hash;
	sp->stack.template_body = it->template;
	sp->stack.template_len = it->template_len;
	sp->stack.command = it->cfg->command;
	sp->stack.parameters = it->params.items;
	sp->stack.nparameters = it->params.n;
	sp->stack.capabilities = (const char *const *)it->cfg->capabilities.items;
	sp->stack.ncapabilities = it->cfg->capabilities.n;
	sp->stack.tags = it->tags.items;
	sp->stack.ntags = it->tags.n;
	sp->deps = it->deps;
	sp->ndeps = nd;
}

static int prepare(tp_deploy_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		tp_deploy_set_item *it = &set->items[i];

		it->cfg = tp_stack_graph_stack(set->graph, i);
		if (!it->cfg->command && load_template(it, set->config) < 0)
			return TP_EINVAL;
		if (tp_stack_hash(it->hash, set->config, it->cfg, it->template,
				  it->template_len) < 0)
			return TP_EINVAL;
		fill_spec(set, i);
	}
	return 0;
}

int tp_deploy_set_new(tp_deploy_set **out, const tp_config *c, const char *const *names, size_t n)
{
	tp_deploy_set *set = tp_xcalloc(1, sizeof(*set));
	int rc;

	*out = NULL;
	set->config = c;
	rc = tp_stack_graph_for_stacks(&set->graph, c, names, n);
	if (rc == 0) {
		set->n = tp_stack_graph_count(set->graph);
		set->items = tp_xcalloc(set->n + 1, sizeof(*set->items));
		set->specs = tp_xcalloc(set->n + 1, sizeof(*set->specs));
		rc = prepare(set);
	}
	if (rc < 0) {
		tp_deploy_set_free(set);
		return rc;
	}
	*out = set;
	return 0;
}

void tp_deploy_set_free(tp_deploy_set *s)
{
	size_t i;

	if (!s)
		return;
	for (i = 0; s->items && i < s->n; i++) {
		free(s->items[i].template);
		tp_kv_list_release(&s->items[i].params);
		tp_kv_list_release(&s->items[i].tags);
		free(s->items[i].deps);
	}
	free(s->items);
	free(s->specs);
	tp_stack_graph_free(s->graph);
	free(s);
}

const tp_config_stack *tp_deploy_set_stack(const tp_deploy_set *s, size_t i)
{
	return s->items[i].cfg;
}

const char *tp_deploy_set_hash(const tp_deploy_set *s, size_t i)
{
	return s->items[i].hash;
}

size_t tp_deploy_set_find(const tp_deploy_set *s, const char *name)
{
	return tp_stack_graph_find(s->graph, name);
}
