/*
 * The loader's walking machinery: key paths, positioned errors, and maps
 * decoded through field tables.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "suites/config_internal.h"
#include "suites/nameindex.h"
#include "suites/suggest.h"

size_t tp_cfg_push_key(tp_cfg_ctx *ctx, const char *key)
{
	size_t mark = ctx->path.len;

	if (mark)
		tp_buf_addc(&ctx->path, '.');
	tp_buf_adds(&ctx->path, key);
	return mark;
}

size_t tp_cfg_push_index(tp_cfg_ctx *ctx, size_t i)
{
	size_t mark = ctx->path.len;

	tp_buf_addf(&ctx->path, "[%zu]", i);
	return mark;
}

void tp_cfg_pop(tp_cfg_ctx *ctx, size_t mark)
{
	tp_buf_truncate(&ctx->path, mark);
}

tp_config_mark tp_cfg_mark(const tp_ynode *n)
{
	tp_config_mark m = { n->line, n->column };

	return m;
}

/* "FILE:LINE:COL: PATH: " (no path part at the document root). */
static void location(char *buf, size_t size, const char *file, tp_config_mark at,
		     const char *path)
{
	snprintf(buf, size, "%s:%u:%u: %s%s", file, at.line, at.column, path,
		 *path ? ": " : "");
}

static int vfail(tp_cfg_ctx *ctx, tp_config_mark at, const char *path,
		 const char *fmt, va_list ap)
{
	char where[1024], what[2048];

	location(where, sizeof(where), ctx->file, at, path);
	vsnprintf(what, sizeof(what), fmt, ap);
	return tp_error_set(TP_EINVAL, "%s%s", where, what);
}

int tp_cfg_fail(tp_cfg_ctx *ctx, const tp_ynode *at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ctx, tp_cfg_mark(at), tp_buf_cstr(&ctx->path), fmt, ap);
	va_end(ap);
	return TP_EINVAL;
}

int tp_cfg_fail_at(tp_cfg_ctx *ctx, tp_config_mark at, const char *path,
		   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(ctx, at, path, fmt, ap);
	va_end(ap);
	return TP_EINVAL;
}

int tp_cfg_fail_key(tp_cfg_ctx *ctx, const char *key, const tp_ynode *at,
		    const char *fmt, ...)
{
	size_t mark = tp_cfg_push_key(ctx, key);
	va_list ap;

	va_start(ap, fmt);
	vfail(ctx, tp_cfg_mark(at), tp_buf_cstr(&ctx->path), fmt, ap);
	va_end(ap);
	tp_cfg_pop(ctx, mark);
	return TP_EINVAL;
}

const char *tp_cfg_first_at(char *buf, size_t size, tp_config_mark first,
			    tp_config_mark dup)
{
	if (first.line == dup.line)
		snprintf(buf, size, "column %u", first.column);
	else
		snprintf(buf, size, "line %u", first.line);
	return buf;
}

int tp_cfg_wrap(tp_cfg_ctx *ctx, const tp_ynode *at)
{
	char where[1024], what[sizeof(tp_error_last()->msg)];

	location(where, sizeof(where), ctx->file, tp_cfg_mark(at), tp_buf_cstr(&ctx->path));
	tp_strlcpy(what, tp_error_last()->msg, sizeof(what));
	return tp_error_set(TP_EINVAL, "%s%s", where, what);
}

int tp_cfg_expect(tp_cfg_ctx *ctx, const tp_ynode *v, tp_ynode_kind kind)
{
	tp_ynode want = { .kind = kind };

	if (v->kind == kind)
		return 0;
	return tp_cfg_fail(ctx, v, "expected %s, got %s", tp_ynode_kind_name(&want),
			   tp_ynode_kind_name(v));
}

/* Point keys[] at the map's keys: strings without NUL bytes. */
static int collect_keys(tp_cfg_ctx *ctx, const tp_ynode *map, const char **keys)
{
	size_t i;

	for (i = 0; i < map->n; i += 2) {
		const tp_ynode *k = map->kids[i];

		if (k->kind == TP_YNODE_SCALAR && strlen(k->text) == k->len)
			keys[i / 2] = k->text;
		else if (k->kind == TP_YNODE_SCALAR)
			return tp_cfg_fail(ctx, k, "keys must not contain NUL bytes");
		else
			return tp_cfg_fail(ctx, k, "keys must be strings, got %s",
					   tp_ynode_kind_name(k));
	}
	return 0;
}

/* Each key once per map (sorted, so a huge map stays cheap). */
int tp_cfg_keys(tp_cfg_ctx *ctx, const tp_ynode *map)
{
	const char **keys = tp_xcalloc(map->n / 2 + 1, sizeof(*keys));
	tp_nameindex ix;
	size_t dup = (size_t)-1, first = 0;
	int rc = collect_keys(ctx, map, keys);
	char where[32];

	if (rc == 0) {
		tp_nameindex_init(&ix, keys, map->n / 2);
		dup = tp_nameindex_first_dup(&ix, &first);
		tp_nameindex_release(&ix);
	}
	free(keys);
	if (rc < 0 || dup == (size_t)-1)
		return rc;
	return tp_cfg_fail(ctx, map->kids[2 * dup], "duplicate key '%s' (first at %s)",
			   map->kids[2 * dup]->text,
			   tp_cfg_first_at(where, sizeof(where), tp_cfg_mark(map->kids[2 * first]),
					   tp_cfg_mark(map->kids[2 * dup])));
}

static int unknown_key(tp_cfg_ctx *ctx, const tp_ynode *key, const tp_cfg_field *fields,
		       size_t n)
{
	tp_buf known = TP_BUF_INIT;
	tp_suggest s;
	size_t i;

	tp_suggest_init(&s, key->text);
	for (i = 0; i < n; i++) {
		tp_suggest_add(&s, fields[i].key);
		tp_buf_addf(&known, "%s%s", i ? ", " : "", fields[i].key);
	}
	if (tp_suggest_best(&s))
		tp_cfg_fail(ctx, key, "unknown key '%s' (did you mean '%s'?)", key->text,
			    tp_suggest_best(&s));
	else
		tp_cfg_fail(ctx, key, "unknown key '%s' (known keys: %s)", key->text,
			    tp_buf_cstr(&known));
	tp_buf_release(&known);
	return TP_EINVAL;
}

static int decode_pair(tp_cfg_ctx *ctx, const tp_ynode *key, const tp_ynode *value,
		       const tp_cfg_field *fields, size_t n, void *obj,
		       const tp_ynode **found)
{
	size_t f, mark;
	int rc;

	for (f = 0; f < n && strcmp(fields[f].key, key->text); f++)
		;
	if (f == n)
		return unknown_key(ctx, key, fields, n);
	if (value->kind == TP_YNODE_NULL)
		return 0;
	found[f] = value;
	mark = tp_cfg_push_key(ctx, fields[f].key);
	rc = fields[f].decode(ctx, value, (char *)obj + fields[f].offset);
	tp_cfg_pop(ctx, mark);
	return rc;
}

int tp_cfg_fields(tp_cfg_ctx *ctx, const tp_ynode *v, const tp_cfg_field *fields,
		  size_t n, void *obj, const tp_ynode **found)
{
	size_t i;

	for (i = 0; i < n; i++)
		found[i] = NULL;
	if (tp_cfg_expect(ctx, v, TP_YNODE_MAP) < 0 || tp_cfg_keys(ctx, v) < 0)
		return -1;
	for (i = 0; i < v->n; i += 2)
		if (decode_pair(ctx, v->kids[i], v->kids[i + 1], fields, n, obj, found) < 0)
			return -1;
	return 0;
}
