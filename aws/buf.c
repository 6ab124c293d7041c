#include "aws/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

void tp_buf_init(tp_buf *b, size_t max)
{
	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

static size_t cap(const tp_buf *b)
{
	return b->max ? b->max : TP_BUF_DEFAULT_MAX;
}

int tp_buf_grow(tp_buf *b, size_t extra)
{
	size_t need, n;

	if (extra > cap(b) || b->len > cap(b) - extra)
		return tp_error_set(TP_EINVAL, "buffer would exceed its %zu-byte limit",
				    cap(b));
	need = b->len + extra + 1;
	if (need <= b->alloc)
		return 0;
	n = b->alloc ? b->alloc : 64;
	while (n < need)
		n *= 2;
	b->ptr = tp_xrealloc(b->ptr, n);
	b->alloc = n;
	return 0;
}

int tp_buf_add(tp_buf *b, const void *data, size_t len)
{
	if (tp_buf_grow(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int tp_buf_adds(tp_buf *b, const char *s)
{
	return tp_buf_add(b, s, strlen(s));
}

int tp_buf_addc(tp_buf *b, char c)
{
	return tp_buf_add(b, &c, 1);
}

int tp_buf_addf(tp_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return tp_error_set(TP_EINVAL, "bad format string");
	if (tp_buf_grow(b, (size_t)n) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void tp_buf_reset(tp_buf *b)
{
	b->len = 0;
	if (b->ptr)
		b->ptr[0] = '\0';
}

void tp_buf_truncate(tp_buf *b, size_t len)
{
	if (len >= b->len)
		return;
	b->len = len;
	b->ptr[len] = '\0';
}

const char *tp_buf_cstr(const tp_buf *b)
{
	return b->ptr ? b->ptr : "";
}

char *tp_buf_detach(tp_buf *b)
{
	char *p = b->ptr ? b->ptr : tp_xstrdup("");

	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}

void tp_buf_release(tp_buf *b)
{
	free(b->ptr);
	b->ptr = NULL;
	b->len = 0;
	b->alloc = 0;
}
