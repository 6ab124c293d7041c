/*
 * A sorted index over a set of names, for the loader's checks that would
 * otherwise be quadratic (duplicate keys, stack references): lookup by
 * binary search and "first duplicate" in O(n log n).
 *
 * The index borrows the names; they must outlive it.
 */
#ifndef TP_NAMEINDEX_H
#define TP_NAMEINDEX_H

#include <stddef.h>

typedef struct tp_nameindex_entry {
	const char *name;
	size_t pos;          /* index in the caller's array */
} tp_nameindex_entry;

typedef struct tp_nameindex {
	tp_nameindex_entry *entries; /* sorted by name, then pos */
	size_t n;
} tp_nameindex;

/* Index names[0..n) (NULL names are skipped). Release with tp_nameindex_release. */
void tp_nameindex_init(tp_nameindex *ix, const char *const *names, size_t n);

/* Position of the first entry called `name`, or (size_t)-1. */
size_t tp_nameindex_find(const tp_nameindex *ix, const char *name);

/*
 * The earliest position whose name already occurred at a smaller position,
 * or (size_t)-1 when all names are distinct. *first is that earlier position.
 */
size_t tp_nameindex_first_dup(const tp_nameindex *ix, size_t *first);

void tp_nameindex_release(tp_nameindex *ix);

#endif
