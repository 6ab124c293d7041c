#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "aws/client_internal.h"
#include "aws/util.h"

void tp_params_add(tp_params *p, const char *key, const char *value)
{
	if (p->n == p->alloc) {
		p->alloc = p->alloc ? p->alloc * 2 : 8;
		p->keys = tp_xrealloc(p->keys, p->alloc * sizeof(*p->keys));
		p->values = tp_xrealloc(p->values, p->alloc * sizeof(*p->values));
	}
	p->keys[p->n] = tp_xstrdup(key);
	p->values[p->n] = tp_xstrdup(value ? value : "");
	p->n++;
}

void tp_params_addf(tp_params *p, const char *key, const char *fmt, ...)
{
	va_list ap;
	char *v;

	va_start(ap, fmt);
	v = tp_xvasprintf(fmt, ap);
	va_end(ap);
	tp_params_add(p, key, v);
	free(v);
}

void tp_params_release(tp_params *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free(p->keys[i]);
		free(p->values[i]);
	}
	free(p->keys);
	free(p->values);
	memset(p, 0, sizeof(*p));
}

void tp_aws_uri_escape(tp_buf *out, const char *s, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' || ch == '.' ||
		    ch == '~' || (keep_slash && ch == '/')) {
			tp_buf_addc(out, (char)ch);
		} else {
			tp_buf_addc(out, '%');
			tp_buf_addc(out, hex[ch >> 4]);
			tp_buf_addc(out, hex[ch & 15]);
		}
	}
}

void tp_params_encode(tp_buf *out, const tp_params *params)
{
	size_t i;

	for (i = 0; params && i < params->n; i++) {
		if (out->len)
			tp_buf_addc(out, '&');
		tp_aws_uri_escape(out, params->keys[i], 0);
		tp_buf_addc(out, '=');
		tp_aws_uri_escape(out, params->values[i], 0);
	}
}
