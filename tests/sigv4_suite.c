/*
 * test_sigv4_suite DIR: run AWS's SigV4 test suite (aws-c-auth's
 * aws-signing-test-suite/v4 layout) against aws/sigv4.
 *
 * Every directory under DIR (recursively) that holds a context.json is a
 * case: request.txt is the HTTP request, context.json the credentials,
 * region, service, time and options, and header-* / query-* files the
 * expected canonical request, string to sign and signature when signing by
 * header and by query. Prints one line per failing case naming what
 * differed, then "N passed, N failed"; exits 0 only when none failed.
 */
#include <dirent.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/sigv4.h"
#include "aws/util.h"

/* A request parsed from request.txt; strings point into `text`. */
struct http_req {
	char *text;
	const char *method, *path, *query;
	tp_header *headers;
	size_t nheaders;
	const char *body;
	size_t body_len;
	char **folded;          /* values joined from continuation lines (owned) */
	size_t nfolded;
};

struct ctx {
	tp_sigv4_creds creds;
	tp_sigv4_opts opts;
	int sign_body;
	json_t *json;
};

static void req_release(struct http_req *r)
{
	size_t i;

	for (i = 0; i < r->nfolded; i++)
		free(r->folded[i]);
	free(r->folded);
	free(r->text);
	free(r->headers);
	memset(r, 0, sizeof(*r));
}

/* Cut the line starting at *p (LF or CRLF); returns it, advances *p. */
static char *next_line(char **p)
{
	char *line = *p, *nl = strchr(line, '\n');

	if (nl) {
		*nl = '\0';
		*p = nl + 1;
	} else {
		*p = line + strlen(line);
	}
	if (*line && line[strlen(line) - 1] == '\r')
		line[strlen(line) - 1] = '\0';
	return line;
}

/*
 * "GET /a b/?x=1 HTTP/1.1": the method ends at the first space, the version
 * starts at the last one, and the target (which may hold spaces, as in
 * get-space) is what lies between; its '?' starts the query.
 */
static int parse_request_line(struct http_req *r, char *line)
{
	char *sp = strchr(line, ' '), *last = strrchr(line, ' '), *q;

	if (!sp)
		return -1;
	*sp = '\0';
	r->method = line;
	if (last != sp && tp_starts_with(last + 1, "HTTP/"))
		*last = '\0';
	r->path = sp + 1;
	q = strchr(sp + 1, '?');
	if (q) {
		*q = '\0';
		r->query = q + 1;
	}
	return 0;
}

/*
 * Header lines up to the blank line. A line starting with a blank continues
 * the previous header's value (obsolete folding): it is joined with '\n' and
 * left for the signer to fold, as the suite's multi-line case expects.
 */
static int parse_headers(struct http_req *r, char **p)
{
	size_t alloc = 0;

	while (**p) {
		char *line = next_line(p), *colon;

		if (!*line)
			return 0;
		if ((*line == ' ' || *line == '\t') && r->nheaders) {
			tp_header *h = &r->headers[r->nheaders - 1];
			char *v = tp_xasprintf("%s\n%s", h->value, line);

			r->folded = tp_xrealloc(r->folded, (r->nfolded + 1) * sizeof(*r->folded));
			r->folded[r->nfolded++] = v;
			h->value = v;
			continue;
		}
		colon = strchr(line, ':');
		if (!colon)
			return -1;
		*colon = '\0';
		if (r->nheaders == alloc) {
			alloc = alloc ? 2 * alloc : 8;
			r->headers = tp_xrealloc(r->headers, alloc * sizeof(*r->headers));
		}
		r->headers[r->nheaders].name = line;
		r->headers[r->nheaders].value = colon + 1;
		r->nheaders++;
	}
	return 0;
}

static int parse_request(struct http_req *r, const char *path)
{
	char *p;
	size_t len;

	memset(r, 0, sizeof(*r));
	if (tp_read_file(path, &r->text, &len) < 0)
		return -1;
	p = r->text;
	if (parse_request_line(r, next_line(&p)) < 0 || parse_headers(r, &p) < 0)
		return tp_error_set(TP_EINVAL, "%s: not an HTTP request", path);
	r->body = p;
	r->body_len = len - (size_t)(p - r->text);
	return 0;
}

static int get_bool(json_t *o, const char *key, int dflt)
{
	json_t *v = json_object_get(o, key);

	return json_is_boolean(v) ? json_is_true(v) : dflt;
}

static int parse_context(struct ctx *c, const char *path)
{
	json_error_t err;
	json_t *cred;
	const char *ts;
	time_t now;

	memset(c, 0, sizeof(*c));
	c->json = json_load_file(path, 0, &err);
	if (!c->json)
		return tp_error_set(TP_EINVAL, "%s:%d: %s", path, err.line, err.text);
	cred = json_object_get(c->json, "credentials");
	c->creds.access_key_id = json_string_value(json_object_get(cred, "access_key_id"));
	c->creds.secret_access_key = json_string_value(json_object_get(cred, "secret_access_key"));
	if (!get_bool(c->json, "omit_session_token", 0))
		c->creds.session_token = json_string_value(json_object_get(cred, "token"));
	c->opts.region = json_string_value(json_object_get(c->json, "region"));
	c->opts.service = json_string_value(json_object_get(c->json, "service"));
	ts = json_string_value(json_object_get(c->json, "timestamp"));
	if (!ts || tp_time_parse_iso8601(ts, &now) < 0)
		return tp_error_set(TP_EINVAL, "%s: no valid timestamp", path);
	c->opts.now = now;
	c->opts.keep_path = !get_bool(c->json, "normalize", 1);
	/* Without double encoding the path is signed as sent: S3 mode. */
	c->opts.s3 = !get_bool(c->json, "double_uri_encode", 1);
	c->opts.expires = (unsigned)json_integer_value(
		json_object_get(c->json, "expiration_in_seconds"));
	c->sign_body = get_bool(c->json, "sign_body", 0);
	return 0;
}

/* The file's contents without trailing newlines, CRLF read as LF. */
static char *read_expected(const char *dir, const char *name)
{
	char *path = tp_xasprintf("%s/%s", dir, name), *data = NULL, *src, *dst;
	size_t len;

	if (tp_read_file(path, &data, &len) < 0) {
		free(path);
		tp_error_clear();
		return NULL;
	}
	free(path);
	for (src = dst = data; *src; src++)
		if (!(src[0] == '\r' && src[1] == '\n'))
			*dst++ = *src;
	while (dst > data && (dst[-1] == '\n' || dst[-1] == '\r'))
		dst--;
	*dst = '\0';
	return data;
}

/* Describe where `got` first departs from `want`, into msg. */
static void describe_diff(tp_buf *msg, const char *what, const char *want, const char *got)
{
	size_t i = 0, line = 1;

	while (want[i] && want[i] == got[i])
		line += want[i++] == '\n';
	while (i > 0 && want[i - 1] != '\n')
		i--;
	tp_buf_addf(msg, "; %s differs at line %zu: want \"%.*s\" got \"%.*s\"", what, line,
		    (int)strcspn(want + i, "\n"), want + i, (int)strcspn(got + i, "\n"), got + i);
}

/* Compare one expected file with what we produced; 0 same, 1 differs, -1 missing. */
static int compare(tp_buf *msg, const char *dir, const char *mode, const char *file,
		   const char *got)
{
	char *name = tp_xasprintf("%s-%s", mode, file);
	char *want = read_expected(dir, name);
	int rc = 0;

	if (!want) {
		tp_buf_addf(msg, "; %s missing", name);
		rc = -1;
	} else if (strcmp(want, got) != 0) {
		describe_diff(msg, name, want, got);
		rc = 1;
	}
	free(name);
	free(want);
	return rc;
}

/* Sign in one mode ("header" or "query") and compare the three results. */
static int check_mode(tp_buf *msg, const char *dir, const char *mode,
		      const struct http_req *r, struct ctx *c)
{
	tp_sigv4_request req = { r->method, r->path, r->query, r->headers, r->nheaders,
				 r->body, r->body_len, NULL };
	tp_sigv4_out out = TP_SIGV4_OUT_INIT;
	int header = strcmp(mode, "header") == 0, bad = 0, rc;

	c->opts.content_sha256_header = header && c->sign_body;
	rc = header ? tp_sigv4_sign(&out, &req, &c->creds, &c->opts)
		    : tp_sigv4_presign(&out, &req, &c->creds, &c->opts);
	if (rc < 0) {
		tp_buf_addf(msg, "; %s signing failed: %s", mode, tp_error_last()->msg);
		tp_sigv4_out_release(&out);
		return 1;
	}
	bad |= compare(msg, dir, mode, "canonical-request.txt",
		       tp_buf_cstr(&out.canonical_request)) != 0;
	bad |= compare(msg, dir, mode, "string-to-sign.txt",
		       tp_buf_cstr(&out.string_to_sign)) != 0;
	bad |= compare(msg, dir, mode, "signature.txt", out.signature) != 0;
	tp_sigv4_out_release(&out);
	return bad;
}

/* Run the case in `dir`; 0 when it passed (nothing printed), 1 when not. */
static int run_case(const char *dir, const char *name)
{
	char *ctx_path = tp_xasprintf("%s/context.json", dir);
	char *req_path = tp_xasprintf("%s/request.txt", dir);
	tp_buf msg = TP_BUF_INIT;
	struct http_req r = { 0 };
	struct ctx c;
	int bad = 0;

	if (parse_context(&c, ctx_path) < 0 || parse_request(&r, req_path) < 0) {
		tp_buf_addf(&msg, "; %s", tp_error_last()->msg);
		bad = 1;
	} else {
		bad |= check_mode(&msg, dir, "header", &r, &c);
		bad |= check_mode(&msg, dir, "query", &r, &c);
	}
	if (bad)
		printf("FAIL %s%s\n", name, tp_buf_cstr(&msg));
	json_decref(c.json);
	req_release(&r);
	tp_buf_release(&msg);
	free(ctx_path);
	free(req_path);
	return bad;
}

static int is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every case under dir, in name order; `rel` is dir relative to the root. */
static void walk(const char *dir, const char *rel, int *passed, int *failed)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, i;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		names = tp_xrealloc(names, (n + 1) * sizeof(*names));
		names[n++] = tp_xstrdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		char *path = tp_xasprintf("%s/%s", dir, names[i]);
		char *name = *rel ? tp_xasprintf("%s/%s", rel, names[i]) : tp_xstrdup(names[i]);
		char *ctx = tp_xasprintf("%s/context.json", path);

		if (is_dir(path)) {
			if (access(ctx, F_OK) == 0) {
				if (run_case(path, name))
					(*failed)++;
				else
					(*passed)++;
			}
			walk(path, name, passed, failed);
		}
		free(ctx);
		free(name);
		free(path);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s SUITE_DIR (e.g. tests/sigv4/v4)\n", argv[0]);
		return 2;
	}
	if (!is_dir(argv[1])) {
		fprintf(stderr, "%s: %s is not a directory\n", argv[0], argv[1]);
		return 2;
	}
	walk(argv[1], "", &passed, &failed);
	printf("%d passed, %d failed\n", passed, failed);
	return failed || passed == 0 ? 1 : 0;
}
