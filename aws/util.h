/*
 * Small helpers every component uses: allocation that aborts on exhaustion
 * (git's xmalloc), string helpers that replace the banned ones, time.
 */
#ifndef TP_UTIL_H
#define TP_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

/* Allocation: these never return NULL; on exhaustion they abort. */
void *tp_xmalloc(size_t n);
void *tp_xcalloc(size_t count, size_t size);
void *tp_xrealloc(void *p, size_t n);
char *tp_xstrdup(const char *s);           /* NULL in, NULL out */
char *tp_xstrndup(const char *s, size_t n);
char *tp_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *tp_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#define TP_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Copy with truncation; always NUL-terminates; returns strlen(src). */
size_t tp_strlcpy(char *dst, const char *src, size_t size);

int tp_starts_with(const char *s, const char *prefix);
int tp_ends_with(const char *s, const char *suffix);
int tp_streq(const char *a, const char *b); /* NULL-safe */

/* Whole-string integer parsing; 0 on success, -1 (no error set) otherwise. */
int tp_parse_long(const char *s, long *out);
int tp_parse_ulong(const char *s, unsigned long *out);

/*
 * A duration such as "90s", "15m", "2h", "3d" (also a bare number of
 * seconds) to seconds. Returns 0, or -1 with TP_EINVAL set.
 */
int tp_parse_duration(const char *s, long *seconds);

/* "1h 5m", "42s", "3d 2h": for humans. */
void tp_format_duration(char *buf, size_t size, long seconds);

/* A 12-digit AWS account id? */
int tp_is_account_id(const char *s);

/* Monotonic clock in milliseconds / nanoseconds. */
int64_t tp_now_ms(void);
int64_t tp_now_ns(void);

/* Wall clock, seconds since the epoch. */
time_t tp_time_now(void);

/* ISO 8601 UTC: "2015-08-30T12:36:00Z" (buf >= 21 bytes). */
void tp_time_iso8601(char *buf, size_t size, time_t t);

/* Parse "2015-08-30T12:36:00Z" (fractions and +00:00 accepted). -1 on error. */
int tp_time_parse_iso8601(const char *s, time_t *out);

/* Lower-case hex of `len` bytes into out (2*len+1 bytes). */
void tp_hex(char *out, const unsigned char *in, size_t len);

/* SHA-256 of data as 64 lower-case hex digits (+ NUL). */
void tp_sha256_hex(char out[65], const void *data, size_t len);

/* Read a whole file. Returns 0, or -1 with an error naming the path. */
int tp_read_file(const char *path, char **data, size_t *len);

/* Cryptographically random bytes (for tokens) and a fast PRNG in [0,1). */
int tp_random_bytes(void *buf, size_t len);
double tp_random_unit(void);

/* Sleep that resumes after signals until `ms` passed. */
void tp_sleep_ms(int64_t ms);

#endif
