/*
 * AWS Signature Version 4.
 *
 * Header signing (Authorization header) and presigned query signing, per
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
 *
 * The request is described as it goes on the wire: `path` is already
 * percent-encoded (as in the request line), `query` is the raw query string.
 * The signer canonicalises them: the path is normalised (dot segments,
 * duplicate slashes) and encoded a second time unless `opts.s3` is set; the
 * query is decoded, re-encoded with the RFC 3986 unreserved set, and sorted
 * by key then value (repeated and empty keys kept). Header names are
 * lower-cased, values trimmed and inner whitespace runs folded to one space;
 * repeated headers are joined with ','.
 *
 * Signing keys are cached per (secret, date, region, service); the cache is
 * thread-safe (a mutex-protected table of a few entries).
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
	const tp_header *headers;    /* must include Host */
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
 * the caller must send in addition to its own (X-Amz-Date, and when they
 * apply X-Amz-Security-Token, X-Amz-Content-Sha256, then Authorization last);
 * presigning fills `query` with the complete signed query string.
 * canonical_request and string_to_sign are kept for tests and debugging.
 */
typedef struct tp_sigv4_out {
	tp_buf canonical_request;
	tp_buf string_to_sign;
	char signature[65];
	char amz_date[17];           /* "20150830T123600Z" */
	tp_buf authorization;        /* header signing: the Authorization value */
	tp_buf query;                /* presigning: the signed query string */
	tp_header add_headers[4];    /* point into this struct; valid until release
				      * or the next signature with it */
	size_t nadd_headers;
	char payload_hash[65];
	tp_buf security_token;       /* the copy of the token add_headers points to */
} tp_sigv4_out;

#define TP_SIGV4_OUT_INIT { TP_BUF_INIT, TP_BUF_INIT, "", "", TP_BUF_INIT, TP_BUF_INIT, \
			    {{0, 0}}, 0, "", TP_BUF_INIT }

/*
 * Sign by header. Returns 0, or -1 with TP_EINVAL on a malformed request
 * (no Host header, bad percent-encoding). `out` may be reused across calls
 * (its buffers are reset); release it once with tp_sigv4_out_release.
 */
int tp_sigv4_sign(tp_sigv4_out *out, const tp_sigv4_request *req,
		  const tp_sigv4_creds *creds, const tp_sigv4_opts *opts);

/*
 * Presign: the X-Amz-* parameters are added to the query and signed; only
 * the Host header (and any others given) is signed. The payload hash is
 * req->payload_hash when set (S3 callers pass "UNSIGNED-PAYLOAD"), else the
 * hash of the body, as in AWS's test suite.
 */
int tp_sigv4_presign(tp_sigv4_out *out, const tp_sigv4_request *req,
		     const tp_sigv4_creds *creds, const tp_sigv4_opts *opts);

void tp_sigv4_out_release(tp_sigv4_out *out);

/* URI-encode per SigV4 (unreserved A-Za-z0-9-._~ kept); '/' kept if keep_slash. */
int tp_sigv4_uri_encode(tp_buf *out, const char *s, size_t len, int keep_slash);

/*
 * The signing key for (secret, date8 "20150830", region, service): from the
 * cache, or derived and cached. Returns 1 when it came from the cache, 0 when
 * it was derived, -1 on error (error set). For tests and callers that sign
 * something other than an HTTP request.
 */
int tp_sigv4_signing_key(unsigned char key[32], const char *secret, const char *date8,
			 const char *region, const char *service);

/* Drop every cached signing key (tests, credential rotation). */
void tp_sigv4_cache_clear(void);

#endif
