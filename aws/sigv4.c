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

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "aws/error.h"
#include "aws/sigv4_internal.h"
#include "aws/util.h"

#define ALGORITHM "AWS4-HMAC-SHA256"
#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* What the caller asked for, checked once. */
struct job {
	const tp_sigv4_request *req;
	const tp_sigv4_creds *creds;
	const tp_sigv4_opts *opts;
	const char *token;              /* NULL or non-empty */
	char date8[9];                  /* "20150830" */
	tp_sigv4__tls *t;
};

static void out_reset(tp_sigv4_out *out)
{
	tp_buf_reset(&out->canonical_request);
	tp_buf_reset(&out->string_to_sign);
	tp_buf_reset(&out->authorization);
	tp_buf_reset(&out->query);
	tp_buf_reset(&out->security_token);
	out->signature[0] = '\0';
	out->amz_date[0] = '\0';
	out->payload_hash[0] = '\0';
	out->nadd_headers = 0;
}

static int has_host(const tp_sigv4_request *req)
{
	size_t i;

	for (i = 0; i < req->nheaders; i++)
		if (req->headers[i].name && strcasecmp(req->headers[i].name, "host") == 0)
			return 1;
	return 0;
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
	if (!has_host(req))
		return tp_error_set(TP_EINVAL, "SigV4: %s %s has no Host header",
				    req->method, req->path ? req->path : "/");
	return 0;
}

static int set_date(tp_sigv4_out *out, struct job *j)
{
	time_t now = j->opts->now ? j->opts->now : tp_time_now();
	struct tm tm;

	if (!gmtime_r(&now, &tm) ||
	    strftime(out->amz_date, sizeof(out->amz_date), "%Y%m%dT%H%M%SZ", &tm) != 16)
		return tp_error_set(TP_EINVAL, "SigV4: cannot format signing time %lld",
				    (long long)now);
	memcpy(j->date8, out->amz_date, 8);
	j->date8[8] = '\0';
	return 0;
}

static int set_payload_hash(tp_sigv4_out *out, const struct job *j)
{
	const tp_sigv4_request *req = j->req;

	if (req->payload_hash) {
		if (strlen(req->payload_hash) >= sizeof(out->payload_hash))
			return tp_error_set(TP_EINVAL, "SigV4: payload hash \"%.70s...\" too long",
					    req->payload_hash);
		tp_strlcpy(out->payload_hash, req->payload_hash, sizeof(out->payload_hash));
		return 0;
	}
	if (!req->body_len) {   /* the common case needs no hashing */
		memcpy(out->payload_hash, EMPTY_SHA256, sizeof(EMPTY_SHA256));
		return 0;
	}
	return tp_sigv4__sha256_hex(j->t, out->payload_hash, req->body, req->body_len);
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
	j->t = tp_sigv4__tls_get();
	if (!j->t || set_date(out, j) < 0 || set_payload_hash(out, j) < 0)
		return -1;
	return 0;
}

/*
 * Header signing sets these itself; a caller's copy (from a previous
 * signature, say) would be signed twice with different values.
 */
static int replaced_by_signer(const char *name, const struct job *j)
{
	return strcasecmp(name, "x-amz-date") == 0 ||
	       strcasecmp(name, "authorization") == 0 ||
	       (j->token && strcasecmp(name, "x-amz-security-token") == 0) ||
	       (j->opts->content_sha256_header &&
		strcasecmp(name, "x-amz-content-sha256") == 0);
}

/*
 * Canonical headers and signed-header list (into t->headers and
 * t->signed_list) of the caller's headers, minus those the signer replaces
 * when `replace`, plus `extra`.
 */
static int build_headers(struct job *j, int replace, const tp_header *extra, size_t nextra)
{
	const tp_sigv4_request *req = j->req;
	tp_sigv4__tls *t = j->t;
	size_t i, n = 0, need = req->nheaders + nextra;

	if (need > t->hdrs_alloc) {
		t->hdrs = tp_xrealloc(t->hdrs, need * sizeof(*t->hdrs));
		t->hdrs_alloc = need;
	}
	for (i = 0; i < req->nheaders; i++) {
		const tp_header *h = &req->headers[i];

		if (!h->name || (replace && replaced_by_signer(h->name, j)))
			continue;
		t->hdrs[n].lname = h->name;
		t->hdrs[n].value = h->value;
		t->hdrs[n].order = n;
		n++;
	}
	for (i = 0; i < nextra; i++, n++) {
		t->hdrs[n].lname = extra[i].name;
		t->hdrs[n].value = extra[i].value;
		t->hdrs[n].order = n;
	}
	tp_buf_reset(&t->headers);
	tp_buf_reset(&t->signed_list);
	if (tp_sigv4__sort_headers(t->hdrs, n, &t->names) < 0)
		return -1;
	return tp_sigv4__canon_headers(&t->headers, &t->signed_list, t->hdrs, n);
}

static int canonical_request(tp_sigv4_out *out, struct job *j, const char *query)
{
	const tp_sigv4_opts *o = j->opts;
	tp_sigv4__tls *t = j->t;
	tp_buf *cr = &out->canonical_request;

	if (tp_buf_adds(cr, j->req->method) < 0 || tp_buf_addc(cr, '\n') < 0 ||
	    tp_sigv4__canon_uri(cr, &t->tmp1, j->req->path, !o->s3 && !o->keep_path,
				!o->s3) < 0 ||
	    tp_buf_addc(cr, '\n') < 0 ||
	    tp_sigv4__canon_query(cr, t, query) < 0 || tp_buf_addc(cr, '\n') < 0 ||
	    tp_buf_add(cr, t->headers.ptr, t->headers.len) < 0 || tp_buf_addc(cr, '\n') < 0 ||
	    tp_buf_add(cr, t->signed_list.ptr, t->signed_list.len) < 0 ||
	    tp_buf_addc(cr, '\n') < 0 || tp_buf_adds(cr, out->payload_hash) < 0)
		return -1;
	return 0;
}

/* "20150830/us-east-1/service/aws4_request" */
static int add_scope(tp_buf *b, const struct job *j)
{
	return tp_buf_addf(b, "%s/%s/%s/aws4_request", j->date8, j->opts->region,
			   j->opts->service);
}

static int sign_canonical(tp_sigv4_out *out, struct job *j)
{
	tp_buf *sts = &out->string_to_sign;
	unsigned char key[32], mac[32];
	char crhash[65];

	if (tp_sigv4__sha256_hex(j->t, crhash, out->canonical_request.ptr,
				 out->canonical_request.len) < 0)
		return -1;
	if (tp_buf_adds(sts, ALGORITHM "\n") < 0 || tp_buf_adds(sts, out->amz_date) < 0 ||
	    tp_buf_addc(sts, '\n') < 0 || add_scope(sts, j) < 0 ||
	    tp_buf_addc(sts, '\n') < 0 || tp_buf_adds(sts, crhash) < 0)
		return -1;
	if (tp_sigv4__signing_key(j->t, key, j->creds->secret_access_key, j->date8,
				  j->opts->region, j->opts->service) < 0 ||
	    tp_sigv4__hmac(j->t, mac, key, sizeof(key), sts->ptr, sts->len) < 0)
		return -1;
	tp_hex(out->signature, mac, sizeof(mac));
	return 0;
}

static void add_header(tp_sigv4_out *out, const char *name, const char *value)
{
	out->add_headers[out->nadd_headers].name = name;
	out->add_headers[out->nadd_headers].value = value;
	out->nadd_headers++;
}

/* X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256, as applicable. */
static int signer_headers(tp_sigv4_out *out, const struct job *j)
{
	add_header(out, "X-Amz-Date", out->amz_date);
	if (j->token) {
		if (tp_buf_adds(&out->security_token, j->token) < 0)
			return -1;
		add_header(out, "X-Amz-Security-Token", out->security_token.ptr);
	}
	if (j->opts->content_sha256_header)
		add_header(out, "X-Amz-Content-Sha256", out->payload_hash);
	return 0;
}

static int authorization(tp_sigv4_out *out, const struct job *j)
{
	tp_buf *a = &out->authorization;

	if (tp_buf_adds(a, ALGORITHM " Credential=") < 0 ||
	    tp_buf_adds(a, j->creds->access_key_id) < 0 || tp_buf_addc(a, '/') < 0 ||
	    add_scope(a, j) < 0 || tp_buf_adds(a, ", SignedHeaders=") < 0 ||
	    tp_buf_add(a, j->t->signed_list.ptr, j->t->signed_list.len) < 0 ||
	    tp_buf_adds(a, ", Signature=") < 0 || tp_buf_adds(a, out->signature) < 0)
		return -1;
	add_header(out, "Authorization", a->ptr);
	return 0;
}

int tp_sigv4_sign(tp_sigv4_out *out, const tp_sigv4_request *req,
		  const tp_sigv4_creds *creds, const tp_sigv4_opts *opts)
{
	struct job j;

	if (begin(out, &j, req, creds, opts) < 0 || signer_headers(out, &j) < 0 ||
	    build_headers(&j, 1, out->add_headers, out->nadd_headers) < 0 ||
	    canonical_request(out, &j, req->query) < 0 ||
	    sign_canonical(out, &j) < 0 || authorization(out, &j) < 0) {
		out->nadd_headers = 0;
		return -1;
	}
	return 0;
}

/* Append "&name=value" to q, the value URI-encoded ("&" only when q has something). */
static int add_param(tp_buf *q, const char *name, const char *value, size_t len)
{
	if ((q->len && tp_buf_addc(q, '&') < 0) || tp_buf_adds(q, name) < 0 ||
	    tp_buf_addc(q, '=') < 0)
		return -1;
	return tp_sigv4_uri_encode(q, value, len, 0);
}

/* The caller's query plus the X-Amz-* parameters, into t->query. */
static int presign_query(tp_sigv4_out *out, const struct job *j)
{
	tp_buf *q = &j->t->query, *tmp = &j->t->tmp1;
	char expires[24];
	int n;

	n = snprintf(expires, sizeof(expires), "%u", j->opts->expires ? j->opts->expires : 3600);
	tp_buf_reset(q);
	tp_buf_reset(tmp);
	if ((j->req->query && tp_buf_adds(q, j->req->query) < 0) ||
	    tp_buf_adds(tmp, j->creds->access_key_id) < 0 || tp_buf_addc(tmp, '/') < 0 ||
	    add_scope(tmp, j) < 0)
		return -1;
	if (add_param(q, "X-Amz-Algorithm", ALGORITHM, strlen(ALGORITHM)) < 0 ||
	    add_param(q, "X-Amz-Credential", tmp->ptr, tmp->len) < 0 ||
	    add_param(q, "X-Amz-Date", out->amz_date, 16) < 0 ||
	    add_param(q, "X-Amz-Expires", expires, (size_t)n) < 0 ||
	    (j->token && add_param(q, "X-Amz-Security-Token", j->token, strlen(j->token)) < 0) ||
	    add_param(q, "X-Amz-SignedHeaders", j->t->signed_list.ptr, j->t->signed_list.len) < 0)
		return -1;
	return 0;
}

int tp_sigv4_presign(tp_sigv4_out *out, const tp_sigv4_request *req,
		     const tp_sigv4_creds *creds, const tp_sigv4_opts *opts)
{
	struct job j;
	tp_buf *q;

	if (begin(out, &j, req, creds, opts) < 0 || build_headers(&j, 0, NULL, 0) < 0 ||
	    presign_query(out, &j) < 0)
		return -1;
	q = &j.t->query;
	if (canonical_request(out, &j, q->ptr) < 0 || sign_canonical(out, &j) < 0 ||
	    tp_buf_add(&out->query, q->ptr, q->len) < 0 ||
	    tp_buf_adds(&out->query, "&X-Amz-Signature=") < 0 ||
	    tp_buf_adds(&out->query, out->signature) < 0)
		return -1;
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
