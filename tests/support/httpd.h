/*
 * A tiny HTTP/1.1 server on 127.0.0.1 for tests: IMDS and container
 * credential endpoints, and faults for the retry tests (throttling replies,
 * 503s, connection resets, slow answers). One thread accepts and serves
 * connections one at a time, keep-alive included; the handler decides each
 * reply. Not for production, never bound beyond loopback.
 */
#ifndef TP_TEST_HTTPD_H
#define TP_TEST_HTTPD_H

#include <stddef.h>

typedef struct tp_test_http_req {
	char method[16];
	char path[2048];         /* with query */
	char headers[8192];      /* raw header block, "Name: value\r\n" lines */
	char *body;              /* NUL-terminated */
	size_t body_len;
} tp_test_http_req;

typedef enum tp_test_action {
	TP_TEST_REPLY = 0,       /* send status/headers/body */
	TP_TEST_RESET,           /* close the connection with RST, no reply */
	TP_TEST_CLOSE            /* close cleanly without a reply */
} tp_test_action;

typedef struct tp_test_reply {
	tp_test_action action;
	int status;              /* default 200 */
	char headers[2048];      /* extra "Name: value\r\n" lines */
	char *body;              /* heap, freed by the server; NULL = empty */
	int delay_ms;            /* wait before acting */
} tp_test_reply;

/* Called on the server thread for each request. */
typedef void (*tp_test_handler)(void *ctx, const tp_test_http_req *req, tp_test_reply *reply);

typedef struct tp_test_httpd tp_test_httpd;

/* Start on a free loopback port. Returns NULL on failure (and prints why). */
tp_test_httpd *tp_test_httpd_start(tp_test_handler handler, void *ctx);
int tp_test_httpd_port(const tp_test_httpd *s);
/* "http://127.0.0.1:PORT" */
const char *tp_test_httpd_url(const tp_test_httpd *s);
/* Requests served so far. */
int tp_test_httpd_count(tp_test_httpd *s);
void tp_test_httpd_stop(tp_test_httpd *s);

/* Value of header `name` in req (case-insensitive) into buf; NULL when absent. */
const char *tp_test_http_header(const tp_test_http_req *req, const char *name,
				char *buf, size_t size);

#endif
