/*
 * The cleaner's filters: protect rules (type, name/ARN exact, glob, regex,
 * tag with a glob value, created_after, invert), keep-stacks protections
 * (managed stacks, what they own by physical id and by stack-name tag, the
 * artifacts bucket), the access role in every mode, resource_types, and
 * validation of type names against a registry. Every kept resource has a
 * reason.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/filter.h"
#include "cleaner/managed.h"
#include "suites/config.h"

static const tp_resource_type t_bucket = { "S3Bucket", 0, NULL, NULL, NULL, NULL };
static const tp_resource_type t_role = { "IAMRole", 1, NULL, NULL, NULL, NULL };
static const tp_resource_type t_stack = { "CloudFormationStack", 0, NULL, NULL, NULL, NULL };
static const tp_resource_type t_queue = { "SQSQueue", 0, NULL, NULL, NULL, NULL };
static const tp_resource_type t_table = { "DynamoDBTable", 0, NULL, NULL, NULL, NULL };

#define ACCOUNT "111111111111"

static tp_config *load(const char *cleaner_yaml)
{
	char *doc = tp_xasprintf("pool:\n  accounts: [\"%s\"]\n  role: AccessRole\n%s",
				 ACCOUNT, cleaner_yaml);
	tp_config *c = NULL;

	if (tp_config_parse(&c, "tidepool.yaml", doc, strlen(doc)) < 0)
		fail_msg("config: %s", tp_error_last()->msg);
	free(doc);
	return c;
}

static tp_resource *res(const tp_resource_type *t, const char *region, const char *id)
{
	return tp_resource_new(t, region, id);
}

/* Protected? with the reason in `why`. */
static int kept(const tp_config *c, tp_managed *m, const tp_resource *r, char *why, size_t size)
{
	tp_filter f = TP_FILTER_INIT;

	tp_filter_from_config(&f, c);
	why[0] = '\0';
	return tp_filter_check(&f, m, ACCOUNT, r, why, size);
}

static const char rules_yaml[] =
	"cleaner:\n"
	"  mode: full\n"
	"  protect:\n"
	"    - {type: S3Bucket, name: \"audit-*\", match: glob}\n"              /* [0] */
	"    - {name: \"^keep-[0-9]+$\", match: regex}\n"                         /* [1] */
	"    - {tag: \"team=plat*\"}\n"                                           /* [2] */
	"    - {type: SQSQueue, name: orders-exact}\n"                            /* [3] */
	"    - {arn: \"arn:aws:dynamodb:*:table/golden\", match: glob}\n"         /* [4] */
	"    - {type: DynamoDBTable, created_after: \"2030-01-01\"}\n";           /* [5] */

typedef struct vector {
	const tp_resource_type *type;
	const char *id;
	const char *arn;
	const char *tag_key, *tag_value;
	time_t created;
	int protected;
	const char *reason_has;   /* substring of the reason when protected */
} vector;

static void test_filter__protect_rules(void **state)
{
	static const vector v[] = {
		{ &t_bucket, "audit-2024", NULL, NULL, NULL, 0, 1, "cleaner.protect[0]" },
		{ &t_bucket, "audit", NULL, NULL, NULL, 0, 0, NULL },           /* glob needs '-' */
		{ &t_queue, "audit-2024", NULL, NULL, NULL, 0, 0, NULL },       /* type differs */
		{ &t_bucket, "keep-42", NULL, NULL, NULL, 0, 1, "cleaner.protect[1]" },
		{ &t_queue, "keep-42", NULL, NULL, NULL, 0, 1, "name ^keep-[0-9]+$ (regex)" },
		{ &t_queue, "keep-42x", NULL, NULL, NULL, 0, 0, NULL },         /* anchored */
		{ &t_queue, "q1", NULL, "team", "platform", 0, 1, "tag team=plat*" },
		{ &t_queue, "q2", NULL, "team", "payments", 0, 0, NULL },
		{ &t_queue, "q3", NULL, "owner", "platform", 0, 0, NULL },
		{ &t_queue, "orders-exact", NULL, NULL, NULL, 0, 1, "cleaner.protect[3]" },
		{ &t_queue, "orders-exact-2", NULL, NULL, NULL, 0, 0, NULL },
		{ &t_table, "golden", "arn:aws:dynamodb:us-east-1:1:table/golden", NULL, NULL, 0, 1,
		  "cleaner.protect[4]" },
		{ &t_table, "golden2", "arn:aws:dynamodb:us-east-1:1:table/golden2", NULL, NULL, 0, 0,
		  NULL },
		{ &t_table, "new", NULL, NULL, NULL, 1924992000 + 86400, 1, "created after" },
		{ &t_table, "old", NULL, NULL, NULL, 1700000000, 0, NULL },
		{ &t_table, "unknown-date", NULL, NULL, NULL, 0, 0, NULL },
	};
	tp_config *c = load(rules_yaml);
	char why[512];
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(v); i++) {
		tp_resource *r = res(v[i].type, "us-east-1", v[i].id);

		if (v[i].arn)
			tp_resource_set_arn(r, v[i].arn);
		if (v[i].tag_key)
			tp_resource_add_tag(r, v[i].tag_key, v[i].tag_value);
		r->created = v[i].created;
		if (kept(c, NULL, r, why, sizeof(why)) != v[i].protected)
			fail_msg("vector %zu (%s %s): expected protected=%d, reason '%s'", i,
				 v[i].type->name, v[i].id, v[i].protected, why);
		if (v[i].protected && !strstr(why, v[i].reason_has))
			fail_msg("vector %zu: reason '%s' lacks '%s'", i, why, v[i].reason_has);
		if (v[i].protected)
			assert_non_null(strstr(why, "tidepool.yaml:"));
		tp_resource_free(r);
	}
	tp_config_free(c);
}

static void test_filter__invert_keeps_what_does_not_match(void **state)
{
	tp_config *c = load("cleaner:\n  mode: full\n  protect:\n"
			    "    - {name: \"test-*\", match: glob, invert: true}\n");
	tp_resource *doomed = res(&t_queue, "us-east-1", "test-1");
	tp_resource *spared = res(&t_queue, "us-east-1", "prod-db");
	char why[512];

	(void)state;
	assert_int_equal(kept(c, NULL, doomed, why, sizeof(why)), 0);
	assert_int_equal(kept(c, NULL, spared, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "not name test-*"));
	tp_resource_free(doomed);
	tp_resource_free(spared);
	tp_config_free(c);
}

static void test_filter__every_criterion_of_a_rule_must_hold(void **state)
{
	tp_config *c = load("cleaner:\n  mode: full\n  protect:\n"
			    "    - {type: S3Bucket, name: \"logs-*\", match: glob, tag: \"keep=true\"}\n");
	tp_resource *a = res(&t_bucket, "us-east-1", "logs-1");
	tp_resource *b = res(&t_bucket, "us-east-1", "logs-2");
	char why[512];

	(void)state;
	tp_resource_add_tag(a, "keep", "true");
	assert_int_equal(kept(c, NULL, a, why, sizeof(why)), 1);
	assert_int_equal(kept(c, NULL, b, why, sizeof(why)), 0);   /* no tag */
	tp_resource_free(a);
	tp_resource_free(b);
	tp_config_free(c);
}

static void test_filter__access_role_kept_in_every_mode(void **state)
{
	static const char *const modes[] = { "cleaner:\n  mode: full\n", "cleaner:\n  mode: keep-stacks\n" };
	tp_resource *role = res(&t_role, "global", "AccessRole");
	tp_resource *other = res(&t_role, "global", "AppRole");
	char why[512];
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(modes); i++) {
		tp_config *c = load(modes[i]);

		assert_int_equal(kept(c, NULL, role, why, sizeof(why)), 1);
		assert_non_null(strstr(why, "access role"));
		assert_int_equal(kept(c, NULL, other, why, sizeof(why)), 0);
		tp_config_free(c);
	}
	tp_resource_free(role);
	tp_resource_free(other);
}

static void test_filter__skip_reason_from_the_type(void **state)
{
	tp_config *c = load("cleaner:\n  mode: full\n");
	tp_resource *r = res(&t_role, "global", "AWSServiceRoleForSupport");
	char why[512];

	(void)state;
	tp_resource_skip(r, "service-linked role");
	assert_int_equal(kept(c, NULL, r, why, sizeof(why)), 1);
	assert_string_equal(why, "service-linked role");
	tp_resource_free(r);
	tp_config_free(c);
}

static tp_managed *managed_fixture(void)
{
	tp_managed *m = tp_managed_new();

	tp_managed_add_stack(m, "us-east-1", "api",
			     "arn:aws:cloudformation:us-east-1:111111111111:stack/api/1");
	tp_managed_add_owned(m, "us-east-1", "api-orders-table", "api");
	tp_managed_add_owned(m, "us-east-1", "https://sqs.us-east-1/111111111111/api-q", "api");
	tp_managed_add_owned(m, "us-east-1", "api-LambdaRole-X1", "api");
	tp_managed_seal(m);
	return m;
}

static void test_filter__keep_stacks_protects_managed_stacks_and_what_they_own(void **state)
{
	tp_config *keep = load("cleaner:\n  mode: keep-stacks\n");
	tp_config *full = load("cleaner:\n  mode: full\n");
	tp_managed *m = managed_fixture();
	tp_resource *stack = res(&t_stack, "us-east-1", "api");
	tp_resource *table = res(&t_table, "us-east-1", "api-orders-table");
	tp_resource *table_elsewhere = res(&t_table, "eu-west-1", "api-orders-table");
	/* listed under another endpoint than the stack recorded: compared by path */
	tp_resource *queue = res(&t_queue, "us-east-1", "http://127.0.0.1:5000/111111111111/api-q");
	tp_resource *role = res(&t_role, "global", "api-LambdaRole-X1");
	tp_resource *tagged = res(&t_queue, "us-east-1", "by-tag");
	tp_resource *other_stack = res(&t_stack, "us-east-1", "scratch");
	tp_resource *artifacts = res(&t_bucket, "us-east-1", "tidepool-artifacts-111111111111-eu-west-1");
	tp_resource *foreign = res(&t_bucket, "us-east-1", "tidepool-artifacts-222222222222-eu-west-1");
	char why[512];

	(void)state;
	tp_resource_add_tag(stack, TP_MANAGED_TAG, "true");
	tp_resource_add_tag(tagged, "aws:cloudformation:stack-name", "api");
	assert_int_equal(kept(keep, m, stack, why, sizeof(why)), 1);
	assert_string_equal(why, "managed stack (tidepool:managed=true)");
	assert_int_equal(kept(keep, m, table, why, sizeof(why)), 1);
	assert_string_equal(why, "owned by managed stack api");
	assert_int_equal(kept(keep, m, table_elsewhere, why, sizeof(why)), 0);
	assert_int_equal(kept(keep, m, queue, why, sizeof(why)), 1);
	assert_int_equal(kept(keep, m, role, why, sizeof(why)), 1);   /* global: any region */
	assert_int_equal(kept(keep, m, tagged, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "aws:cloudformation:stack-name"));
	assert_int_equal(kept(keep, m, other_stack, why, sizeof(why)), 0);
	assert_int_equal(kept(keep, m, artifacts, why, sizeof(why)), 1);
	assert_string_equal(why, "tidepool artifacts bucket");
	assert_int_equal(kept(keep, m, foreign, why, sizeof(why)), 0);
	/* full mode: none of it */
	assert_int_equal(kept(full, m, stack, why, sizeof(why)), 0);
	assert_int_equal(kept(full, m, table, why, sizeof(why)), 0);
	assert_int_equal(kept(full, m, artifacts, why, sizeof(why)), 0);
	tp_resource_free(stack);
	tp_resource_free(table);
	tp_resource_free(table_elsewhere);
	tp_resource_free(queue);
	tp_resource_free(role);
	tp_resource_free(tagged);
	tp_resource_free(other_stack);
	tp_resource_free(artifacts);
	tp_resource_free(foreign);
	tp_managed_free(m);
	tp_config_free(keep);
	tp_config_free(full);
}

static void test_filter__managed_merge_and_arn_lookup(void **state)
{
	tp_managed *all = tp_managed_new(), *part = tp_managed_new();
	tp_resource *r = res(&t_stack, "eu-west-1", "nested-1");
	char why[512];

	(void)state;
	tp_managed_add_stack(part, "eu-west-1", "web", "arn:stack/web");
	tp_managed_add_owned(part, "eu-west-1", "arn:stack/nested-1", "web");
	tp_managed_merge(all, part);
	assert_int_equal(tp_managed_stack_count(all), 1);
	assert_int_equal(tp_managed_stack_count(part), 0);
	tp_managed_seal(all);
	tp_resource_set_arn(r, "arn:stack/nested-1");
	assert_int_equal(tp_managed_owns(all, r, why, sizeof(why)), 1);
	assert_string_equal(why, "owned by managed stack web");
	tp_resource_free(r);
	tp_managed_free(part);
	tp_managed_free(all);
}

static void test_filter__resource_types_include_exclude(void **state)
{
	tp_config *inc = load("cleaner:\n  resource_types: {include: [S3Bucket, SQSQueue]}\n");
	tp_config *exc = load("cleaner:\n  mode: full\n  resource_types: {exclude: [SQSQueue]}\n");
	tp_filter f = TP_FILTER_INIT, g = TP_FILTER_INIT;

	(void)state;
	tp_filter_from_config(&f, inc);
	tp_filter_from_config(&g, exc);
	assert_true(tp_filter_type_enabled(&f, "S3Bucket"));
	assert_true(tp_filter_type_enabled(&f, "SQSQueue"));
	assert_false(tp_filter_type_enabled(&f, "IAMRole"));
	assert_true(tp_filter_type_enabled(&g, "IAMRole"));
	assert_false(tp_filter_type_enabled(&g, "SQSQueue"));
	assert_true(tp_filter_keep_stacks(&f));     /* the default mode */
	assert_false(tp_filter_keep_stacks(&g));
	tp_config_free(inc);
	tp_config_free(exc);
}

static void test_filter__unknown_types_named_with_a_suggestion(void **state)
{
	static const tp_resource_type *const registry[] = { &t_bucket, &t_queue, &t_role, NULL };
	static const struct {
		const char *yaml, *want;
	} v[] = {
		{ "cleaner:\n  protect:\n    - {type: S3Buckt, name: x}\n",
		  "tidepool.yaml:6:14: cleaner.protect[0].type: unknown resource type 'S3Buckt' "
		  "(did you mean 'S3Bucket'?)" },
		{ "cleaner:\n  resource_types: {exclude: [IAMRoel]}\n",
		  "cleaner.resource_types.exclude: unknown resource type 'IAMRoel'" },
		{ "cleaner:\n  resource_types: {include: [SQSQueue, Nope]}\n",
		  "cleaner.resource_types.include: unknown resource type 'Nope'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(v); i++) {
		tp_config *c = load(v[i].yaml);

		assert_int_equal(tp_filter_validate(c, registry), TP_EINVAL);
		if (!strstr(tp_error_last()->msg, v[i].want))
			fail_msg("vector %zu: '%s' lacks '%s'", i, tp_error_last()->msg, v[i].want);
		tp_config_free(c);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter__protect_rules),
		cmocka_unit_test(test_filter__invert_keeps_what_does_not_match),
		cmocka_unit_test(test_filter__every_criterion_of_a_rule_must_hold),
		cmocka_unit_test(test_filter__access_role_kept_in_every_mode),
		cmocka_unit_test(test_filter__skip_reason_from_the_type),
		cmocka_unit_test(test_filter__keep_stacks_protects_managed_stacks_and_what_they_own),
		cmocka_unit_test(test_filter__managed_merge_and_arn_lookup),
		cmocka_unit_test(test_filter__resource_types_include_exclude),
		cmocka_unit_test(test_filter__unknown_types_named_with_a_suggestion),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
