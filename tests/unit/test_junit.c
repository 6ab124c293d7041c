/* JUnit: merging what suites wrote (well-formed or not), and the run's document. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "aws/util.h"
#include "runner/junit.h"
#include "runner/report.h"
#include "tests/support/testutil.h"

static xmlDocPtr target(xmlNodePtr *into)
{
	xmlDocPtr d = xmlNewDoc((const xmlChar *)"1.0");

	*into = xmlNewNode(NULL, (const xmlChar *)"testsuite");
	xmlDocSetRootElement(d, *into);
	return d;
}

static int count_xpath(xmlDocPtr d, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(d);
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	int n = o && o->nodesetval ? o->nodesetval->nodeNr : 0;

	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return n;
}

static char *xpath_string(xmlDocPtr d, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(d);
	xmlXPathObjectPtr o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	char *s = tp_xstrdup(o && o->stringval ? (const char *)o->stringval : "");

	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	return s;
}

static void test_junit__merge_vectors(void **state)
{
	static const struct {
		const char *xml;
		int rc, tests, failures, errors, skipped;
	} v[] = {
		/* pytest's shape: testsuites > testsuite > testcase */
		{ "<?xml version=\"1.0\"?><testsuites><testsuite name=\"pytest\" tests=\"3\">"
		  "<testcase classname=\"t.a\" name=\"ok\" time=\"0.5\"/>"
		  "<testcase classname=\"t.a\" name=\"bad\" time=\"1.5\"><failure message=\"x\">trace</failure></testcase>"
		  "<testcase classname=\"t.a\" name=\"later\"><skipped/></testcase>"
		  "</testsuite></testsuites>", 3, 3, 1, 0, 1 },
		/* a bare testsuite, nested suites, an error */
		{ "<testsuite><testcase name=\"a\"/><testsuite><testcase name=\"b\"><error/></testcase>"
		  "</testsuite></testsuite>", 2, 2, 0, 1, 0 },
		{ "<testsuites/>", 0, 0, 0, 0, 0 },
		/* not JUnit */
		{ "<html><testcase name=\"x\"/></html>", -1, 0, 0, 0, 0 },
		{ "not xml at all", -1, 0, 0, 0, 0 },
		{ "<testsuites><testsuite><testcase name=\"cut", -1, 0, 0, 0, 0 },
		{ "", -1, 0, 0, 0, 0 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(v); i++) {
		tp_junit_counts c = { 0, 0, 0, 0, 0 };
		xmlNodePtr into;
		xmlDocPtr d = target(&into);
		int rc = tp_junit_merge(into, v[i].xml, strlen(v[i].xml), &c);

		if (rc != v[i].rc)
			fail_msg("vector %zu: rc %d, want %d", i, rc, v[i].rc);
		assert_int_equal(c.tests, v[i].tests);
		assert_int_equal(c.failures, v[i].failures);
		assert_int_equal(c.errors, v[i].errors);
		assert_int_equal(c.skipped, v[i].skipped);
		assert_int_equal(count_xpath(d, "/testsuite/testcase"), v[i].tests);
		xmlFreeDoc(d);
	}
}

/* Entities are neither expanded (billion laughs: refused) nor loaded (XXE),
 * and the merged document serialises to well-formed XML. */
static void test_junit__hostile_entities(void **state)
{
	const char *laughs =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE t [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">]>\n"
		"<testsuites><testsuite><testcase name=\"n\"><failure>&d;&d;&d;&d;</failure>"
		"</testcase></testsuite></testsuites>";
	const char *xxe =
		"<?xml version=\"1.0\"?>\n"
		"<!DOCTYPE t [<!ENTITY a \"short\"><!ENTITY x SYSTEM \"file:///etc/passwd\">]>\n"
		"<testsuites><testsuite><testcase name=\"n&a;\" classname=\"c\"><failure>&a;&x;</failure>"
		"</testcase></testsuite></testsuites>";
	tp_junit_counts c = { 0, 0, 0, 0, 0 };
	xmlNodePtr into;
	xmlDocPtr d = target(&into), back;
	xmlChar *mem = NULL;
	int len = 0;
	int64_t t0 = tp_now_ms();

	(void)state;
	assert_int_equal(tp_junit_merge(into, laughs, strlen(laughs), &c), -1);
	assert_int_equal(c.tests, 0);
	assert_true(tp_now_ms() - t0 < 2000);
	assert_int_equal(tp_junit_merge(into, xxe, strlen(xxe), &c), 1);
	assert_int_equal(c.failures, 1);
	xmlDocDumpMemory(d, &mem, &len);
	assert_non_null(mem);
	assert_null(strstr((const char *)mem, "root:"));
	assert_null(strstr((const char *)mem, "&x;"));
	assert_null(strstr((const char *)mem, "&a;"));
	back = xmlReadMemory((const char *)mem, len, "x.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
	assert_non_null(back);
	xmlFreeDoc(back);
	xmlFree(mem);
	xmlFreeDoc(d);
}

/* A run of three suites: one merged, one failed without JUnit, one skipped. */
static void test_junit__run_document(void **state)
{
	char *dir = tp_test_tmpdir("junit");
	char *own = tp_test_write_file(dir, "own.xml",
		"<testsuites><testsuite><testcase classname=\"c\" name=\"t1\"/>"
		"<testcase classname=\"c\" name=\"t2\"/></testsuite></testsuites>");
	tp_report r;
	tp_report_attempt *a;
	xmlDocPtr d;
	char *s;
	int acct;

	(void)state;
	tp_report_init(&r, "shop", "run-1");
	tp_report_add_suite(&r, "orders", 1000);
	tp_report_add_suite(&r, "payments", 1000);
	tp_report_add_suite(&r, "search", 1000);
	acct = tp_report_account_index(&r, "111111111111");
	a = tp_report_attempt_new(&r, 0, acct);
	a->result = TP_SCHED_PASSED;
	a->exit_code = 0;
	a->start_ms = 10;
	a->end_ms = 2010;
	a->junit_path = tp_xstrdup(own);
	r.suites[0].result = TP_SCHED_PASSED;
	a = tp_report_attempt_new(&r, 1, acct);
	a->exit_code = 1;
	a = tp_report_attempt_new(&r, 1, acct);
	a->result = TP_SCHED_FAILED;
	a->exit_code = 2;
	a->start_ms = 0;
	a->end_ms = 500;
	a->log_tail = tp_xstrdup("AssertionError: 3 != 4\n");
	r.suites[1].result = TP_SCHED_FAILED;
	r.suites[2].result = TP_SCHED_SKIPPED;

	d = tp_junit_build(&r);
	assert_int_equal(count_xpath(d, "/testsuites/testsuite"), 3);
	s = xpath_string(d, "string(/testsuites/@tests)");
	assert_string_equal(s, "4");
	free(s);
	s = xpath_string(d, "string(/testsuites/@failures)");
	assert_string_equal(s, "1");
	free(s);
	s = xpath_string(d, "string(/testsuites/@skipped)");
	assert_string_equal(s, "1");
	free(s);
	assert_int_equal(count_xpath(d, "/testsuites/testsuite[@name='orders']/testcase"), 2);
	s = xpath_string(d, "string(/testsuites/testsuite[@name='payments']/properties/property[@name='attempts']/@value)");
	assert_string_equal(s, "2");
	free(s);
	s = xpath_string(d, "string(/testsuites/testsuite[@name='orders']/properties/property[@name='account']/@value)");
	assert_string_equal(s, "111111111111");
	free(s);
	s = xpath_string(d, "string(/testsuites/testsuite[@name='payments']/testcase/failure)");
	assert_non_null(strstr(s, "AssertionError: 3 != 4"));
	free(s);
	s = xpath_string(d, "string(/testsuites/testsuite[@name='payments']/testcase/failure/@message)");
	assert_string_equal(s, "exited with status 2");
	free(s);
	assert_int_equal(count_xpath(d, "/testsuites/testsuite[@name='search']/testcase/skipped"), 1);
	xmlFreeDoc(d);

	{
		char *path = tp_xasprintf("%s/junit.xml", dir);
		assert_int_equal(tp_junit_write(&r, path), 0);
		d = xmlReadFile(path, NULL, XML_PARSE_NONET);
		assert_non_null(d);
		xmlFreeDoc(d);
		free(path);
	}
	tp_report_release(&r);
	tp_test_rmtree(dir);
	free(own);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_junit__merge_vectors),
		cmocka_unit_test(test_junit__hostile_entities),
		cmocka_unit_test(test_junit__run_document),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
