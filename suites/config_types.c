/*
 * tp_config_validate_types: the cleaner's registry is the authority on
 * resource type names, so the loader only checks their shape and leaves
 * this check to whoever holds the registry.
 */
#include <stdio.h>
#include <string.h>

#include "aws/error.h"
#include "suites/config.h"
#include "suites/suggest.h"

typedef struct type_check {
	const tp_config *c;
	int (*known)(const char *type);
	const char *const *names;
	size_t n_names;
} type_check;

static int is_known(const type_check *t, const char *type)
{
	size_t i;

	if (t->known)
		return t->known(type) != 0;
	for (i = 0; i < t->n_names; i++)
		if (!strcmp(t->names[i], type))
			return 1;
	return 0;
}

static int check_one(const type_check *t, const char *type, tp_config_mark at,
		     const char *path)
{
	tp_suggest s;
	size_t i;

	if (is_known(t, type))
		return 0;
	tp_suggest_init(&s, type);
	for (i = 0; i < t->n_names; i++)
		tp_suggest_add(&s, t->names[i]);
	if (tp_suggest_best(&s))
		return tp_error_set(TP_EINVAL, "%s:%u:%u: %s: unknown resource type '%s' "
				    "(did you mean '%s'?)", t->c->path, at.line, at.column,
				    path, type, tp_suggest_best(&s));
	return tp_error_set(TP_EINVAL, "%s:%u:%u: %s: unknown resource type '%s'",
			    t->c->path, at.line, at.column, path, type);
}

static int check_list(const type_check *t, const tp_config_list *l, const char *path)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (check_one(t, l->items[i], l->marks[i], path) < 0)
			return -1;
	return 0;
}

int tp_config_validate_types(const tp_config *c, int (*known)(const char *type),
			     const char *const *names, size_t n_names)
{
	type_check t = { c, known, names, n_names };
	const tp_config_cleaner *cl = &c->cleaner;
	char path[64];
	size_t i;

	for (i = 0; i < cl->n_protect; i++) {
		if (!cl->protect[i].type)
			continue;
		snprintf(path, sizeof(path), "cleaner.protect[%zu].type", i);
		if (check_one(&t, cl->protect[i].type, cl->protect[i].type_mark, path) < 0)
			return -1;
	}
	if (check_list(&t, &cl->include, "cleaner.resource_types.include") < 0 ||
	    check_list(&t, &cl->exclude, "cleaner.resource_types.exclude") < 0)
		return -1;
	return 0;
}
