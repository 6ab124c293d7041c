/*
 * Template checks (runner/deploy_template.h) over libyaml's event stream:
 * only the shape near the top matters (the root map, its Resources and
 * Parameters keys, each parameter's Default), so no tree is built. A text
 * that libyaml refuses but that starts with '{' is read again with jansson:
 * JSON allows what YAML 1.1 does not (tabs as indentation), and jansson's
 * message is the better one for JSON.
 */
#include "runner/deploy_template.h"

#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <yaml.h>

#include "aws/error.h"
#include "aws/util.h"

#define MAX_DEPTH 256

typedef struct walker {
	const char *name;
	tp_template_info *out;
	int depth;                     /* open containers */
	int is_map[MAX_DEPTH + 1];
	int expect_key[MAX_DEPTH + 1];
	char *key[MAX_DEPTH + 1];      /* the key whose value is being read, per depth */
	int has_resources;
	int root_kind;                 /* the root node's event type, 0 before it */
	int docs;
	tp_template_param *current;    /* the parameter whose map is open */
} walker;

static void add_param(tp_template_info *t, const char *name, unsigned line, unsigned column)
{
	t->params = tp_xrealloc(t->params, (t->nparams + 1) * sizeof(*t->params));
	t->params[t->nparams].name = tp_xstrdup(name);
	t->params[t->nparams].has_default = 0;
	t->params[t->nparams].line = line;
	t->params[t->nparams].column = column;
	t->nparams++;
}

static int in_parameters(const walker *w)
{
	return w->depth >= 2 && w->key[1] && strcmp(w->key[1], "Parameters") == 0;
}

/* A key at the current depth. */
static void on_key(walker *w, const yaml_event_t *ev)
{
	const char *k = ev->type == YAML_SCALAR_EVENT ? (const char *)ev->data.scalar.value : "";

	free(w->key[w->depth]);
	w->key[w->depth] = tp_xstrdup(k);
	w->expect_key[w->depth] = 0;
	if (w->depth == 1 && strcmp(k, "Resources") == 0)
		w->has_resources = 1;
	if (w->depth == 2 && in_parameters(w)) {
		add_param(w->out, k, (unsigned)ev->start_mark.line + 1,
			  (unsigned)ev->start_mark.column + 1);
		w->current = &w->out->params[w->out->nparams - 1];
	}
	if (w->depth == 3 && in_parameters(w) && w->current && strcmp(k, "Default") == 0)
		w->current->has_default = 1;
}

/* A node starts (scalar, alias or container): a key, a value or an item. */
static void on_node(walker *w, const yaml_event_t *ev)
{
	if (w->depth == 0) {
		if (!w->root_kind)
			w->root_kind = ev->type;
		return;
	}
	if (w->is_map[w->depth] && w->expect_key[w->depth])
		on_key(w, ev);
	else if (ev->type == YAML_SCALAR_EVENT || ev->type == YAML_ALIAS_EVENT)
		w->expect_key[w->depth] = w->is_map[w->depth];
}

static int on_event(walker *w, const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		w->docs++;
		break;
	case YAML_SCALAR_EVENT:
	case YAML_ALIAS_EVENT:
		on_node(w, ev);
		break;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		on_node(w, ev);
		if (w->depth == MAX_DEPTH)
			return tp_error_set(TP_EINVAL, "%s:%zu:%zu: nested too deeply", w->name,
					    ev->start_mark.line + 1, ev->start_mark.column + 1);
		w->depth++;
		w->is_map[w->depth] = ev->type == YAML_MAPPING_START_EVENT;
		w->expect_key[w->depth] = w->is_map[w->depth];
		break;
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		free(w->key[w->depth]);
		w->key[w->depth] = NULL;
		if (w->depth == 3)
			w->current = NULL;
		w->depth--;
		if (w->depth > 0)
			w->expect_key[w->depth] = w->is_map[w->depth];   /* a value ended */
		break;
	default:
		break;
	}
	return 0;
}

static int yaml_error(const yaml_parser_t *p, const char *name)
{
	const yaml_mark_t *m = p->problem ? &p->problem_mark : &p->mark;

	if (p->context)
		return tp_error_set(TP_EINVAL, "%s:%zu:%zu: not YAML or JSON: %s %s", name,
				    m->line + 1, m->column + 1, p->problem ? p->problem : "error",
				    p->context);
	return tp_error_set(TP_EINVAL, "%s:%zu:%zu: not YAML or JSON: %s", name, m->line + 1,
			    m->column + 1, p->problem ? p->problem : "error");
}

static int walk_yaml(walker *w, const char *data, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int rc = 0, end = 0, i;

	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
	while (!end && rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = yaml_error(&p, w->name);
			break;
		}
		end = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(w, &ev);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	for (i = 0; i <= MAX_DEPTH; i++) {
		free(w->key[i]);
		w->key[i] = NULL;
	}
	return rc;
}

/* ---- JSON ------------------------------------------------------------------------ */

static int looks_like_json(const char *data, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && strchr(" \t\r\n", data[i]))
		i++;
	return i < len && data[i] == '{';
}

static int walk_json(tp_template_info *out, const char *name, const char *data, size_t len)
{
	json_error_t err;
	json_t *doc = json_loadb(data, len, 0, &err), *params, *v;
	const char *k;

	if (!doc)
		return tp_error_set(TP_EINVAL, "%s:%d:%d: not YAML or JSON: %s", name, err.line,
				    err.column, err.text);
	if (!json_object_get(doc, "Resources")) {
		json_decref(doc);
		return tp_error_set(TP_EINVAL, "%s: no Resources section (CloudFormation needs at "
				    "least one resource)", name);
	}
	params = json_object_get(doc, "Parameters");
	json_object_foreach(params, k, v) {
		add_param(out, k, 0, 0);
		out->params[out->nparams - 1].has_default = json_object_get(v, "Default") != NULL;
	}
	json_decref(doc);
	return 0;
}

/* ---- the interface ---------------------------------------------------------------- */

static int check_shape(const walker *w, const char *name)
{
	if (w->docs > 1)
		return tp_error_set(TP_EINVAL, "%s: more than one YAML document", name);
	if (w->root_kind != YAML_MAPPING_START_EVENT)
		return tp_error_set(TP_EINVAL, "%s: a CloudFormation template is a map (this one "
				    "is %s)", name, w->root_kind == YAML_SEQUENCE_START_EVENT ? "a list" :
				    w->root_kind ? "a single value" : "empty");
	if (!w->has_resources)
		return tp_error_set(TP_EINVAL, "%s: no Resources section (CloudFormation needs at "
				    "least one resource)", name);
	return 0;
}

int tp_template_inspect(tp_template_info *out, const char *name, const char *data, size_t len)
{
	walker *w;
	int rc;

	memset(out, 0, sizeof(*out));
	if (len > TP_TEMPLATE_MAX_BYTES)
		return tp_error_set(TP_EINVAL, "%s: %zu bytes is more than CloudFormation's limit "
				    "of %zu", name, len, TP_TEMPLATE_MAX_BYTES);
	w = tp_xcalloc(1, sizeof(*w));
	w->name = name;
	w->out = out;
	rc = walk_yaml(w, data, len);
	if (rc == 0)
		rc = check_shape(w, name);
	free(w);
	if (rc < 0 && looks_like_json(data, len)) {
		tp_template_info_release(out);
		rc = walk_json(out, name, data, len);
	}
	if (rc < 0)
		tp_template_info_release(out);
	return rc;
}

const tp_template_param *tp_template_param_find(const tp_template_info *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nparams; i++)
		if (strcmp(t->params[i].name, name) == 0)
			return &t->params[i];
	return NULL;
}

void tp_template_info_release(tp_template_info *t)
{
	size_t i;

	for (i = 0; i < t->nparams; i++)
		free(t->params[i].name);
	free(t->params);
	memset(t, 0, sizeof(*t));
}
