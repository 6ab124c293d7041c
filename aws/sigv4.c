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

/* A piece of a string being assembled, see add_pieces(). */
struct piece {
	const char *p;
	size_t n;
};

#define LIT(s) { s, sizeof(s) - 1 }
#define BUF(b) { (b)->ptr, (b)->len }

/*
 * Append the pieces to b with one allocation check: a signature is put
 * together from some thirty small strings.
 */
static int add_pieces(tp_buf *b, const struct piece *pc, size_t n)
{
	size_t i, total = 0;
	char *w;

	for (i = 0; i < n; i++)
		total += pc[i].n;
	if (tp_buf_grow(b, total) < 0)
		return -1;
	w = b->ptr + b->len;
	for (i = 0; i < n; i++) {
		memcpy(w, pc[i].p, pc[i].n);
		w += pc[i].n;
	}
	b->len += total;
	*w = '\0';
	return 0;
}

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
	const struct piece pc[] = {
		{ j->date8, 8 }, LIT("/"),
		{ j->opts->region, strlen(j->opts->region) }, LIT("/"),
		{ j->opts->service, strlen(j->opts->service) }, LIT("/aws4_request"),
	};

	tp_buf_reset(&j->t->scope);
	return add_pieces(&j->t->scope, pc, TP_ARRAY_SIZE(pc));
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

/* The caller's headers then `extra`, names lower-cased, in t->hdrs. */
static int gather_headers(struct job *j, const tp_header *extra, size_t nextra, size_t *n)
{
	const tp_sigv4_request *req = j->req;
	tp_sigv4__tls *t = j->t;
	size_t i, k = 0, need = req->nheaders + nextra;

	if (need > t->hdrs_alloc) {
		t->hdrs = tp_xrealloc(t->hdrs, need * sizeof(*t->hdrs));
		t->hdrs_alloc = need;
	}
	for (i = 0; i < need; i++) {
		const tp_header *h = i < req->nheaders ? &req->headers[i]
						       : &extra[i - req->nheaders];

		if (!h->name)
			continue;
		t->hdrs[k].lname = h->name;
		t->hdrs[k].value = h->value;
		t->hdrs[k].order = i;
		k++;
	}
	*n = k;
	return tp_sigv4__lower_names(t->hdrs, k, &t->names);
}

/*
 * Canonical headers and signed-header list (into t->headers and
 * t->signed_list) of the caller's headers, minus those the signer replaces
 * when `replace`, plus `extra`. Fails with TP_EINVAL when there is no Host.
 */
static int build_headers(struct job *j, int replace, const tp_header *extra, size_t nextra)
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
	tp_buf_reset(&t->headers);
	tp_buf_reset(&t->signed_list);
	return tp_sigv4__canon_headers(&t->headers, &t->signed_list, t->hdrs, kept);
}

/*
 * out->canonical_request: method, URI, query (the request's and `extra`),
 * headers, signed headers and payload hash, one per line.
 */
static int canonical_request(tp_sigv4_out *out, struct job *j,
			     const tp_sigv4__param *extra, size_t nextra)
{
	const tp_sigv4_opts *o = j->opts;
	tp_sigv4__tls *t = j->t;

	tp_buf_reset(&t->uri);
	tp_buf_reset(&t->canon_query);
	if (tp_sigv4__canon_uri(&t->uri, &t->tmp1, j->req->path, !o->s3 && !o->keep_path,
				!o->s3) < 0 ||
	    tp_sigv4__canon_query(&t->canon_query, t, j->req->query, extra, nextra) < 0)
		return -1;
	{
		const struct piece pc[] = {
			{ j->req->method, strlen(j->req->method) }, LIT("\n"),
			BUF(&t->uri), LIT("\n"),
			BUF(&t->canon_query), LIT("\n"),
			BUF(&t->headers), LIT("\n"),
			BUF(&t->signed_list), LIT("\n"),
			{ out->payload_hash, strlen(out->payload_hash) },
		};

		return add_pieces(&out->canonical_request, pc, TP_ARRAY_SIZE(pc));
	}
}

/* The string to sign, and the signature of it. */
static int sign_canonical(tp_sigv4_out *out, struct job *j)
{
	const tp_sigv4__key key = { j->creds->secret_access_key, j->date8,
				    j->opts->region, j->opts->service };
	unsigned char mac[32];
	char crhash[65];

	if (tp_sigv4__sha256_hex(crhash, out->canonical_request.ptr,
				 out->canonical_request.len) < 0)
		return -1;
	{
		const struct piece pc[] = {
			LIT(ALGORITHM "\n"), { out->amz_date, 16 }, LIT("\n"),
			BUF(&j->t->scope), LIT("\n"), { crhash, 64 },
		};
		tp_buf *sts = &out->string_to_sign;

		if (add_pieces(sts, pc, TP_ARRAY_SIZE(pc)) < 0 ||
		    tp_sigv4__sign_string(mac, &key, sts->ptr, sts->len) < 0)
			return -1;
	}
	tp_sigv4__hex(out->signature, mac, sizeof(mac));
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
	const struct piece pc[] = {
		LIT(ALGORITHM " Credential="),
		{ j->creds->access_key_id, strlen(j->creds->access_key_id) }, LIT("/"),
		BUF(&j->t->scope), LIT(", SignedHeaders="), BUF(&j->t->signed_list),
		LIT(", Signature="), { out->signature, 64 },
	};

	if (add_pieces(&out->authorization, pc, TP_ARRAY_SIZE(pc)) < 0)
		return -1;
	add_header(out, "Authorization", out->authorization.ptr);
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
	struct job j;

	if (begin(out, &j, req, creds, opts) < 0 || signer_headers(out, &j) < 0 ||
	    build_headers(&j, 1, out->add_headers, out->nadd_headers) < 0 ||
	    canonical_request(out, &j, NULL, 0) < 0 ||
	    sign_canonical(out, &j) < 0 || authorization(out, &j) < 0)
		return failed(out);
	return 0;
}

enum { P_ALGORITHM, P_CREDENTIAL, P_DATE, P_EXPIRES, P_SIGNED_HEADERS, P_TOKEN, NPARAMS };

/* Where a parameter's name and value lie in a buffer that may still move. */
struct param_at {
	size_t koff, klen, voff, vlen;
};

/* Append "&name=value" to q, the value URI-encoded, and note where in *at. */
static int add_param(tp_buf *q, struct param_at *at, const char *name,
		     const char *value, size_t len)
{
	if ((q->len && tp_buf_addc(q, '&') < 0))
		return -1;
	at->koff = q->len;
	at->klen = strlen(name);
	if (tp_buf_add(q, name, at->klen) < 0 || tp_buf_addc(q, '=') < 0)
		return -1;
	at->voff = q->len;
	if (tp_sigv4_uri_encode(q, value, len, 0) < 0)
		return -1;
	at->vlen = q->len - at->voff;
	return 0;
}

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
	tp_buf *q = &j->t->query, *cred = &j->t->tmp1;
	struct param_at at[NPARAMS];
	char expires[12];
	size_t i, n = NPARAMS - (j->token ? 0 : 1);

	tp_buf_reset(q);
	tp_buf_reset(cred);
	if (tp_buf_adds(cred, j->creds->access_key_id) < 0 || tp_buf_addc(cred, '/') < 0 ||
	    tp_buf_add(cred, j->t->scope.ptr, j->t->scope.len) < 0)
		return -1;
	if (add_param(q, &at[P_ALGORITHM], "X-Amz-Algorithm", ALGORITHM, strlen(ALGORITHM)) < 0 ||
	    add_param(q, &at[P_CREDENTIAL], "X-Amz-Credential", cred->ptr, cred->len) < 0 ||
	    add_param(q, &at[P_DATE], "X-Amz-Date", out->amz_date, 16) < 0 ||
	    add_param(q, &at[P_EXPIRES], "X-Amz-Expires", expires,
		      utoa(expires, j->opts->expires ? j->opts->expires : 3600)) < 0 ||
	    add_param(q, &at[P_SIGNED_HEADERS], "X-Amz-SignedHeaders",
		      j->t->signed_list.ptr, j->t->signed_list.len) < 0 ||
	    (j->token && add_param(q, &at[P_TOKEN], "X-Amz-Security-Token", j->token,
				   strlen(j->token)) < 0))
		return -1;
	for (i = 0; i < n; i++) {
		p[i].k = q->ptr + at[i].koff;
		p[i].klen = at[i].klen;
		p[i].v = q->ptr + at[i].voff;
		p[i].vlen = at[i].vlen;
	}
	return (long)n;
}

/* out->query: the caller's query, the X-Amz-* parameters, the signature. */
static int presigned_query(tp_sigv4_out *out, const struct job *j)
{
	const char *query = j->req->query;
	tp_buf *q = &out->query;

	if (query && *query && (tp_buf_adds(q, query) < 0 || tp_buf_addc(q, '&') < 0))
		return -1;
	if (tp_buf_add(q, j->t->query.ptr, j->t->query.len) < 0 ||
	    tp_buf_adds(q, "&X-Amz-Signature=") < 0 || tp_buf_adds(q, out->signature) < 0)
		return -1;
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
