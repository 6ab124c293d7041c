/*
 * SigV4 canonicalisation: the URI, the query string and the headers of the
 * canonical request, per
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * and, where that page is silent, as botocore and AWS's test suite do.
 *
 * These loops run for every request tidepool sends, so they write through a
 * local pointer into room made once (tp_buf_grow) rather than adding byte by
 * byte, and sort the few headers and parameters a request has by insertion.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/sigv4.h"
#include "aws/sigv4_internal.h"
#include "aws/util.h"

#define SMALL_SORT 16     /* up to this many, insertion sort */

static const char hexdigits[] = "0123456789ABCDEF";

/* 1 for the RFC 3986 unreserved characters A-Z a-z 0-9 - . _ ~ */
static const unsigned char unreserved[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,       /* 0x00 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,       /* 0x10 */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0,       /* 0x20  - . */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,       /* 0x30  0-9 */
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,       /* 0x40  A-O */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,       /* 0x50  P-Z _ */
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,       /* 0x60  a-o */
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 0,       /* 0x70  p-z ~ */
};

/* Value of a hex digit, -1 for any other byte. */
static const signed char hexval[256] = {
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, -1, -1, -1, -1, -1, -1,    /* 0-9 */
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,    /* A-F */
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, 10, 11, 12, 13, 14, 15, -1, -1, -1, -1, -1, -1, -1, -1, -1,    /* a-f */
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
	-1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1, -1,
};

/* Write byte c at p, percent-encoded unless unreserved (or a kept '/'). */
static char *put_encoded(char *p, unsigned char c, int keep_slash)
{
	if (unreserved[c] || (keep_slash && c == '/')) {
		*p++ = (char)c;
	} else {
		*p++ = '%';
		*p++ = hexdigits[c >> 4];
		*p++ = hexdigits[c & 15];
	}
	return p;
}

/* Make room for encoding `len` bytes (at most 3 each); returns the end. */
static char *grow_encoded(tp_buf *out, size_t len)
{
	if (len > (size_t)-1 / 4 || tp_buf_grow(out, 3 * len) < 0) {
		tp_error_set(TP_EINVAL, "SigV4: %zu bytes too long to encode", len);
		return NULL;
	}
	return out->ptr + out->len;
}

static void set_end(tp_buf *out, char *end)
{
	out->len = (size_t)(end - out->ptr);
	*end = '\0';
}

int tp_sigv4_uri_encode(tp_buf *out, const char *s, size_t len, int keep_slash)
{
	char *p = grow_encoded(out, len);
	size_t i;

	if (!p)
		return -1;
	for (i = 0; i < len; i++)
		p = put_encoded(p, (unsigned char)s[i], keep_slash);
	set_end(out, p);
	return 0;
}

/*
 * Percent-decode s[0..len) and write it encoded with the unreserved set
 * ('/' encoded too) at p, which has room for 3*len bytes. '+' stays a
 * literal plus, as AWS reads queries. Returns the end, or NULL with
 * TP_EINVAL on a '%' not followed by two hex digits.
 */
static char *reencode(char *p, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (unreserved[c]) {
			*p++ = (char)c;
			continue;
		}
		if (c == '%') {
			int hi = i + 2 < len ? hexval[(unsigned char)s[i + 1]] : -1;
			int lo = hi >= 0 ? hexval[(unsigned char)s[i + 2]] : -1;

			if (lo < 0) {
				tp_error_set(TP_EINVAL, "SigV4: bad percent-encoding in query \"%.*s\"",
					     (int)len, s);
				return NULL;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		p = put_encoded(p, c, 0);
	}
	return p;
}

/*
 * Dot segments and empty segments removed, as botocore's
 * normalize_url_path: "/a/./b//c/../" -> "/a/b/", "/a/.." -> "/". The
 * result always starts with '/', and ends with one when the path did and
 * something is left.
 */
static int normalize_path(tp_buf *out, const char *path)
{
	const char *p = path, *end = path + strlen(path);

	tp_buf_reset(out);
	while (p < end) {
		const char *seg = p, *slash = memchr(p, '/', (size_t)(end - p));
		size_t n;

		p = slash ? slash + 1 : end;
		n = (size_t)((slash ? slash : end) - seg);
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			const char *last = out->len ? memrchr(out->ptr, '/', out->len) : NULL;

			tp_buf_truncate(out, last ? (size_t)(last - out->ptr) : 0);
			continue;
		}
		if (tp_buf_addc(out, '/') < 0 || tp_buf_add(out, seg, n) < 0)
			return -1;
	}
	if (out->len == 0 || end[-1] == '/')
		return tp_buf_addc(out, '/');
	return 0;
}

int tp_sigv4__canon_uri(tp_buf *out, tp_buf *tmp, const char *path,
			int normalize, int double_encode)
{
	if (!path || !*path)
		path = "/";
	if (normalize) {
		if (normalize_path(tmp, path) < 0)
			return -1;
		path = tp_buf_cstr(tmp);
	}
	if (double_encode)
		return tp_sigv4_uri_encode(out, path, strlen(path), 1);
	return tp_buf_adds(out, path);
}

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int param_less(const tp_sigv4__param *a, const tp_sigv4__param *b)
{
	int c = cmp_bytes(a->k, a->klen, b->k, b->klen);

	return c ? c < 0 : cmp_bytes(a->v, a->vlen, b->v, b->vlen) < 0;
}

static int cmp_params(const void *a, const void *b)
{
	return param_less(a, b) ? -1 : param_less(b, a);
}

/*
 * By key, then value. A request has a handful of parameters, which
 * insertion sorts fastest; qsort keeps a long query from going quadratic.
 */
static void sort_params(tp_sigv4__param *q, size_t n)
{
	size_t i, j;

	if (n > SMALL_SORT) {
		qsort(q, n, sizeof(*q), cmp_params);
		return;
	}
	for (i = 1; i < n; i++) {
		tp_sigv4__param x = q[i];

		for (j = i; j > 0 && param_less(&x, &q[j - 1]); j--)
			q[j] = q[j - 1];
		q[j] = x;
	}
}

static tp_sigv4__param *params_room(tp_sigv4__tls *t, size_t n)
{
	if (n > t->params_alloc) {
		t->params = tp_xrealloc(t->params, n * sizeof(*t->params));
		t->params_alloc = n;
	}
	return t->params;
}

/*
 * Re-encode "k=v" (or "k") at *p into *q. `p` has room (the caller grew the
 * buffer for the whole query), so the pointers stay valid.
 */
static int add_param(char **p, tp_sigv4__param *q, const char *seg, size_t n)
{
	const char *eq = memchr(seg, '=', n);
	size_t klen = eq ? (size_t)(eq - seg) : n;
	char *end;

	q->k = *p;
	if (!(end = reencode(*p, seg, klen)))
		return -1;
	q->klen = (size_t)(end - q->k);
	q->v = end;
	if (eq && !(end = reencode(end, eq + 1, n - klen - 1)))
		return -1;
	q->vlen = (size_t)(end - q->v);
	*p = end;
	return 0;
}

static size_t count_params(const char *query)
{
	size_t n = 1;

	for (; *query; query++)
		n += *query == '&';
	return n;
}

/* The query's parameters, re-encoded into t->tmp1; returns how many, or -1. */
static long parse_query(tp_sigv4__tls *t, const char *query, size_t nextra)
{
	size_t len, n = 0;
	tp_sigv4__param *q;
	const char *s, *end;
	char *p;

	if (!query)
		query = "";
	len = strlen(query);
	q = params_room(t, (len ? count_params(query) : 0) + nextra);
	s = query;
	end = query + len;
	tp_buf_reset(&t->tmp1);
	if (!(p = grow_encoded(&t->tmp1, len)))
		return -1;
	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));
		size_t seglen = (size_t)((amp ? amp : end) - s);

		if (seglen && add_param(&p, &q[n++], s, seglen) < 0)
			return -1;
		s = amp ? amp + 1 : end;
	}
	set_end(&t->tmp1, p);
	return (long)n;
}

int tp_sigv4__canon_query(tp_buf *out, tp_sigv4__tls *t, const char *query,
			  const tp_sigv4__param *extra, size_t nextra)
{
	long parsed = parse_query(t, query, nextra);
	size_t i, n, total = 0;
	char *p;

	if (parsed < 0)
		return -1;
	n = (size_t)parsed;
	if (nextra) {
		memcpy(t->params + n, extra, nextra * sizeof(*extra));
		n += nextra;
	}
	sort_params(t->params, n);
	for (i = 0; i < n; i++)
		total += t->params[i].klen + t->params[i].vlen + 2;
	if (tp_buf_grow(out, total) < 0)
		return -1;
	p = out->ptr + out->len;
	for (i = 0; i < n; i++) {
		if (i)
			*p++ = '&';
		memcpy(p, t->params[i].k, t->params[i].klen);
		p += t->params[i].klen;
		*p++ = '=';
		memcpy(p, t->params[i].v, t->params[i].vlen);
		p += t->params[i].vlen;
	}
	set_end(out, p);
	return 0;
}

static int hdr_less(const tp_sigv4__hdr *a, const tp_sigv4__hdr *b)
{
	int c = strcmp(a->lname, b->lname);

	return c ? c < 0 : a->order < b->order;
}

static int cmp_hdrs(const void *a, const void *b)
{
	return hdr_less(a, b) ? -1 : hdr_less(b, a);
}

void tp_sigv4__sort_headers(tp_sigv4__hdr *h, size_t n)
{
	size_t i, j;

	if (n > SMALL_SORT) {   /* (name, order) is a total order: no ties */
		qsort(h, n, sizeof(*h), cmp_hdrs);
		return;
	}
	for (i = 1; i < n; i++) {
		tp_sigv4__hdr x = h[i];

		for (j = i; j > 0 && hdr_less(&x, &h[j - 1]); j--)
			h[j] = h[j - 1];
		h[j] = x;
	}
}

int tp_sigv4__lower_names(tp_sigv4__hdr *h, size_t n, tp_buf *tmp)
{
	size_t i, j, total = 0;
	char *p;

	for (i = 0; i < n; i++) {
		h[i].lname_len = strlen(h[i].lname);
		h[i].value_len = h[i].value ? strlen(h[i].value) : 0;
		total += h[i].lname_len + 1;
	}
	tp_buf_reset(tmp);
	if (tp_buf_grow(tmp, total) < 0)
		return -1;
	p = tmp->ptr;
	for (i = 0; i < n; i++) {
		const char *name = h[i].lname;

		h[i].lname = p;
		for (j = 0; j < h[i].lname_len; j++) {
			char c = name[j];

			*p++ = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		}
		*p++ = '\0';
	}
	tmp->len = total;
	return 0;
}

/*
 * Write a header value at p (room for its length). Leading and trailing
 * blanks go, a run of blanks inside becomes one space, and a value spanning
 * lines (obsolete line folding, "v1\n  v2") becomes its non-empty lines
 * joined with ',', as AWS's get-header-value-multiline expects. Returns the
 * end. The runs between blanks are copied whole: a session token is one
 * run of several hundred bytes.
 */
static char *put_value(char *p, const char *v)
{
	enum { NONE, SPACE, COMMA } pending = NONE;
	char *start = p;

	for (;;) {
		size_t n = strcspn(v, " \t\v\f\r\n");

		if (n) {
			if (pending != NONE && p > start)
				*p++ = pending == COMMA ? ',' : ' ';
			memcpy(p, v, n);
			p += n;
			v += n;
			pending = NONE;
		}
		if (!*v)
			return p;
		if (*v == '\r' || *v == '\n')
			pending = COMMA;
		else if (pending == NONE)
			pending = SPACE;
		v++;
	}
}

int tp_sigv4__canon_headers(tp_buf *out, tp_buf *signed_list,
			    const tp_sigv4__hdr *h, size_t n)
{
	size_t i, room = 0, lroom = 0;
	char *p, *s;

	for (i = 0; i < n; i++) {
		room += h[i].lname_len + h[i].value_len + 3;
		lroom += h[i].lname_len + 1;
	}
	if (tp_buf_grow(out, room) < 0 || tp_buf_grow(signed_list, lroom) < 0)
		return -1;
	p = out->ptr + out->len;
	s = signed_list->ptr + signed_list->len;
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(h[i - 1].lname, h[i].lname) == 0) {
			*p++ = ',';             /* a repeated name: values joined */
		} else {
			if (i) {
				*p++ = '\n';
				*s++ = ';';
			}
			memcpy(p, h[i].lname, h[i].lname_len);
			p += h[i].lname_len;
			*p++ = ':';
			memcpy(s, h[i].lname, h[i].lname_len);
			s += h[i].lname_len;
		}
		p = put_value(p, h[i].value ? h[i].value : "");
	}
	if (n)
		*p++ = '\n';
	set_end(out, p);
	set_end(signed_list, s);
	return 0;
}
