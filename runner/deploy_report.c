/* Progress, table and JSON of a deploy (runner/deploy_report.h). */
#include "runner/deploy_report.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/buf.h"
#include "aws/util.h"

#define MAX_LIVE_ROWS 24

typedef struct row {
	char account[16];
	size_t done, failed;
	char running[96];       /* names of running stacks, comma-separated, cut */
	int64_t start_ms, end_ms;
	int finished;
	char *error;
} row;

struct tp_deploy_progress {
	pthread_mutex_t lock;   /* everything below */
	FILE *out;
	int live;
	row *rows;
	size_t n, nstacks;
	size_t drawn;           /* lines of the live block on screen */
};

static int64_t now_ms(void)
{
	return tp_now_ms();
}

tp_deploy_progress *tp_deploy_progress_new(FILE *out, int live, const char *const *accounts,
					   size_t n, size_t nstacks)
{
	tp_deploy_progress *p = tp_xcalloc(1, sizeof(*p));
	size_t i;

	pthread_mutex_init(&p->lock, NULL);
	p->out = out;
	p->live = live;
	p->n = n;
	p->nstacks = nstacks;
	p->rows = tp_xcalloc(n + 1, sizeof(*p->rows));
	for (i = 0; i < n; i++) {
		tp_strlcpy(p->rows[i].account, accounts[i], sizeof(p->rows[i].account));
		p->rows[i].start_ms = now_ms();
	}
	return p;
}

/* ---- drawing (lock held) -------------------------------------------------------------- */

static void erase(tp_deploy_progress *p)
{
	if (!p->live || !p->drawn)
		return;
	fprintf(p->out, "\033[%zuA\033[J", p->drawn);
	p->drawn = 0;
}

static void draw(tp_deploy_progress *p)
{
	size_t i, shown = p->n < MAX_LIVE_ROWS ? p->n : MAX_LIVE_ROWS;

	if (!p->live)
		return;
	erase(p);
	for (i = 0; i < shown; i++) {
		const row *r = &p->rows[i];
		int64_t end = r->finished ? r->end_ms : now_ms();

		fprintf(p->out, "  %-12s %3zu/%-3zu %-9s %5.0fs  %s\n", r->account, r->done,
			p->nstacks, r->error ? "error" : r->failed ? "failing" :
			r->finished ? "done" : "deploying", (double)(end - r->start_ms) / 1000.0,
			r->error ? "" : r->running);
	}
	if (shown < p->n)
		fprintf(p->out, "  ... and %zu more accounts\n", p->n - shown);
	p->drawn = shown + (shown < p->n);
	fflush(p->out);
}

/* A line above the block (live) or a timestamped line (not live). */
static void event(tp_deploy_progress *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void event(tp_deploy_progress *p, const char *fmt, ...)
{
	char stamp[16];
	time_t t = time(NULL);
	struct tm tm;
	va_list ap;

	erase(p);
	localtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	fprintf(p->out, "%s ", stamp);
	va_start(ap, fmt);
	vfprintf(p->out, fmt, ap);
	va_end(ap);
	fputc('\n', p->out);
	draw(p);
	fflush(p->out);
}

/* Rebuild the list of running stacks from a start or a finish. */
static void set_running(row *r, const char *stack, int running)
{
	tp_buf b = TP_BUF_INIT;
	const char *p = r->running;

	while (*p) {
		size_t len = strcspn(p, ",");

		if (!(len == strlen(stack) && strncmp(p, stack, len) == 0))
			tp_buf_addf(&b, "%s%.*s", b.len ? "," : "", (int)len, p);
		p += len + (p[len] == ',');
	}
	if (running)
		tp_buf_addf(&b, "%s%s", b.len ? "," : "", stack);
	tp_strlcpy(r->running, tp_buf_cstr(&b), sizeof(r->running));
	tp_buf_release(&b);
}

void tp_deploy_progress_stack(tp_deploy_progress *p, size_t account,
			      const tp_deploy_stack_result *r)
{
	row *w;
	int running = r->outcome == TP_DEPLOY_RUNNING;
	double secs = r->start_ms ? (double)(r->end_ms - r->start_ms) / 1000.0 : 0;

	if (!p || account >= p->n)
		return;
	pthread_mutex_lock(&p->lock);
	w = &p->rows[account];
	set_running(w, r->name, running);
	if (!running) {
		w->done++;
		w->failed += r->outcome == TP_DEPLOY_FAILED || r->outcome == TP_DEPLOY_BLOCKED;
		if (r->outcome == TP_DEPLOY_FAILED || !p->live)
			event(p, "%s %s %s %.1fs%s%s", w->account, r->name,
			      tp_deploy_outcome_name(r->outcome), secs, r->message ? ": " : "",
			      r->message ? r->message : "");
		else
			draw(p);
	} else {
		draw(p);
	}
	pthread_mutex_unlock(&p->lock);
}

void tp_deploy_progress_account(tp_deploy_progress *p, size_t account, const char *error)
{
	row *w;

	if (!p || account >= p->n)
		return;
	pthread_mutex_lock(&p->lock);
	w = &p->rows[account];
	w->finished = 1;
	w->end_ms = now_ms();
	if (error) {
		free(w->error);
		w->error = tp_xstrdup(error);
		event(p, "%s error: %s", w->account, error);
	} else if (!p->live) {
		event(p, "%s finished: %zu/%zu stacks, %zu failed, %.1fs", w->account, w->done,
		      p->nstacks, w->failed, (double)(w->end_ms - w->start_ms) / 1000.0);
	} else {
		draw(p);
	}
	pthread_mutex_unlock(&p->lock);
}

void tp_deploy_progress_tick(tp_deploy_progress *p)
{
	if (!p || !p->live)
		return;
	pthread_mutex_lock(&p->lock);
	draw(p);
	pthread_mutex_unlock(&p->lock);
}

void tp_deploy_progress_free(tp_deploy_progress *p)
{
	size_t i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	erase(p);
	fflush(p->out);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->n; i++)
		free(p->rows[i].error);
	free(p->rows);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* ---- the closing reports --------------------------------------------------------------- */

void tp_deploy_count(tp_deploy_counts *out, const tp_deploy_summary *s)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; s->results && i < s->nstacks; i++) {
		switch (s->results[i]->outcome) {
		case TP_DEPLOY_CREATED: out->created++; break;
		case TP_DEPLOY_UPDATED: out->updated++; break;
		case TP_DEPLOY_SKIPPED: out->skipped++; break;
		default: out->failed++; break;
		}
	}
}

static void failures(FILE *out, const tp_deploy_summary *s, size_t n)
{
	size_t i, k;

	for (i = 0; i < n; i++) {
		if (s[i].error)
			fprintf(out, "  %s: %s\n", s[i].account, s[i].error);
		for (k = 0; s[i].results && k < s[i].nstacks; k++) {
			const tp_deploy_stack_result *r = s[i].results[k];

			if (r->outcome == TP_DEPLOY_FAILED || r->outcome == TP_DEPLOY_BLOCKED ||
			    r->outcome == TP_DEPLOY_CANCELLED)
				fprintf(out, "  stack %s in %s %s: %s\n", r->name, s[i].account,
					tp_deploy_outcome_name(r->outcome),
					r->message ? r->message : "no reason given");
		}
	}
}

void tp_deploy_report_table(FILE *out, const tp_deploy_summary *s, size_t n)
{
	tp_deploy_counts c, total;
	size_t i;

	memset(&total, 0, sizeof(total));
	fprintf(out, "%-14s %8s %8s %8s %8s %9s\n", "ACCOUNT", "CREATED", "UPDATED", "SKIPPED",
		"FAILED", "SECONDS");
	for (i = 0; i < n; i++) {
		tp_deploy_count(&c, &s[i]);
		if (s[i].error && !c.failed)
			c.failed = s[i].nstacks ? s[i].nstacks : 1;
		fprintf(out, "%-14s %8zu %8zu %8zu %8zu %9.1f\n", s[i].account, c.created,
			c.updated, c.skipped, c.failed, s[i].seconds);
		total.created += c.created;
		total.updated += c.updated;
		total.skipped += c.skipped;
		total.failed += c.failed;
	}
	if (n > 1)
		fprintf(out, "%-14s %8zu %8zu %8zu %8zu\n", "total", total.created, total.updated,
			total.skipped, total.failed);
	if (total.failed) {
		fprintf(out, "\nFailures:\n");
		failures(out, s, n);
	}
}

static json_t *outputs_json(const tp_cfn_stack *st)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < st->outputs.n; i++)
		json_object_set_new(o, st->outputs.items[i].key,
				    json_string(st->outputs.items[i].value));
	return o;
}

static json_t *stack_json(const tp_deploy_stack_result *r)
{
	json_t *o = json_pack("{s:s, s:s, s:f}", "stack", r->name, "result",
			      tp_deploy_outcome_name(r->outcome), "seconds",
			      r->start_ms ? (double)(r->end_ms - r->start_ms) / 1000.0 : 0.0);

	json_object_set_new(o, "message", r->message ? json_string(r->message) : json_null());
	json_object_set_new(o, "aws_code", r->aws_code ? json_string(r->aws_code) : json_null());
	json_object_set_new(o, "stack_id", r->stack.stack_id ? json_string(r->stack.stack_id) :
									json_null());
	json_object_set_new(o, "calls", json_integer(r->calls));
	json_object_set_new(o, "outputs", outputs_json(&r->stack));
	return o;
}

static json_t *account_json(const tp_deploy_summary *s, int *ok)
{
	tp_deploy_counts c;
	json_t *stacks = json_array(), *o;
	size_t k;

	tp_deploy_count(&c, s);
	for (k = 0; s->results && k < s->nstacks; k++)
		json_array_append_new(stacks, stack_json(s->results[k]));
	if (c.failed || s->error)
		*ok = 0;
	o = json_pack("{s:s, s:f, s:I, s:I, s:I, s:I}", "account", s->account, "seconds",
		      s->seconds, "created", (json_int_t)c.created, "updated",
		      (json_int_t)c.updated, "skipped", (json_int_t)c.skipped, "failed",
		      (json_int_t)c.failed);
	json_object_set_new(o, "error", s->error ? json_string(s->error) : json_null());
	json_object_set_new(o, "stacks", stacks);
	return o;
}

json_t *tp_deploy_report_json(const tp_deploy_summary *s, size_t n, json_t *api_calls)
{
	json_t *accounts = json_array(), *doc, *v;
	json_int_t total = 0;
	const char *k;
	size_t i;
	int ok = 1;

	for (i = 0; i < n; i++)
		json_array_append_new(accounts, account_json(&s[i], &ok));
	if (!api_calls)
		api_calls = json_object();
	json_object_foreach(api_calls, k, v)
		total += json_integer_value(v);
	doc = json_pack("{s:o, s:o, s:I, s:b}", "accounts", accounts, "api_calls", api_calls,
			"api_calls_total", total, "ok", ok);
	return doc;
}
