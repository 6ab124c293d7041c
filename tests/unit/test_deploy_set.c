/*
 * What is checked before any AWS call (runner/deploy_set.h,
 * runner/deploy_template.h): the example project prepares cleanly; a
 * missing template, a template that is not YAML or JSON, one that is not a
 * map or has no Resources, a parameter the template does not declare and a
 * declared one without Default and without value are each refused with
 * TP_EINVAL and a message naming tidepool.yaml's line and column (and the
 * template's, where there is one). CloudFormation's short-form tags and
 * JSON (tab-indented too) are accepted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/deploy_set.h"
#include "runner/deploy_template.h"
#include "tests/support/testutil.h"

static char *dir;

static int setup(void **state)
{
	(void)state;
	dir = tp_test_tmpdir("deployset");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tp_test_rmtree(dir);
	free(dir);
	return 0;
}

static void put(const char *name, const char *data)
{
	free(tp_test_write_file(dir, name, data));
}

static tp_config *load(const char *yaml)
{
	tp_config *c = NULL;

	put("tidepool.yaml", yaml);
	if (tp_config_load_dir(&c, dir) < 0)
		fail_msg("%s", tp_error_last()->msg);
	return c;
}

/* Prepare `yaml`; expect failure with a message that ends with `tail` after "DIR/tidepool.yaml:". */
static void expect_error(const char *yaml, const char *want)
{
	tp_config *c = load(yaml);
	tp_deploy_set *s = (tp_deploy_set *)1;
	char *full = tp_xasprintf("%s%s", c->path, want);

	assert_int_equal(tp_deploy_set_new(&s, c, NULL, 0), TP_EINVAL);
	assert_null(s);
	assert_int_equal(tp_error_last()->code, TP_EINVAL);
	if (strcmp(tp_error_last()->msg, full) != 0)
		fail_msg("got      %s\nexpected %s", tp_error_last()->msg, full);
	free(full);
	tp_config_free(c);
}

#define POOL "pool: {accounts: ['111111111111']}\n"

static const char good_template[] =
	"AWSTemplateFormatVersion: '2010-09-09'\n"
	"Parameters:\n"
	"  Stage:\n"
	"    Type: String\n"
	"    Default: test\n"
	"  Size:\n"
	"    Type: Number\n"
	"Conditions:\n"
	"  IsProd: !Equals [!Ref Stage, prod]\n"
	"Resources:\n"
	"  Table:\n"
	"    Type: AWS::DynamoDB::Table\n"
	"    Properties:\n"
	"      TableName: !Sub 'shop-${Stage}'\n"
	"      BillingMode: !If [IsProd, PROVISIONED, PAY_PER_REQUEST]\n"
	"      Tags:\n"
	"        - Key: role\n"
	"          Value: !ImportValue shop-test-LambdaRoleArn\n"
	"Outputs:\n"
	"  Arn:\n"
	"    Value: !GetAtt Table.Arn\n"
	"  Joined:\n"
	"    Value: !Join [',', [!Ref Table, !GetAtt [Table, StreamArn]]]\n";

static void test_deploy_set__the_example_project(void **state)
{
	char *path = tp_test_source_path("examples/shop");
	tp_config *c = NULL;
	tp_deploy_set *s = NULL;
	size_t i, k, tracing;

	(void)state;
	if (tp_config_load_dir(&c, path) < 0)
		fail_msg("%s", tp_error_last()->msg);
	assert_int_equal(tp_deploy_set_new(&s, c, NULL, 0), 0);
	assert_true(s->n >= 6);
	assert_true(tp_stack_graph_depth(s->graph) >= 3);
	for (i = 0; i < s->n; i++) {
		assert_int_equal(strlen(tp_deploy_set_hash(s, i)), 64);
		assert_ptr_equal(s->specs[i].stack.hash, tp_deploy_set_hash(s, i));
		for (k = 0; k < s->specs[i].ndeps; k++)
			assert_true(s->specs[i].deps[k] < i);
		if (!s->specs[i].stack.command)
			assert_true(s->specs[i].stack.template_len > 100);
	}
	tracing = tp_deploy_set_find(s, "tracing");
	assert_true(tracing != (size_t)-1);
	assert_non_null(s->specs[tracing].stack.command);
	assert_null(s->specs[tracing].stack.template_body);
	tp_deploy_set_free(s);
	tp_config_free(c);
	free(path);
}

static void test_deploy_set__selection_and_short_forms(void **state)
{
	tp_config *c;
	tp_deploy_set *s = NULL;
	const char *want[] = { "t" };

	(void)state;
	put("t.yaml", good_template);
	put("u.yaml", "Resources: {Q: {Type: 'AWS::SQS::Queue'}}\n");
	c = load(POOL "stacks:\n"
		 "  - {name: t, template: t.yaml, parameters: {Size: '3'}, depends_on: [u]}\n"
		 "  - {name: u, template: u.yaml}\n"
		 "  - {name: other, template: u.yaml}\n");
	assert_int_equal(tp_deploy_set_new(&s, c, want, 1), 0);
	assert_int_equal(s->n, 2);
	assert_string_equal(s->specs[0].stack.name, "u");
	assert_string_equal(s->specs[1].stack.name, "t");
	assert_int_equal(s->specs[1].ndeps, 1);
	assert_int_equal(s->specs[1].stack.nparameters, 1);
	assert_string_equal(s->specs[1].stack.parameters[0].value, "3");
	tp_deploy_set_free(s);
	tp_config_free(c);
}

static void test_deploy_set__missing_template(void **state)
{
	char *want;

	(void)state;
	want = tp_xasprintf(":3:5: stacks[0].template: cannot read %s/nope.yaml: No such file "
			    "or directory", dir);
	expect_error(POOL "stacks:\n  - {name: t, template: nope.yaml}\n", want);
	free(want);
}

static void test_deploy_set__not_yaml(void **state)
{
	(void)state;
	put("t.yaml", "Resources:\n  A: {Type: x\n  B: [\n");
	expect_error(POOL "stacks:\n  - name: t\n    template: t.yaml\n",
		     ":3:5: stacks[0].template: t.yaml:3:4: not YAML or JSON: did not find "
		     "expected ',' or '}' while parsing a flow mapping");
	put("t.yaml", "Resources:\n  A: 1\n B: 2\n");
	expect_error(POOL "stacks:\n  - name: t\n    template: t.yaml\n",
		     ":3:5: stacks[0].template: t.yaml:3:2: not YAML or JSON: did not find "
		     "expected key while parsing a block mapping");
}

static void test_deploy_set__not_a_template(void **state)
{
	(void)state;
	put("t.yaml", "- a\n- b\n");
	expect_error(POOL "stacks:\n  - {name: t, template: t.yaml}\n",
		     ":3:5: stacks[0].template: t.yaml: a CloudFormation template is a map "
		     "(this one is a list)");
	put("t.yaml", "Parameters: {}\nOutputs: {}\n");
	expect_error(POOL "stacks:\n  - {name: t, template: t.yaml}\n",
		     ":3:5: stacks[0].template: t.yaml: no Resources section (CloudFormation "
		     "needs at least one resource)");
	put("t.yaml", "");
	expect_error(POOL "stacks:\n  - {name: t, template: t.yaml}\n",
		     ":3:5: stacks[0].template: t.yaml: a CloudFormation template is a map "
		     "(this one is empty)");
}

static void test_deploy_set__json_templates(void **state)
{
	tp_config *c;
	tp_deploy_set *s = NULL;

	(void)state;
	put("t.json", "{\n\t\"Parameters\": {\n\t\t\"Stage\": {\"Type\": \"String\"}\n\t},\n"
	    "\t\"Resources\": {\"Q\": {\"Type\": \"AWS::SQS::Queue\"}}\n}\n");
	c = load(POOL "stacks:\n  - {name: t, template: t.json, parameters: {Stage: x}}\n");
	assert_int_equal(tp_deploy_set_new(&s, c, NULL, 0), 0);
	tp_deploy_set_free(s);
	tp_config_free(c);
	put("t.json", "{\"Resources\": {\"Q\": {\"Type\": \"AWS::SQS::Queue\"}}\n");
	expect_error(POOL "stacks:\n  - {name: t, template: t.json}\n",
		     ":3:5: stacks[0].template: t.json:2:0: not YAML or JSON: '}' expected near end of file");
}

static void test_deploy_set__unknown_parameter(void **state)
{
	(void)state;
	put("t.yaml", good_template);
	expect_error(POOL "stacks:\n  - name: t\n    template: t.yaml\n"
		     "    parameters:\n      Size: '3'\n      Stagee: prod\n",
		     ":7:7: stacks[0].parameters.Stagee: t.yaml declares no parameter 'Stagee' "
		     "(did you mean 'Stage'?)");
	put("u.yaml", "Resources: {Q: {Type: 'AWS::SQS::Queue'}}\n");
	expect_error(POOL "stacks:\n  - {name: u, template: u.yaml, parameters: {X: '1'}}\n",
		     ":3:46: stacks[0].parameters.X: u.yaml declares no parameter 'X' (it has "
		     "no Parameters section)");
}

static void test_deploy_set__parameter_without_value(void **state)
{
	(void)state;
	put("t.yaml", good_template);
	expect_error(POOL "stacks:\n  - name: t\n    template: t.yaml\n",
		     ":3:5: stacks[0].parameters: t.yaml:6:3: parameter 'Size' has no Default, "
		     "so tidepool.yaml must give it a value");
}

static void test_deploy_set__watch_path_missing(void **state)
{
	char *want;

	(void)state;
	want = tp_xasprintf(":5:13: stacks[0].watch[0]: %s/svc: No such file or directory", dir);
	expect_error(POOL "stacks:\n  - name: c\n    command: deploy\n    watch: [svc]\n", want);
	free(want);
}

static void test_deploy_set__template_limits(void **state)
{
	tp_template_info t;
	size_t n = TP_TEMPLATE_MAX_BYTES + 1;
	char *big = tp_xmalloc(n);

	(void)state;
	memset(big, ' ', n);
	assert_int_equal(tp_template_inspect(&t, "big.yaml", big, n), TP_EINVAL);
	assert_string_equal(tp_error_last()->msg,
			    "big.yaml: 1000001 bytes is more than CloudFormation's limit of 1000000");
	free(big);
	assert_int_equal(tp_template_inspect(&t, "t.yaml", good_template, strlen(good_template)), 0);
	assert_int_equal(t.nparams, 2);
	assert_string_equal(t.params[0].name, "Stage");
	assert_true(t.params[0].has_default);
	assert_false(t.params[1].has_default);
	assert_int_equal(t.params[1].line, 6);
	assert_int_equal(t.params[1].column, 3);
	tp_template_info_release(&t);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_deploy_set__the_example_project),
		T(test_deploy_set__selection_and_short_forms),
		T(test_deploy_set__missing_template),
		T(test_deploy_set__not_yaml),
		T(test_deploy_set__not_a_template),
		T(test_deploy_set__json_templates),
		T(test_deploy_set__unknown_parameter),
		T(test_deploy_set__parameter_without_value),
		T(test_deploy_set__watch_path_missing),
		T(test_deploy_set__template_limits),
	};
#undef T
	return cmocka_run_group_tests(tests, NULL, NULL);
}
