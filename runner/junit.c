/* The run's JUnit document (see junit.h). */
#include "runner/junit.h"

#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "aws/error.h"
#include "aws/util.h"

static void set_int(xmlNodePtr n, const char *name, long v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%ld", v);
	xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)buf);
}

static void set_secs(xmlNodePtr n, const char *name, double s)
{
	char buf[48];

	snprintf(buf, sizeof(buf), "%.3f", s);
	xmlSetProp(n, (const xmlChar *)name, (const xmlChar *)buf);
}

static void add_property(xmlNodePtr props, const char *name, const char *value)
{
	xmlNodePtr p = xmlNewChild(props, NULL, (const xmlChar *)"property", NULL);

	xmlSetProp(p, (const xmlChar *)"name", (const xmlChar *)name);
	xmlSetProp(p, (const xmlChar *)"value", (const xmlChar *)value);
}

/* Text content, escaped by libxml2. */
static xmlNodePtr add_text_child(xmlNodePtr parent, const char *name, const char *text)
{
	xmlNodePtr c = xmlNewChild(parent, NULL, (const xmlChar *)name, NULL);

	if (text)
		xmlNodeAddContent(c, (const xmlChar *)text);
	return c;
}

static const char *account_of(const tp_report *r, const tp_report_attempt *a)
{
	return a && a->account >= 0 && (size_t)a->account < r->naccounts ? r->accounts[a->account].id : "";
}

/* Why the last attempt failed, for a failure's message. */
static void failure_message(char *buf, size_t size, const tp_report_attempt *a)
{
	if (!a)
		snprintf(buf, size, "did not run");
	else if (a->error)
		snprintf(buf, size, "%s", a->error);
	else if (a->timed_out)
		snprintf(buf, size, "timed out (killed by signal %d)", a->signal);
	else if (a->interrupted)
		snprintf(buf, size, "interrupted");
	else if (a->signal)
		snprintf(buf, size, "killed by signal %d", a->signal);
	else
		snprintf(buf, size, "exited with status %d", a->exit_code);
}

/* The suite's own cases, when it wrote any. */
static int merge_own(xmlNodePtr ts, const tp_report_attempt *a, tp_junit_counts *c)
{
	char *data = NULL;
	size_t len = 0;
	int n;

	if (!a || !a->junit_path || tp_read_file(a->junit_path, &data, &len) < 0) {
		tp_error_clear();
		return 0;
	}
	n = tp_junit_merge(ts, data, len, c);
	free(data);
	tp_error_clear();
	return n > 0 ? n : 0;
}

/* One test case standing for the whole suite. */
static void add_suite_case(xmlNodePtr ts, const tp_report_suite *s, const tp_report_attempt *a,
			   tp_junit_counts *c)
{
	xmlNodePtr tc = xmlNewChild(ts, NULL, (const xmlChar *)"testcase", NULL);
	char msg[1024];
	double secs = a && a->end_ms >= a->start_ms && a->start_ms >= 0 ?
		(double)(a->end_ms - a->start_ms) / 1000.0 : 0;

	xmlSetProp(tc, (const xmlChar *)"classname", (const xmlChar *)"tidepool");
	xmlSetProp(tc, (const xmlChar *)"name", (const xmlChar *)s->name);
	set_secs(tc, "time", secs);
	c->tests++;
	c->time += secs;
	failure_message(msg, sizeof(msg), a);
	if (s->result == TP_SCHED_SKIPPED) {
		xmlNodePtr sk = xmlNewChild(tc, NULL, (const xmlChar *)"skipped", NULL);
		xmlSetProp(sk, (const xmlChar *)"message",
			   (const xmlChar *)(a && a->interrupted ? "interrupted" : "not started"));
		c->skipped++;
	} else if (s->result == TP_SCHED_FAILED || s->result == TP_SCHED_ERROR) {
		const char *kind = s->result == TP_SCHED_FAILED ? "failure" : "error";
		xmlNodePtr f = add_text_child(tc, kind, a ? a->log_tail : NULL);
		xmlSetProp(f, (const xmlChar *)"message", (const xmlChar *)msg);
		if (s->result == TP_SCHED_FAILED)
			c->failures++;
		else
			c->errors++;
	}
}

/* Merged failures without text get the log's tail. */
static void fill_failures(xmlNodePtr ts, const char *tail)
{
	xmlNodePtr tc, f;

	for (tc = ts->children; tc && tail; tc = tc->next) {
		if (tc->type != XML_ELEMENT_NODE)
			continue;
		for (f = tc->children; f; f = f->next) {
			if (f->type != XML_ELEMENT_NODE)
				continue;
			if ((!strcmp((const char *)f->name, "failure") ||
			     !strcmp((const char *)f->name, "error")) && !f->children)
				xmlNodeAddContent(f, (const xmlChar *)tail);
		}
	}
}

static void add_suite(xmlNodePtr root, const tp_report *r, const tp_report_suite *s,
		      tp_junit_counts *total)
{
	xmlNodePtr ts = xmlNewChild(root, NULL, (const xmlChar *)"testsuite", NULL);
	const tp_report_attempt *a = s->nattempts ? &s->attempts[s->nattempts - 1] : NULL;
	xmlNodePtr props = xmlNewChild(ts, NULL, (const xmlChar *)"properties", NULL);
	tp_junit_counts c = { 0, 0, 0, 0, 0 };
	int failed = s->result == TP_SCHED_FAILED || s->result == TP_SCHED_ERROR;
	char num[32], stamp[32];

	xmlSetProp(ts, (const xmlChar *)"name", (const xmlChar *)s->name);
	snprintf(num, sizeof(num), "%zu", s->nattempts);
	add_property(props, "account", account_of(r, a));
	add_property(props, "attempts", num);
	add_property(props, "result", tp_report_result_name(s));
	add_property(props, "run_id", r->run_id);
	if (merge_own(ts, a, &c) > 0 && (!failed || c.failures + c.errors > 0))
		fill_failures(ts, failed && a ? a->log_tail : NULL);
	else
		add_suite_case(ts, s, a, &c);
	if (failed && a && a->log_tail)
		add_text_child(ts, "system-out", a->log_tail);
	set_int(ts, "tests", c.tests);
	set_int(ts, "failures", c.failures);
	set_int(ts, "errors", c.errors);
	set_int(ts, "skipped", c.skipped);
	set_secs(ts, "time", a && a->start_ms >= 0 && a->end_ms >= a->start_ms ?
		 (double)(a->end_ms - a->start_ms) / 1000.0 : c.time);
	tp_time_iso8601(stamp, sizeof(stamp),
			r->started_at + (time_t)((a && a->start_ms > 0 ? a->start_ms : 0) / 1000));
	xmlSetProp(ts, (const xmlChar *)"timestamp", (const xmlChar *)stamp);
	total->tests += c.tests;
	total->failures += c.failures;
	total->errors += c.errors;
	total->skipped += c.skipped;
}

xmlDocPtr tp_junit_build(const tp_report *r)
{
	xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
	xmlNodePtr root = xmlNewNode(NULL, (const xmlChar *)"testsuites");
	tp_junit_counts total = { 0, 0, 0, 0, 0 };
	size_t i;

	xmlDocSetRootElement(doc, root);
	xmlSetProp(root, (const xmlChar *)"name", (const xmlChar *)(r->project[0] ? r->project : "tidepool"));
	for (i = 0; i < r->nsuites; i++)
		add_suite(root, r, &r->suites[i], &total);
	set_int(root, "tests", total.tests);
	set_int(root, "failures", total.failures);
	set_int(root, "errors", total.errors);
	set_int(root, "skipped", total.skipped);
	set_secs(root, "time", (double)r->duration_ms / 1000.0);
	return doc;
}

int tp_junit_write(const tp_report *r, const char *path)
{
	xmlDocPtr doc = tp_junit_build(r);
	xmlChar *mem = NULL;
	int len = 0, rc;

	xmlDocDumpFormatMemoryEnc(doc, &mem, &len, "UTF-8", 1);
	xmlFreeDoc(doc);
	if (!mem)
		return tp_error_set(TP_ERROR, "cannot serialise the JUnit report for %s", path);
	rc = tp_report_write_file(path, (const char *)mem, (size_t)len);
	xmlFree(mem);
	return rc;
}
