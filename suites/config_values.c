/*
 * Decoders for the loader's value types: strings (with ${VAR} expansion),
 * lists and maps of strings, durations, booleans; and paths resolved
 * against the project directory.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "suites/config_internal.h"
#include "suites/envexpand.h"
#include "suites/nameindex.h"
#include "suites/suggest.h"

int tp_cfg_text(tp_cfg_ctx *ctx, const tp_ynode *v, char **out)
{
	*out = NULL;
	if (tp_cfg_expect(ctx, v, TP_YNODE_SCALAR) < 0)
		return -1;
	if (strlen(v->text) != v->len)
		return tp_cfg_fail(ctx, v, "must not contain NUL bytes");
	if (tp_envexpand(out, v->text) < 0)
		return tp_cfg_wrap(ctx, v);
	return 0;
}

int tp_cfg_string(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	char **out = dst, *s;

	if (tp_cfg_text(ctx, v, &s) < 0)
		return -1;
	if (!*s) {
		free(s);
		return tp_cfg_fail(ctx, v, "must not be empty");
	}
	free(*out);
	*out = s;
	return 0;
}

static int list_item(tp_cfg_ctx *ctx, const tp_ynode *v, size_t i, char **out)
{
	size_t mark = tp_cfg_push_index(ctx, i);
	int rc = tp_cfg_string(ctx, v, out);

	tp_cfg_pop(ctx, mark);
	return rc;
}

static int check_unique(tp_cfg_ctx *ctx, const tp_config_list *l)
{
	tp_nameindex ix;
	size_t dup, first = 0;
	char where[32];

	tp_nameindex_init(&ix, (const char *const *)l->items, l->n);
	dup = tp_nameindex_first_dup(&ix, &first);
	tp_nameindex_release(&ix);
	if (dup == (size_t)-1)
		return 0;
	return tp_cfg_fail_at(ctx, l->marks[dup], tp_buf_cstr(&ctx->path),
			      "duplicate '%s' (first at %s)", l->items[dup],
			      tp_cfg_first_at(where, sizeof(where), l->marks[first], l->marks[dup]));
}

int tp_cfg_list(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	tp_config_list *l = dst;
	size_t i;

	if (tp_cfg_expect(ctx, v, TP_YNODE_SEQ) < 0)
		return -1;
	tp_cfg_list_release(l);
	l->items = tp_xcalloc(v->n, sizeof(*l->items));
	l->marks = tp_xcalloc(v->n, sizeof(*l->marks));
	for (i = 0; i < v->n; i++, l->n++) {
		if (list_item(ctx, v->kids[i], i, &l->items[i]) < 0)
			return -1;
		l->marks[i] = tp_cfg_mark(v->kids[i]);
	}
	return check_unique(ctx, l);
}

static int map_value(tp_cfg_ctx *ctx, const tp_ynode *key, const tp_ynode *v,
		     tp_config_pair *out)
{
	size_t mark = tp_cfg_push_key(ctx, key->text);
	int rc;

	if (v->kind == TP_YNODE_NULL)
		rc = tp_cfg_fail(ctx, v, "has no value (write '' for an empty one)");
	else
		rc = tp_cfg_text(ctx, v, &out->value);
	tp_cfg_pop(ctx, mark);
	return rc;
}

int tp_cfg_map(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	tp_config_map *m = dst;
	size_t i;

	if (tp_cfg_expect(ctx, v, TP_YNODE_MAP) < 0 || tp_cfg_keys(ctx, v) < 0)
		return -1;
	tp_cfg_map_release(m);
	m->items = tp_xcalloc(v->n / 2, sizeof(*m->items));
	for (i = 0; i < v->n; i += 2, m->n++) {
		tp_config_pair *p = &m->items[i / 2];

		p->key = tp_xstrdup(v->kids[i]->text);
		p->mark = tp_cfg_mark(v->kids[i]);
		if (map_value(ctx, v->kids[i], v->kids[i + 1], p) < 0) {
			m->n++; /* so that its key is freed */
			return -1;
		}
	}
	return 0;
}

int tp_cfg_duration(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	long *out = dst, seconds;
	char *s;
	int rc;

	if (tp_cfg_text(ctx, v, &s) < 0)
		return -1;
	rc = tp_parse_duration(s, &seconds);
	free(s);
	if (rc < 0)
		return tp_cfg_wrap(ctx, v);
	if (seconds == 0)
		return tp_cfg_fail(ctx, v, "duration must be greater than 0");
	*out = seconds;
	return 0;
}

int tp_cfg_bool(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	static const char *const yes[] = { "true", "True", "TRUE" };
	static const char *const no[] = { "false", "False", "FALSE" };
	int *out = dst, value = -1, rc = 0;
	char *s;
	size_t i;

	if (tp_cfg_text(ctx, v, &s) < 0)
		return -1;
	for (i = 0; i < TP_ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i]))
			value = 1;
		if (!strcmp(s, no[i]))
			value = 0;
	}
	if (value < 0)
		rc = tp_cfg_fail(ctx, v, "expected true or false, got '%s'", s);
	else
		*out = value;
	free(s);
	return rc;
}

/* "a, b or c" */
static void join_or(tp_buf *b, const char *const *names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		tp_buf_addf(b, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", names[i]);
}

static int unknown_name(tp_cfg_ctx *ctx, const tp_ynode *v, const char *what,
			const char *s, const char *const *names, size_t n)
{
	tp_buf expected = TP_BUF_INIT;
	tp_suggest sg;
	size_t i;

	tp_suggest_init(&sg, s);
	for (i = 0; i < n; i++)
		tp_suggest_add(&sg, names[i]);
	join_or(&expected, names, n);
	if (tp_suggest_best(&sg))
		tp_cfg_fail(ctx, v, "unknown %s '%s' (did you mean '%s'?)", what, s,
			    tp_suggest_best(&sg));
	else
		tp_cfg_fail(ctx, v, "unknown %s '%s' (expected %s)", what, s,
			    tp_buf_cstr(&expected));
	tp_buf_release(&expected);
	return TP_EINVAL;
}

int tp_cfg_enum(tp_cfg_ctx *ctx, const tp_ynode *v, const char *what,
		const char *const *names, size_t n, int *out)
{
	char *s;
	size_t i;
	int rc = 0;

	if (tp_cfg_text(ctx, v, &s) < 0)
		return -1;
	for (i = 0; i < n && strcmp(s, names[i]); i++)
		;
	if (i < n)
		*out = (int)i;
	else
		rc = unknown_name(ctx, v, what, s, names, n);
	free(s);
	return rc;
}

int tp_cfg_is_word(const char *s, const char *first, const char *rest)
{
	return *s && strchr(first, *s) && s[1 + strspn(s + 1, rest)] == '\0';
}

char *tp_cfg_resolve(const tp_config *c, const char *rel)
{
	if (rel[0] == '/')
		return tp_xstrdup(rel);
	if (tp_ends_with(c->dir, "/"))
		return tp_xasprintf("%s%s", c->dir, rel);
	return tp_xasprintf("%s/%s", c->dir, rel);
}

void tp_cfg_list_release(tp_config_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	free(l->marks);
	memset(l, 0, sizeof(*l));
}

void tp_cfg_map_release(tp_config_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->items[i].key);
		free(m->items[i].value);
	}
	free(m->items);
	memset(m, 0, sizeof(*m));
}
