/*
 * SigV4 canonicalisation: the URI, the query string and the headers of the
 * canonical request, per
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * and, where that page is silent, as botocore and AWS's test suite do.
 *
 * These loops run for every request tidepool sends (bench/sigv4 measures
 * them), so:
 *  - a query key or value that is canonical already (as serializers send
 *    it) is proven so in one table-driven pass and kept where it is, not
 *    copied until output; only the others are decoded and re-encoded;
 *  - encoding goes through a table of "the byte or %XX" entries, with no
 *    branch per byte; names are lower-cased, and header values copied,
 *    eight bytes at a time where no byte in them needs a look;
 *  - output is written through a local pointer into room made once
 *    (tp_sigv4__room), short strings are copied inline (tp_sigv4__copy),
 *    and the few headers and parameters a request has are sorted by
 *    insertion on a 64-bit key of their first eight bytes.
 * Measured slower on bench/sigv4 and so not done: a one-pass path scan
 * that skips encoding (its paths nearly always need it), and the query
 * scan as a byte-indexed state machine (a chain of loads per byte).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/sigv4.h"
#include "aws/sigv4_internal.h"
#include "aws/util.h"

#define SMALL_SORT 16     /* up to this many, insertion sort */

#define IS_UNRESERVED(c) (((c) >= 'A' && (c) <= 'Z') || ((c) >= 'a' && (c) <= 'z') || \
			  ((c) >= '0' && (c) <= '9') || (c) == '-' || (c) == '.' || \
			  (c) == '_' || (c) == '~')
#define HEXDIGIT(n) ((char)((n) < 10 ? '0' + (n) : 'A' + (n) - 10))

/*
 * How a byte is written in a canonical URI: itself (len 1) or %XX (len 3).
 * put_enc() stores all four bytes and advances by len, so the room it
 * writes into needs one spare byte, which tp_buf's NUL provides.
 */
struct enc {
	char s[3];
	unsigned char len;
};

#define KEPT(c, slash) (IS_UNRESERVED(c) || ((slash) && (c) == '/'))
#define ENC(c, slash) { { KEPT(c, slash) ? (char)(c) : '%', \
			  KEPT(c, slash) ? 0 : HEXDIGIT((c) >> 4), \
			  KEPT(c, slash) ? 0 : HEXDIGIT((c) & 15) }, \
			KEPT(c, slash) ? 1 : 3 }
#define ENC4(c, sl) ENC(c, sl), ENC((c) + 1, sl), ENC((c) + 2, sl), ENC((c) + 3, sl)
#define ENC16(c, sl) ENC4(c, sl), ENC4((c) + 4, sl), ENC4((c) + 8, sl), ENC4((c) + 12, sl)
#define ENC64(c, sl) ENC16(c, sl), ENC16((c) + 16, sl), ENC16((c) + 32, sl), ENC16((c) + 48, sl)
#define ENC256(sl) { ENC64(0, sl), ENC64(64, sl), ENC64(128, sl), ENC64(192, sl) }

static const struct enc enc_all[256] = ENC256(0);      /* query components */
static const struct enc enc_path[256] = ENC256(1);     /* '/' kept */

#define U(c) IS_UNRESERVED(c)
#define U4(c) U(c), U((c) + 1), U((c) + 2), U((c) + 3)
#define U16(c) U4(c), U4((c) + 4), U4((c) + 8), U4((c) + 12)
#define U64(c) U16(c), U16((c) + 16), U16((c) + 32), U16((c) + 48)

/* 1 for the RFC 3986 unreserved characters A-Z a-z 0-9 - . _ ~ */
static const unsigned char unreserved[256] = { U64(0), U64(64) };

/* Value of a hex digit, -1 for any other byte; upper_hex: upper case only. */
#define HV(c, lower) ((c) >= '0' && (c) <= '9' ? (c) - '0' : \
		      (c) >= 'A' && (c) <= 'F' ? (c) - 'A' + 10 : \
		      (lower) && (c) >= 'a' && (c) <= 'f' ? (c) - 'a' + 10 : -1)
#define HV4(c, l) HV(c, l), HV((c) + 1, l), HV((c) + 2, l), HV((c) + 3, l)
#define HV16(c, l) HV4(c, l), HV4((c) + 4, l), HV4((c) + 8, l), HV4((c) + 12, l)
#define HV64(c, l) HV16(c, l), HV16((c) + 16, l), HV16((c) + 32, l), HV16((c) + 48, l)
#define HV256(l) { HV64(0, l), HV64(64, l), HV64(128, l), HV64(192, l) }

static const signed char hexval[256] = HV256(1);
static const signed char upper_hex[256] = HV256(0);

#define LOWER(c) ((unsigned char)((c) >= 'A' && (c) <= 'Z' ? (c) - 'A' + 'a' : (c)))
#define L4(c) LOWER(c), LOWER((c) + 1), LOWER((c) + 2), LOWER((c) + 3)
#define L16(c) L4(c), L4((c) + 4), L4((c) + 8), L4((c) + 12)
#define L64(c) L16(c), L16((c) + 16), L16((c) + 32), L16((c) + 48)

static const unsigned char lower[256] = { L64(0), L64(64), L64(128), L64(192) };

/*
 * Byte classes for the one-pass scan of a query: 0 for an unreserved byte,
 * so a run of them is a tight loop.
 */
enum { Q_PLAIN, Q_END, Q_AMP, Q_EQUALS, Q_PERCENT, Q_OTHER };
#define QC(c) (IS_UNRESERVED(c) ? Q_PLAIN : (c) == 0 ? Q_END : (c) == '&' ? Q_AMP : \
	       (c) == '=' ? Q_EQUALS : (c) == '%' ? Q_PERCENT : Q_OTHER)
#define QC4(c) QC(c), QC((c) + 1), QC((c) + 2), QC((c) + 3)
#define QC16(c) QC4(c), QC4((c) + 4), QC4((c) + 8), QC4((c) + 12)
#define QC64(c) QC16(c), QC16((c) + 16), QC16((c) + 32), QC16((c) + 48)

static const unsigned char qclass[256] = { QC64(0), QC64(64), QC64(128), QC64(192) };

static char *put_enc(char *p, const struct enc *e)
{
	memcpy(p, e, sizeof(*e));
	return p + e->len;
}

/* Make room for encoding `len` bytes (at most 3 each); returns the end. */
static char *grow_encoded(tp_buf *out, size_t len)
{
	char *p = len > (size_t)-1 / 4 ? NULL : tp_sigv4__room(out, 3 * len);

	if (!p)
		tp_error_set(TP_EINVAL, "SigV4: %zu bytes too long to encode", len);
	return p;
}

/* s[0..len) encoded through `table` at p; returns the end. */
static char *put_encoded(char *p, const struct enc *table, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p = put_enc(p, &table[(unsigned char)s[i]]);
	return p;
}

char *tp_sigv4__put_encoded(char *p, const char *s, size_t len)
{
	return put_encoded(p, enc_all, s, len);
}

int tp_sigv4_uri_encode(tp_buf *out, const char *s, size_t len, int keep_slash)
{
	char *p = grow_encoded(out, len);

	if (!p)
		return -1;
	tp_sigv4__finish(out, put_encoded(p, keep_slash ? enc_path : enc_all, s, len));
	return 0;
}

/*
 * Whether the escape at s ('%' and what follows, NUL-terminated) is in
 * canonical form: upper-case hex of a byte that is not unreserved.
 */
static int canonical_escape(const char *s)
{
	int hi = upper_hex[(unsigned char)s[1]];
	int lo = hi < 0 ? -1 : upper_hex[(unsigned char)s[2]];

	return lo >= 0 && !unreserved[hi << 4 | lo];
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

		if (c == '%') {
			int hi = len - i >= 3 ? hexval[(unsigned char)s[i + 1]] : -1;
			int lo = hi >= 0 ? hexval[(unsigned char)s[i + 2]] : -1;

			if (lo < 0) {
				tp_error_set(TP_EINVAL, "SigV4: bad percent-encoding in query \"%.*s\"",
					     (int)len, s);
				return NULL;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		p = put_enc(p, &enc_all[c]);
	}
	return p;
}

/*
 * A path botocore's normalisation leaves as it is: it starts with '/' and
 * has no empty segment but a last one (a trailing slash), no "." and no "..".
 */
static int is_normal(const char *path, size_t len)
{
	const char *end = path + len, *seg = path + 1;

	if (path[0] != '/')
		return 0;
	for (;;) {
		const char *slash = memchr(seg, '/', (size_t)(end - seg));
		size_t n = (size_t)((slash ? slash : end) - seg);

		if (n == 0 ? slash != NULL : seg[0] == '.' && (n == 1 || (n == 2 && seg[1] == '.')))
			return 0;
		if (!slash)
			return 1;
		seg = slash + 1;
	}
}

/*
 * Dot segments and empty segments removed, as botocore's
 * normalize_url_path: "/a/./b//c/../" -> "/a/b/", "/a/.." -> "/". The
 * result always starts with '/', and ends with one when the path did and
 * something is left.
 */
static int normalize_path(tp_buf *out, const char *path, size_t len)
{
	const char *s = path, *end = path + len;
	char *start, *p;

	tp_sigv4__reset(out);
	if (tp_buf_grow(out, len + 1) < 0)
		return -1;
	start = p = out->ptr;
	while (s < end) {
		const char *seg = s, *slash = memchr(s, '/', (size_t)(end - s));
		size_t n = (size_t)((slash ? slash : end) - seg);

		s = slash ? slash + 1 : end;
		if (n == 0 || (n == 1 && seg[0] == '.'))
			continue;
		if (n == 2 && seg[0] == '.' && seg[1] == '.') {
			char *last = p > start ? memrchr(start, '/', (size_t)(p - start)) : NULL;

			p = last ? last : start;
			continue;
		}
		*p++ = '/';
		memcpy(p, seg, n);
		p += n;
	}
	if (p == start || end[-1] == '/')
		*p++ = '/';
	tp_sigv4__finish(out, p);
	return 0;
}

int tp_sigv4__canon_uri(tp_buf *out, tp_buf *tmp, const char *path,
			int normalize, int double_encode)
{
	size_t len;

	if (!path || !*path)
		path = "/";
	len = strlen(path);
	if (normalize && !is_normal(path, len)) {
		if (normalize_path(tmp, path, len) < 0)
			return -1;
		path = tmp->ptr;
		len = tmp->len;
	}
	if (double_encode)
		return tp_sigv4_uri_encode(out, path, len, 1);
	return tp_buf_add(out, path, len);
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
	int c;

	if (a->key != b->key)   /* most keys differ in their first eight bytes */
		return a->key < b->key;
	if (a->klen <= 8 || b->klen <= 8)
		c = (a->klen > b->klen) - (a->klen < b->klen);
	else
		c = cmp_bytes(a->k + 8, a->klen - 8, b->k + 8, b->klen - 8);
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

/* Room for n parameters in t->params, keeping those there. */
static tp_sigv4__param *params_room(tp_sigv4__tls *t, size_t n)
{
	if (n > t->params_alloc) {
		size_t alloc = t->params_alloc ? t->params_alloc : 8;

		while (alloc < n)
			alloc *= 2;
		t->params = tp_xrealloc(t->params, alloc * sizeof(*t->params));
		t->params_alloc = alloc;
	}
	return t->params;
}

/*
 * Scan a key (up to '=', '&' or the end) or a value (up to '&' or the
 * end) from s; returns where it ends. *canonical is cleared when a byte in
 * it is neither unreserved nor a canonical escape.
 */
static const char *scan_part(const char *s, int key, int *canonical)
{
	*canonical = 1;
	for (;; s++) {
		while (qclass[(unsigned char)*s] == Q_PLAIN)
			s++;
		switch (qclass[(unsigned char)*s]) {
		case Q_END: case Q_AMP:
			return s;
		case Q_EQUALS:
			if (key)
				return s;
			*canonical = 0;
			break;
		case Q_PERCENT:
			if (canonical_escape(s)) {
				s += 2;
				break;
			}
			/* fall through */
		default:
			*canonical = 0;
		}
	}
}

/*
 * A key or value s[0..len) in canonical form: s itself when it is, else
 * re-encoded into t->scratch. The first time, room is made for everything
 * from s to the end of the query, so later parts never move earlier ones.
 * Returns the length, or -1 on a malformed escape.
 */
static long canonical_part(tp_sigv4__tls *t, const char **out, const char *s, size_t len,
			   int canonical)
{
	tp_buf *b = &t->scratch;
	char *end;

	*out = s;
	if (canonical)
		return (long)len;
	if (!b->len && !grow_encoded(b, strlen(s)))
		return -1;
	*out = b->ptr + b->len;
	if (!(end = reencode(b->ptr + b->len, s, len)))
		return -1;
	tp_sigv4__finish(b, end);
	return (long)(end - *out);
}

/*
 * The next parameter of the query at *s into *q, *s moved past it and its
 * '&'; 0 for an empty segment ("a&&b"), which carries none; -1 on error.
 */
static int next_param(tp_sigv4__tls *t, tp_sigv4__param *q, const char **s)
{
	const char *k = *s, *end;
	int canonical;
	long len;

	end = scan_part(k, 1, &canonical);
	*s = end;
	if (end == k && *end != '=') {  /* an empty segment carries no parameter */
		*s += *end == '&';
		return 0;
	}
	if ((len = canonical_part(t, &q->k, k, (size_t)(end - k), canonical)) < 0)
		return -1;
	q->klen = (size_t)len;
	q->key = tp_sigv4__name_key(q->k, q->klen);
	q->v = "";
	q->vlen = 0;
	if (*end == '=') {
		const char *v = end + 1;

		*s = scan_part(v, 0, &canonical);
		if ((len = canonical_part(t, &q->v, v, (size_t)(*s - v), canonical)) < 0)
			return -1;
		q->vlen = (size_t)len;
	}
	*s += **s == '&';
	return 1;
}

/*
 * The query's parameters into t->params, in canonical form (pointing into
 * the query itself, or into t->scratch for those that needed re-encoding);
 * returns how many, or -1. Leaves room for nextra more.
 */
static long parse_query(tp_sigv4__tls *t, const char *query, size_t nextra)
{
	const char *s = query ? query : "";
	size_t n = 0;

	params_room(t, nextra + 4);
	tp_sigv4__reset(&t->scratch);
	while (*s) {
		int rc;

		params_room(t, n + 1 + nextra);
		if ((rc = next_param(t, &t->params[n], &s)) < 0)
			return -1;
		n += (size_t)rc;
	}
	return (long)n;
}

int tp_sigv4__canon_query(tp_buf *out, tp_sigv4__tls *t, const char *query,
			  const tp_sigv4__param *extra, size_t nextra)
{
	long parsed = parse_query(t, query, nextra);
	size_t i, n, total = 0;
	const tp_sigv4__param *q;
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
	if (!(p = tp_sigv4__room(out, total)))
		return -1;
	for (i = 0, q = t->params; i < n; i++, q++) {
		if (i)
			*p++ = '&';
		p = tp_sigv4__copy(p, q->k, q->klen);
		*p++ = '=';
		p = tp_sigv4__copy(p, q->v, q->vlen);
	}
	tp_sigv4__finish(out, p);
	return 0;
}

/* The eight bytes at p as a big-endian number (compiles to a load and a byte swap). */
static inline uint64_t load_be64(const char *p)
{
	const unsigned char *b = (const unsigned char *)p;

	return (uint64_t)b[0] << 56 | (uint64_t)b[1] << 48 | (uint64_t)b[2] << 40 |
	       (uint64_t)b[3] << 32 | (uint64_t)b[4] << 24 | (uint64_t)b[5] << 16 |
	       (uint64_t)b[6] << 8 | (uint64_t)b[7];
}

/* The key of a name at p, which can be read eight bytes past its start. */
static uint64_t key_at(const char *p, size_t len)
{
	return len >= 8 ? load_be64(p) : load_be64(p) & ~(~(uint64_t)0 >> 8 * len);
}

uint64_t tp_sigv4__name_key(const char *lname, size_t len)
{
	char b[8] = { 0 };

	memcpy(b, lname, len < 8 ? len : 8);
	return key_at(b, 8);
}

/* Byte order of two lower-case names, the keys first. */
static int name_cmp(const tp_sigv4__hdr *a, const tp_sigv4__hdr *b)
{
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	if (a->lname_len <= 8 || b->lname_len <= 8)     /* the key held all of one */
		return (a->lname_len > b->lname_len) - (a->lname_len < b->lname_len);
	return strcmp(a->lname + 8, b->lname + 8);
}

static int hdr_less(const tp_sigv4__hdr *a, const tp_sigv4__hdr *b)
{
	int c = name_cmp(a, b);

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

/* w with the ASCII capitals among its eight bytes lower-cased. */
static uint64_t lower8(uint64_t w)
{
	uint64_t low7 = w & 0x7f7f7f7f7f7f7f7fULL;
	uint64_t ge_a = low7 + 0x3f3f3f3f3f3f3f3fULL;   /* bit 7 set from 'A' up */
	uint64_t gt_z = low7 + 0x2525252525252525ULL;   /* ... from 'Z' + 1 up */

	return w | (((ge_a ^ gt_z) & ~w & 0x8080808080808080ULL) >> 2);
}

static void lower_copy(char *p, const char *s, size_t len)
{
	size_t i = 0;
	uint64_t w;

	for (; len - i >= sizeof(w); i += sizeof(w)) {
		memcpy(&w, s + i, sizeof(w));
		w = lower8(w);
		memcpy(p + i, &w, sizeof(w));
	}
	for (; i < len; i++)
		p[i] = (char)lower[(unsigned char)s[i]];
}

int tp_sigv4__lower_names(tp_sigv4__hdr *h, size_t n, tp_buf *tmp)
{
	size_t i, total = 0;
	char *p;

	for (i = 0; i < n; i++) {
		h[i].lname_len = strlen(h[i].lname);
		h[i].value_len = h[i].value ? strlen(h[i].value) : 0;
		total += h[i].lname_len + 1;
	}
	tp_sigv4__reset(tmp);
	if (!(p = tp_sigv4__room(tmp, total + 8)))     /* + 8: key_at reads past the last */
		return -1;
	for (i = 0; i < n; i++) {
		lower_copy(p, h[i].lname, h[i].lname_len);
		h[i].lname = p;
		h[i].key = key_at(p, h[i].lname_len);
		p += h[i].lname_len;
		*p++ = '\0';
	}
	tmp->len = total;
	return 0;
}

/* Nonzero when a byte of w is below 0x21: a blank, a line break, a control. */
static uint64_t has_low_byte(uint64_t w)
{
	return (w - 0x2121212121212121ULL) & ~w & 0x8080808080808080ULL;
}

/*
 * Copy the run of bytes above 0x20 at *v (up to end) to p, eight at a
 * time while no byte in eight is low; returns the end of the copy.
 */
static char *copy_run(char *p, const char **v, const char *end)
{
	const char *s = *v;
	uint64_t w;

	while (end - s >= (ptrdiff_t)sizeof(w)) {
		memcpy(&w, s, sizeof(w));
		if (has_low_byte(w))
			break;
		memcpy(p, &w, sizeof(w));
		p += sizeof(w);
		s += sizeof(w);
	}
	while (s < end && (unsigned char)*s > 0x20)
		*p++ = *s++;
	*v = s;
	return p;
}

/* What a byte of a header value is to folding: kept, a blank, a line break. */
enum { V_KEEP, V_BLANK, V_BREAK };

static const unsigned char vclass[256] = {
	[' '] = V_BLANK, ['\t'] = V_BLANK, ['\v'] = V_BLANK, ['\f'] = V_BLANK,
	['\r'] = V_BREAK, ['\n'] = V_BREAK,
};

/*
 * Write a header value at p (room for its length). Leading and trailing
 * blanks go, a run of blanks inside becomes one space, and a value spanning
 * lines (obsolete line folding, "v1\n  v2") becomes its non-empty lines
 * joined with ',', as AWS's get-header-value-multiline expects. Other
 * control bytes are kept. Returns the end.
 */
static char *put_value(char *p, const char *v, size_t len)
{
	static const char separator[] = { 0, ' ', ',' };       /* by what is owed */
	const char *end = v + len;
	char *start = p;
	unsigned owed = V_KEEP; /* before the next byte kept: nothing, ' ' or ',' */

	while (v < end) {
		unsigned cls = vclass[(unsigned char)*v];

		if (cls != V_KEEP) {
			owed = cls > owed ? cls : owed;         /* a line break outranks a blank */
			v++;
			continue;
		}
		*p = separator[owed];
		p += owed && p > start;
		owed = V_KEEP;
		p = copy_run(p, &v, end);
		if (v < end && (unsigned char)*v <= 0x20 && vclass[(unsigned char)*v] == V_KEEP)
			*p++ = *v++;    /* a control byte: kept, as botocore does */
	}
	return p;
}

static int same_name(const tp_sigv4__hdr *a, const tp_sigv4__hdr *b)
{
	return a->key == b->key && a->lname_len == b->lname_len &&
	       (a->lname_len <= 8 || memcmp(a->lname + 8, b->lname + 8, a->lname_len - 8) == 0);
}

int tp_sigv4__canon_headers(tp_buf *out, const tp_sigv4__hdr *h, size_t n)
{
	size_t i, room = 0;
	char *p;

	for (i = 0; i < n; i++)
		room += h[i].lname_len + h[i].value_len + 2;
	if (!(p = tp_sigv4__room(out, room)))
		return -1;
	for (i = 0; i < n; i++) {
		if (i > 0 && same_name(&h[i - 1], &h[i])) {
			p[-1] = ',';            /* a repeated name: values joined */
		} else {
			p = tp_sigv4__copy(p, h[i].lname, h[i].lname_len);
			*p++ = ':';
		}
		p = put_value(p, h[i].value ? h[i].value : "", h[i].value_len);
		*p++ = '\n';
	}
	tp_sigv4__finish(out, p);
	return 0;
}

int tp_sigv4__signed_headers(tp_buf *out, const tp_sigv4__hdr *h, size_t n)
{
	size_t i, room = 0;
	char *p, *start;

	for (i = 0; i < n; i++)
		room += h[i].lname_len + 1;
	if (!(p = start = tp_sigv4__room(out, room)))
		return -1;
	for (i = 0; i < n; i++) {
		if (i > 0 && same_name(&h[i - 1], &h[i]))
			continue;
		if (p > start)
			*p++ = ';';
		p = tp_sigv4__copy(p, h[i].lname, h[i].lname_len);
	}
	tp_sigv4__finish(out, p);
	return 0;
}
