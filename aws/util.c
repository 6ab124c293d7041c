#include "aws/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "aws/buf.h"
#include "aws/error.h"

static void oom(size_t n)
{
	fprintf(stderr, "tidepool: out of memory allocating %zu bytes\n", n);
	abort();
}

void *tp_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		oom(n);
	return p;
}

void *tp_xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);

	if (!p)
		oom(count * size);
	return p;
}

void *tp_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		oom(n);
	return q;
}

char *tp_xstrdup(const char *s)
{
	return s ? tp_xstrndup(s, strlen(s)) : NULL;
}

char *tp_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = tp_xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *tp_xvasprintf(const char *fmt, va_list ap)
{
	va_list copy;
	char *p;
	int n;

	va_copy(copy, ap);
	n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		abort();
	p = tp_xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *tp_xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = tp_xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

size_t tp_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

int tp_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int tp_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && memcmp(s + a - b, suffix, b) == 0;
}

int tp_streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

int tp_parse_long(const char *s, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int tp_parse_ulong(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

int tp_parse_duration(const char *s, long *seconds)
{
	static const struct { char unit; long mult; } units[] = {
		{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	};
	char num[32];
	size_t len = s ? strlen(s) : 0;
	long mult = 1, v;
	size_t i;

	if (len == 0 || len >= sizeof(num))
		goto bad;
	memcpy(num, s, len + 1);
	for (i = 0; i < TP_ARRAY_SIZE(units); i++) {
		if (num[len - 1] == units[i].unit) {
			mult = units[i].mult;
			num[--len] = '\0';
			break;
		}
	}
	if (tp_parse_long(num, &v) < 0 || v < 0 || v > 100L * 365 * 86400 / mult)
		goto bad;
	*seconds = v * mult;
	return 0;
bad:
	return tp_error_set(TP_EINVAL,
			    "invalid duration '%s' (expected a number with s, m, h or d, e.g. 90s, 15m, 2h, 3d)",
			    s ? s : "");
}

void tp_format_duration(char *buf, size_t size, long s)
{
	const char *sign = s < 0 ? "-" : "";

	if (s < 0)
		s = -s;
	if (s < 60)
		snprintf(buf, size, "%s%lds", sign, s);
	else if (s < 3600)
		snprintf(buf, size, "%s%ldm %lds", sign, s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, size, "%s%ldh %ldm", sign, s / 3600, (s % 3600) / 60);
	else
		snprintf(buf, size, "%s%ldd %ldh", sign, s / 86400, (s % 86400) / 3600);
}

int tp_is_account_id(const char *s)
{
	int i;

	if (!s)
		return 0;
	for (i = 0; i < 12; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return s[12] == '\0';
}

int64_t tp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t tp_now_ms(void)
{
	return tp_now_ns() / 1000000;
}

time_t tp_time_now(void)
{
	return time(NULL);
}

void tp_time_iso8601(char *buf, size_t size, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int tp_time_parse_iso8601(const char *s, time_t *out)
{
	struct tm tm;
	const char *p;
	int off = 0;

	memset(&tm, 0, sizeof(tm));
	p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!p)
		return -1;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		/* Exactly "hh:mm": the six bytes skipped below must be there. */
		if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) || p[3] != ':' ||
		    !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]))
			return -1;
		off = ((p[1] - '0') * 600 + (p[2] - '0') * 60 + (p[4] - '0') * 10 + (p[5] - '0')) *
		      60 * (*p == '+' ? 1 : -1);
		p += 6;
	}
	if (*p)
		return -1;
	*out = timegm(&tm) - off;
	return 0;
}

void tp_hex(char *out, const unsigned char *in, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

void tp_sha256_hex(char out[65], const void *data, size_t len)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	tp_hex(out, md, sizeof(md));
}

int tp_read_file(const char *path, char **data, size_t *len)
{
	tp_buf b = TP_BUF_INIT;
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return tp_error_set(errno == ENOENT ? TP_ENOTFOUND : TP_ERROR,
				    "cannot read %s: %s", path, strerror(errno));
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || tp_buf_add(&b, chunk, (size_t)n) < 0) {
			int e = errno;
			close(fd);
			tp_buf_release(&b);
			return tp_error_set(TP_ERROR, "cannot read %s: %s", path,
					    strerror(e));
		}
	}
	close(fd);
	if (len)
		*len = b.len;
	*data = tp_buf_detach(&b);
	return 0;
}

int tp_random_bytes(void *buf, size_t len)
{
	if (RAND_bytes(buf, (int)len) != 1)
		return tp_error_set(TP_ERROR, "no randomness available");
	return 0;
}

double tp_random_unit(void)
{
	static _Thread_local uint64_t state;

	if (!state) {
		if (tp_random_bytes(&state, sizeof(state)) < 0 || !state)
			state = (uint64_t)tp_now_ns() | 1;
	}
	/* xorshift64* */
	state ^= state >> 12;
	state ^= state << 25;
	state ^= state >> 27;
	return (double)((state * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

void tp_sleep_ms(int64_t ms)
{
	struct timespec ts;

	if (ms <= 0)
		return;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}
