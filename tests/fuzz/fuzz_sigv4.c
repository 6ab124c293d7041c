/*
 * Fuzz SigV4 canonicalisation and signing (aws/sigv4.h): any method, path,
 * query, headers and body must either sign or be refused with TP_EINVAL /
 * TP_ERROR, never crash; signing is deterministic (the same request signed
 * again, with the same output struct and with a fresh one, after the
 * signing-key cache is warm or just cleared, gives byte-identical results);
 * and what comes out is checked against an independent computation:
 *   - the canonical request has the documented shape: method, a path of
 *     unreserved characters, '/' and %XX, a query of k=v pairs sorted by
 *     key then value, lower-case header names in strictly increasing order
 *     with trimmed values, the signed-headers line listing exactly them,
 *     and the payload hash (SHA-256 of the body unless one was given);
 *   - the string to sign ends with the SHA-256 of the canonical request;
 *   - the signature is HMAC-SHA256 of the string to sign under a key
 *     derived here with OpenSSL from the secret (not through the cache);
 *   - the Authorization header / presigned query carries that signature;
 *   - nothing but the signature depends on the secret key: signed again
 *     with another secret, everything else is byte-identical, and so is a
 *     refusal's message (so no part of the secret can be in them; the input
 *     itself may well spell the secret, even in another case or
 *     percent-encoded, and the canonical request then rightly holds it).
 *
 * Input (tests/fuzz/corpus/sigv4/): byte 0 is a set of flags, the rest a
 * request as tests/sigv4/v4/<case>/request.txt writes it:
 *   METHOD SP TARGET [SP HTTP/1.1] LF     (TARGET = path [? query])
 *   Name:value LF ...                     (a line starting with a blank
 *                                          continues the value; a line
 *                                          without ':' is a nameless header)
 *   LF body
 * Flags: bit 0 presign, 1 s3, 2 x-amz-content-sha256, 3 keep_path, 4 a
 * session token, 5 payload hash UNSIGNED-PAYLOAD, 6-7 one of four
 * (secret, time, region, service) settings; setting 3 clears the
 * signing-key cache between the two signatures.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include "aws/error.h"
#include "aws/sigv4.h"
#include "aws/util.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_input.h"

#define MAX_HEADERS 64

struct setting {
	const char *secret;
	time_t now;
	const char *date8;
	const char *region;
	const char *service;
};

/* The secret signed with too, to see what depends on it. */
#define OTHER_SECRET "0ther/Secret+KEY"

static const struct setting settings[4] = {
	{ "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1440938160, "20150830", "us-east-1", "service" },
	{ "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1440938160, "20150830", "us-east-1", "s3" },
	{ "fuzz/secret+key", 1704067199, "20231231", "eu-west-1", "sts" },
	{ "another-secret", 4102444800, "21000101", "ap-southeast-2", "execute-api" },
};

#define TOKEN "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQW"

struct request {
	char *text;                 /* the input after the flags, split in place */
	tp_header headers[MAX_HEADERS];
	char *values[MAX_HEADERS];  /* continued values, owned */
	tp_sigv4_request req;
};

/* ---- reading the input ---------------------------------------------------------------- */

/* Cut `s` at the first '\n': returns the rest (NULL when there was none). */
static char *cut_line(char *s)
{
	char *nl = strchr(s, '\n');

	if (!nl)
		return NULL;
	*nl = '\0';
	return nl + 1;
}

static void request_line(struct request *r, char *line)
{
	char *target = strchr(line, ' '), *version, *q;

	r->req.method = line;
	if (!target)
		return;
	*target++ = '\0';
	version = strrchr(target, ' ');
	if (version && strncmp(version, " HTTP/", 6) == 0)
		*version = '\0';
	q = strchr(target, '?');
	if (q) {
		*q = '\0';
		r->req.query = q + 1;
	}
	r->req.path = *target ? target : NULL;
}

static void continue_value(struct request *r, const char *more)
{
	size_t i = r->req.nheaders - 1;
	char *v = tp_xasprintf("%s\n%s", r->headers[i].value, more);

	free(r->values[i]);
	r->values[i] = v;
	r->headers[i].value = v;
}

/* Header lines up to an empty one; returns the body (after the empty line) or NULL. */
static char *header_lines(struct request *r, char *p)
{
	while (p) {
		char *line = p, *colon;

		p = cut_line(p);
		if (!*line)
			return p;
		if ((*line == ' ' || *line == '\t') && r->req.nheaders) {
			continue_value(r, line);
			continue;
		}
		if (r->req.nheaders == MAX_HEADERS)
			continue;
		colon = strchr(line, ':');
		if (colon)
			*colon = '\0';
		r->headers[r->req.nheaders].name = colon ? line : NULL;
		r->headers[r->req.nheaders].value = colon ? colon + 1 : line;
		r->req.nheaders++;
	}
	return NULL;
}

static void request_parse(struct request *r, const uint8_t *data, size_t size)
{
	char *rest, *body;

	memset(r, 0, sizeof(*r));
	r->text = tp_fuzz_copy(data, size);
	rest = cut_line(r->text);
	request_line(r, r->text);
	r->req.headers = r->headers;
	body = rest ? header_lines(r, rest) : NULL;
	if (body) {
		r->req.body = body;
		r->req.body_len = size - (size_t)(body - r->text);
	}
}

static void request_release(struct request *r)
{
	size_t i;

	for (i = 0; i < MAX_HEADERS; i++)
		free(r->values[i]);
	free(r->text);
}

/* ---- the independent computation ------------------------------------------------------ */

static void hmac(unsigned char out[32], const void *key, size_t klen, const char *msg,
		 size_t mlen)
{
	unsigned int n = 32;

	if (!HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, mlen, out, &n) ||
	    n != 32)
		abort();
}

static void expected_signature(char hex[65], const struct setting *s, const tp_buf *sts)
{
	unsigned char k[32];
	char *secret = tp_xasprintf("AWS4%s", s->secret);

	hmac(k, secret, strlen(secret), s->date8, 8);
	hmac(k, k, 32, s->region, strlen(s->region));
	hmac(k, k, 32, s->service, strlen(s->service));
	hmac(k, k, 32, "aws4_request", 12);
	hmac(k, k, 32, sts->ptr, sts->len);
	tp_hex(hex, k, 32);
	free(secret);
}

static void sha256_hex(char hex[65], const void *data, size_t len)
{
	unsigned char md[32];

	SHA256(data, len, md);
	tp_hex(hex, md, 32);
}

/* ---- the shape of the canonical request ------------------------------------------------ */

static int is_unreserved(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static int is_upper_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

/* s[0..n) is made of unreserved characters, %XX and the characters in `also`. */
static void check_encoded(const char *s, size_t n, const char *also)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%') {
			if (i + 2 >= n || !is_upper_hex(s[i + 1]) || !is_upper_hex(s[i + 2]))
				abort();
			i += 2;
		} else if (!is_unreserved(s[i]) && !strchr(also, s[i])) {
			abort();
		}
	}
}

/* Pairs sorted by key, then value (as the encoded strings compare). */
static void check_query(const char *q, size_t n)
{
	const char *prev = NULL, *p = q, *end = q + n;
	size_t prev_len = 0;

	check_encoded(q, n, "=&");
	while (p < end) {
		const char *amp = memchr(p, '&', (size_t)(end - p));
		size_t len = amp ? (size_t)(amp - p) : (size_t)(end - p);
		const char *eq = memchr(p, '=', len);

		if (!eq || memchr(eq + 1, '=', len - (size_t)(eq - p) - 1))
			abort();            /* every pair is k=v, one '=' */
		if (prev) {
			size_t pk = (size_t)((const char *)memchr(prev, '=', prev_len) - prev);
			size_t k = (size_t)(eq - p);
			int c = memcmp(prev, p, pk < k ? pk : k);

			if (c > 0 || (c == 0 && pk > k))
				abort();
			if (c == 0 && pk == k) {
				size_t pv = prev_len - pk - 1, v = len - k - 1;
				int cv = memcmp(prev + pk + 1, eq + 1, pv < v ? pv : v);

				if (cv > 0 || (cv == 0 && pv > v))
					abort();
			}
		}
		prev = p;
		prev_len = len;
		p += len + (amp != NULL);
	}
}

static void check_header_line(const char *line, const char *prev)
{
	const char *colon = strchr(line, ':'), *v, *c;

	if (!colon)
		abort();
	for (c = line; c < colon; c++)
		if (*c >= 'A' && *c <= 'Z')
			abort();
	if (prev) {
		size_t pn = strcspn(prev, ":"), n = (size_t)(colon - line);
		int cmp = memcmp(prev, line, pn < n ? pn : n);

		if (cmp > 0 || (cmp == 0 && pn >= n))
			abort();    /* names strictly increasing: sorted, repeats joined */
	}
	v = colon + 1;
	if (*v == ' ' || strstr(v, "  ") || (*v && v[strlen(v) - 1] == ' '))
		abort();        /* trimmed, runs of blanks folded */
}

static void check_canonical(const tp_sigv4_out *out, const tp_sigv4_request *req,
			    const tp_sigv4_opts *opts)
{
	char *cr = tp_xstrndup(out->canonical_request.ptr, out->canonical_request.len);
	char *path, *query, *line, *next, *prev = NULL, *names = NULL, *hash;
	tp_buf listed = TP_BUF_INIT;

	if (strlen(cr) != out->canonical_request.len)
		abort();        /* a NUL inside: only a NUL-free method could get there */
	path = cut_line(cr);
	query = path ? cut_line(path) : NULL;
	if (!query || strcmp(cr, req->method) != 0)
		abort();
	if (!opts->s3)
		check_encoded(path, strlen(path), "/");
	if (path[0] != '/' && !opts->s3 && !opts->keep_path)
		abort();        /* normalised paths are absolute; others are signed as given */
	next = cut_line(query);
	check_query(query, strlen(query));
	for (line = next; line; line = next) {
		next = cut_line(line);
		if (!*line)
			break;          /* the empty line after the headers */
		check_header_line(line, prev);
		if (listed.len)
			tp_buf_addc(&listed, ';');
		tp_buf_add(&listed, line, strcspn(line, ":"));
		prev = line;
	}
	names = line ? next : NULL;
	hash = names ? cut_line(names) : NULL;
	if (!hash || strcmp(names, tp_buf_cstr(&listed)) != 0 ||
	    strcmp(hash, out->payload_hash) != 0 || strchr(hash, '\n'))
		abort();
	tp_buf_release(&listed);
	free(cr);
}

static void check_payload(const tp_sigv4_out *out, const tp_sigv4_request *req)
{
	char hex[65];

	if (req->payload_hash) {
		if (strcmp(out->payload_hash, req->payload_hash) != 0)
			abort();
		return;
	}
	sha256_hex(hex, req->body ? req->body : "", req->body_len);
	if (strcmp(out->payload_hash, hex) != 0)
		abort();
}

/* ---- signing ------------------------------------------------------------------------------ */

static void check_signed(const tp_sigv4_out *out, const tp_sigv4_request *req,
			 const tp_sigv4_opts *opts, const struct setting *s, int presign)
{
	char hex[65], *tail;
	size_t i;

	check_canonical(out, req, opts);
	check_payload(out, req);
	sha256_hex(hex, out->canonical_request.ptr, out->canonical_request.len);
	tail = tp_xasprintf("AWS4-HMAC-SHA256\n%s\n%s/%s/%s/aws4_request\n%s", out->amz_date,
			    s->date8, s->region, s->service, hex);
	if (strcmp(tp_buf_cstr(&out->string_to_sign), tail) != 0)
		abort();
	free(tail);
	expected_signature(hex, s, &out->string_to_sign);
	if (strcmp(hex, out->signature) != 0)
		abort();
	tail = tp_xasprintf(presign ? "X-Amz-Signature=%s" : "Signature=%s", out->signature);
	if (!tp_ends_with(presign ? tp_buf_cstr(&out->query) : tp_buf_cstr(&out->authorization),
			  tail))
		abort();
	free(tail);
	if (presign ? out->nadd_headers != 0
		    : out->nadd_headers < 2 || out->nadd_headers > 4 ||
		      strcmp(out->add_headers[out->nadd_headers - 1].name, "Authorization") != 0)
		abort();
	for (i = 0; i < out->nadd_headers; i++)
		if (!out->add_headers[i].name || !out->add_headers[i].value)
			abort();
}

/* a and b are both empty, or the same length and agree but for their last `sig` bytes. */
static int same_but_tail(const tp_buf *a, const tp_buf *b, size_t sig)
{
	return a->len == b->len &&
	       (a->len == 0 || (a->len >= sig && memcmp(a->ptr, b->ptr, a->len - sig) == 0));
}

/*
 * a and b signed the same request: with the same secret (sig 0) they are
 * byte-identical; with different secrets (sig 64) all but the signature
 * (the last 64 characters of the Authorization value or the presigned
 * query) is, and the signatures differ.
 */
static void check_alike(const tp_sigv4_out *a, const tp_sigv4_out *b, size_t sig)
{
	size_t i;

	if ((strcmp(a->signature, b->signature) == 0) != (sig == 0) ||
	    strcmp(a->amz_date, b->amz_date) || strcmp(a->payload_hash, b->payload_hash) ||
	    strcmp(tp_buf_cstr(&a->canonical_request), tp_buf_cstr(&b->canonical_request)) ||
	    strcmp(tp_buf_cstr(&a->string_to_sign), tp_buf_cstr(&b->string_to_sign)) ||
	    !same_but_tail(&a->authorization, &b->authorization, sig) ||
	    !same_but_tail(&a->query, &b->query, sig) || a->nadd_headers != b->nadd_headers)
		abort();
	for (i = 0; i < a->nadd_headers; i++)
		if (strcmp(a->add_headers[i].name, b->add_headers[i].name) ||
		    ((sig == 0 || strcmp(a->add_headers[i].name, "Authorization") != 0) &&
		     strcmp(a->add_headers[i].value, b->add_headers[i].value) != 0))
			abort();
}

static int sign(tp_sigv4_out *out, int presign, const tp_sigv4_request *req,
		const tp_sigv4_creds *creds, const tp_sigv4_opts *opts)
{
	int rc = presign ? tp_sigv4_presign(out, req, creds, opts)
			 : tp_sigv4_sign(out, req, creds, opts);

	if (rc < 0) {
		if ((rc != TP_EINVAL && rc != TP_ERROR) || out->nadd_headers != 0)
			abort();
	} else if (rc != 0) {
		abort();
	}
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tp_sigv4_out out = TP_SIGV4_OUT_INIT, again = TP_SIGV4_OUT_INIT;
	tp_sigv4_opts opts = TP_SIGV4_OPTS_INIT;
	tp_sigv4_creds creds, other;
	const struct setting *s;
	struct request r;
	unsigned flags;
	char *msg = NULL;
	int presign, rc, rc2;

	if (!size)
		return 0;
	flags = data[0];
	s = &settings[flags >> 6];
	presign = flags & 1;
	request_parse(&r, data + 1, size - 1);
	if (flags & 0x20)
		r.req.payload_hash = "UNSIGNED-PAYLOAD";
	creds.access_key_id = "AKIDEXAMPLE";
	creds.secret_access_key = s->secret;
	creds.session_token = flags & 0x10 ? TOKEN : NULL;
	opts.service = s->service;
	opts.region = s->region;
	opts.now = s->now;
	opts.s3 = (flags & 2) != 0;
	opts.content_sha256_header = (flags & 4) != 0;
	opts.keep_path = (flags & 8) != 0;
	opts.expires = opts.s3 ? 604800 : 0;
	other = creds;
	other.secret_access_key = OTHER_SECRET;

	rc = sign(&out, presign, &r.req, &creds, &opts);
	if (rc == 0)
		check_signed(&out, &r.req, &opts, s, presign);
	else
		msg = tp_xstrdup(tp_error_last()->msg);
	rc2 = sign(&again, presign, &r.req, &other, &opts);
	if (rc2 != rc)
		abort();
	if (rc == 0)
		check_alike(&out, &again, 64);
	else if (strcmp(msg, tp_error_last()->msg) != 0)
		abort();
	free(msg);
	if ((flags >> 6) == 3)
		tp_sigv4_cache_clear();
	rc2 = sign(&again, presign, &r.req, &creds, &opts);
	if (rc2 != rc)
		abort();
	if (rc == 0)
		check_alike(&out, &again, 0);
	rc2 = sign(&out, presign, &r.req, &creds, &opts);      /* reused: same again */
	if (rc2 != rc)
		abort();
	if (rc == 0)
		check_alike(&out, &again, 0);
	tp_sigv4_out_release(&out);
	tp_sigv4_out_release(&again);
	request_release(&r);
	tp_error_clear();
	return 0;
}
