/*
 * What the three SigV4 files share and nothing else includes:
 *
 *   sigv4.c        signing and presigning (the public entry points);
 *   sigv4_canon.c  canonical URI, query and headers;
 *   sigv4_keys.c   SHA-256 and HMAC, per-thread scratch space, the signing-key cache.
 */
#ifndef TP_SIGV4_INTERNAL_H
#define TP_SIGV4_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "aws/buf.h"
#include "aws/sigv4.h"

/* tp_buf_reset, inline. */
static inline void tp_sigv4__reset(tp_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

/*
 * Where to write n more bytes at the end of b (with room for its NUL), or
 * NULL (error set) past b's cap: tp_buf_grow, with the usual case, room
 * already there, inline. tp_sigv4__finish then sets the length.
 */
static inline char *tp_sigv4__room(tp_buf *b, size_t n)
{
	if (!b->max && n < TP_BUF_DEFAULT_MAX - b->len && b->len + n < b->alloc)
		return b->ptr + b->len;
	return tp_buf_grow(b, n) < 0 ? NULL : b->ptr + b->len;
}

/* b's contents now end at `end`, inside the room made: set its length, add the NUL. */
static inline void tp_sigv4__finish(tp_buf *b, char *end)
{
	b->len = (size_t)(end - b->ptr);
	*end = '\0';
}

/*
 * memcpy(p, s, n), returning p + n, for the short strings a signature is
 * made of (names, keys, values, a scope): up to 16 bytes it copies with
 * two overlapping loads and stores, cheaper than a call to memcpy.
 */
static inline char *tp_sigv4__copy(char *p, const char *s, size_t n)
{
	uint64_t a, b;
	uint32_t c, d;

	if (n >= 8 && n <= 16) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(p, &a, 8);
		memcpy(p + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		memcpy(&c, s, 4);
		memcpy(&d, s + n - 4, 4);
		memcpy(p, &c, 4);
		memcpy(p + n - 4, &d, 4);
	} else if (n && n < 4) {
		p[0] = s[0];
		p[n / 2] = s[n / 2];
		p[n - 1] = s[n - 1];
	} else if (n) {
		memcpy(p, s, n);
	}
	return p + n;
}

/*
 * Write s[0..len) at p percent-encoded (A-Za-z0-9-._~ kept, every other
 * byte %XX); p needs room for 3 * len + 1 bytes. Returns the end.
 */
char *tp_sigv4__put_encoded(char *p, const char *s, size_t len);

/* A header going into a signature. */
typedef struct tp_sigv4__hdr {
	const char *lname;      /* the name, lower-case, NUL-terminated */
	size_t lname_len;
	uint64_t key;           /* its first eight bytes big-endian, zero-padded: sorts
				 * as the name does, and most names differ there */
	const char *value;
	size_t value_len;
	size_t order;           /* position in the request: repeated names keep it */
} tp_sigv4__hdr;

/* A query parameter, key and value already in canonical encoding. */
typedef struct tp_sigv4__param {
	const char *k, *v;
	size_t klen, vlen;
	uint64_t key;           /* tp_sigv4__name_key(k, klen), for sorting */
} tp_sigv4__param;

/*
 * Per-thread scratch space of the signer, created on a thread's first
 * signature and freed when the thread exits (sigv4_keys.c).
 */
typedef struct tp_sigv4__tls {
	tp_buf scratch;         /* query keys and values that needed re-encoding */
	tp_buf path;            /* a normalised path */
	tp_buf names;           /* lower-cased header names */
	tp_buf signed_list;     /* "host;x-amz-date" */
	tp_buf query;           /* presign: the X-Amz-* parameters */
	tp_buf scope;           /* "20150830/us-east-1/sts/aws4_request" */
	tp_sigv4__hdr *hdrs;
	size_t hdrs_alloc;
	tp_sigv4__param *params;
	size_t params_alloc;
	time_t date_time;       /* the time last formatted into date ... */
	char date[17];          /* ... "20150830T123600Z" ("" = none yet) */
} tp_sigv4__tls;

/* The calling thread's state; NULL with an error set when it cannot be had. */
tp_sigv4__tls *tp_sigv4__tls_get(void);

/*
 * Append the canonical URI of a wire-form `path` (NULL or "" = "/") to `out`.
 * With `normalize`, dot segments and empty segments are removed (as botocore
 * does: "/a/./b//c/../" -> "/a/b/"); with `double_encode`, every byte outside
 * the unreserved set and '/' is percent-encoded again ('%' -> "%25"). `tmp`
 * is scratch space. Returns 0, or -1 when a buffer cap is exceeded.
 */
int tp_sigv4__canon_uri(tp_buf *out, tp_buf *tmp, const char *path,
			int normalize, int double_encode);

/*
 * Append the canonical query to `out`: the parameters of the raw `query`
 * (each key and value percent-decoded then encoded with the unreserved set,
 * "a" read as "a=", empty segments as in "a&&b" dropped) and the `extra`
 * ones (already canonical), sorted by key then value. Uses t->scratch and
 * t->params. Returns 0, or -1 with TP_EINVAL on a malformed percent escape.
 */
int tp_sigv4__canon_query(tp_buf *out, tp_sigv4__tls *t, const char *query,
			  const tp_sigv4__param *extra, size_t nextra);

/*
 * Lower-case the n names of `h` into `tmp` (lname then points there) and
 * set lname_len, key and value_len. Returns 0, or -1 when `tmp`'s cap is
 * exceeded.
 */
int tp_sigv4__lower_names(tp_sigv4__hdr *h, size_t n, tp_buf *tmp);

/* The sort key of a header name or query key (tp_sigv4__hdr.key). */
uint64_t tp_sigv4__name_key(const char *lname, size_t len);

/* Sort by lower-cased name, then by order. */
void tp_sigv4__sort_headers(tp_sigv4__hdr *h, size_t n);

/*
 * Append "name:value\n" for each distinct name of sorted `h` (values of a
 * repeated name joined with ',') to `out`. Values are trimmed and blank
 * runs folded to one space; a value spanning lines (obsolete folding)
 * becomes its non-empty trimmed lines joined with ',', as in AWS's test
 * suite. Returns 0 or -1 (cap).
 */
int tp_sigv4__canon_headers(tp_buf *out, const tp_sigv4__hdr *h, size_t n);

/* Append the signed-headers list of sorted `h`, "a;b;c", to `out`. Returns 0 or -1. */
int tp_sigv4__signed_headers(tp_buf *out, const tp_sigv4__hdr *h, size_t n);

/* SHA-256 of data, raw or as lower-case hex. Return 0, or -1 (error set). */
int tp_sigv4__sha256(unsigned char out[32], const void *data, size_t len);
int tp_sigv4__sha256_hex(char out[65], const void *data, size_t len);

/* in[0..len) as lower-case hex at out, NUL-terminated (2 * len + 1 bytes). */
void tp_sigv4__hex(char *out, const unsigned char *in, size_t len);

/* What a signing key is derived from: secret, date ("20150830"), region, service. */
typedef struct tp_sigv4__key {
	const char *part[4];
	size_t len[4];
} tp_sigv4__key;

/*
 * mac = HMAC-SHA256(signing key of k, data), the key from the cache or
 * derived and cached (data's first 64 bytes hashed once for as long as
 * the strings signed with the key begin with them). Returns 1 when the key
 * was cached, 0 when it was derived, -1 when libcrypto failed (error set).
 */
int tp_sigv4__sign_string(unsigned char mac[32], const tp_sigv4__key *k,
			  const void *data, size_t len);

#endif
