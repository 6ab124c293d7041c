/*
 * `suites:`: the test suites, each a command run in its own account after
 * the stacks it names are deployed.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "suites/config_internal.h"

#define DEFAULT_TIMEOUT (30 * 60L)
#define MAX_RETRIES 100

static int decode_name(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	char **out = dst;

	if (tp_cfg_string(ctx, v, dst) < 0)
		return -1;
	if (!tp_cfg_is_word(*out, TP_CFG_ALNUM, TP_CFG_ALNUM "._-") || strlen(*out) > 64)
		return tp_cfg_fail(ctx, v, "'%s' is not a suite name (up to 64 letters, "
				   "digits, '.', '_' and '-', starting with a letter or digit)",
				   *out);
	return 0;
}

static int decode_retries(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	int *out = dst;
	char *s;
	long n;
	int rc = 0;

	if (tp_cfg_text(ctx, v, &s) < 0)
		return -1;
	if (tp_parse_long(s, &n) < 0 || n < 0 || n > MAX_RETRIES)
		rc = tp_cfg_fail(ctx, v, "expected a whole number from 0 to %d, got '%s'",
				 MAX_RETRIES, s);
	else
		*out = (int)n;
	free(s);
	return rc;
}

static int decode_tags(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	tp_config_list *l = dst;
	size_t i;

	if (tp_cfg_list(ctx, v, dst) < 0)
		return -1;
	for (i = 0; i < l->n; i++)
		if (!tp_cfg_is_word(l->items[i], TP_CFG_ALNUM, TP_CFG_ALNUM "._:/-"))
			return tp_cfg_fail_at(ctx, l->marks[i], tp_buf_cstr(&ctx->path),
					      "'%s' is not a tag (letters, digits, '.', '_', "
					      "':', '/' and '-')", l->items[i]);
	return 0;
}

static int check_env_name(tp_cfg_ctx *ctx, const tp_config_pair *p)
{
	const char *path = tp_buf_cstr(&ctx->path);

	if (!tp_cfg_is_word(p->key, TP_CFG_ALPHA "_", TP_CFG_ALNUM "_"))
		return tp_cfg_fail_at(ctx, p->mark, path,
				      "'%s' is not an environment variable name", p->key);
	if (tp_starts_with(p->key, "AWS_") || tp_starts_with(p->key, "TIDEPOOL_"))
		return tp_cfg_fail_at(ctx, p->mark, path, "'%s' is reserved (tidepool sets "
				      "the AWS_* and TIDEPOOL_* variables of a suite)", p->key);
	return 0;
}

static int decode_env(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	tp_config_map *m = dst;
	size_t i;

	if (tp_cfg_map(ctx, v, dst) < 0)
		return -1;
	for (i = 0; i < m->n; i++)
		if (check_env_name(ctx, &m->items[i]) < 0)
			return -1;
	return 0;
}

static const tp_cfg_field suite_fields[] = {
	{ "name", decode_name, offsetof(tp_config_suite, name) },
	{ "command", tp_cfg_string, offsetof(tp_config_suite, command) },
	{ "stacks", tp_cfg_list, offsetof(tp_config_suite, stacks) },
	{ "timeout", tp_cfg_duration, offsetof(tp_config_suite, timeout) },
	{ "retries", decode_retries, offsetof(tp_config_suite, retries) },
	{ "tags", decode_tags, offsetof(tp_config_suite, tags) },
	{ "env", decode_env, offsetof(tp_config_suite, env) },
};
TP_CFG_FIELDS_FIT(suite_fields);

enum { F_NAME, F_COMMAND };

static int decode_suite(tp_cfg_ctx *ctx, const tp_ynode *v, tp_config_suite *s)
{
	const tp_ynode *found[TP_CFG_MAX_FIELDS];

	s->mark = tp_cfg_mark(v);
	if (tp_cfg_fields(ctx, v, suite_fields, TP_ARRAY_SIZE(suite_fields), s, found) < 0)
		return -1;
	if (!found[F_NAME])
		return tp_cfg_fail(ctx, v, "missing required key 'name'");
	if (!found[F_COMMAND])
		return tp_cfg_fail(ctx, v, "missing required key 'command'");
	if (!s->timeout)
		s->timeout = DEFAULT_TIMEOUT;
	return 0;
}

int tp_cfg_decode_suites(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	tp_config *c = dst;
	size_t i, mark;
	int rc = 0;

	if (tp_cfg_expect(ctx, v, TP_YNODE_SEQ) < 0)
		return -1;
	c->suites = tp_xcalloc(v->n, sizeof(*c->suites));
	for (i = 0; i < v->n && rc == 0; i++) {
		c->n_suites++;
		mark = tp_cfg_push_index(ctx, i);
		rc = decode_suite(ctx, v->kids[i], &c->suites[i]);
		tp_cfg_pop(ctx, mark);
	}
	return rc;
}
