/*
 * Shared by the config loader's files (suites/config_*.c), not a public API.
 *
 * The loader walks the YAML tree (yaml_tree.h) with a context that knows the
 * file name and the key path of the node at hand ("stacks[1].depends_on"),
 * so that every error can say FILE:LINE:COL: PATH: what. Sections are
 * decoded from tables of fields (key, decoder, offset of the destination);
 * a decoder has the signature tp_cfg_decode_fn and receives a pointer to its
 * destination inside the object being filled.
 *
 * Every function returns 0, or -1 with TP_EINVAL set and the message
 * complete (position and path included). Decoders run only for values that
 * are present and not null, and they may leave partly filled destinations on
 * error: tp_config_free copes with any state.
 */
#ifndef TP_CONFIG_INTERNAL_H
#define TP_CONFIG_INTERNAL_H

#include <stddef.h>

#include "aws/buf.h"
#include "suites/config.h"
#include "suites/yaml_tree.h"

typedef struct tp_cfg_ctx {
	tp_config *c;
	const char *file;   /* as in messages */
	tp_buf path;        /* the key path of the node being decoded */
} tp_cfg_ctx;

typedef int (*tp_cfg_decode_fn)(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst);

typedef struct tp_cfg_field {
	const char *key;
	tp_cfg_decode_fn decode;
	size_t offset;      /* of the destination in the object */
} tp_cfg_field;

#define TP_CFG_MAX_FIELDS 16

/* Put after each field table: tp_cfg_fields fills found[TP_CFG_MAX_FIELDS]. */
#define TP_CFG_FIELDS_FIT(table) \
	_Static_assert(sizeof(table) / sizeof((table)[0]) <= TP_CFG_MAX_FIELDS, \
		       #table " has more than TP_CFG_MAX_FIELDS fields")

/* Key path: push returns a mark to pop back to. */
size_t tp_cfg_push_key(tp_cfg_ctx *ctx, const char *key);
size_t tp_cfg_push_index(tp_cfg_ctx *ctx, size_t i);
void tp_cfg_pop(tp_cfg_ctx *ctx, size_t mark);

tp_config_mark tp_cfg_mark(const tp_ynode *n);

/* Fail at `at` under the current path. */
int tp_cfg_fail(tp_cfg_ctx *ctx, const tp_ynode *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Fail at a mark under an explicit path (for checks after decoding). */
int tp_cfg_fail_at(tp_cfg_ctx *ctx, tp_config_mark at, const char *path,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Fail at `at`, with `key` appended to the current path. */
int tp_cfg_fail_key(tp_cfg_ctx *ctx, const char *key, const tp_ynode *at,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Where an earlier occurrence was, for "duplicate" messages: "line 3", or
 * "column 19" when it is on the same line as `dup`. Returns buf.
 */
const char *tp_cfg_first_at(char *buf, size_t size, tp_config_mark first,
			    tp_config_mark dup);

/* Prefix the current error with `at`'s position and the current path. */
int tp_cfg_wrap(tp_cfg_ctx *ctx, const tp_ynode *at);

/* Fail unless v is of `kind`: "expected a list, got a map". */
int tp_cfg_expect(tp_cfg_ctx *ctx, const tp_ynode *v, tp_ynode_kind kind);

/* Keys of map `map` are strings without NUL bytes, each used once. */
int tp_cfg_keys(tp_cfg_ctx *ctx, const tp_ynode *map);

/*
 * Decode map v through `fields`: unknown keys, keys that are not strings and
 * duplicate keys are errors. found[i] is set to the value of fields[i] (NULL
 * when absent or null); null values are not decoded.
 */
int tp_cfg_fields(tp_cfg_ctx *ctx, const tp_ynode *v, const tp_cfg_field *fields,
		  size_t n, void *obj, const tp_ynode **found);

/* A scalar's text, ${VAR}-expanded (may be empty); *out is new (caller frees). */
int tp_cfg_text(tp_cfg_ctx *ctx, const tp_ynode *v, char **out);

/* Decoders for tp_cfg_field (dst types in brackets). */
int tp_cfg_string(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst);   /* char *, non-empty */
int tp_cfg_list(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst);     /* tp_config_list, unique */
int tp_cfg_map(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst);      /* tp_config_map */
int tp_cfg_duration(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst); /* long, > 0 */
int tp_cfg_bool(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst);     /* int */

/*
 * A scalar that must be one of names[0..n): *out is its index. Otherwise
 * "unknown WHAT 'x' (did you mean 'y'?)" or "(expected a, b or c)".
 */
int tp_cfg_enum(tp_cfg_ctx *ctx, const tp_ynode *v, const char *what,
		const char *const *names, size_t n, int *out);

/* Character classes for tp_cfg_is_word. */
#define TP_CFG_UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
#define TP_CFG_LOWER "abcdefghijklmnopqrstuvwxyz"
#define TP_CFG_DIGIT "0123456789"
#define TP_CFG_ALPHA TP_CFG_UPPER TP_CFG_LOWER
#define TP_CFG_ALNUM TP_CFG_ALPHA TP_CFG_DIGIT

/* s is one character of `first` followed by any number of `rest`. */
int tp_cfg_is_word(const char *s, const char *first, const char *rest);

/* A resource type name such as S3Bucket: [A-Z][A-Za-z0-9]+. */
int tp_cfg_is_type_name(const char *s);

/* A new path: the project dir joined with `rel` unless rel is absolute. */
char *tp_cfg_resolve(const tp_config *c, const char *rel);

/* Sections: the document root, and what hangs from it. */
int tp_cfg_decode_root(tp_cfg_ctx *ctx, const tp_ynode *root);
int tp_cfg_decode_pool(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst);     /* tp_config_pool */
int tp_cfg_decode_stacks(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst);   /* tp_config */
int tp_cfg_decode_suites(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst);   /* tp_config */
int tp_cfg_decode_cleaner(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst);  /* tp_config_cleaner */
int tp_cfg_decode_protect(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst);  /* tp_config_protect */

/* Cross-references once everything is decoded: names, depends_on, cycles. */
int tp_cfg_check_refs(tp_cfg_ctx *ctx);

/* Free the contents of one item (for tp_config_free). */
void tp_cfg_list_release(tp_config_list *l);
void tp_cfg_map_release(tp_config_map *m);
void tp_cfg_protect_release(tp_config_protect *p);

#endif
