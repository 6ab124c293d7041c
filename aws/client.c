/*
 * The client core: one signed, retried HTTP exchange (tp_client_perform).
 * The protocol files build a tp_wire; this file turns it into bytes on the
 * wire, once per attempt (credentials may be refreshed between attempts,
 * and X-Amz-Date must be fresh).
 */
#include "aws/client_internal.h"

#include <ctype.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

struct counters {
	atomic_uint_least64_t calls, attempts, retries, throttled, transient, timeouts;
	atomic_uint_least64_t quota_refused;
};

struct tp_aws_client {
	char *region;
	char *endpoint_url;
	tp_cred_provider *creds;    /* NULL when anonymous */
	int max_attempts;
	int64_t retry_base_ms, retry_cap_ms;
	long connect_timeout_ms, timeout_ms;
	tp_retry_bucket *bucket;
	tp_retry_bucket *own_bucket;
	tp_aws_observer observer;
	void *observer_ctx;
	struct counters n;
};

/* Every client's counts, also added here (tp_aws_stats_process). */
static struct counters process_counts;

static int valid_region(const char *r)
{
	size_t n = 0;

	for (; r[n]; n++)
		if (!islower((unsigned char)r[n]) && !isdigit((unsigned char)r[n]) && r[n] != '-')
			return 0;
	return n > 0 && n < 64;
}

static const char *default_region(void)
{
	const char *r = getenv("AWS_REGION");

	if (!r || !*r)
		r = getenv("AWS_DEFAULT_REGION");
	if (!r || !*r)
		r = tp_profile_region();
	return r && *r ? r : "us-east-1";
}

int tp_aws_client_new(tp_aws_client **out, const tp_aws_client_opts *opts)
{
	tp_aws_client_opts none = TP_AWS_CLIENT_OPTS_INIT;
	tp_aws_client *c;

	*out = NULL;
	if (!opts)
		opts = &none;
	if (opts->region && !valid_region(opts->region)) {
		tp_cred_provider_free(opts->creds);
		return tp_error_set(TP_EINVAL, "invalid region '%s'", opts->region);
	}
	c = tp_xcalloc(1, sizeof(*c));
	c->region = tp_xstrdup(opts->region ? opts->region : default_region());
	c->endpoint_url = tp_xstrdup(opts->endpoint_url);
	if (!opts->anonymous)
		c->creds = opts->creds ? opts->creds : tp_creds_default_chain();
	else
		tp_cred_provider_free(opts->creds);
	c->max_attempts = opts->max_attempts > 0 ? opts->max_attempts
						 : tp_retry_max_attempts_from_env();
	c->retry_base_ms = opts->retry_base_ms > 0 ? opts->retry_base_ms : 1000;
	c->retry_cap_ms = opts->retry_cap_ms > 0 ? opts->retry_cap_ms : 20000;
	c->connect_timeout_ms = opts->connect_timeout_ms;
	c->timeout_ms = opts->timeout_ms;
	if (!opts->bucket)
		c->own_bucket = tp_retry_bucket_new(0);
	c->bucket = opts->bucket ? opts->bucket : c->own_bucket;
	c->observer = opts->observer;
	c->observer_ctx = opts->observer_ctx;
	*out = c;
	return 0;
}

void tp_aws_client_free(tp_aws_client *c)
{
	if (!c)
		return;
	tp_cred_provider_free(c->creds);
	tp_retry_bucket_free(c->own_bucket);
	free(c->region);
	free(c->endpoint_url);
	free(c);
}

const char *tp_aws_client_region(const tp_aws_client *c)
{
	return c->region;
}

tp_cred_provider *tp_aws_client_creds(tp_aws_client *c)
{
	return c->creds;
}

static void load_counts(tp_aws_stats *out, const struct counters *n)
{
	out->calls = atomic_load(&n->calls);
	out->attempts = atomic_load(&n->attempts);
	out->retries = atomic_load(&n->retries);
	out->throttled = atomic_load(&n->throttled);
	out->transient = atomic_load(&n->transient);
	out->timeouts = atomic_load(&n->timeouts);
	out->quota_refused = atomic_load(&n->quota_refused);
}

void tp_aws_client_stats(const tp_aws_client *c, tp_aws_stats *out)
{
	load_counts(out, &c->n);
}

void tp_aws_stats_process(tp_aws_stats *out)
{
	load_counts(out, &process_counts);
}

void tp_aws_stats_sub(tp_aws_stats *out, const tp_aws_stats *a, const tp_aws_stats *b)
{
	out->calls = a->calls - b->calls;
	out->attempts = a->attempts - b->attempts;
	out->retries = a->retries - b->retries;
	out->throttled = a->throttled - b->throttled;
	out->transient = a->transient - b->transient;
	out->timeouts = a->timeouts - b->timeouts;
	out->quota_refused = a->quota_refused - b->quota_refused;
}

/* Add one to a counter of the client and of the process. */
#define COUNT(c, field) \
	(atomic_fetch_add(&(c)->n.field, 1), atomic_fetch_add(&process_counts.field, 1))

int tp_wire_init(tp_wire *w, tp_aws_client *c, const char *service, const char *region,
		 const char *operation, const char *method)
{
	memset(w, 0, sizeof(*w));
	w->svc = tp_service_find(service);
	if (!w->svc)
		return tp_error_set(TP_EINVAL, "unknown AWS service '%s'", service);
	w->region = region ? region : c->region;
	if (!valid_region(w->region))
		return tp_error_set(TP_EINVAL, "invalid region '%s'", w->region);
	w->operation = operation;
	w->method = method;
	return 0;
}

void tp_wire_release(tp_wire *w)
{
	tp_buf_release(&w->path);
	tp_buf_release(&w->query);
}

int tp_wire_add_header(tp_wire *w, const char *name, const char *value)
{
	if (w->nheaders == TP_WIRE_MAX_HEADERS)
		return tp_error_set(TP_EINVAL, "%s: too many request headers", w->operation);
	w->headers[w->nheaders].name = name;
	w->headers[w->nheaders].value = value;
	w->nheaders++;
	return 0;
}

/* S3 virtual-hosted style needs a DNS-safe bucket name and no endpoint override. */
static int virtual_host(const tp_wire *w, const tp_endpoint *ep)
{
	const char *b = w->bucket;

	if (!b || ep->overridden || strchr(b, '.'))
		return 0;
	for (; *b; b++)
		if (!islower((unsigned char)*b) && !isdigit((unsigned char)*b) && *b != '-')
			return 0;
	return 1;
}

/* The URL, Host header and signed path of one attempt. */
struct target {
	tp_buf url;
	char host[320];
	tp_buf path;
};

static void build_target(struct target *t, const tp_wire *w, const tp_endpoint *ep)
{
	const char *scheme_end = strstr(ep->url, "://") + 3;
	const char *base = strchr(scheme_end, '/');

	tp_buf_reset(&t->url);
	tp_buf_reset(&t->path);
	if (base)
		tp_buf_adds(&t->path, base);
	if (w->bucket && !virtual_host(w, ep)) {
		tp_buf_addc(&t->path, '/');
		tp_aws_uri_escape(&t->path, w->bucket, 0);
	}
	tp_buf_add(&t->path, w->path.len ? w->path.ptr : "/", w->path.len ? w->path.len : 1);
	if (w->bucket && virtual_host(w, ep))
		snprintf(t->host, sizeof(t->host), "%s.%s", w->bucket, ep->host);
	else
		snprintf(t->host, sizeof(t->host), "%s", ep->host);
	tp_buf_add(&t->url, ep->url, (size_t)(scheme_end - ep->url));
	tp_buf_adds(&t->url, t->host);
	tp_buf_adds(&t->url, tp_buf_cstr(&t->path));
	if (w->query.len) {
		tp_buf_addc(&t->url, '?');
		tp_buf_adds(&t->url, w->query.ptr);
	}
}

static void notify(tp_aws_client *c, const tp_wire *w, int attempt, long status,
		   const char *code, int64_t start)
{
	tp_aws_call_info info;

	if (!c->observer)
		return;
	info.service = w->svc->name;
	info.operation = w->operation;
	info.region = w->region;
	info.attempt = attempt;
	info.http_status = status;
	info.aws_code = code ? code : "";
	info.start_ms = start;
	info.end_ms = tp_now_ms();
	c->observer(c->observer_ctx, &info);
}

/* Sign and send once. Returns 0 when a response arrived, else TP_ENET & co. */
static int attempt_once(tp_aws_client *c, const tp_wire *w, const tp_endpoint *ep,
			struct target *t, tp_http_response *resp)
{
	tp_header hdrs[TP_WIRE_MAX_HEADERS + 6];
	tp_sigv4_out sig = TP_SIGV4_OUT_INIT;
	tp_sigv4_opts so = TP_SIGV4_OPTS_INIT;
	tp_sigv4_request sr;
	tp_sigv4_creds sc;
	tp_creds cr = TP_CREDS_INIT;
	tp_http_request hr;
	size_t n = 0, i;
	int rc;

	if (c->creds && (rc = tp_creds_get(c->creds, &cr)) < 0)
		return rc;
	hdrs[n].name = "Host";
	hdrs[n++].value = t->host;
	for (i = 0; i < w->nheaders; i++)
		hdrs[n++] = w->headers[i];
	sr.method = w->method;
	sr.path = tp_buf_cstr(&t->path);
	sr.query = w->query.len ? w->query.ptr : NULL;
	sr.headers = hdrs;
	sr.nheaders = n;
	sr.body = w->body;
	sr.body_len = w->body_len;
	sr.payload_hash = NULL;
	sc.access_key_id = cr.access_key_id;
	sc.secret_access_key = cr.secret_access_key;
	sc.session_token = cr.session_token;
	so.service = w->svc->signing_name;
	so.region = ep->signing_region;
	so.s3 = strcmp(w->svc->signing_name, "s3") == 0;   /* S3 rules, not REST-XML ones */
	so.content_sha256_header = so.s3;
	rc = c->creds ? tp_sigv4_sign(&sig, &sr, &sc, &so) : 0;
	tp_creds_release(&cr);
	if (rc < 0)
		goto done;
	for (i = 0; i < sig.nadd_headers; i++)
		hdrs[n++] = sig.add_headers[i];
	memset(&hr, 0, sizeof(hr));
	hr.method = w->method;
	hr.url = tp_buf_cstr(&t->url);
	hr.headers = hdrs;
	hr.nheaders = n;
	hr.body = w->body;
	hr.body_len = w->body_len;
	hr.connect_timeout_ms = c->connect_timeout_ms;
	hr.timeout_ms = c->timeout_ms;
	rc = tp_http_send(resp, &hr);
done:
	tp_sigv4_out_release(&sig);
	return rc;
}

static void count_retry(tp_aws_client *c, tp_retry_class cls)
{
	COUNT(c, retries);
	if (cls == TP_RETRY_THROTTLE)
		COUNT(c, throttled);
	else if (cls == TP_RETRY_TIMEOUT)
		COUNT(c, timeouts);
	else
		COUNT(c, transient);
}

/* Leave the final error of a failed call in the error state. */
static int fail(const tp_wire *w, int net_rc, const tp_aws_fault *f, long status, int attempts)
{
	int code;

	if (net_rc < 0) {
		if (net_rc == TP_ENET || net_rc == TP_ETIMEOUT)
			tp_error_prefix("%s %s (after %d attempt%s): ", w->svc->name, w->operation,
					attempts, attempts == 1 ? "" : "s");
		else
			tp_error_prefix("%s %s: ", w->svc->name, w->operation);
		return tp_error_last()->code;
	}
	code = tp_aws_fault_class(f, status);
	return tp_error_set_aws(code, (int)status, f->code, f->request_id, "%s %s: %s",
				w->svc->name, w->operation, f->message);
}

int tp_client_perform(tp_aws_client *c, tp_wire *w, tp_http_response *resp)
{
	struct target t = { TP_BUF_INIT, "", TP_BUF_INIT };
	tp_retry_class cls = TP_RETRY_NONE, last_retry = TP_RETRY_NONE;
	tp_aws_fault f;
	tp_endpoint ep;
	int attempt, rc;

	memset(&f, 0, sizeof(f));
	if ((rc = tp_endpoint_resolve(&ep, w->svc, w->region, c->endpoint_url)) < 0)
		return rc;
	build_target(&t, w, &ep);
	COUNT(c, calls);
	for (attempt = 1;; attempt++) {
		int64_t start = tp_now_ms();

		COUNT(c, attempts);
		rc = attempt_once(c, w, &ep, &t, resp);
		if (rc < 0 && rc != TP_ENET && rc != TP_ETIMEOUT)
			break;          /* credentials or signing: not retryable */
		if (rc == 0 && resp->status >= 200 && resp->status < 300) {
			notify(c, w, attempt, resp->status, NULL, start);
			tp_retry_bucket_release(c->bucket, last_retry);
			break;
		}
		if (rc == 0)
			tp_aws_fault_parse(&f, w->svc->protocol, resp);
		notify(c, w, attempt, rc == 0 ? resp->status : 0, rc == 0 ? f.code : "", start);
		cls = tp_retry_classify(rc, rc == 0 ? resp->status : 0, rc == 0 ? f.code : NULL);
		if (cls != TP_RETRY_NONE && attempt < c->max_attempts &&
		    tp_retry_bucket_acquire(c->bucket, cls) < 0) {
			COUNT(c, quota_refused);
			cls = TP_RETRY_NONE;
		}
		if (cls == TP_RETRY_NONE || attempt >= c->max_attempts) {
			rc = fail(w, rc, &f, resp->status, attempt);
			break;
		}
		count_retry(c, cls);
		last_retry = cls;
		tp_sleep_ms(tp_retry_delay_ms(attempt, c->retry_base_ms, c->retry_cap_ms));
	}
	tp_buf_release(&t.url);
	tp_buf_release(&t.path);
	return rc;
}
