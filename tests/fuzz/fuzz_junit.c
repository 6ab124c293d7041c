/*
 * Fuzz the JUnit merger (runner/junit.h): whatever a suite wrote to
 * TIDEPOOL_JUNIT must either merge or be refused with -1, never crash,
 * leak or expand entities; what merged must count consistently and the
 * run's document holding it must serialise to XML that parses again.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "runner/junit.h"
#include "tests/fuzz/fuzz.h"

static int children_named(xmlNodePtr n, const char *name)
{
	xmlNodePtr c;
	int k = 0;

	for (c = n->children; c; c = c->next)
		k += c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0;
	return k;
}

static void check_roundtrip(xmlDocPtr d)
{
	xmlChar *mem = NULL;
	xmlDocPtr back;
	int len = 0;

	xmlDocDumpMemory(d, &mem, &len);
	if (!mem)
		abort();
	back = xmlReadMemory((const char *)mem, len, "out.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!back)
		abort();      /* we wrote something that is not XML */
	xmlFreeDoc(back);
	xmlFree(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	tp_junit_counts c = { 0, 0, 0, 0, 0 };
	xmlDocPtr d;
	xmlNodePtr into;
	int n;

	if (!init) {
		xmlInitParser();
		init = 1;
	}
	d = xmlNewDoc((const xmlChar *)"1.0");
	into = xmlNewNode(NULL, (const xmlChar *)"testsuite");
	xmlDocSetRootElement(d, into);
	n = tp_junit_merge(into, (const char *)data, size, &c);
	if (n < -1)
		abort();
	if (n == -1 && (c.tests || into->children))
		abort();      /* refused, yet something was added */
	if (n >= 0 && (c.tests != n || children_named(into, "testcase") != n ||
		       c.failures + c.errors + c.skipped > c.tests || c.time < 0))
		abort();
	check_roundtrip(d);
	xmlFreeDoc(d);
	return 0;
}
