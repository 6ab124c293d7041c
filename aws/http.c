/*
 * HTTP over libcurl. DESIGN: every thread that sends owns one easy handle,
 * kept in thread-specific storage and freed by the key's destructor when the
 * thread exits; a handle keeps its connections alive between requests. One
 * share handle (created in tp_http_global_init) shares the DNS cache and TLS
 * sessions between threads, guarded by one mutex per curl lock type.
 */
#include "aws/http.h"

#include <pthread.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "aws/error.h"
#include "aws/util.h"

#define DEFAULT_CONNECT_MS 10000L
#define DEFAULT_TIMEOUT_MS 120000L
#define DEFAULT_MAX_RESPONSE ((size_t)256 << 20)

static CURLSH *share;
static pthread_mutex_t share_locks[CURL_LOCK_DATA_LAST];
static pthread_key_t handle_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void lock_cb(CURL *h, curl_lock_data data, curl_lock_access access, void *u)
{
	(void)h;
	(void)access;
	(void)u;
	pthread_mutex_lock(&share_locks[data]);
}

static void unlock_cb(CURL *h, curl_lock_data data, void *u)
{
	(void)h;
	(void)u;
	pthread_mutex_unlock(&share_locks[data]);
}

static void free_handle(void *h)
{
	curl_easy_cleanup(h);
}

static void make_key(void)
{
	pthread_key_create(&handle_key, free_handle);
}

int tp_http_global_init(void)
{
	int i;

	if (share)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return tp_error_set(TP_ERROR, "cannot initialise libcurl");
	for (i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&share_locks[i], NULL);
	share = curl_share_init();
	if (!share)
		return tp_error_set(TP_ERROR, "cannot create a curl share handle");
	curl_share_setopt(share, CURLSHOPT_LOCKFUNC, lock_cb);
	curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, unlock_cb);
	curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	pthread_once(&key_once, make_key);
	return 0;
}

void tp_http_global_cleanup(void)
{
	CURL *h;

	if (!share)
		return;
	h = pthread_getspecific(handle_key);
	if (h) {
		curl_easy_cleanup(h);
		pthread_setspecific(handle_key, NULL);
	}
	curl_share_cleanup(share);
	share = NULL;
	curl_global_cleanup();
}

static CURL *thread_handle(void)
{
	CURL *h;

	pthread_once(&key_once, make_key);
	h = pthread_getspecific(handle_key);
	if (!h) {
		h = curl_easy_init();
		if (h)
			pthread_setspecific(handle_key, h);
	} else {
		curl_easy_reset(h);
	}
	return h;
}

struct sink {
	tp_http_response *resp;
	size_t max;
	int too_big;
};

static size_t on_body(char *data, size_t size, size_t n, void *u)
{
	struct sink *s = u;
	size_t len = size * n;

	if (s->resp->body.len + len > s->max) {
		s->too_big = 1;
		return 0;
	}
	if (tp_buf_add(&s->resp->body, data, len) < 0)
		return 0;
	return len;
}

static void clear_headers(tp_http_response *r)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		free((char *)r->headers[i].name);
		free((char *)r->headers[i].value);
	}
	free(r->headers);
	r->headers = NULL;
	r->nheaders = 0;
}

static size_t on_header(char *data, size_t size, size_t n, void *u)
{
	struct sink *s = u;
	tp_http_response *r = s->resp;
	size_t len = size * n, vlen;
	const char *colon, *v;

	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		clear_headers(r);   /* a new response (after 100 Continue) */
		return len;
	}
	colon = memchr(data, ':', len);
	if (!colon)
		return len;
	v = colon + 1;
	vlen = len - (size_t)(v - data);
	while (vlen && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
		vlen--;
	r->headers = tp_xrealloc(r->headers, (r->nheaders + 1) * sizeof(*r->headers));
	r->headers[r->nheaders].name = tp_xstrndup(data, (size_t)(colon - data));
	r->headers[r->nheaders].value = tp_xstrndup(v, vlen);
	r->nheaders++;
	return len;
}

static struct curl_slist *build_headers(const tp_http_request *req)
{
	struct curl_slist *list = NULL;
	int has_ct = 0;
	size_t i;

	for (i = 0; i < req->nheaders; i++) {
		char *line;
		if (strcasecmp(req->headers[i].name, "content-type") == 0)
			has_ct = 1;
		if (req->headers[i].value[0])
			line = tp_xasprintf("%s: %s", req->headers[i].name, req->headers[i].value);
		else
			line = tp_xasprintf("%s;", req->headers[i].name);
		list = curl_slist_append(list, line);
		free(line);
	}
	/* No implicit headers that change what the server sees. */
	list = curl_slist_append(list, "Expect:");
	if (!has_ct)
		list = curl_slist_append(list, "Content-Type:");
	return list;
}

/* The URL without its query: queries can carry presigned tokens. */
static void safe_url(char *out, size_t size, const char *url)
{
	size_t n = strcspn(url, "?");

	if (n >= size)
		n = size - 1;
	memcpy(out, url, n);
	out[n] = '\0';
}

static void set_method(CURL *h, const tp_http_request *req)
{
	const char *m = req->method ? req->method : "GET";

	if (strcmp(m, "HEAD") == 0) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
		return;
	}
	if (req->body || strcmp(m, "GET") != 0) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	if (strcmp(m, "POST") != 0)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
}

static int transport_error(CURLcode rc, const char *url, const char *detail, int too_big)
{
	char u[512];

	safe_url(u, sizeof(u), url);
	if (too_big)
		return tp_error_set(TP_ENET, "response from %s exceeds the size limit", u);
	return tp_error_set(rc == CURLE_OPERATION_TIMEDOUT ? TP_ETIMEOUT : TP_ENET,
			    "cannot reach %s: %s", u, detail[0] ? detail : curl_easy_strerror(rc));
}

int tp_http_send(tp_http_response *resp, const tp_http_request *req)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct sink s = { resp, req->max_response ? req->max_response : DEFAULT_MAX_RESPONSE, 0 };
	struct curl_slist *hdrs = NULL;
	CURL *h = thread_handle();
	CURLcode rc;

	tp_http_response_release(resp);
	if (!h)
		return tp_error_set(TP_ERROR, "cannot create a curl handle");
	hdrs = build_headers(req);
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	set_method(h, req);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 req->connect_timeout_ms ? req->connect_timeout_ms : DEFAULT_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, req->timeout_ms ? req->timeout_ms : DEFAULT_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &s);
	if (share)
		curl_easy_setopt(h, CURLOPT_SHARE, share);
	rc = curl_easy_perform(h);
	curl_slist_free_all(hdrs);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK)
		return transport_error(rc, req->url, errbuf, s.too_big);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	return 0;
}

const char *tp_http_header(const tp_http_response *resp, const char *name)
{
	size_t i;

	for (i = 0; i < resp->nheaders; i++)
		if (strcasecmp(resp->headers[i].name, name) == 0)
			return resp->headers[i].value;
	return NULL;
}

void tp_http_response_release(tp_http_response *resp)
{
	clear_headers(resp);
	tp_buf_release(&resp->body);
	resp->status = 0;
}
