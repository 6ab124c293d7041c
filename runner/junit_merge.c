/*
 * Merging a suite's own JUnit XML (untrusted bytes, see junit.h). The walk
 * is iterative with a depth bound, so a hostile file cannot exhaust the
 * stack; libxml2 itself refuses deeper nesting and entity amplification
 * when XML_PARSE_HUGE is not given.
 */
#include "runner/junit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "aws/error.h"
#include "aws/util.h"

/* testsuites > testsuite > ... nesting followed at most. */
#define MAX_DEPTH 64

static int named(xmlNodePtr n, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0;
}

static int has_child(xmlNodePtr n, const char *name)
{
	xmlNodePtr c;

	for (c = n->children; c; c = c->next)
		if (named(c, name))
			return 1;
	return 0;
}

static double case_time(xmlNodePtr tc)
{
	xmlChar *v = xmlGetProp(tc, (const xmlChar *)"time");
	double t = 0;
	char *end = NULL;

	if (v) {
		t = strtod((const char *)v, &end);
		if (end == (char *)v || !isfinite(t) || t < 0 || t > 1e9)
			t = 0;
		xmlFree(v);
	}
	return t;
}

static void count_case(xmlNodePtr tc, tp_junit_counts *c)
{
	c->tests++;
	if (has_child(tc, "failure"))
		c->failures++;
	else if (has_child(tc, "error"))
		c->errors++;
	else if (has_child(tc, "skipped"))
		c->skipped++;
	c->time += case_time(tc);
}

/* An attribute's value as plain text: entity references dropped. */
static void flatten_attr(xmlAttrPtr a)
{
	xmlNodePtr c, next;

	for (c = a->children; c; c = next) {
		next = c->next;
		if (c->type != XML_TEXT_NODE) {
			xmlUnlinkNode(c);
			xmlFreeNode(c);
		}
	}
}

/* Walk order without recursion: first child, else next sibling, else up. */
static xmlNodePtr walk_next(xmlNodePtr n, xmlNodePtr top)
{
	if (n->type == XML_ELEMENT_NODE && n->children)
		return n->children;
	while (n && n != top && !n->next)
		n = n->parent;
	return (n && n != top) ? n->next : NULL;
}

/*
 * Entity references of the suite's file name entities of its DTD, which
 * the run's document does not have: drop them (never expand them, which is
 * how a hostile file would amplify itself), and flatten attribute values
 * to their text.
 */
static void strip_entities(xmlNodePtr top)
{
	xmlNodePtr *refs = NULL, n;
	size_t nrefs = 0, i;

	for (n = top; n; n = walk_next(n, top)) {
		if (n->type == XML_ELEMENT_NODE) {
			xmlAttrPtr a;
			for (a = n->properties; a; a = a->next)
				flatten_attr(a);
		} else if (n->type == XML_ENTITY_REF_NODE) {
			refs = tp_xrealloc(refs, (nrefs + 1) * sizeof(*refs));
			refs[nrefs++] = n;
		}
	}
	for (i = 0; i < nrefs; i++) {
		xmlUnlinkNode(refs[i]);
		xmlFreeNode(refs[i]);
	}
	free(refs);
}

/* Copy the test cases of `suite` and of the suites nested in it, depth-first. */
static int copy_cases(xmlNodePtr into, xmlNodePtr root, tp_junit_counts *c)
{
	xmlNodePtr stack[MAX_DEPTH], n;
	int depth = 0, copied = 0;

	stack[depth++] = root->children;
	while (depth > 0) {
		n = stack[depth - 1];
		if (!n) {
			depth--;
			continue;
		}
		stack[depth - 1] = n->next;
		if (named(n, "testcase") && copied < TP_JUNIT_MAX_CASES) {
			xmlNodePtr copy = xmlDocCopyNode(n, into->doc, 1);
			if (copy)
				strip_entities(copy);
			if (copy && xmlAddChild(into, copy)) {
				count_case(copy, c);
				copied++;
			} else if (copy) {
				xmlFreeNode(copy);
			}
		} else if ((named(n, "testsuite") || named(n, "testsuites")) && depth < MAX_DEPTH) {
			stack[depth++] = n->children;
		}
	}
	return copied;
}

int tp_junit_merge(xmlNodePtr into, const char *data, size_t len, tp_junit_counts *counts)
{
	tp_junit_counts c = { 0, 0, 0, 0, 0 };
	xmlDocPtr doc;
	xmlNodePtr root;
	int n;

	if (len == 0 || len > TP_JUNIT_MAX_BYTES || len > (size_t)INT32_MAX) {
		tp_error_set(TP_EINVAL, "JUnit file is empty or too large (%zu bytes)", len);
		return -1;
	}
	doc = xmlReadMemory(data, (int)len, "junit.xml", NULL,
			    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root || !(named(root, "testsuites") || named(root, "testsuite"))) {
		xmlFreeDoc(doc);
		tp_error_set(TP_EINVAL, "not JUnit XML (no <testsuites> or <testsuite> root)");
		return -1;
	}
	n = copy_cases(into, root, &c);
	xmlFreeDoc(doc);
	counts->tests += c.tests;
	counts->failures += c.failures;
	counts->errors += c.errors;
	counts->skipped += c.skipped;
	counts->time += c.time;
	return n;
}
