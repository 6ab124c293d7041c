/*
 * The demo's run (issue 6, must-show 1): what ci/demo runs,
 *
 *   tidepool run --local -C examples/shop --report DIR --junit FILE
 *
 * with DIR and FILE under the build directory ($TP_BINARY_DIR/demo), where
 * test_run_timeline picks the timeline up for its screenshot. Every
 * example suite passes, the closing summary is printed, and the JUnit
 * file, results.json, the suites' logs and timeline.html are written.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <sys/stat.h>

#include "suites/config.h"
#include "tests/integration/test_run_support.h"

static int xpath_count(xmlDocPtr d, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(d);
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	int n = o && o->nodesetval ? o->nodesetval->nodeNr : 0;

	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return n;
}

static void test_run_demo__every_example_suite_passes(void **state)
{
	char *project = tp_test_source_path("examples/shop");
	char *out_dir = tp_xasprintf("%s/demo", TP_BINARY_DIR);
	char *report = tp_xasprintf("%s/report", out_dir), *junit = tp_xasprintf("%s/junit.xml", out_dir);
	char *argv[] = { (char *)tp_test_tidepool_bin(), "run", "--local", "-C", project,
			 "--report", report, "--junit", junit, NULL };
	char *env[] = { "AWS_PROFILE=", NULL };
	char *out = NULL, *err = NULL, *p, *want;
	tp_config *c = NULL;
	json_t *j;
	xmlDocPtr d;
	size_t i;
	int rc;

	(void)state;
	assert_int_equal(tp_config_load_dir(&c, project), 0);
	assert_true(c->n_suites >= 12);
	tp_test_rmtree(report);
	unlink(junit);
	mkdir(out_dir, 0755);
	rc = tp_test_run(argv, env, &out, &err);
	if (rc != 0)
		fail_msg("the demo run exited %d\nstdout:\n%s\nstderr:\n%s", rc, out, err);
	/* the closing table and summary */
	want = tp_xasprintf("%zu suites: %zu passed, 0 failed, 0 errors, 0 skipped", c->n_suites, c->n_suites);
	if (!strstr(out, want) || !strstr(out, "SUITE") || !strstr(out, "DEPLOY s"))
		fail_msg("no summary \"%s\" in:\n%s", want, out);
	/* results.json: every suite passed, stacks were deployed */
	p = tp_xasprintf("%s/results.json", report);
	j = load_json(p);
	free(p);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "counts"), "passed")),
			 (json_int_t)c->n_suites);
	for (i = 0; i < c->n_suites; i++) {
		json_t *s = json_array_get(json_object_get(j, "suites"), i);
		json_t *a = json_array_get(json_object_get(s, "attempts"), 0);
		char *log = tp_xasprintf("%s/logs/%s-1.log", report, json_string_value(json_object_get(s, "name")));
		assert_true(file_contains(log, "PASS"));
		assert_string_equal(json_string_value(json_object_get(a, "log")), log);
		free(log);
	}
	json_decref(j);
	/* JUnit: one testsuite per suite, the suites' own cases merged in */
	d = xmlReadFile(junit, NULL, XML_PARSE_NONET);
	assert_non_null(d);
	assert_int_equal(xpath_count(d, "/testsuites/testsuite"), (int)c->n_suites);
	assert_int_equal(xpath_count(d, "//failure"), 0);
	assert_true(xpath_count(d, "//testcase") > 2 * (int)c->n_suites);
	assert_int_equal(xpath_count(d, "//testcase[@classname='tidepool']"), 0);
	xmlFreeDoc(d);
	/* the timeline: a test bar per suite */
	p = tp_xasprintf("%s/timeline.html", report);
	for (i = 0; i < c->n_suites; i++) {
		char *bar = tp_xasprintf("data-suite=\"%s\"", c->suites[i].name);
		if (!file_contains(p, bar))
			fail_msg("no bar of %s in %s", c->suites[i].name, p);
		free(bar);
	}
	free(p);
	free(want);
	free(out);
	free(err);
	free(project);
	free(out_dir);
	free(report);
	free(junit);
	tp_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_demo__every_example_suite_passes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
