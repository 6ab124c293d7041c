/*
 * The cleaner's filters (filter.h): built-in protections first, then the
 * user's protect rules, each kept resource with the reason why.
 */
#include "cleaner/filter.h"

#include <fnmatch.h>
#include <regex.h>
#include <stdio.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

void tp_filter_from_config(tp_filter *f, const tp_config *c)
{
	f->cleaner = &c->cleaner;
	f->config_path = c->path;
	f->role = c->pool.role;
}

int tp_filter_keep_stacks(const tp_filter *f)
{
	return f->cleaner && f->cleaner->mode == TP_CONFIG_CLEAN_KEEP_STACKS;
}

static int listed(const tp_config_list *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return 1;
	return 0;
}

int tp_filter_type_enabled(const tp_filter *f, const char *type)
{
	if (!f->cleaner)
		return 1;
	if (f->cleaner->include.n && !listed(&f->cleaner->include, type))
		return 0;
	return !listed(&f->cleaner->exclude, type);
}

/* ---- protect rules ------------------------------------------------------ */

static int pattern_matches(const tp_config_protect *p, const char *pattern, const regex_t *re,
			   const char *value)
{
	if (!value)
		return 0;
	switch (p->match) {
	case TP_CONFIG_MATCH_GLOB:
		return fnmatch(pattern, value, 0) == 0;
	case TP_CONFIG_MATCH_REGEX:
		return regexec(re, value, 0, NULL, 0) == 0;
	case TP_CONFIG_MATCH_EXACT:
	default:
		return strcmp(pattern, value) == 0;
	}
}

static int tag_matches(const tp_config_protect *p, const tp_resource *r)
{
	const char *v = tp_resource_tag(r, p->tag_key);

	return v && fnmatch(p->tag_value, v, 0) == 0;
}

/* Does every criterion the rule gives hold for r? */
static int rule_holds(const tp_config_protect *p, const tp_resource *r)
{
	if (p->type && strcmp(p->type, r->type->name) != 0)
		return 0;
	if (p->name && !pattern_matches(p, p->name, &p->name_re, r->name))
		return 0;
	if (p->arn && !pattern_matches(p, p->arn, &p->arn_re, r->arn))
		return 0;
	if (p->tag && !tag_matches(p, r))
		return 0;
	if (p->created_after && !(r->created > p->created_after))
		return 0;
	return 1;
}

static const char *match_word(tp_config_match m)
{
	return m == TP_CONFIG_MATCH_GLOB ? "glob" : m == TP_CONFIG_MATCH_REGEX ? "regex" : "exact";
}

/* "cleaner.protect[2] (tidepool.yaml:41:7: S3Bucket name audit-* (glob))" */
static void describe_rule(const tp_filter *f, size_t i, char *why, size_t size)
{
	const tp_config_protect *p = &f->cleaner->protect[i];
	tp_buf b = TP_BUF_INIT;

	tp_buf_addf(&b, "protected by cleaner.protect[%zu] (%s:%u:%u:", i,
		    f->config_path ? f->config_path : "tidepool.yaml", p->mark.line, p->mark.column);
	if (p->invert)
		tp_buf_adds(&b, " not");
	if (p->type)
		tp_buf_addf(&b, " %s", p->type);
	if (p->name)
		tp_buf_addf(&b, " name %s (%s)", p->name, match_word(p->match));
	if (p->arn)
		tp_buf_addf(&b, " arn %s (%s)", p->arn, match_word(p->match));
	if (p->tag)
		tp_buf_addf(&b, " tag %s", p->tag);
	if (p->created_after) {
		char when[32];

		tp_time_iso8601(when, sizeof(when), p->created_after);
		tp_buf_addf(&b, " created after %s", when);
	}
	tp_buf_adds(&b, ")");
	tp_strlcpy(why, tp_buf_cstr(&b), size);
	tp_buf_release(&b);
}

static int protected_by_rule(const tp_filter *f, const tp_resource *r, char *why, size_t size)
{
	size_t i;

	if (!f->cleaner)
		return 0;
	for (i = 0; i < f->cleaner->n_protect; i++) {
		const tp_config_protect *p = &f->cleaner->protect[i];

		if (rule_holds(p, r) != p->invert) {
			describe_rule(f, i, why, size);
			return 1;
		}
	}
	return 0;
}

/* ---- built-in protections ----------------------------------------------- */

static int is_type(const tp_resource *r, const char *name)
{
	return strcmp(r->type->name, name) == 0;
}

static int is_access_role(const tp_filter *f, const tp_resource *r)
{
	return f->role && *f->role && is_type(r, "IAMRole") && strcmp(r->name, f->role) == 0;
}

static int is_artifacts_bucket(const char *account, const tp_resource *r)
{
	char prefix[64];

	if (!is_type(r, "S3Bucket") || !account)
		return 0;
	/* TP_ARTIFACTS_BUCKET_FMT with the account and any region. */
	snprintf(prefix, sizeof(prefix), TP_ARTIFACTS_BUCKET_FMT, account, "");
	return tp_starts_with(r->name, prefix) && r->name[strlen(prefix)] != '\0';
}

static int is_managed_stack(const tp_resource *r)
{
	const char *v = tp_resource_tag(r, TP_MANAGED_TAG);

	return is_type(r, "CloudFormationStack") && v && strcmp(v, "true") == 0;
}

static int keep_stacks_protects(tp_managed *managed, const char *account, const tp_resource *r,
				char *why, size_t size)
{
	if (is_managed_stack(r)) {
		snprintf(why, size, "managed stack (%s=true)", TP_MANAGED_TAG);
		return 1;
	}
	if (managed && tp_managed_owns(managed, r, why, size))
		return 1;
	if (is_artifacts_bucket(account, r)) {
		snprintf(why, size, "tidepool artifacts bucket");
		return 1;
	}
	return 0;
}

int tp_filter_check(const tp_filter *f, tp_managed *managed, const char *account,
		    const tp_resource *r, char *why, size_t size)
{
	if (r->skip_reason) {
		tp_strlcpy(why, r->skip_reason, size);
		return 1;
	}
	if (is_access_role(f, r)) {
		snprintf(why, size, "access role (pool.role %s)", f->role);
		return 1;
	}
	if (tp_filter_keep_stacks(f) && keep_stacks_protects(managed, account, r, why, size))
		return 1;
	return protected_by_rule(f, r, why, size);
}

int tp_filter_validate(const tp_config *c, const tp_resource_type *const *types)
{
	const char *names[256];
	size_t n = 0;

	while (types[n] && n < TP_ARRAY_SIZE(names)) {
		names[n] = types[n]->name;
		n++;
	}
	if (tp_config_validate_types(c, NULL, names, n) < 0)
		return TP_EINVAL;
	return 0;
}
