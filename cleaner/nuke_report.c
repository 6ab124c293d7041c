/*
 * The nuke report: items and their states, listing errors, events to the
 * caller, the summary, and the output forms (one line per resource in
 * aws-nuke's shape; JSON).
 */
#include <stdlib.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/nuke_internal.h"

const char *tp_nuke_state_name(tp_nuke_state s)
{
	static const char *const names[] = {
		"would remove", "filtered", "removing", "waiting", "removed", "failed",
	};

	return (size_t)s < TP_ARRAY_SIZE(names) ? names[s] : "unknown";
}

static void emit(nk_run *run, tp_nuke_event *ev)
{
	ev->account = run->o->account;
	ev->summary = &run->rep->summary;
	ev->pass = run->pass;
	if (run->o->on_event)
		run->o->on_event(run->o->event_ctx, ev);
}

size_t nk_add_item(nk_run *run, tp_resource *res, int type_ix, int region_ix)
{
	tp_nuke_report *rep = run->rep;
	size_t i;

	if (rep->n == rep->alloc) {
		rep->alloc = rep->alloc ? rep->alloc * 2 : 64;
		rep->items = tp_xrealloc(rep->items, rep->alloc * sizeof(*rep->items));
		run->track = tp_xrealloc(run->track, rep->alloc * sizeof(*run->track));
	}
	i = rep->n++;
	memset(&rep->items[i], 0, sizeof(rep->items[i]));
	memset(&run->track[i], 0, sizeof(run->track[i]));
	rep->items[i].res = res;
	run->track[i].type_ix = type_ix;
	run->track[i].region_ix = region_ix;
	run->track[i].seen = 1;
	return i;
}

void nk_set_state(nk_run *run, size_t i, tp_nuke_state st, const char *reason)
{
	tp_nuke_item *it = &run->rep->items[i];
	tp_nuke_event ev;

	it->state = st;
	free(it->reason);
	it->reason = tp_xstrdup(reason);
	memset(&ev, 0, sizeof(ev));
	ev.kind = TP_NUKE_EV_ITEM;
	ev.item = it;
	emit(run, &ev);
}

static long error_slot(const nk_run *run, int type_ix, int region_ix)
{
	size_t i;

	for (i = 0; i < run->rep->n_errors; i++)
		if (run->err_slots[i].type_ix == type_ix && run->err_slots[i].region_ix == region_ix)
			return (long)i;
	return -1;
}

void nk_set_error(nk_run *run, int type_ix, int region_ix, const char *type_name,
		  const tp_error *err)
{
	tp_nuke_report *rep = run->rep;
	long at = error_slot(run, type_ix, region_ix);
	char msg[2400];
	tp_nuke_event ev;

	if (at < 0) {
		rep->errors = tp_xrealloc(rep->errors, (rep->n_errors + 1) * sizeof(*rep->errors));
		run->err_slots = tp_xrealloc(run->err_slots,
					     (rep->n_errors + 1) * sizeof(*run->err_slots));
		at = (long)rep->n_errors++;
		memset(&rep->errors[at], 0, sizeof(rep->errors[at]));
		run->err_slots[at].type_ix = type_ix;
		run->err_slots[at].region_ix = region_ix;
	}
	tp_strlcpy(rep->errors[at].region, nk_region_name(run, region_ix),
		   sizeof(rep->errors[at].region));
	rep->errors[at].type = type_name;
	free(rep->errors[at].message);
	rep->errors[at].message = tp_xstrdup(tp_error_format(err, msg, sizeof(msg)));
	memset(&ev, 0, sizeof(ev));
	ev.kind = TP_NUKE_EV_SCAN_ERROR;
	ev.error = &rep->errors[at];
	emit(run, &ev);
}

void nk_clear_error(nk_run *run, int type_ix, int region_ix)
{
	tp_nuke_report *rep = run->rep;
	long at = error_slot(run, type_ix, region_ix);

	if (at < 0)
		return;
	free(rep->errors[at].message);
	rep->n_errors--;
	rep->errors[at] = rep->errors[rep->n_errors];
	run->err_slots[at] = run->err_slots[rep->n_errors];
}

void nk_progress(nk_run *run, const char *phase, size_t done, size_t total, int force)
{
	int64_t now = tp_now_ms();
	tp_nuke_event ev;

	if (!force && now - run->last_progress < run->progress_ms)
		return;
	if (force && total == 0)
		return;
	run->last_progress = now;
	memset(&ev, 0, sizeof(ev));
	ev.kind = TP_NUKE_EV_PROGRESS;
	ev.phase = phase;
	ev.done = done;
	ev.total = total;
	emit(run, &ev);
}

static void count_states(tp_nuke_report *rep)
{
	tp_nuke_summary *s = &rep->summary;
	size_t i;

	s->failed = s->skipped = s->finished = 0;
	for (i = 0; i < rep->n; i++) {
		switch (rep->items[i].state) {
		case TP_NUKE_FILTERED: s->skipped++; break;
		case TP_NUKE_REMOVED: s->finished++; break;
		case TP_NUKE_FAILED: s->failed++; break;
		default: break;
		}
	}
	s->scan_errors = rep->n_errors;
}

void nk_emit_scanned(nk_run *run)
{
	tp_nuke_summary *s = &run->rep->summary;
	tp_nuke_event ev;
	size_t i;

	s->total = run->rep->n;
	s->nukeable = s->filtered = 0;
	for (i = 0; i < run->rep->n; i++) {
		if (run->rep->items[i].state == TP_NUKE_FILTERED)
			s->filtered++;
		else
			s->nukeable++;
	}
	count_states(run->rep);
	memset(&ev, 0, sizeof(ev));
	ev.kind = TP_NUKE_EV_SCANNED;
	emit(run, &ev);
}

/* Still nukeable at the end: failed, saying why when no error did. */
static const char *left_reason(const nk_run *run, const tp_nuke_item *it)
{
	if (run->rep->summary.interrupted)
		return "interrupted before it was removed";
	if (it->state == TP_NUKE_REMOVED)
		return "still listed after it was removed";
	if (it->attempts == 0)
		return "not attempted (the passes stopped first)";
	return "still present";
}

void nk_finish(nk_run *run)
{
	tp_nuke_report *rep = run->rep;
	size_t i;

	for (i = 0; !run->o->dry_run && i < rep->n; i++) {
		if (!run->track[i].nukeable || rep->items[i].state == TP_NUKE_FAILED)
			continue;
		nk_set_state(run, i, TP_NUKE_FAILED, left_reason(run, &rep->items[i]));
	}
	count_states(rep);
}

/* ---- public ------------------------------------------------------------- */

void tp_nuke_report_release(tp_nuke_report *r)
{
	size_t i;

	if (!r)
		return;
	for (i = 0; i < r->n; i++) {
		tp_resource_free(r->items[i].res);
		free(r->items[i].reason);
	}
	for (i = 0; i < r->n_errors; i++)
		free(r->errors[i].message);
	free(r->items);
	free(r->errors);
	memset(r, 0, sizeof(*r));
}

int tp_nuke_report_clean(const tp_nuke_report *r)
{
	const tp_nuke_summary *s = &r->summary;

	if (r->n_errors || s->interrupted)
		return 0;
	return s->dry_run ? s->nukeable == 0 : s->failed == 0;
}

void tp_nuke_format_item(tp_buf *out, const tp_nuke_item *it)
{
	tp_buf_addf(out, "%s - %s - %s - %s", it->res->region, it->res->type->name, it->res->id,
		    tp_nuke_state_name(it->state));
	if (it->reason)
		tp_buf_addf(out, ": %s", it->reason);
}

int tp_nuke_format_event(tp_buf *out, const tp_nuke_event *ev)
{
	switch (ev->kind) {
	case TP_NUKE_EV_ITEM:
		tp_nuke_format_item(out, ev->item);
		return 1;
	case TP_NUKE_EV_SCAN_ERROR:
		tp_buf_addf(out, "%s - %s - list failed: %s", ev->error->region, ev->error->type,
			    ev->error->message);
		return 1;
	case TP_NUKE_EV_PROGRESS:
		if (strcmp(ev->phase, "scan") == 0 || strcmp(ev->phase, "re-list") == 0)
			tp_buf_addf(out, "%s: %zu/%zu listings", ev->phase, ev->done, ev->total);
		else
			tp_buf_addf(out, "pass %d (%s): %zu/%zu settled", ev->pass, ev->phase,
				    ev->done, ev->total);
		return 1;
	default:
		return 0;
	}
}

void tp_nuke_format_scan_summary(tp_buf *out, const tp_nuke_summary *s)
{
	tp_buf_addf(out, "Scan complete: %zu total, %zu nukeable, %zu filtered.", s->total,
		    s->nukeable, s->filtered);
}

void tp_nuke_format_nuke_summary(tp_buf *out, const tp_nuke_summary *s)
{
	tp_buf_addf(out, "Nuke complete: %zu failed, %zu skipped, %zu finished.", s->failed,
		    s->skipped, s->finished);
}

static json_t *item_json(const tp_nuke_item *it)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "region", it->res->region,
			      "type", it->res->type->name, "id", it->res->id,
			      "name", it->res->name, "state", tp_nuke_state_name(it->state));

	if (it->res->arn)
		json_object_set_new(o, "arn", json_string(it->res->arn));
	json_object_set_new(o, "reason", it->reason ? json_string(it->reason) : json_null());
	return o;
}

json_t *tp_nuke_summary_json(const tp_nuke_summary *s)
{
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:i, s:b, s:b}",
			 "total", (json_int_t)s->total, "nukeable", (json_int_t)s->nukeable,
			 "filtered", (json_int_t)s->filtered, "failed", (json_int_t)s->failed,
			 "skipped", (json_int_t)s->skipped, "finished", (json_int_t)s->finished,
			 "scan_errors", (json_int_t)s->scan_errors, "passes", s->passes,
			 "dry_run", s->dry_run, "interrupted", s->interrupted);
}

json_t *tp_nuke_report_json(const tp_nuke_report *r)
{
	json_t *items = json_array(), *errors = json_array();
	size_t i;

	for (i = 0; i < r->n; i++)
		json_array_append_new(items, item_json(&r->items[i]));
	for (i = 0; i < r->n_errors; i++)
		json_array_append_new(errors, json_pack("{s:s, s:s, s:s}", "region",
							r->errors[i].region, "type",
							r->errors[i].type, "message",
							r->errors[i].message));
	return json_pack("{s:s, s:b, s:b, s:o, s:o, s:o}", "account", r->account,
			 "dry_run", r->summary.dry_run, "clean", tp_nuke_report_clean(r),
			 "resources", items, "errors", errors,
			 "summary", tp_nuke_summary_json(&r->summary));
}
