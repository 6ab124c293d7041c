#include "aws/error.h"

#include <stdio.h>
#include <string.h>

static _Thread_local tp_error last;

int tp_error_vset(int code, const char *fmt, va_list ap)
{
	last.code = code;
	vsnprintf(last.msg, sizeof(last.msg), fmt, ap);
	last.http_status = 0;
	last.aws_code[0] = '\0';
	last.request_id[0] = '\0';
	return code;
}

int tp_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tp_error_vset(code, fmt, ap);
	va_end(ap);
	return code;
}

int tp_error_set_aws(int code, int http_status, const char *aws_code,
		     const char *request_id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tp_error_vset(code, fmt, ap);
	va_end(ap);
	last.http_status = http_status;
	snprintf(last.aws_code, sizeof(last.aws_code), "%s", aws_code ? aws_code : "");
	snprintf(last.request_id, sizeof(last.request_id), "%s",
		 request_id ? request_id : "");
	return code;
}

int tp_error_prefix(const char *fmt, ...)
{
	char prefix[512];
	size_t plen, mlen;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* Shift the message right by the prefix (truncating its tail). */
	plen = strlen(prefix);
	mlen = strnlen(last.msg, sizeof(last.msg) - 1);
	if (plen + mlen > sizeof(last.msg) - 1)
		mlen = sizeof(last.msg) - 1 - plen;
	memmove(last.msg + plen, last.msg, mlen);
	memcpy(last.msg, prefix, plen);
	last.msg[plen + mlen] = '\0';
	if (last.code == TP_OK)
		last.code = TP_ERROR;
	return last.code;
}

const tp_error *tp_error_last(void)
{
	return &last;
}

void tp_error_save(tp_error *dst)
{
	*dst = last;
}

void tp_error_restore(const tp_error *src)
{
	last = *src;
}

void tp_error_clear(void)
{
	memset(&last, 0, sizeof(last));
}

const char *tp_error_format(const tp_error *e, char *buf, unsigned size)
{
	if (!e->aws_code[0] && !e->request_id[0]) {
		snprintf(buf, size, "%s", e->msg[0] ? e->msg : "unknown error");
		return buf;
	}
	snprintf(buf, size, "%s (HTTP %d, %s, request id %s)", e->msg,
		 e->http_status, e->aws_code[0] ? e->aws_code : "no error code",
		 e->request_id[0] ? e->request_id : "none");
	return buf;
}
