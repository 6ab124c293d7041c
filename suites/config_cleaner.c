/*
 * `cleaner:`: how used accounts are nuked: the mode, protect rules (one
 * each in config_protect.c), and which resource types to scan.
 */
#include <stddef.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "suites/config_internal.h"
#include "suites/nameindex.h"

int tp_cfg_is_type_name(const char *s)
{
	return tp_cfg_is_word(s, TP_CFG_UPPER, TP_CFG_ALNUM) && strlen(s) >= 2;
}

static int decode_mode(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	static const char *const modes[] = { "keep-stacks", "full" };
	tp_config_cleaner_mode *out = dst;
	int which;

	if (tp_cfg_enum(ctx, v, "mode", modes, TP_ARRAY_SIZE(modes), &which) < 0)
		return -1;
	*out = which == 0 ? TP_CONFIG_CLEAN_KEEP_STACKS : TP_CONFIG_CLEAN_FULL;
	return 0;
}

static int decode_protect_list(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	tp_config_cleaner *cl = dst;
	size_t i, mark;
	int rc = 0;

	if (tp_cfg_expect(ctx, v, TP_YNODE_SEQ) < 0)
		return -1;
	cl->protect = tp_xcalloc(v->n, sizeof(*cl->protect));
	for (i = 0; i < v->n && rc == 0; i++) {
		cl->n_protect++;
		mark = tp_cfg_push_index(ctx, i);
		rc = tp_cfg_decode_protect(ctx, v->kids[i], &cl->protect[i]);
		tp_cfg_pop(ctx, mark);
	}
	return rc;
}

static int decode_types(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	tp_config_list *l = dst;
	size_t i;

	if (tp_cfg_list(ctx, v, dst) < 0)
		return -1;
	for (i = 0; i < l->n; i++)
		if (!tp_cfg_is_type_name(l->items[i]))
			return tp_cfg_fail_at(ctx, l->marks[i], tp_buf_cstr(&ctx->path),
					      "'%s' is not a resource type name (such as S3Bucket)",
					      l->items[i]);
	return 0;
}

static const tp_cfg_field type_fields[] = {
	{ "include", decode_types, offsetof(tp_config_cleaner, include) },
	{ "exclude", decode_types, offsetof(tp_config_cleaner, exclude) },
};
TP_CFG_FIELDS_FIT(type_fields);

/* A type both included and excluded is a contradiction, not a preference. */
static int check_overlap(tp_cfg_ctx *ctx, const tp_config_cleaner *cl)
{
	tp_nameindex ix;
	size_t i, hit = (size_t)-1;

	tp_nameindex_init(&ix, (const char *const *)cl->include.items, cl->include.n);
	for (i = 0; i < cl->exclude.n && hit == (size_t)-1; i++)
		hit = tp_nameindex_find(&ix, cl->exclude.items[i]);
	tp_nameindex_release(&ix);
	if (hit == (size_t)-1)
		return 0;
	return tp_cfg_fail_at(ctx, cl->exclude.marks[i - 1], "cleaner.resource_types.exclude",
			      "'%s' is also in include (line %u)", cl->exclude.items[i - 1],
			      cl->include.marks[hit].line);
}

static int decode_resource_types(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	const tp_ynode *found[TP_CFG_MAX_FIELDS];

	if (tp_cfg_fields(ctx, v, type_fields, TP_ARRAY_SIZE(type_fields), dst, found) < 0)
		return -1;
	return check_overlap(ctx, dst);
}

static const tp_cfg_field cleaner_fields[] = {
	{ "mode", decode_mode, offsetof(tp_config_cleaner, mode) },
	{ "protect", decode_protect_list, 0 },
	{ "resource_types", decode_resource_types, 0 },
	{ "allow_prod_alias", tp_cfg_bool, offsetof(tp_config_cleaner, allow_prod_alias) },
};
TP_CFG_FIELDS_FIT(cleaner_fields);

int tp_cfg_decode_cleaner(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	const tp_ynode *found[TP_CFG_MAX_FIELDS];

	return tp_cfg_fields(ctx, v, cleaner_fields, TP_ARRAY_SIZE(cleaner_fields), dst, found);
}
