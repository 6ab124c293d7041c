/*
 * AWS Signature Version 4: signing by header and presigning by query.
 *
 * A signature is built in four steps, each in `out` so tests can compare
 * them with AWS's test suite:
 *   canonical request  method, URI, query, headers, signed headers, payload hash
 *   string to sign     algorithm, date, scope, SHA-256 of the canonical request
 *   signature          HMAC(signing key, string to sign), the key cached per day
 *   result             Authorization header (+ X-Amz-* headers) or signed query
 * Canonicalisation lives in sigv4_canon.c, hashing and the key cache in
 * sigv4_keys.c. Scratch space is per thread, so a warm signer allocates
 * nothing when the caller reuses `out`.
 */
#include "aws/sigv4.h"

#include <string.h>

#include "aws/error.h"
#include "aws/sigv4_internal.h"
#include "aws/util.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/*
 * Strings are assembled in room made once (room), written through a
 * pointer (put for the short strings of a request, put_bytes otherwise;
 * PUT_LIT's length is a constant, so its copy compiles to a few stores),
 * and closed with finish.
 */
#define room tp_sigv4__room
#define finish tp_sigv4__finish
#define put tp_sigv4__copy

static char *put_bytes(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT_LIT(p, lit) put_bytes((p), (lit), sizeof(lit) - 1)

/* What the caller asked for, checked once. */
struct job {
	const tp_sigv4_request *req;
	const tp_sigv4_creds *creds;
	const tp_sigv4_opts *opts;
	const char *token;              /* NULL or non-empty */
	char date8[9];                  /* "20150830" */
	size_t secret_len, region_len, service_len;
	size_t payload_len;             /* of out->payload_hash */
	tp_sigv4__tls *t;
	size_t nhdrs;                   /* signed headers, sorted in t->hdrs */
};

static void out_reset(tp_sigv4_out *out)
{
	tp_sigv4__reset(&out->canonical_request);
	tp_sigv4__reset(&out->string_to_sign);
	tp_sigv4__reset(&out->authorization);
	tp_sigv4__reset(&out->query);
	tp_sigv4__reset(&out->security_token);
	out->signature[0] = '\0';
	out->amz_date[0] = '\0';
	out->payload_hash[0] = '\0';
	out->nadd_headers = 0;
}

static int check(const tp_sigv4_request *req, const tp_sigv4_creds *creds,
		 const tp_sigv4_opts *opts)
{
	if (!req || !req->method || !*req->method)
		return tp_error_set(TP_EINVAL, "SigV4: request has no method");
	if (!creds || !creds->access_key_id || !creds->secret_access_key)
		return tp_error_set(TP_EINVAL, "SigV4: no access key id or secret key");
	if (!opts || !opts->service || !opts->region)
		return tp_error_set(TP_EINVAL, "SigV4: no service or region to sign for");
	if (req->nheaders && !req->headers)
		return tp_error_set(TP_EINVAL, "SigV4: %zu headers but no array", req->nheaders);
	return 0;
}

/* Two digits of v at p. */
static void put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
}

/*
 * "20150830T123600Z", remembered per thread: a busy signer formats each
 * second once.
 */
static int set_date(tp_sigv4_out *out, struct job *j)
{
	time_t now = j->opts->now ? j->opts->now : tp_time_now();
	tp_sigv4__tls *t = j->t;
	struct tm tm;

	if (now != t->date_time || !t->date[0]) {
		if (!gmtime_r(&now, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
			return tp_error_set(TP_EINVAL, "SigV4: signing time %lld out of range",
					    (long long)now);
		put2(t->date, (tm.tm_year + 1900) / 100);
		put2(t->date + 2, tm.tm_year + 1900);
		put2(t->date + 4, tm.tm_mon + 1);
		put2(t->date + 6, tm.tm_mday);
		t->date[8] = 'T';
		put2(t->date + 9, tm.tm_hour);
		put2(t->date + 11, tm.tm_min);
		put2(t->date + 13, tm.tm_sec);
		t->date[15] = 'Z';
		t->date[16] = '\0';
		t->date_time = now;
	}
	memcpy(out->amz_date, t->date, sizeof(out->amz_date));
	memcpy(j->date8, t->date, 8);
	j->date8[8] = '\0';
	return 0;
}

/* t->scope = "20150830/us-east-1/service/aws4_request" */
static int set_scope(struct job *j)
{
	tp_buf *b = &j->t->scope;
	char *p;

	tp_sigv4__reset(b);
	if (!(p = room(b, 8 + j->region_len + j->service_len + sizeof("//aws4_request"))))
		return -1;
	p = put(p, j->date8, 8);
	*p++ = '/';
	p = put(p, j->opts->region, j->region_len);
	*p++ = '/';
	p = put(p, j->opts->service, j->service_len);
	finish(b, PUT_LIT(p, "/aws4_request"));
	return 0;
}

static int set_payload_hash(tp_sigv4_out *out, struct job *j)
{
	const tp_sigv4_request *req = j->req;

	j->payload_len = 64;
	if (req->payload_hash) {
		j->payload_len = strlen(req->payload_hash);
		if (j->payload_len >= sizeof(out->payload_hash))
			return tp_error_set(TP_EINVAL, "SigV4: payload hash \"%.70s...\" too long",
					    req->payload_hash);
		memcpy(out->payload_hash, req->payload_hash, j->payload_len + 1);
		return 0;
	}
	if (!req->body_len) {   /* the common case needs no hashing */
		memcpy(out->payload_hash, EMPTY_SHA256, sizeof(EMPTY_SHA256));
		return 0;
	}
	return tp_sigv4__sha256_hex(out->payload_hash, req->body, req->body_len);
}

static int begin(tp_sigv4_out *out, struct job *j, const tp_sigv4_request *req,
		 const tp_sigv4_creds *creds, const tp_sigv4_opts *opts)
{
	out_reset(out);
	if (check(req, creds, opts) < 0)
		return -1;
	j->req = req;
	j->creds = creds;
	j->opts = opts;
	j->token = creds->session_token && *creds->session_token ? creds->session_token : NULL;
	j->secret_len = strlen(creds->secret_access_key);
	j->region_len = strlen(opts->region);
	j->service_len = strlen(opts->service);
	j->t = tp_sigv4__tls_get();
	if (!j->t || set_date(out, j) < 0 || set_scope(j) < 0 || set_payload_hash(out, j) < 0)
		return -1;
	return 0;
}

static int lname_is(const tp_sigv4__hdr *h, const char *lname, size_t len)
{
	return h->lname_len == len && memcmp(h->lname, lname, len) == 0;
}

#define LNAME_IS(h, lit) lname_is((h), lit, sizeof(lit) - 1)

/*
 * Header signing sets these itself; a caller's copy (from a previous
 * attempt, say) would otherwise be signed twice with different values.
 */
static int replaced_by_signer(const tp_sigv4__hdr *h, const struct job *j)
{
	return LNAME_IS(h, "x-amz-date") || LNAME_IS(h, "authorization") ||
	       (j->token && LNAME_IS(h, "x-amz-security-token")) ||
	       (j->opts->content_sha256_header && LNAME_IS(h, "x-amz-content-sha256"));
}

/*
 * t->hdrs: the caller's headers, names lower-cased, then `extra` (the
 * signer's, lower-case already), each with its position in `order`.
 */
static int gather_headers(struct job *j, const tp_sigv4__hdr *extra, size_t nextra, size_t *n)
{
	const tp_sigv4_request *req = j->req;
	tp_sigv4__tls *t = j->t;
	size_t i, k = 0, need = req->nheaders + nextra;

	if (need > t->hdrs_alloc) {
		t->hdrs = tp_xrealloc(t->hdrs, need * sizeof(*t->hdrs));
		t->hdrs_alloc = need;
	}
	for (i = 0; i < req->nheaders; i++) {
		if (!req->headers[i].name)
			continue;
		t->hdrs[k].lname = req->headers[i].name;
		t->hdrs[k].value = req->headers[i].value;
		t->hdrs[k].order = i;
		k++;
	}
	if (tp_sigv4__lower_names(t->hdrs, k, &t->names) < 0)
		return -1;
	for (i = 0; i < nextra; i++) {
		t->hdrs[k] = extra[i];
		t->hdrs[k++].order = req->nheaders + i;
	}
	*n = k;
	return 0;
}

/*
 * The headers to sign, sorted in t->hdrs, and their list in t->signed_list:
 * the caller's headers, minus those the signer replaces when `replace`,
 * plus `extra`. Fails with TP_EINVAL when there is no Host.
 */
static int build_headers(struct job *j, int replace, const tp_sigv4__hdr *extra, size_t nextra)
{
	tp_sigv4__tls *t = j->t;
	size_t i, n, kept = 0, ncaller = j->req->nheaders;
	int host = 0;

	if (gather_headers(j, extra, nextra, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const tp_sigv4__hdr *h = &t->hdrs[i];

		if (replace && h->order < ncaller && replaced_by_signer(h, j))
			continue;
		host |= LNAME_IS(h, "host");
		t->hdrs[kept++] = *h;
	}
	if (!host)
		return tp_error_set(TP_EINVAL, "SigV4: %s %s has no Host header",
				    j->req->method, j->req->path ? j->req->path : "/");
	tp_sigv4__sort_headers(t->hdrs, kept);
	j->nhdrs = kept;
	tp_sigv4__reset(&t->signed_list);
	return tp_sigv4__signed_headers(&t->signed_list, t->hdrs, kept);
}

/* Append '\n' to b. */
static int end_line(tp_buf *b)
{
	char *p = room(b, 1);

	if (!p)
		return -1;
	*p = '\n';
	finish(b, p + 1);
	return 0;
}

/*
 * out->canonical_request: method, URI, query (the request's and `extra`),
 * headers, signed headers and payload hash, one per line, each written
 * straight into it.
 */
static int canonical_request(tp_sigv4_out *out, struct job *j,
			     const tp_sigv4__param *extra, size_t nextra)
{
	const tp_sigv4_opts *o = j->opts;
	tp_sigv4__tls *t = j->t;
	tp_buf *cr = &out->canonical_request;
	size_t mlen = strlen(j->req->method);
	char *p;

	if (!(p = room(cr, mlen)))
		return -1;
	finish(cr, put(p, j->req->method, mlen));
	if (end_line(cr) < 0 ||
	    tp_sigv4__canon_uri(cr, &t->path, j->req->path, !o->s3 && !o->keep_path, !o->s3) < 0 ||
	    end_line(cr) < 0 ||
	    tp_sigv4__canon_query(cr, t, j->req->query, extra, nextra) < 0 || end_line(cr) < 0 ||
	    tp_sigv4__canon_headers(cr, t->hdrs, j->nhdrs) < 0 || end_line(cr) < 0 ||
	    !(p = room(cr, t->signed_list.len + 1 + j->payload_len)))
		return -1;
	p = put(p, t->signed_list.ptr, t->signed_list.len);
	*p++ = '\n';
	finish(cr, put(p, out->payload_hash, j->payload_len));
	return 0;
}

/* The string to sign, and the signature of it. */
static int sign_canonical(tp_sigv4_out *out, struct job *j)
{
	const tp_sigv4__key key = {
		{ j->creds->secret_access_key, j->date8, j->opts->region, j->opts->service },
		{ j->secret_len, 8, j->region_len, j->service_len },
	};
	const tp_buf *scope = &j->t->scope;
	tp_buf *sts = &out->string_to_sign;
	unsigned char digest[32], mac[32];
	char *p;

	if (tp_sigv4__sha256(digest, out->canonical_request.ptr, out->canonical_request.len) < 0 ||
	    !(p = room(sts, sizeof(ALGORITHM) + 17 + scope->len + 1 + 64)))
		return -1;
	p = PUT_LIT(p, ALGORITHM "\n");
	p = put(p, out->amz_date, 16);
	*p++ = '\n';
	p = put(p, scope->ptr, scope->len);
	*p++ = '\n';
	tp_sigv4__hex(p, digest, sizeof(digest));
	finish(sts, p + 64);
	if (tp_sigv4__sign_string(mac, &key, sts->ptr, sts->len) < 0)
		return -1;
	tp_sigv4__hex(out->signature, mac, sizeof(mac));
	return 0;
}

static void add_header(tp_sigv4_out *out, const char *name, const char *value)
{
	out->add_headers[out->nadd_headers].name = name;
	out->add_headers[out->nadd_headers].value = value;
	out->nadd_headers++;
}

/* A header the signer adds, as it is signed: name lower-case. */
static void signer_hdr(tp_sigv4__hdr *h, const char *lname, size_t lname_len,
		       const char *value, size_t value_len)
{
	h->lname = lname;
	h->lname_len = lname_len;
	h->key = tp_sigv4__name_key(lname, lname_len);
	h->value = value;
	h->value_len = value_len;
}

#define SIGNER_HDR(h, lit, v, vlen) signer_hdr((h), lit, sizeof(lit) - 1, (v), (vlen))

/*
 * X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256, as applicable:
 * into out->add_headers for the caller, and into h[] as they are signed.
 * Returns how many, or -1.
 */
static long signer_headers(tp_sigv4__hdr h[3], tp_sigv4_out *out, const struct job *j)
{
	size_t n = 0;

	add_header(out, "X-Amz-Date", out->amz_date);
	SIGNER_HDR(&h[n++], "x-amz-date", out->amz_date, 16);
	if (j->token) {
		if (tp_buf_adds(&out->security_token, j->token) < 0)
			return -1;
		add_header(out, "X-Amz-Security-Token", out->security_token.ptr);
		SIGNER_HDR(&h[n++], "x-amz-security-token", out->security_token.ptr,
			   out->security_token.len);
	}
	if (j->opts->content_sha256_header) {
		add_header(out, "X-Amz-Content-Sha256", out->payload_hash);
		SIGNER_HDR(&h[n++], "x-amz-content-sha256", out->payload_hash, j->payload_len);
	}
	return (long)n;
}

static int authorization(tp_sigv4_out *out, const struct job *j)
{
	const char *akid = j->creds->access_key_id;
	const tp_buf *scope = &j->t->scope, *list = &j->t->signed_list;
	tp_buf *b = &out->authorization;
	size_t akid_len = strlen(akid);
	char *p = room(b, sizeof(ALGORITHM " Credential=/, SignedHeaders=, Signature=") +
			  akid_len + scope->len + list->len + 64);

	if (!p)
		return -1;
	p = PUT_LIT(p, ALGORITHM " Credential=");
	p = put(p, akid, akid_len);
	*p++ = '/';
	p = put(p, scope->ptr, scope->len);
	p = PUT_LIT(p, ", SignedHeaders=");
	p = put(p, list->ptr, list->len);
	p = PUT_LIT(p, ", Signature=");
	finish(b, put(p, out->signature, 64));
	add_header(out, "Authorization", b->ptr);
	return 0;
}

/* The code of the error just set (TP_EINVAL, TP_ERROR), for the caller. */
static int failed(tp_sigv4_out *out)
{
	int code = tp_error_last()->code;

	out->nadd_headers = 0;
	return code < 0 ? code : TP_ERROR;
}

int tp_sigv4_sign(tp_sigv4_out *out, const tp_sigv4_request *req,
		  const tp_sigv4_creds *creds, const tp_sigv4_opts *opts)
{
	tp_sigv4__hdr signer[3];
	struct job j;
	long n;

	if (begin(out, &j, req, creds, opts) < 0 || (n = signer_headers(signer, out, &j)) < 0 ||
	    build_headers(&j, 1, signer, (size_t)n) < 0 ||
	    canonical_request(out, &j, NULL, 0) < 0 ||
	    sign_canonical(out, &j) < 0 || authorization(out, &j) < 0)
		return failed(out);
	return 0;
}

#define NPARAMS 6

/* "name=value&" at p, the value percent-encoded when `encode`; *q notes where. */
static char *put_param(char *p, tp_sigv4__param *q, const char *name, size_t nlen,
		       const char *v, size_t vlen, int encode)
{
	q->k = p;
	q->klen = nlen;
	q->key = tp_sigv4__name_key(name, nlen);
	p = put(p, name, nlen);
	*p++ = '=';
	q->v = p;
	p = encode ? tp_sigv4__put_encoded(p, v, vlen) : put_bytes(p, v, vlen);
	q->vlen = (size_t)(p - q->v);
	*p++ = '&';
	return p;
}

#define PUT_PARAM(p, q, name, v, vlen, encode) \
	put_param((p), (q), name, sizeof(name) - 1, (v), (vlen), (encode))

/* Decimal digits of v into buf (>= 11 bytes); returns the length. */
static size_t utoa(char *buf, unsigned v)
{
	char tmp[12];
	size_t n = 0, i;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		buf[i] = tmp[n - 1 - i];
	return n;
}

/*
 * The X-Amz-* parameters, "X-Amz-Algorithm=...&X-Amz-Credential=..." in
 * t->query, described in p[] for the canonical query. Returns how many.
 */
static long presign_params(tp_sigv4__param p[NPARAMS], const tp_sigv4_out *out,
			   const struct job *j)
{
	static const char fixed[] = "X-Amz-Algorithm=" ALGORITHM "&X-Amz-Credential=%2F"
		"&X-Amz-Date=YYYYMMDDTHHMMSSZ&X-Amz-Expires=4294967295&X-Amz-SignedHeaders="
		"&X-Amz-Security-Token=&";
	const tp_buf *scope = &j->t->scope, *list = &j->t->signed_list;
	const char *akid = j->creds->access_key_id;
	size_t akid_len = strlen(akid), token_len = j->token ? strlen(j->token) : 0;
	tp_buf *q = &j->t->query;
	char expires[12], *w;
	size_t n = 0;

	tp_sigv4__reset(q);
	if (!(w = room(q, sizeof(fixed) + 3 * (akid_len + scope->len + list->len + token_len))))
		return -1;
	w = PUT_PARAM(w, &p[n++], "X-Amz-Algorithm", ALGORITHM, sizeof(ALGORITHM) - 1, 0);
	w = PUT_PARAM(w, &p[n], "X-Amz-Credential", akid, akid_len, 1) - 1;
	w = PUT_LIT(w, "%2F");
	w = tp_sigv4__put_encoded(w, scope->ptr, scope->len);
	p[n].vlen = (size_t)(w - p[n].v);
	n++;
	*w++ = '&';
	w = PUT_PARAM(w, &p[n++], "X-Amz-Date", out->amz_date, 16, 0);
	w = PUT_PARAM(w, &p[n++], "X-Amz-Expires", expires,
		      utoa(expires, j->opts->expires ? j->opts->expires : 3600), 0);
	w = PUT_PARAM(w, &p[n++], "X-Amz-SignedHeaders", list->ptr, list->len, 1);
	if (j->token)
		w = PUT_PARAM(w, &p[n++], "X-Amz-Security-Token", j->token, token_len, 1);
	finish(q, w - 1);       /* no '&' after the last */
	return (long)n;
}

/* out->query: the caller's query, the X-Amz-* parameters, the signature. */
static int presigned_query(tp_sigv4_out *out, const struct job *j)
{
	const char *query = j->req->query;
	size_t qlen = query ? strlen(query) : 0;
	const tp_buf *params = &j->t->query;
	char *p = room(&out->query, qlen + 1 + params->len + sizeof("&X-Amz-Signature=") + 64);

	if (!p)
		return -1;
	if (qlen) {
		p = put(p, query, qlen);
		*p++ = '&';
	}
	p = put(p, params->ptr, params->len);
	p = PUT_LIT(p, "&X-Amz-Signature=");
	finish(&out->query, put(p, out->signature, 64));
	return 0;
}

int tp_sigv4_presign(tp_sigv4_out *out, const tp_sigv4_request *req,
		     const tp_sigv4_creds *creds, const tp_sigv4_opts *opts)
{
	tp_sigv4__param params[NPARAMS];
	struct job j;
	long n;

	if (begin(out, &j, req, creds, opts) < 0 || build_headers(&j, 0, NULL, 0) < 0 ||
	    (n = presign_params(params, out, &j)) < 0 ||
	    canonical_request(out, &j, params, (size_t)n) < 0 || sign_canonical(out, &j) < 0 ||
	    presigned_query(out, &j) < 0)
		return failed(out);
	return 0;
}

void tp_sigv4_out_release(tp_sigv4_out *out)
{
	if (!out)
		return;
	tp_buf_release(&out->canonical_request);
	tp_buf_release(&out->string_to_sign);
	tp_buf_release(&out->authorization);
	tp_buf_release(&out->query);
	tp_buf_release(&out->security_token);
	out->nadd_headers = 0;
	out->signature[0] = '\0';
}
