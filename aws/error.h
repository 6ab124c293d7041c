/*
 * Per-thread error state (after libgit2's git_error_set / git_error_last).
 *
 * Library code never prints and never exits: a failing function returns one
 * of the negative codes below and leaves a message here for the CLI to show.
 * The message is what a user can act on: what failed, on what, and for AWS
 * errors the HTTP status, the AWS error code and the request id.
 *
 * Messages must never contain secrets (secret keys, session tokens).
 */
#ifndef TP_ERROR_H
#define TP_ERROR_H

#include <stdarg.h>

enum {
	TP_OK = 0,
	TP_ERROR = -1,      /* anything else */
	TP_ENOTFOUND = -2,  /* the thing asked for does not exist */
	TP_ETHROTTLED = -3, /* AWS throttled us past our retries */
	TP_EAUTH = -4,      /* no credentials, or AWS rejected them */
	TP_ECONFLICT = -5,  /* a condition failed: stale fencing token, lost race */
	TP_ETIMEOUT = -6,   /* a deadline passed */
	TP_ENET = -7,       /* transport: connect refused, reset, DNS, TLS */
	TP_EAWS = -8,       /* AWS answered with an error (see aws_code) */
	TP_EINVAL = -9,     /* bad input: configuration, arguments, files */
	TP_EBUSY = -10,     /* nothing available (no free account) */
	TP_EINTR = -11      /* interrupted by the user */
};

typedef struct tp_error {
	int code;             /* one of the TP_E* values, TP_OK when clear */
	char msg[2048];
	/* Filled when the error came from an AWS response, else 0 / "". */
	int http_status;
	char aws_code[128];
	char request_id[128];
} tp_error;

/* Set the calling thread's error. Returns `code`, so `return tp_error_set(...)`. */
int tp_error_set(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int tp_error_vset(int code, const char *fmt, va_list ap);

/* Set an error carrying AWS details; the message is formatted from fmt. */
int tp_error_set_aws(int code, int http_status, const char *aws_code,
		     const char *request_id, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/*
 * Prefix the current message with context ("stack api in 111111111111: ").
 * Keeps code and AWS details. Returns the current code.
 */
int tp_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The calling thread's last error; never NULL (code TP_OK when none). */
const tp_error *tp_error_last(void);

/* Copy the calling thread's error into `dst` / restore it from `src`. */
void tp_error_save(tp_error *dst);
void tp_error_restore(const tp_error *src);

void tp_error_clear(void);

/* A one-line rendering: "msg (HTTP 403, SignatureDoesNotMatch, request id X)". */
const char *tp_error_format(const tp_error *e, char *buf, unsigned size);

#endif
