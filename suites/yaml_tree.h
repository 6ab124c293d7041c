/*
 * A bounded YAML reader: one document from libyaml's event stream into a
 * small tree of maps, lists and scalars, each with its position.
 *
 * libyaml's own document loader has no limits, so this one enforces them
 * (the fuzzer relies on it): inputs over TP_YTREE_MAX_BYTES, nesting deeper
 * than TP_YTREE_MAX_DEPTH, more than TP_YTREE_MAX_NODES nodes, aliases
 * (`*name`, the billion-laughs vector) and more than one document are errors.
 * Anchors and tags are accepted and ignored.
 *
 * Internal to suites/: the config loader is its only user.
 */
#ifndef TP_YAML_TREE_H
#define TP_YAML_TREE_H

#include <stddef.h>

#define TP_YTREE_MAX_BYTES ((size_t)4 << 20)
#define TP_YTREE_MAX_DEPTH 64
#define TP_YTREE_MAX_NODES 100000

typedef enum tp_ynode_kind {
	TP_YNODE_NULL,   /* an empty, ~ or null plain scalar */
	TP_YNODE_SCALAR,
	TP_YNODE_SEQ,
	TP_YNODE_MAP
} tp_ynode_kind;

typedef struct tp_ynode {
	tp_ynode_kind kind;
	unsigned line, column;      /* 1-based start of the node */
	char *text;                 /* SCALAR and NULL: the text, NUL-terminated */
	size_t len;                 /* its length (it may contain NUL bytes) */
	struct tp_ynode **kids;     /* SEQ: items; MAP: key, value, key, value... */
	size_t n;                   /* number of kids (twice the pairs for a MAP) */
	size_t alloc;
} tp_ynode;

/*
 * Parse `len` bytes of `data`. On success *root is the document's root (a
 * NULL node at 1:1 for an empty stream), owned by the caller (tp_ytree_free).
 * On error returns -1 with TP_EINVAL and "NAME:LINE:COL: what" set, and
 * *root is NULL.
 */
int tp_ytree_parse(tp_ynode **root, const char *name, const char *data, size_t len);

/* Free a tree; NULL is a no-op. */
void tp_ytree_free(tp_ynode *n);

/* "a map", "a list", "a string" or "null", for messages. */
const char *tp_ynode_kind_name(const tp_ynode *n);

#endif
