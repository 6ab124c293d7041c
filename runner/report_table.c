/* The closing table (see report_table.h). */
#include "runner/report_table.h"

#include <string.h>

#include "aws/util.h"

static int name_width(const tp_report *r)
{
	size_t i, w = 5;

	for (i = 0; i < r->nsuites; i++)
		if (strlen(r->suites[i].name) > w)
			w = strlen(r->suites[i].name);
	return w > 48 ? 48 : (int)w;
}

static void row(FILE *out, const tp_report *r, const tp_report_suite *s, int w)
{
	int64_t deploy = 0, test = 0;
	const char *acct = "-";
	size_t i;

	for (i = 0; i < s->nattempts; i++) {
		const tp_report_attempt *a = &s->attempts[i];
		deploy += a->deploy_ms;
		if (a->start_ms >= 0 && a->end_ms >= a->start_ms)
			test += a->end_ms - a->start_ms;
		acct = r->accounts[a->account].id;
	}
	fprintf(out, "%-*.*s  %-12s  %8zu  %8.1f  %8.1f  %s\n", w, w, s->name, acct, s->nattempts,
		(double)deploy / 1000.0, (double)test / 1000.0, tp_report_result_name(s));
}

/* The runner's AWS calls and their retries: what throttling and faults cost. */
static void aws_line(FILE *out, const tp_aws_stats *s)
{
	if (!s->calls)
		return;
	fprintf(out, "AWS: %llu call%s, %llu retr%s (%llu throttled, %llu transient, %llu timeouts)",
		(unsigned long long)s->calls, s->calls == 1 ? "" : "s",
		(unsigned long long)s->retries, s->retries == 1 ? "y" : "ies",
		(unsigned long long)s->throttled, (unsigned long long)s->transient,
		(unsigned long long)s->timeouts);
	if (s->quota_refused)
		fprintf(out, ", %llu not retried: retry quota empty",
			(unsigned long long)s->quota_refused);
	fputc('\n', out);
}

void tp_report_summary(FILE *out, const tp_report *r)
{
	tp_report_counts c;
	char dur[32];

	tp_report_counts_get(r, &c);
	tp_format_duration(dur, sizeof(dur), (long)((r->duration_ms + 500) / 1000));
	fprintf(out, "%d suite%s: %d passed, %d failed, %d error%s, %d skipped", c.suites,
		c.suites == 1 ? "" : "s", c.passed, c.failed, c.errors, c.errors == 1 ? "" : "s",
		c.skipped);
	if (c.flaky)
		fprintf(out, " (%d flaky)", c.flaky);
	fprintf(out, " in %s on %zu account%s%s\n", dur, r->naccounts, r->naccounts == 1 ? "" : "s",
		r->interrupted ? " (interrupted)" : "");
	aws_line(out, &r->aws);
}

void tp_report_table(FILE *out, const tp_report *r)
{
	int w = name_width(r);
	size_t i;

	fprintf(out, "%-*s  %-12s  %8s  %8s  %8s  %s\n", w, "SUITE", "ACCOUNT", "ATTEMPTS",
		"DEPLOY s", "TEST s", "RESULT");
	for (i = 0; i < r->nsuites; i++)
		row(out, r, &r->suites[i], w);
	tp_report_summary(out, r);
	fflush(out);
}
