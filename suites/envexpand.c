#include "suites/envexpand.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"

static size_t name_len(const char *s)
{
	size_t n = 0;

	if (!isalpha((unsigned char)*s) && *s != '_')
		return 0;
	while (isalnum((unsigned char)s[n]) || s[n] == '_')
		n++;
	return n;
}

/* The value of the reference between "${" and "}" (ref, len bytes). */
static int lookup(const char *ref, size_t len, const char **value, size_t *vlen)
{
	size_t n = name_len(ref);
	char name[256];
	const char *v;

	if (n == 0 || n >= sizeof(name) || (n < len && strncmp(ref + n, ":-", 2)))
		return tp_error_set(TP_EINVAL, "invalid variable reference '${%.*s}' "
				    "(expected ${NAME} or ${NAME:-default})", (int)len, ref);
	memcpy(name, ref, n);
	name[n] = '\0';
	v = getenv(name);
	if (n < len && (!v || !*v)) {
		*value = ref + n + 2;
		*vlen = len - n - 2;
		return 0;
	}
	if (!v)
		return tp_error_set(TP_EINVAL, "environment variable '%s' is not set "
				    "(write ${%s:-default} for a default)", name, name);
	*value = v;
	*vlen = strlen(v);
	return 0;
}

static int add(tp_buf *out, const char *data, size_t len)
{
	if (tp_buf_add(out, data, len) < 0)
		return tp_error_set(TP_EINVAL, "value longer than 1 MiB after ${} expansion");
	return 0;
}

/* Expand the reference at p ("${..."); returns the bytes consumed or -1. */
static long expand_ref(tp_buf *out, const char *p)
{
	const char *close = strchr(p + 2, '}'), *v = NULL;
	size_t vlen = 0;

	if (!close)
		return tp_error_set(TP_EINVAL, "unterminated '${' (write $$ for a literal $)");
	if (lookup(p + 2, (size_t)(close - p - 2), &v, &vlen) < 0 || add(out, v, vlen) < 0)
		return -1;
	return close - p + 1;
}

static long expand_one(tp_buf *out, const char *p)
{
	if (p[0] == '$' && p[1] == '{')
		return expand_ref(out, p);
	if (p[0] == '$' && p[1] == '$')
		return add(out, "$", 1) < 0 ? -1 : 2;
	return add(out, p, 1) < 0 ? -1 : 1;
}

int tp_envexpand(char **out, const char *in)
{
	tp_buf b;
	long used;

	*out = NULL;
	tp_buf_init(&b, TP_ENVEXPAND_MAX);
	while (*in) {
		used = expand_one(&b, in);
		if (used < 0) {
			tp_buf_release(&b);
			return -1;
		}
		in += used;
	}
	*out = tp_buf_detach(&b);
	return 0;
}
