/*
 * HTTP over libcurl.
 *
 * Each thread keeps one easy handle (created on first use, freed at thread
 * exit), so connections are reused with keep-alive; DNS cache and TLS
 * sessions are shared across threads through one share handle. TLS is
 * verified; http_proxy / https_proxy / no_proxy are honoured by libcurl.
 *
 * tp_http_global_init() must run once before threads start (the CLI and
 * the tests do it in main).
 */
#ifndef TP_HTTP_H
#define TP_HTTP_H

#include <stddef.h>

#include "aws/buf.h"
#include "aws/sigv4.h"   /* tp_header */

typedef struct tp_http_request {
	const char *method;           /* "GET", "POST", "PUT", "DELETE", "HEAD" */
	const char *url;              /* complete, with query */
	const tp_header *headers;
	size_t nheaders;
	const void *body;
	size_t body_len;
	long connect_timeout_ms;      /* 0 = 10 s */
	long timeout_ms;              /* whole transfer; 0 = 120 s */
	size_t max_response;          /* 0 = 256 MiB */
} tp_http_request;

typedef struct tp_http_response {
	long status;
	tp_buf body;
	tp_header *headers;           /* owned: names and values are heap strings */
	size_t nheaders;
} tp_http_response;

#define TP_HTTP_RESPONSE_INIT { 0, TP_BUF_INIT, NULL, 0 }

int tp_http_global_init(void);
void tp_http_global_cleanup(void);

/*
 * Send a request. Returns 0 whenever an HTTP response arrived, whatever its
 * status. Transport failures return TP_ENET (TP_ETIMEOUT for timeouts) with
 * a message naming the URL and curl's reason. `resp` is reset first and is
 * released by the caller in every case.
 */
int tp_http_send(tp_http_response *resp, const tp_http_request *req);

/* Case-insensitive header lookup; NULL when absent. */
const char *tp_http_header(const tp_http_response *resp, const char *name);

void tp_http_response_release(tp_http_response *resp);

#endif
