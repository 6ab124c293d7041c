/* timeline.html (see timeline.h). */
#include "runner/timeline.h"

#include <stdio.h>
#include <string.h>

#include "aws/util.h"

#define LABEL_W 150
#define PLOT_W 950
#define AXIS_H 26
#define ROW_H 30
#define BAND_H 26
#define BAR_H 16

static const char style[] =
	"body{font:14px/1.4 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#1d2733}"
	"h1{font-size:20px;margin:0 0 4px}.meta{color:#5b6776;margin:0 0 16px}"
	".legend span{display:inline-block;margin-right:14px}"
	".legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px;border-radius:2px}"
	".legend .lease{background:#e3e9f0}.legend .deploy{background:#f0a030}"
	".legend .ok{background:#3c9d5d}.legend .fail{background:#d9534f}"
	".legend .error{background:#8e44ad}.legend .clean{background:#4a90d9}"
	"svg text.barlabel{font-size:11px;fill:#fff;pointer-events:none}"
	"svg{display:block;margin:12px 0 20px;background:#fbfcfd;border:1px solid #dfe5eb}"
	"svg text{font-size:11px;fill:#5b6776}svg .label{font-size:12px;fill:#1d2733}"
	".lease{fill:#e3e9f0}.deploy{fill:#f0a030}.test.ok{fill:#3c9d5d}.test.fail{fill:#d9534f}"
	".test.error{fill:#8e44ad}.clean{fill:#4a90d9}.clean.fail{fill:#b03a2e}.open{opacity:.6}"
	"table{border-collapse:collapse}td,th{padding:3px 10px;border-bottom:1px solid #e6eaee;text-align:left}"
	"th{color:#5b6776;font-weight:600}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	".passed,.flaky{color:#2e7d46}.failed,.error{color:#c0392b}.skipped{color:#7f8c8d}";

void tp_html_escape(tp_buf *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': tp_buf_adds(out, "&amp;"); break;
		case '<': tp_buf_adds(out, "&lt;"); break;
		case '>': tp_buf_adds(out, "&gt;"); break;
		case '"': tp_buf_adds(out, "&quot;"); break;
		case '\'': tp_buf_adds(out, "&#39;"); break;
		default: tp_buf_addc(out, *s);
		}
	}
}

typedef struct scale {
	int64_t total_ms;
	double px_per_ms;
} scale;

static double xpos(const scale *sc, int64_t ms)
{
	return LABEL_W + (double)ms * sc->px_per_ms;
}

static int64_t span_end(const tp_report *r, const tp_report_span *s)
{
	return s->end_ms >= 0 ? s->end_ms : r->duration_ms;
}

/* A tick step giving at most ~10 ticks. */
static int64_t tick_ms(int64_t total)
{
	static const int64_t steps[] = { 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600,
					 7200, 14400 };
	size_t i;

	for (i = 0; i < TP_ARRAY_SIZE(steps); i++)
		if (total / (steps[i] * 1000) <= 10)
			return steps[i] * 1000;
	return 28800000;
}

static void axis(tp_buf *b, const scale *sc, int height)
{
	int64_t step = tick_ms(sc->total_ms), t;
	char d[32];

	for (t = 0; t <= sc->total_ms; t += step) {
		double x = xpos(sc, t);
		tp_format_duration(d, sizeof(d), (long)(t / 1000));
		tp_buf_addf(b, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#e6eaee\"/>"
			       "<text x=\"%.1f\" y=\"16\" text-anchor=\"middle\">%s</text>\n",
			    x, AXIS_H - 4, x, height, x, t == 0 ? "0s" : d);
	}
}

static const char *outcome_class(const tp_report *r, const tp_report_span *s)
{
	if (s->end_ms < 0)
		return "open";
	if (s->kind == TP_SPAN_TEST && !s->ok && s->suite >= 0) {
		const tp_report_suite *u = &r->suites[s->suite];
		if ((size_t)s->attempt <= u->nattempts &&
		    u->attempts[s->attempt - 1].result == TP_SCHED_ERROR)
			return "error";
	}
	return s->ok ? "ok" : "fail";
}

static void bar_title(tp_buf *b, const tp_report *r, const tp_report_span *s, double secs)
{
	const char *acct = r->accounts[s->account].id;

	tp_buf_adds(b, "<title>");
	if (s->suite >= 0) {
		tp_html_escape(b, r->suites[s->suite].name);
		tp_buf_addf(b, " \xe2\x80\x94 %.1f s (%s, attempt %d, %s, account %s)", secs,
			    tp_span_kind_name(s->kind), s->attempt,
			    s->end_ms < 0 ? "unfinished" : s->ok ? "ok" : "failed", acct);
	} else {
		tp_buf_addf(b, "%s %s \xe2\x80\x94 %.1f s%s", tp_span_kind_name(s->kind), acct, secs,
			    s->kind == TP_SPAN_CLEAN && s->end_ms >= 0 && !s->ok ? " (failed)" : "");
	}
	tp_buf_adds(b, "</title>");
}

static void bar(tp_buf *b, const tp_report *r, const scale *sc, const tp_report_span *s)
{
	int64_t end = span_end(r, s);
	double x = xpos(sc, s->start_ms), w = (double)(end - s->start_ms) * sc->px_per_ms;
	int lease = s->kind == TP_SPAN_LEASE;
	int y = AXIS_H + s->account * ROW_H + (lease ? (ROW_H - BAND_H) / 2 : (ROW_H - BAR_H) / 2);

	if (w < 1.5)
		w = 1.5;
	tp_buf_addf(b, "<rect class=\"bar %s %s\" data-account=\"%s\"", tp_span_kind_name(s->kind),
		    lease ? "band" : outcome_class(r, s), r->accounts[s->account].id);
	if (s->suite >= 0) {
		tp_buf_adds(b, " data-suite=\"");
		tp_html_escape(b, r->suites[s->suite].name);
		tp_buf_addf(b, "\" data-attempt=\"%d\"", s->attempt);
	}
	tp_buf_addf(b, " x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" rx=\"%d\">", x, y, w,
		    lease ? BAND_H : BAR_H, lease ? 4 : 2);
	bar_title(b, r, s, (double)(end - s->start_ms) / 1000.0);
	tp_buf_adds(b, "</rect>\n");
	/* the suite's name on its test bar, when it fits (about 6.5 px a character) */
	if (s->kind == TP_SPAN_TEST && s->suite >= 0 &&
	    w > 6.5 * (double)strlen(r->suites[s->suite].name) + 8) {
		tp_buf_addf(b, "<text class=\"barlabel\" x=\"%.1f\" y=\"%d\">", x + 4, y + BAR_H - 4);
		tp_html_escape(b, r->suites[s->suite].name);
		tp_buf_adds(b, "</text>\n");
	}
}

static void svg(tp_buf *b, const tp_report *r)
{
	int height = AXIS_H + (int)r->naccounts * ROW_H + 6;
	scale sc;
	size_t i;
	int k;

	sc.total_ms = r->duration_ms > 1000 ? r->duration_ms : 1000;
	for (i = 0; i < r->nspans; i++)
		if (span_end(r, &r->spans[i]) > sc.total_ms)
			sc.total_ms = span_end(r, &r->spans[i]);
	sc.px_per_ms = (double)PLOT_W / (double)sc.total_ms;
	tp_buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		       "viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"timeline\">\n",
		    LABEL_W + PLOT_W + 20, height, LABEL_W + PLOT_W + 20, height);
	axis(b, &sc, height);
	for (i = 0; i < r->naccounts; i++)
		tp_buf_addf(b, "<text class=\"label\" x=\"8\" y=\"%d\">%s</text>\n",
			    AXIS_H + (int)i * ROW_H + ROW_H / 2 + 4, r->accounts[i].id);
	/* bands first, then the phases on top of them */
	for (k = 0; k < 2; k++)
		for (i = 0; i < r->nspans; i++)
			if ((r->spans[i].kind == TP_SPAN_LEASE) == (k == 0))
				bar(b, r, &sc, &r->spans[i]);
	tp_buf_adds(b, "</svg>\n");
}

static void suite_row(tp_buf *b, const tp_report *r, const tp_report_suite *s)
{
	int64_t deploy = 0, test = 0;
	const char *acct = "";
	size_t i;

	for (i = 0; i < s->nattempts; i++) {
		const tp_report_attempt *a = &s->attempts[i];
		deploy += a->deploy_ms;
		if (a->start_ms >= 0 && a->end_ms >= a->start_ms)
			test += a->end_ms - a->start_ms;
		acct = r->accounts[a->account].id;
	}
	tp_buf_adds(b, "<tr><td>");
	tp_html_escape(b, s->name);
	tp_buf_addf(b, "</td><td>%s</td><td class=\"n\">%zu</td><td class=\"n\">%.1f</td>"
		       "<td class=\"n\">%.1f</td><td class=\"%s\">%s</td></tr>\n",
		    acct, s->nattempts, (double)deploy / 1000.0, (double)test / 1000.0,
		    tp_report_result_name(s), tp_report_result_name(s));
}

static void header(tp_buf *b, const tp_report *r)
{
	tp_report_counts c;
	char when[32], dur[32];

	tp_report_counts_get(r, &c);
	tp_time_iso8601(when, sizeof(when), r->started_at);
	tp_format_duration(dur, sizeof(dur), (long)((r->duration_ms + 500) / 1000));
	tp_buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>tidepool ");
	tp_html_escape(b, r->project);
	tp_buf_adds(b, " \xe2\x80\x94 run ");
	tp_html_escape(b, r->run_id);
	tp_buf_addf(b, "</title>\n<style>%s</style></head><body>\n<h1>", style);
	tp_html_escape(b, r->project);
	tp_buf_adds(b, " \xe2\x80\x94 run ");
	tp_html_escape(b, r->run_id);
	tp_buf_addf(b, "</h1>\n<p class=\"meta\">started %s, took %s on %zu account%s%s: %d suites, "
		       "%d passed, %d failed, %d errors, %d skipped, %d flaky%s</p>\n",
		    when, dur, r->naccounts, r->naccounts == 1 ? "" : "s", r->local ? " (local)" : "",
		    c.suites, c.passed, c.failed, c.errors, c.skipped, c.flaky,
		    r->interrupted ? " \xe2\x80\x94 interrupted" : "");
	tp_buf_adds(b, "<p class=\"legend\"><span><i class=\"lease\"></i>lease</span>"
		       "<span><i class=\"deploy\"></i>deploy</span>"
		       "<span><i class=\"test ok\"></i>test passed</span>"
		       "<span><i class=\"test fail\"></i>test failed</span>"
		       "<span><i class=\"test error\"></i>error</span>"
		       "<span><i class=\"clean\"></i>clean</span></p>\n");
}

void tp_timeline_html(tp_buf *out, const tp_report *r)
{
	size_t i;

	header(out, r);
	svg(out, r);
	tp_buf_adds(out, "<table><thead><tr><th>suite</th><th>account</th><th>attempts</th>"
			 "<th>deploy s</th><th>test s</th><th>result</th></tr></thead><tbody>\n");
	for (i = 0; i < r->nsuites; i++)
		suite_row(out, r, &r->suites[i]);
	tp_buf_adds(out, "</tbody></table>\n</body></html>\n");
}

int tp_timeline_write(const tp_report *r, const char *path)
{
	tp_buf b = TP_BUF_INIT;
	int rc;

	tp_timeline_html(&b, r);
	rc = tp_report_write_file(path, tp_buf_cstr(&b), b.len);
	tp_buf_release(&b);
	return rc;
}
