/*
 * The top level of tidepool.yaml: project, regions, and the sections
 * (pool, stacks, suites, cleaner), with the defaults of DESIGN.md.
 */
#include <stddef.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "suites/config_internal.h"

#define DEFAULT_REGION "us-east-1"

static int decode_project(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	char **out = dst;

	if (tp_cfg_string(ctx, v, dst) < 0)
		return -1;
	if (!tp_cfg_is_word(*out, TP_CFG_ALPHA, TP_CFG_ALNUM "-") || strlen(*out) > 64)
		return tp_cfg_fail(ctx, v, "'%s' is not a project name (up to 64 letters, "
				   "digits and '-', starting with a letter)", *out);
	return 0;
}

/* "us-east-1", "us-gov-west-1": two letters, one or more words, a number. */
static int is_region(const char *s)
{
	size_t n = strspn(s, TP_CFG_LOWER), words = 0;

	if (n != 2)
		return 0;
	for (s += n; *s == '-' && (n = strspn(s + 1, TP_CFG_LOWER)) > 0; s += n + 1)
		words++;
	return words > 0 && *s == '-' && s[1] && s[1 + strspn(s + 1, TP_CFG_DIGIT)] == '\0';
}

static int decode_regions(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	tp_config_list *l = dst;
	size_t i;

	if (tp_cfg_list(ctx, v, dst) < 0)
		return -1;
	if (l->n == 0)
		return tp_cfg_fail(ctx, v, "needs at least one region");
	for (i = 0; i < l->n; i++)
		if (!is_region(l->items[i]))
			return tp_cfg_fail_at(ctx, l->marks[i], tp_buf_cstr(&ctx->path),
					      "'%s' is not an AWS region (such as us-east-1)",
					      l->items[i]);
	return 0;
}

static const tp_cfg_field root_fields[] = {
	{ "project", decode_project, offsetof(tp_config, project) },
	{ "regions", decode_regions, offsetof(tp_config, regions) },
	{ "pool", tp_cfg_decode_pool, offsetof(tp_config, pool) },
	{ "stacks", tp_cfg_decode_stacks, 0 },
	{ "suites", tp_cfg_decode_suites, 0 },
	{ "cleaner", tp_cfg_decode_cleaner, offsetof(tp_config, cleaner) },
};
TP_CFG_FIELDS_FIT(root_fields);

enum { F_PROJECT, F_REGIONS, F_POOL };

/* The last component of the project directory, or "tidepool" for "/" or ".". */
static char *default_project(const char *dir)
{
	const char *slash = strrchr(dir, '/'), *base = slash ? slash + 1 : dir;

	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		base = "tidepool";
	return tp_xstrdup(base);
}

static void default_regions(tp_config_list *l)
{
	static const tp_config_mark nowhere = { 0, 0 };

	l->items = tp_xcalloc(1, sizeof(*l->items));
	l->marks = tp_xcalloc(1, sizeof(*l->marks));
	l->items[0] = tp_xstrdup(DEFAULT_REGION);
	l->marks[0] = nowhere;
	l->n = 1;
}

int tp_cfg_decode_root(tp_cfg_ctx *ctx, const tp_ynode *root)
{
	const tp_ynode *found[TP_CFG_MAX_FIELDS];
	static const tp_ynode empty = { .kind = TP_YNODE_MAP, .line = 1, .column = 1 };

	if (root->kind == TP_YNODE_NULL)
		root = &empty;
	if (tp_cfg_fields(ctx, root, root_fields, TP_ARRAY_SIZE(root_fields), ctx->c,
			  found) < 0)
		return -1;
	if (!found[F_POOL])
		return tp_cfg_fail(ctx, root, "missing required key 'pool'");
	if (!found[F_PROJECT])
		ctx->c->project = default_project(ctx->c->dir);
	if (!found[F_REGIONS])
		default_regions(&ctx->c->regions);
	return 0;
}
