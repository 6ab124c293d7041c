/*
 * SigV4 canonicalisation: the URI, the query string and the headers of the
 * canonical request, per
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * and, where that page is silent, as botocore and AWS's test suite do.
 */
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/sigv4.h"
#include "aws/sigv4_internal.h"
#include "aws/util.h"

static const char hexdigits[] = "0123456789ABCDEF";

static int is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
}

static int hexval(char ch)
{
	unsigned char c = (unsigned char)ch;

	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append one byte, percent-encoded unless unreserved; room already made. */
static void put_encoded(tp_buf *out, unsigned char c, int keep_slash)
{
	if (is_unreserved(c) || (keep_slash && c == '/')) {
		out->ptr[out->len++] = (char)c;
	} else {
		out->ptr[out->len++] = '%';
		out->ptr[out->len++] = hexdigits[c >> 4];
		out->ptr[out->len++] = hexdigits[c & 15];
	}
}

/* Make room for encoding `len` bytes (at most 3 each). */
static int grow_encoded(tp_buf *out, size_t len)
{
	if (len > (size_t)-1 / 4 || tp_buf_grow(out, 3 * len) < 0)
		return tp_error_set(TP_EINVAL, "SigV4: %zu bytes too long to encode", len);
	return 0;
}

int tp_sigv4_uri_encode(tp_buf *out, const char *s, size_t len, int keep_slash)
{
	size_t i;

	if (grow_encoded(out, len) < 0)
		return -1;
	for (i = 0; i < len; i++)
		put_encoded(out, (unsigned char)s[i], keep_slash);
	out->ptr[out->len] = '\0';
	return 0;
}

/*
 * Percent-decode s[0..len) and append it encoded with the unreserved set
 * ('/' encoded too). '+' stays a literal plus, as AWS reads queries. Fails
 * with TP_EINVAL on a '%' not followed by two hex digits.
 */
static int reencode(tp_buf *out, const char *s, size_t len)
{
	size_t i;

	if (grow_encoded(out, len) < 0)
		return -1;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			int hi = i + 2 < len ? hexval(s[i + 1]) : -1;
			int lo = hi >= 0 ? hexval(s[i + 2]) : -1;

			if (lo < 0) {
				out->ptr[out->len] = '\0';
				return tp_error_set(TP_EINVAL,
					"SigV4: bad percent-encoding in query \"%.*s\"",
					(int)len, s);
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		put_encoded(out, c, 0);
	}
	out->ptr[out->len] = '\0';
	return 0;
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

/*
 * One query parameter, encoded, in the scratch buffer: offsets while the
 * buffer may still move, then pointers for sorting.
 */
struct qparam {
	size_t koff, klen, voff, vlen;
	const char *k, *v;
};

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int cmp_qparam(const void *pa, const void *pb)
{
	const struct qparam *a = pa, *b = pb;
	int c = cmp_bytes(a->k, a->klen, b->k, b->klen);

	return c ? c : cmp_bytes(a->v, a->vlen, b->v, b->vlen);
}

/* Re-encode "k=v" (or "k") into tmp and describe it in *q. */
static int add_param(tp_buf *tmp, struct qparam *q, const char *seg, size_t n)
{
	const char *eq = memchr(seg, '=', n);
	size_t klen = eq ? (size_t)(eq - seg) : n;

	q->koff = tmp->len;
	if (reencode(tmp, seg, klen) < 0)
		return -1;
	q->klen = tmp->len - q->koff;
	q->voff = tmp->len;
	if (eq && reencode(tmp, eq + 1, n - klen - 1) < 0)
		return -1;
	q->vlen = tmp->len - q->voff;
	return 0;
}

static size_t count_params(const char *query)
{
	size_t n = 1;

	for (; *query; query++)
		n += *query == '&';
	return n;
}

int tp_sigv4__canon_query(tp_buf *out, tp_sigv4__tls *t, const char *query)
{
	struct qparam stack[16], *q = stack;
	const char *p = query, *end;
	size_t n = 0, i, max;
	int rc = -1;

	if (!query || !*query)
		return 0;
	max = count_params(query);
	if (max > TP_ARRAY_SIZE(stack))
		q = tp_xcalloc(max, sizeof(*q));
	tp_buf_reset(&t->tmp1);
	end = query + strlen(query);
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		size_t len = (size_t)((amp ? amp : end) - p);

		if (len && add_param(&t->tmp1, &q[n++], p, len) < 0)
			goto done;
		p = amp ? amp + 1 : end;
	}
	for (i = 0; i < n; i++) {
		q[i].k = t->tmp1.ptr + q[i].koff;
		q[i].v = t->tmp1.ptr + q[i].voff;
	}
	qsort(q, n, sizeof(*q), cmp_qparam);
	for (i = 0; i < n; i++) {
		if ((i && tp_buf_addc(out, '&') < 0) ||
		    tp_buf_add(out, q[i].k, q[i].klen) < 0 ||
		    tp_buf_addc(out, '=') < 0 ||
		    tp_buf_add(out, q[i].v, q[i].vlen) < 0)
			goto done;
	}
	rc = 0;
done:
	if (q != stack)
		free(q);
	return rc;
}

static int cmp_hdr(const void *pa, const void *pb)
{
	const tp_sigv4__hdr *a = pa, *b = pb;
	int c = strcmp(a->lname, b->lname);

	if (c)
		return c;
	return a->order < b->order ? -1 : a->order > b->order;
}

static char ascii_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int tp_sigv4__sort_headers(tp_sigv4__hdr *h, size_t n, tp_buf *tmp)
{
	size_t i, j, off = 0;

	tp_buf_reset(tmp);
	for (i = 0; i < n; i++) {
		h[i].lname_len = strlen(h[i].lname);
		if (tp_buf_grow(tmp, h[i].lname_len + 1) < 0)
			return -1;
		for (j = 0; j < h[i].lname_len; j++)
			tmp->ptr[tmp->len++] = ascii_lower(h[i].lname[j]);
		tmp->ptr[tmp->len++] = '\0';
	}
	for (i = 0; i < n; i++) {
		h[i].lname = tmp->ptr + off;
		off += h[i].lname_len + 1;
	}
	qsort(h, n, sizeof(*h), cmp_hdr);
	return 0;
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

/*
 * Append one line of a header value, trimmed, blank runs folded to one
 * space. Returns the number of bytes appended, or -1.
 */
static long add_line(tp_buf *out, const char *s, size_t len)
{
	size_t i, start = out->len;
	int pending_space = 0;

	if (tp_buf_grow(out, len) < 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (is_blank(s[i])) {
			pending_space = out->len > start;
			continue;
		}
		if (pending_space)
			out->ptr[out->len++] = ' ';
		pending_space = 0;
		out->ptr[out->len++] = s[i];
	}
	out->ptr[out->len] = '\0';
	return (long)(out->len - start);
}

/*
 * A value spanning lines (obsolete line folding: "v1\n  v2") is its
 * non-empty lines joined with ',', as AWS's get-header-value-multiline
 * expects.
 */
static int add_value(tp_buf *out, const char *v)
{
	int any = 0;

	for (;;) {
		size_t n = strcspn(v, "\r\n");
		size_t mark = out->len;
		long added;

		if (any && tp_buf_addc(out, ',') < 0)
			return -1;
		added = add_line(out, v, n);
		if (added < 0)
			return -1;
		if (added == 0)
			tp_buf_truncate(out, mark);     /* an empty line adds nothing */
		any |= added > 0;
		v += n;
		if (!*v)
			return 0;
		v += strspn(v, "\r\n");
	}
}

int tp_sigv4__canon_headers(tp_buf *out, tp_buf *signed_list,
			    const tp_sigv4__hdr *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int repeat = i > 0 && strcmp(h[i - 1].lname, h[i].lname) == 0;

		if (repeat) {
			if (tp_buf_addc(out, ',') < 0)
				return -1;
		} else {
			if ((i && tp_buf_addc(out, '\n') < 0) ||
			    tp_buf_add(out, h[i].lname, h[i].lname_len) < 0 ||
			    tp_buf_addc(out, ':') < 0)
				return -1;
			if ((i && tp_buf_addc(signed_list, ';') < 0) ||
			    tp_buf_add(signed_list, h[i].lname, h[i].lname_len) < 0)
				return -1;
		}
		if (add_value(out, h[i].value ? h[i].value : "") < 0)
			return -1;
	}
	return n ? tp_buf_addc(out, '\n') : 0;
}
