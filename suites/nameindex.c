#include "suites/nameindex.h"

#include <stdlib.h>
#include <string.h>

#include "aws/util.h"

static int by_name_pos(const void *a, const void *b)
{
	const tp_nameindex_entry *x = a, *y = b;
	int c = strcmp(x->name, y->name);

	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

void tp_nameindex_init(tp_nameindex *ix, const char *const *names, size_t n)
{
	size_t i;

	ix->entries = tp_xcalloc(n, sizeof(*ix->entries));
	ix->n = 0;
	for (i = 0; i < n; i++) {
		if (!names[i])
			continue;
		ix->entries[ix->n].name = names[i];
		ix->entries[ix->n++].pos = i;
	}
	if (ix->n)
		qsort(ix->entries, ix->n, sizeof(*ix->entries), by_name_pos);
}

static int by_name(const void *key, const void *entry)
{
	return strcmp(key, ((const tp_nameindex_entry *)entry)->name);
}

size_t tp_nameindex_find(const tp_nameindex *ix, const char *name)
{
	const tp_nameindex_entry *e;

	if (!ix->n)
		return (size_t)-1;
	e = bsearch(name, ix->entries, ix->n, sizeof(*e), by_name);
	if (!e)
		return (size_t)-1;
	while (e > ix->entries && !strcmp(e[-1].name, name))
		e--;
	return e->pos;
}

size_t tp_nameindex_first_dup(const tp_nameindex *ix, size_t *first)
{
	size_t i, best = (size_t)-1;

	for (i = 1; i < ix->n; i++) {
		const tp_nameindex_entry *prev = &ix->entries[i - 1], *e = &ix->entries[i];

		if (strcmp(prev->name, e->name) || e->pos >= best)
			continue;
		best = e->pos; /* runs are sorted by pos: prev starts this one */
		*first = prev->pos;
	}
	return best;
}

void tp_nameindex_release(tp_nameindex *ix)
{
	free(ix->entries);
	ix->entries = NULL;
	ix->n = 0;
}
