/* results.json and `tidepool run --json`: the report as one JSON document. */
#include "runner/report_json.h"

#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

static json_t *secs(int64_t ms)
{
	return ms < 0 ? json_null() : json_real((double)ms / 1000.0);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static const char *result_name(tp_sched_result r)
{
	switch (r) {
	case TP_SCHED_PASSED: return "passed";
	case TP_SCHED_FAILED: return "failed";
	case TP_SCHED_ERROR: return "error";
	case TP_SCHED_SKIPPED: return "skipped";
	}
	return "?";
}

static json_t *attempt_json(const tp_report *r, const tp_report_attempt *a)
{
	json_t *o = json_object(), *stacks = json_array();
	size_t i;

	json_object_set_new(o, "number", json_integer(a->number));
	json_object_set_new(o, "account", json_string(r->accounts[a->account].id));
	json_object_set_new(o, "result", json_string(result_name(a->result)));
	json_object_set_new(o, "exit_code", a->exit_code >= 0 ? json_integer(a->exit_code) : json_null());
	json_object_set_new(o, "signal", json_integer(a->signal));
	json_object_set_new(o, "timed_out", json_boolean(a->timed_out));
	json_object_set_new(o, "interrupted", json_boolean(a->interrupted));
	json_object_set_new(o, "deploy_s", secs(a->deploy_ms));
	json_object_set_new(o, "started_s", secs(a->start_ms));
	json_object_set_new(o, "ended_s", secs(a->end_ms));
	json_object_set_new(o, "test_s", a->start_ms >= 0 && a->end_ms >= a->start_ms ?
				secs(a->end_ms - a->start_ms) : json_null());
	json_object_set_new(o, "error", str_or_null(a->error));
	json_object_set_new(o, "log", str_or_null(a->log_path));
	json_object_set_new(o, "junit", str_or_null(a->junit_path));
	for (i = 0; i < a->nstacks; i++)
		json_array_append_new(stacks, json_string(a->stacks[i]));
	json_object_set_new(o, "stacks", stacks);
	if (a->result != TP_SCHED_PASSED && a->log_tail)
		json_object_set_new(o, "log_tail", json_string(a->log_tail));
	return o;
}

static json_t *suite_json(const tp_report *r, const tp_report_suite *s)
{
	json_t *o = json_object(), *att = json_array();
	size_t i;

	json_object_set_new(o, "name", json_string(s->name));
	json_object_set_new(o, "result", json_string(tp_report_result_name(s)));
	json_object_set_new(o, "flaky", json_boolean(s->flaky));
	json_object_set_new(o, "expected_s", secs(s->expected_ms));
	for (i = 0; i < s->nattempts; i++)
		json_array_append_new(att, attempt_json(r, &s->attempts[i]));
	json_object_set_new(o, "attempts", att);
	return o;
}

static json_t *account_json(const tp_report_account *a)
{
	static const char *const clean[] = { "failed", "no", "yes" };

	return json_pack("{s:s, s:o, s:o, s:i, s:s, s:o, s:o}", "id", a->id,
			 "leased_s", secs(a->leased_ms), "released_s", secs(a->released_ms),
			 "suites", a->suites_run, "cleaned", clean[a->clean + 1],
			 "clean_error", str_or_null(a->clean_error),
			 "lease_lost", str_or_null(a->lease_lost));
}

static json_t *span_json(const tp_report *r, const tp_report_span *s)
{
	return json_pack("{s:s, s:s, s:o, s:i, s:o, s:o, s:b}", "phase", tp_span_kind_name(s->kind),
			 "account", r->accounts[s->account].id,
			 "suite", s->suite >= 0 ? json_string(r->suites[s->suite].name) : json_null(),
			 "attempt", s->attempt, "start_s", secs(s->start_ms), "end_s", secs(s->end_ms),
			 "ok", s->ok);
}

static json_t *aws_json(const tp_aws_stats *s)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "calls", (json_int_t)s->calls,
			 "attempts", (json_int_t)s->attempts, "retries", (json_int_t)s->retries,
			 "throttled", (json_int_t)s->throttled, "transient", (json_int_t)s->transient,
			 "timeouts", (json_int_t)s->timeouts,
			 "quota_refused", (json_int_t)s->quota_refused);
}

json_t *tp_report_json(const tp_report *r)
{
	json_t *o = json_object(), *suites = json_array(), *accts = json_array(), *tl = json_array();
	tp_report_counts c;
	char when[32];
	size_t i;

	tp_report_counts_get(r, &c);
	tp_time_iso8601(when, sizeof(when), r->started_at);
	json_object_set_new(o, "project", json_string(r->project));
	json_object_set_new(o, "run_id", json_string(r->run_id));
	json_object_set_new(o, "started_at", json_string(when));
	json_object_set_new(o, "duration_s", secs(r->duration_ms));
	json_object_set_new(o, "local", json_boolean(r->local));
	json_object_set_new(o, "max_accounts", json_integer(r->max_accounts));
	json_object_set_new(o, "exit_code", json_integer(r->exit_code));
	json_object_set_new(o, "interrupted", json_boolean(r->interrupted));
	json_object_set_new(o, "error", str_or_null(r->error));
	json_object_set_new(o, "counts",
			    json_pack("{s:i, s:i, s:i, s:i, s:i, s:i, s:i}", "suites", c.suites,
				      "passed", c.passed, "failed", c.failed, "errors", c.errors,
				      "skipped", c.skipped, "flaky", c.flaky, "attempts", c.attempts));
	for (i = 0; i < r->nsuites; i++)
		json_array_append_new(suites, suite_json(r, &r->suites[i]));
	for (i = 0; i < r->naccounts; i++)
		json_array_append_new(accts, account_json(&r->accounts[i]));
	for (i = 0; i < r->nspans; i++)
		json_array_append_new(tl, span_json(r, &r->spans[i]));
	json_object_set_new(o, "stats",
			    json_pack("{s:I, s:I, s:I, s:i}", "loop_cpu_ms", (json_int_t)r->loop_cpu_ms,
				      "process_cpu_ms", (json_int_t)r->process_cpu_ms,
				      "peak_rss_kb", (json_int_t)r->peak_rss_kb,
				      "max_running", r->max_running));
	json_object_set_new(o, "aws", aws_json(&r->aws));
	json_object_set_new(o, "suites", suites);
	json_object_set_new(o, "accounts", accts);
	json_object_set_new(o, "timeline", tl);
	return o;
}

int tp_report_json_write(const tp_report *r, const char *path)
{
	json_t *o = tp_report_json(r);
	char *s = json_dumps(o, JSON_INDENT(2));
	int rc;

	json_decref(o);
	if (!s)
		return tp_error_set(TP_ERROR, "cannot serialise %s", path);
	rc = tp_report_write_file(path, s, strlen(s));
	free(s);
	return rc;
}
