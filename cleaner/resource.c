#include "cleaner/resource.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aws/util.h"

tp_resource *tp_resource_new(const tp_resource_type *t, const char *region, const char *id)
{
	tp_resource *r = tp_xcalloc(1, sizeof(*r));

	r->type = t;
	tp_strlcpy(r->region, region ? region : "global", sizeof(r->region));
	r->id = tp_xstrdup(id ? id : "");
	r->name = tp_xstrdup(r->id);
	return r;
}

void tp_resource_set_name(tp_resource *r, const char *name)
{
	free(r->name);
	r->name = tp_xstrdup(name ? name : "");
}

void tp_resource_set_arn(tp_resource *r, const char *arn)
{
	free(r->arn);
	r->arn = tp_xstrdup(arn);
}

void tp_resource_add_tag(tp_resource *r, const char *key, const char *value)
{
	r->tags = tp_xrealloc(r->tags, (r->ntags + 1) * sizeof(*r->tags));
	r->tags[r->ntags].key = tp_xstrdup(key ? key : "");
	r->tags[r->ntags].value = tp_xstrdup(value ? value : "");
	r->ntags++;
	if (key && strcmp(key, "aws:cloudformation:stack-name") == 0) {
		free(r->stack);
		r->stack = tp_xstrdup(value);
	}
}

void tp_resource_skip(tp_resource *r, const char *fmt, ...)
{
	va_list ap;
	char tmp[512];

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	free(r->skip_reason);
	r->skip_reason = tp_xstrdup(tmp);
}

const char *tp_resource_tag(const tp_resource *r, const char *key)
{
	size_t i;

	for (i = 0; i < r->ntags; i++)
		if (strcmp(r->tags[i].key, key) == 0)
			return r->tags[i].value;
	return NULL;
}

void tp_resource_free(tp_resource *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->ntags; i++) {
		free(r->tags[i].key);
		free(r->tags[i].value);
	}
	free(r->tags);
	free(r->id);
	free(r->name);
	free(r->arn);
	free(r->stack);
	free(r->skip_reason);
	json_decref(r->props);
	free(r);
}

void tp_resource_list_add(tp_resource_list *l, tp_resource *r)
{
	if (l->n == l->alloc) {
		l->alloc = l->alloc ? l->alloc * 2 : 16;
		l->items = tp_xrealloc(l->items, l->alloc * sizeof(*l->items));
	}
	l->items[l->n++] = r;
}

void tp_resource_list_release(tp_resource_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		tp_resource_free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = l->alloc = 0;
}
