/*
 * One `cleaner.protect` rule: which resources the cleaner must never
 * delete. Regular expressions are compiled here, once, and kept in the rule;
 * patterns that would make regcomp blow up are refused (regex_guard.h).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "suites/config_internal.h"
#include "suites/regex_guard.h"

static int decode_type(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	char **out = dst;

	if (tp_cfg_string(ctx, v, dst) < 0)
		return -1;
	if (!tp_cfg_is_type_name(*out))
		return tp_cfg_fail(ctx, v, "'%s' is not a resource type name (such as S3Bucket)",
				   *out);
	return 0;
}

static int decode_match(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	static const char *const names[] = { "exact", "glob", "regex" };
	static const tp_config_match values[] = {
		TP_CONFIG_MATCH_EXACT, TP_CONFIG_MATCH_GLOB, TP_CONFIG_MATCH_REGEX,
	};
	tp_config_match *out = dst;
	int which;

	if (tp_cfg_enum(ctx, v, "match", names, TP_ARRAY_SIZE(names), &which) < 0)
		return -1;
	*out = values[which];
	return 0;
}

/* "2024-01-31" or "2024-01-31T12:00:00Z" (fractions and offsets accepted). */
static int decode_time(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	time_t *out = dst, t = 0;
	char *s, *full;
	int rc = 0;

	if (tp_cfg_text(ctx, v, &s) < 0)
		return -1;
	full = strlen(s) == 10 ? tp_xasprintf("%sT00:00:00Z", s) : tp_xstrdup(s);
	if (tp_time_parse_iso8601(full, &t) < 0 || t <= 0)
		rc = tp_cfg_fail(ctx, v, "invalid time '%s' (expected 2024-01-31 or "
				 "2024-01-31T12:00:00Z)", s);
	else
		*out = t;
	free(full);
	free(s);
	return rc;
}

static const tp_cfg_field protect_fields[] = {
	{ "type", decode_type, offsetof(tp_config_protect, type) },
	{ "name", tp_cfg_string, offsetof(tp_config_protect, name) },
	{ "arn", tp_cfg_string, offsetof(tp_config_protect, arn) },
	{ "match", decode_match, offsetof(tp_config_protect, match) },
	{ "tag", tp_cfg_string, offsetof(tp_config_protect, tag) },
	{ "created_after", decode_time, offsetof(tp_config_protect, created_after) },
	{ "invert", tp_cfg_bool, offsetof(tp_config_protect, invert) },
};
TP_CFG_FIELDS_FIT(protect_fields);

enum { F_TYPE, F_NAME, F_ARN, F_MATCH, F_TAG, F_CREATED, F_INVERT };

static int compile(tp_cfg_ctx *ctx, const char *key, const tp_ynode *at,
		   const char *pattern, regex_t *re, int *ok)
{
	const char *hazard = tp_regex_hazard(pattern);
	char why[256];
	int err;

	if (hazard)
		return tp_cfg_fail_key(ctx, key, at, "regular expression refused: %s", hazard);
	err = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
	if (err) {
		regerror(err, re, why, sizeof(why));
		return tp_cfg_fail_key(ctx, key, at, "invalid regular expression '%s': %s",
				       pattern, why);
	}
	*ok = 1;
	return 0;
}

static int split_tag(tp_cfg_ctx *ctx, tp_config_protect *p, const tp_ynode *at)
{
	const char *eq = strchr(p->tag, '=');

	if (!eq || eq == p->tag)
		return tp_cfg_fail_key(ctx, "tag", at, "expected KEY=VALUE (VALUE may be a "
				       "glob), got '%s'", p->tag);
	p->tag_key = tp_xstrndup(p->tag, (size_t)(eq - p->tag));
	p->tag_value = tp_xstrdup(eq + 1);
	return 0;
}

static int check_rule(tp_cfg_ctx *ctx, const tp_ynode *v, const tp_ynode **found)
{
	if (!found[F_TYPE] && !found[F_NAME] && !found[F_ARN] && !found[F_TAG] &&
	    !found[F_CREATED])
		return tp_cfg_fail(ctx, v, "a protect rule needs at least one of type, name, "
				   "arn, tag, created_after");
	if (found[F_MATCH] && !found[F_NAME] && !found[F_ARN])
		return tp_cfg_fail_key(ctx, "match", found[F_MATCH],
				       "applies to name and arn, and this rule has neither");
	return 0;
}

static int compile_patterns(tp_cfg_ctx *ctx, tp_config_protect *p, const tp_ynode **found)
{
	if (p->match != TP_CONFIG_MATCH_REGEX)
		return 0;
	if (p->name && compile(ctx, "name", found[F_NAME], p->name, &p->name_re,
			       &p->has_name_re) < 0)
		return -1;
	if (p->arn && compile(ctx, "arn", found[F_ARN], p->arn, &p->arn_re,
			      &p->has_arn_re) < 0)
		return -1;
	return 0;
}

int tp_cfg_decode_protect(tp_cfg_ctx *ctx, const tp_ynode *v, void *dst)
{
	const tp_ynode *found[TP_CFG_MAX_FIELDS];
	tp_config_protect *p = dst;

	p->mark = tp_cfg_mark(v);
	if (tp_cfg_fields(ctx, v, protect_fields, TP_ARRAY_SIZE(protect_fields), p, found) < 0 ||
	    check_rule(ctx, v, found) < 0 || compile_patterns(ctx, p, found) < 0)
		return -1;
	if (found[F_TYPE])
		p->type_mark = tp_cfg_mark(found[F_TYPE]);
	return p->tag ? split_tag(ctx, p, found[F_TAG]) : 0;
}

void tp_cfg_protect_release(tp_config_protect *p)
{
	free(p->type);
	free(p->name);
	free(p->arn);
	free(p->tag);
	free(p->tag_key);
	free(p->tag_value);
	if (p->has_name_re)
		regfree(&p->name_re);
	if (p->has_arn_re)
		regfree(&p->arn_re);
	memset(p, 0, sizeof(*p));
}
