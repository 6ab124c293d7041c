/*
 * AWS Signature Version 4.
 *
 * Header signing (Authorization header) and presigned query signing, per
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 * and checked against AWS's test suite (tests/sigv4) and botocore
 * (tests/sigv4_differential.py).
 *
 * The request is described as it goes on the wire: `path` is already
 * percent-encoded (as in the request line), `query` is the raw query string.
 * The signer canonicalises them:
 *  - path: dot segments and empty segments removed as botocore does
 *    ("/a/./b//c/../" -> "/a/b/", a trailing slash kept), then every byte
 *    outside A-Za-z0-9-._~ and '/' encoded again ("%20" -> "%2520"). With
 *    `opts.s3` neither: S3 signs the path as sent, so the caller sends it in
 *    canonical form (tp_sigv4_uri_encode with keep_slash). `opts.keep_path`
 *    skips only the normalisation.
 *  - query: split at '&'; each key and value percent-decoded and encoded
 *    again with the unreserved set ('+' is a literal plus); "a" is "a=";
 *    pairs sorted by encoded key, then value; repeated and empty keys kept,
 *    empty segments ("a&&b") dropped.
 *  - headers: names lower-cased; values trimmed, runs of blanks folded to
 *    one space, a value spanning lines (obsolete folding) becomes its lines
 *    joined with ','; a repeated name's values joined with ',' in request
 *    order. Every header given is signed.
 *
 * Thread safety: any number of threads may sign at once. Signing keys are
 * cached process-wide per (secret, day, region, service) in a small table
 * under a mutex (see sigv4_keys.c for why not per thread); scratch space is
 * per thread, so a warm signer reusing `out` allocates nothing.
 *
 * Speed: bench/sigv4 measures it against botocore on 10,000 varied
 * requests. With a cached key about a third of a signature is SHA-256 and
 * the rest canonicalisation; sigv4_canon.c and sigv4_keys.c say how both
 * are kept short.
 */
#ifndef TP_SIGV4_H
#define TP_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "aws/buf.h"

typedef struct tp_header {
	const char *name;
	const char *value;
} tp_header;

typedef struct tp_sigv4_request {
	const char *method;          /* "GET" */
	const char *path;            /* "/a%20b", as on the wire; NULL = "/" */
	const char *query;           /* "a=1&b=" without '?'; NULL = none */
	const tp_header *headers;    /* must include Host; a NULL name is skipped */
	size_t nheaders;
	const void *body;            /* hashed unless payload_hash is set */
	size_t body_len;
	const char *payload_hash;    /* hex SHA-256 or "UNSIGNED-PAYLOAD"; NULL = hash body */
} tp_sigv4_request;

typedef struct tp_sigv4_opts {
	const char *service;         /* signing name: "sts", "s3", "execute-api" */
	const char *region;          /* "us-east-1" */
	time_t now;                  /* signing time; 0 = current time */
	int s3;                      /* no path normalisation, no double encoding */
	int content_sha256_header;   /* add x-amz-content-sha256 (S3 always wants it) */
	unsigned expires;            /* presign only: X-Amz-Expires seconds; 0 = 3600 */
	int keep_path;               /* no path normalisation, but still double
				      * encoding unless s3 (AWS suite "normalize": false) */
} tp_sigv4_opts;

#define TP_SIGV4_OPTS_INIT { NULL, NULL, 0, 0, 0, 0, 0 }

typedef struct tp_sigv4_creds {
	const char *access_key_id;
	const char *secret_access_key;
	const char *session_token;   /* NULL when not temporary */
} tp_sigv4_creds;

/*
 * The signer's results. Header signing fills `add_headers` with the headers
 * the caller must send in addition to its own: X-Amz-Date, then when they
 * apply X-Amz-Security-Token and X-Amz-Content-Sha256, and Authorization
 * last. Presigning fills `query` with the complete signed query string (the
 * request's query, the X-Amz-* parameters, X-Amz-Signature last) and adds
 * no headers. canonical_request, string_to_sign and signature are kept for
 * tests and debugging.
 */
typedef struct tp_sigv4_out {
	tp_buf canonical_request;
	tp_buf string_to_sign;
	char signature[65];
	char amz_date[17];           /* "20150830T123600Z" */
	tp_buf authorization;        /* header signing: the Authorization value */
	tp_buf query;                /* presigning: the signed query string */
	tp_header add_headers[4];    /* point into this struct (never into the
				      * request or creds): valid until the next
				      * signature with it or its release */
	size_t nadd_headers;
	char payload_hash[65];       /* as signed: hex SHA-256 or the given value */
	tp_buf security_token;       /* the copy of the token add_headers points to */
} tp_sigv4_out;

#define TP_SIGV4_OUT_INIT { TP_BUF_INIT, TP_BUF_INIT, "", "", TP_BUF_INIT, TP_BUF_INIT, \
			    {{0, 0}}, 0, "", TP_BUF_INIT }

/*
 * Sign by header. The caller's own X-Amz-Date and Authorization headers, and
 * X-Amz-Security-Token / X-Amz-Content-Sha256 when the signer adds them, are
 * left out of the signature (they are stale copies of what add_headers
 * replaces); the caller must not send them.
 *
 * Returns 0, or with the error set: TP_EINVAL for a request that cannot be
 * signed (no method, no Host header, a malformed percent escape in the
 * query, no access key, secret, service or region, a payload hash over 64
 * characters), TP_ERROR when libcrypto fails. On failure nadd_headers is 0.
 * Messages never contain the secret key or session token. `out` may be reused across
 * calls (its buffers are reset, their memory kept); release it once with
 * tp_sigv4_out_release. The request, creds and opts are not modified.
 */
int tp_sigv4_sign(tp_sigv4_out *out, const tp_sigv4_request *req,
		  const tp_sigv4_creds *creds, const tp_sigv4_opts *opts);

/*
 * Presign: X-Amz-Algorithm, -Credential, -Date, -Expires, -SignedHeaders
 * and (with a session token) -Security-Token are added to the query and
 * signed with every header given (at least Host). The payload hash is
 * req->payload_hash when set (S3 presigned URLs pass "UNSIGNED-PAYLOAD"),
 * else the hash of the body, as in AWS's test suite. Returns as
 * tp_sigv4_sign.
 */
int tp_sigv4_presign(tp_sigv4_out *out, const tp_sigv4_request *req,
		     const tp_sigv4_creds *creds, const tp_sigv4_opts *opts);

/* Free the buffers of `out`; it is empty and reusable afterwards. NULL is a no-op. */
void tp_sigv4_out_release(tp_sigv4_out *out);

/*
 * Append s[0..len) URI-encoded per SigV4 to `out`: A-Za-z0-9-._~ kept, '/'
 * kept when keep_slash, every other byte as %XX (upper-case hex). Returns
 * 0, or -1 with TP_EINVAL when `out` would exceed its cap (unchanged then).
 */
int tp_sigv4_uri_encode(tp_buf *out, const char *s, size_t len, int keep_slash);

/*
 * The signing key for (secret, date8 "20150830", region, service): from the
 * cache, or derived and cached. Returns 1 when it came from the cache, 0 when
 * it was derived, or TP_EINVAL / TP_ERROR (error set). For tests and callers
 * that sign something other than an HTTP request.
 */
int tp_sigv4_signing_key(unsigned char key[32], const char *secret, const char *date8,
			 const char *region, const char *service);

/* Drop (and wipe) every cached signing key: tests, credential rotation. */
void tp_sigv4_cache_clear(void);

#endif
