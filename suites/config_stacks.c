/*
 * `stacks:`: the CloudFormation stacks (or deploy commands) suites need.
 * References between stacks are checked later (config_check.c), once all
 * names are known.
 */
#include <stddef.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "suites/config_internal.h"

static int decode_name(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	char **out = dst;

	if (tp_cfg_string(ctx, v, dst) < 0)
		return -1;
	if (!tp_cfg_is_word(*out, TP_CFG_ALPHA, TP_CFG_ALNUM "-") || strlen(*out) > 100)
		return tp_cfg_fail(ctx, v, "'%s' is not a stack name (up to 100 letters, "
				   "digits and '-', starting with a letter)", *out);
	return 0;
}

static int decode_parameters(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	tp_config_map *m = dst;
	size_t i;

	if (tp_cfg_map(ctx, v, dst) < 0)
		return -1;
	for (i = 0; i < m->n; i++)
		if (!tp_cfg_is_word(m->items[i].key, TP_CFG_ALNUM, TP_CFG_ALNUM))
			return tp_cfg_fail_at(ctx, m->items[i].mark, tp_buf_cstr(&ctx->path),
					      "'%s' is not a CloudFormation parameter name "
					      "(letters and digits only)", m->items[i].key);
	return 0;
}

static int decode_capabilities(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	static const char *const known[] = {
		"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND",
	};
	size_t i;
	int which;

	if (tp_cfg_list(ctx, v, dst) < 0)
		return -1;
	for (i = 0; i < v->n; i++)
		if (tp_cfg_enum(ctx, v->kids[i], "capability", known, TP_ARRAY_SIZE(known),
				&which) < 0)
			return -1;
	return 0;
}

static int decode_tags(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	tp_config_map *m = dst;
	size_t i;

	if (tp_cfg_map(ctx, v, dst) < 0)
		return -1;
	for (i = 0; i < m->n; i++)
		if (tp_starts_with(m->items[i].key, "tidepool:") ||
		    tp_starts_with(m->items[i].key, "aws:"))
			return tp_cfg_fail_at(ctx, m->items[i].mark, tp_buf_cstr(&ctx->path),
					      "tag key '%s' is reserved (tidepool: and aws: "
					      "tags are set by tidepool and AWS)", m->items[i].key);
	return 0;
}

static const tp_cfg_field stack_fields[] = {
	{ "name", decode_name, offsetof(tp_config_stack, name) },
	{ "template", tp_cfg_string, offsetof(tp_config_stack, template) },
	{ "command", tp_cfg_string, offsetof(tp_config_stack, command) },
	{ "parameters", decode_parameters, offsetof(tp_config_stack, parameters) },
	{ "capabilities", decode_capabilities, offsetof(tp_config_stack, capabilities) },
	{ "tags", decode_tags, offsetof(tp_config_stack, tags) },
	{ "watch", tp_cfg_list, offsetof(tp_config_stack, watch) },
	{ "depends_on", tp_cfg_list, offsetof(tp_config_stack, depends_on) },
};
TP_CFG_FIELDS_FIT(stack_fields);

enum { F_NAME, F_TEMPLATE, F_COMMAND };

static int check_stack(tp_cfg_ctx *ctx, const tp_ynode *v, const tp_ynode **found)
{
	if (!found[F_NAME])
		return tp_cfg_fail(ctx, v, "missing required key 'name'");
	if (!found[F_TEMPLATE] && !found[F_COMMAND])
		return tp_cfg_fail(ctx, v, "needs 'template' or 'command'");
	if (found[F_TEMPLATE] && found[F_COMMAND])
		return tp_cfg_fail_key(ctx, "command", found[F_COMMAND],
				       "a stack has either 'template' or 'command', not both");
	return 0;
}

static void resolve_paths(const tp_config *c, tp_config_stack *s)
{
	size_t i;

	if (s->template)
		s->template_path = tp_cfg_resolve(c, s->template);
	s->watch_paths = tp_xcalloc(s->watch.n, sizeof(*s->watch_paths));
	for (i = 0; i < s->watch.n; i++)
		s->watch_paths[i] = tp_cfg_resolve(c, s->watch.items[i]);
}

static int decode_stack(tp_cfg_ctx *ctx, const tp_ynode *v, tp_config_stack *s)
{
	const tp_ynode *found[TP_CFG_MAX_FIELDS];

	s->mark = tp_cfg_mark(v);
	if (tp_cfg_fields(ctx, v, stack_fields, TP_ARRAY_SIZE(stack_fields), s, found) < 0 ||
	    check_stack(ctx, v, found) < 0)
		return -1;
	resolve_paths(ctx->c, s);
	return 0;
}

int tp_cfg_decode_stacks(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	tp_config *c = dst;
	size_t i, mark;
	int rc = 0;

	if (tp_cfg_expect(ctx, v, TP_YNODE_SEQ) < 0)
		return -1;
	c->stacks = tp_xcalloc(v->n, sizeof(*c->stacks));
	for (i = 0; i < v->n && rc == 0; i++) {
		c->n_stacks++;
		mark = tp_cfg_push_index(ctx, i);
		rc = decode_stack(ctx, v->kids[i], &c->stacks[i]);
		tp_cfg_pop(ctx, mark);
	}
	return rc;
}
