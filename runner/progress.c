/*
 * Live progress (see progress.h). The live block is drawn with three
 * escapes only: cursor up (CSI n A), erase to end of line (CSI K) and
 * erase below (CSI J); every line is cut to the terminal's width so the
 * cursor arithmetic holds.
 */
#include "runner/progress.h"

#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "aws/buf.h"
#include "aws/util.h"

#define MAX_ROWS 40

struct tp_progress {
	FILE *out;
	int live;
	int drawn;              /* lines of the block on screen */
	int64_t last_status;
};

tp_progress *tp_progress_new(FILE *out, int live)
{
	tp_progress *p = tp_xcalloc(1, sizeof(*p));

	p->out = out;
	p->live = live;
	p->last_status = tp_now_ms();
	return p;
}

void tp_progress_clear(tp_progress *p)
{
	if (!p || !p->live || !p->drawn)
		return;
	fprintf(p->out, "\r\033[%dA\033[J", p->drawn);
	p->drawn = 0;
	fflush(p->out);
}

void tp_progress_free(tp_progress *p)
{
	if (!p)
		return;
	tp_progress_clear(p);
	free(p);
}

static void stamp(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(buf, size, "%H:%M:%S", &tm);
}

void tp_progress_event(tp_progress *p, const char *fmt, ...)
{
	char when[16];
	va_list ap;

	if (!p)
		return;
	tp_progress_clear(p);
	stamp(when, sizeof(when));
	fprintf(p->out, "%s ", when);
	va_start(ap, fmt);
	vfprintf(p->out, fmt, ap);
	va_end(ap);
	fputc('\n', p->out);
	fflush(p->out);
}

static int columns(const tp_progress *p)
{
	struct winsize ws;

	if (ioctl(fileno(p->out), TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 100;
}

static void status_line(tp_buf *b, const tp_progress_view *v)
{
	char eta[32], el[32];

	tp_format_duration(el, sizeof(el), (long)(v->elapsed_ms / 1000));
	tp_buf_addf(b, "%d running, %d passed, %d failed, %d queued", v->running, v->passed,
		    v->failed, v->queued);
	if (v->skipped)
		tp_buf_addf(b, ", %d skipped", v->skipped);
	tp_buf_addf(b, " on %d account%s", v->accounts, v->accounts == 1 ? "" : "s");
	if (v->eta_ms >= 0) {
		tp_format_duration(eta, sizeof(eta), (long)((v->eta_ms + 999) / 1000));
		tp_buf_addf(b, " | ETA %s", eta);
	}
	tp_buf_addf(b, " | %s elapsed", el);
}

/* Add `line` cut to `width` columns (bytes; names are ASCII) and a newline. */
static void add_line(tp_buf *b, const char *line, int width)
{
	size_t n = strlen(line);

	if (n > (size_t)width - 1)
		n = (size_t)width - 1;
	tp_buf_add(b, line, n);
	tp_buf_adds(b, "\033[K\n");
}

static void draw_live(tp_progress *p, const tp_progress_view *v)
{
	tp_buf b = TP_BUF_INIT, line = TP_BUF_INIT;
	int width = columns(p), lines = 1;
	size_t i;

	if (p->drawn)
		tp_buf_addf(&b, "\r\033[%dA", p->drawn);
	tp_buf_adds(&line, "tidepool: ");
	status_line(&line, v);
	add_line(&b, tp_buf_cstr(&line), width);
	for (i = 0; i < v->nrows && i < MAX_ROWS; i++, lines++) {
		const tp_progress_row *r = &v->rows[i];
		char el[32];

		tp_format_duration(el, sizeof(el), (long)(r->elapsed_ms / 1000));
		tp_buf_reset(&line);
		tp_buf_addf(&line, "  %-28s %-12s %-11s %s", r->suite, r->account ? r->account : "-",
			    r->phase, el);
		if (r->attempt > 1)
			tp_buf_addf(&line, " (attempt %d)", r->attempt);
		add_line(&b, tp_buf_cstr(&line), width);
	}
	if (v->nrows > MAX_ROWS) {
		tp_buf_reset(&line);
		tp_buf_addf(&line, "  ... and %zu more", v->nrows - MAX_ROWS);
		add_line(&b, tp_buf_cstr(&line), width);
		lines++;
	}
	tp_buf_adds(&b, "\033[J");
	fwrite(b.ptr, 1, b.len, p->out);
	fflush(p->out);
	p->drawn = lines;
	tp_buf_release(&b);
	tp_buf_release(&line);
}

void tp_progress_draw(tp_progress *p, const tp_progress_view *v)
{
	tp_buf line = TP_BUF_INIT;

	if (!p)
		return;
	if (p->live) {
		draw_live(p, v);
		return;
	}
	if (tp_now_ms() - p->last_status < TP_PROGRESS_STATUS_MS)
		return;
	p->last_status = tp_now_ms();
	status_line(&line, v);
	tp_progress_event(p, "%s", tp_buf_cstr(&line));
	tp_buf_release(&line);
}
