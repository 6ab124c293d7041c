/* The run report: construction, counts, log tails, private files. */
#include "runner/report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/error.h"
#include "aws/util.h"

const char *tp_span_kind_name(tp_span_kind k)
{
	static const char *const names[] = { "lease", "deploy", "test", "clean" };

	return (unsigned)k < TP_ARRAY_SIZE(names) ? names[k] : "?";
}

void tp_report_init(tp_report *r, const char *project, const char *run_id)
{
	memset(r, 0, sizeof(*r));
	r->project = tp_xstrdup(project ? project : "");
	r->run_id = tp_xstrdup(run_id ? run_id : "");
	r->started_at = tp_time_now();
	r->start_mono = tp_now_ms();
}

static void attempt_release(tp_report_attempt *a)
{
	size_t i;

	free(a->error);
	free(a->log_path);
	free(a->junit_path);
	free(a->log_tail);
	for (i = 0; i < a->nstacks; i++)
		free(a->stacks[i]);
	free(a->stacks);
}

void tp_report_release(tp_report *r)
{
	size_t i, j;

	for (i = 0; i < r->nsuites; i++) {
		for (j = 0; j < r->suites[i].nattempts; j++)
			attempt_release(&r->suites[i].attempts[j]);
		free(r->suites[i].attempts);
		free(r->suites[i].name);
	}
	for (i = 0; i < r->naccounts; i++) {
		free(r->accounts[i].clean_error);
		free(r->accounts[i].lease_lost);
	}
	free(r->suites);
	free(r->accounts);
	free(r->spans);
	free(r->project);
	free(r->run_id);
	free(r->error);
	memset(r, 0, sizeof(*r));
}

int64_t tp_report_now(const tp_report *r)
{
	return tp_now_ms() - r->start_mono;
}

int tp_report_add_suite(tp_report *r, const char *name, int64_t expected_ms)
{
	tp_report_suite *s;

	r->suites = tp_xrealloc(r->suites, (r->nsuites + 1) * sizeof(*r->suites));
	s = &r->suites[r->nsuites];
	memset(s, 0, sizeof(*s));
	s->name = tp_xstrdup(name);
	s->expected_ms = expected_ms;
	s->result = TP_SCHED_SKIPPED;
	return (int)r->nsuites++;
}

int tp_report_account_index(tp_report *r, const char *id)
{
	tp_report_account *a;
	size_t i;

	for (i = 0; i < r->naccounts; i++)
		if (strcmp(r->accounts[i].id, id) == 0)
			return (int)i;
	if (r->naccounts == r->accounts_alloc) {
		r->accounts_alloc = r->accounts_alloc ? 2 * r->accounts_alloc : 8;
		r->accounts = tp_xrealloc(r->accounts, r->accounts_alloc * sizeof(*r->accounts));
	}
	a = &r->accounts[r->naccounts];
	memset(a, 0, sizeof(*a));
	tp_strlcpy(a->id, id, sizeof(a->id));
	a->released_ms = -1;
	a->lease_span = -1;
	return (int)r->naccounts++;
}

int tp_report_span_open(tp_report *r, tp_span_kind kind, int account, int suite, int attempt)
{
	tp_report_span *s;

	if (r->nspans == r->spans_alloc) {
		r->spans_alloc = r->spans_alloc ? 2 * r->spans_alloc : 64;
		r->spans = tp_xrealloc(r->spans, r->spans_alloc * sizeof(*r->spans));
	}
	s = &r->spans[r->nspans];
	s->kind = kind;
	s->account = account;
	s->suite = suite;
	s->attempt = attempt;
	s->start_ms = tp_report_now(r);
	s->end_ms = -1;
	s->ok = 0;
	return (int)r->nspans++;
}

void tp_report_span_close(tp_report *r, int i, int ok)
{
	if (i < 0 || (size_t)i >= r->nspans || r->spans[i].end_ms >= 0)
		return;
	r->spans[i].end_ms = tp_report_now(r);
	r->spans[i].ok = ok;
}

tp_report_attempt *tp_report_attempt_new(tp_report *r, int suite, int account)
{
	tp_report_suite *s = &r->suites[suite];
	tp_report_attempt *a;

	s->attempts = tp_xrealloc(s->attempts, (s->nattempts + 1) * sizeof(*s->attempts));
	a = &s->attempts[s->nattempts];
	memset(a, 0, sizeof(*a));
	a->number = (int)++s->nattempts;
	a->account = account;
	a->exit_code = -1;
	a->start_ms = a->end_ms = -1;
	a->result = TP_SCHED_ERROR;
	return a;
}

tp_report_attempt *tp_report_attempt_last(const tp_report *r, int suite)
{
	const tp_report_suite *s = &r->suites[suite];

	return s->nattempts ? &s->attempts[s->nattempts - 1] : NULL;
}

void tp_report_counts_get(const tp_report *r, tp_report_counts *out)
{
	size_t i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < r->nsuites; i++) {
		const tp_report_suite *s = &r->suites[i];
		out->suites++;
		out->attempts += (int)s->nattempts;
		out->flaky += s->flaky;
		switch (s->result) {
		case TP_SCHED_PASSED: out->passed++; break;
		case TP_SCHED_FAILED: out->failed++; break;
		case TP_SCHED_ERROR: out->errors++; break;
		case TP_SCHED_SKIPPED: out->skipped++; break;
		}
	}
}

const char *tp_report_result_name(const tp_report_suite *s)
{
	switch (s->result) {
	case TP_SCHED_PASSED: return s->flaky ? "flaky" : "passed";
	case TP_SCHED_FAILED: return "failed";
	case TP_SCHED_ERROR: return "error";
	case TP_SCHED_SKIPPED: return "skipped";
	}
	return "?";
}

/* ---- log tails --------------------------------------------------------- */

static void redact(tp_buf *b, const char *secret)
{
	static const char mark[] = "[REDACTED]";
	size_t n = strlen(secret);
	tp_buf out = TP_BUF_INIT;
	const char *p = tp_buf_cstr(b), *hit;

	if (n == 0 || !strstr(p, secret))
		return;
	while ((hit = strstr(p, secret)) != NULL) {
		tp_buf_add(&out, p, (size_t)(hit - p));
		tp_buf_adds(&out, mark);
		p = hit + n;
	}
	tp_buf_adds(&out, p);
	tp_buf_release(b);
	*b = out;
}

/* Read the last `max` bytes of `path` into `b`. 0, or -1. */
static int read_end(tp_buf *b, const char *path, size_t max)
{
	char chunk[8192];
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0 && (size_t)st.st_size > max)
		lseek(fd, st.st_size - (off_t)max, SEEK_SET);
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		tp_buf_add(b, chunk, (size_t)n);
	close(fd);
	return 0;
}

char *tp_report_log_tail(const char *path, size_t max_bytes, size_t max_lines,
			 const char *const *secrets)
{
	tp_buf b = TP_BUF_INIT;
	const char *s, *p;
	size_t lines = 0, i;

	/* Read a little more so a secret cut at the start is still found whole. */
	if (!path || read_end(&b, path, max_bytes + 4096) < 0 || b.len == 0) {
		tp_buf_release(&b);
		return NULL;
	}
	for (i = 0; i < b.len; i++)
		if (b.ptr[i] == '\0')
			b.ptr[i] = ' ';
	for (i = 0; secrets && secrets[i]; i++)
		redact(&b, secrets[i]);
	s = tp_buf_cstr(&b);
	p = s + b.len;
	if (p > s && p[-1] == '\n')
		p--;
	while (p > s && (size_t)(s + b.len - p) < max_bytes) {
		if (p[-1] == '\n' && ++lines >= max_lines)
			break;
		p--;
	}
	{
		char *tail = tp_xstrdup(p);
		tp_buf_release(&b);
		return tail;
	}
}

int tp_report_write_file(const char *path, const char *data, size_t len)
{
	char *tmp = tp_xasprintf("%s.tmp.%d", path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t off = 0;
	int rc = -1;

	if (fd < 0) {
		tp_error_set(TP_ERROR, "cannot write %s: %s", path, strerror(errno));
		goto done;
	}
	while (off < len) {
		ssize_t n = write(fd, data + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			tp_error_set(TP_ERROR, "cannot write %s: %s", path, strerror(errno));
			close(fd);
			unlink(tmp);
			goto done;
		}
		off += (size_t)n;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		tp_error_set(TP_ERROR, "cannot write %s: %s", path, strerror(errno));
		unlink(tmp);
		goto done;
	}
	rc = 0;
done:
	free(tmp);
	return rc;
}
