/*
 * Taking a fuzz input apart. The targets read their input as a few text
 * fields followed by a body, so seeds stay readable files (a request as in
 * tests/sigv4/v4, a response body after a line of headers) and libFuzzer's
 * mutations of one field leave the others in place:
 *
 *   tp_fuzz_input in = TP_FUZZ_INPUT(data, size);
 *   unsigned ctl = tp_fuzz_byte(&in);       // 0 when the input is empty
 *   char *line = tp_fuzz_line(&in);         // up to '\n', without it
 *   char *body = tp_fuzz_rest(&in, &len);   // everything after
 *
 * Every string returned is a NUL-terminated heap copy the caller frees;
 * bytes past an embedded NUL are still counted in the body's length.
 */
#ifndef TP_FUZZ_INPUT_H
#define TP_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct tp_fuzz_input {
	const uint8_t *p;
	size_t n;
} tp_fuzz_input;

#define TP_FUZZ_INPUT(data, size) { (data), (size) }

/* A copy of p[0..n) with a NUL after it; never NULL (aborts when out of memory). */
static inline char *tp_fuzz_copy(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}

static inline unsigned tp_fuzz_byte(tp_fuzz_input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

/* The bytes up to the next '\n' (consumed, not returned); all of them when there is none. */
static inline char *tp_fuzz_line(tp_fuzz_input *in)
{
	const uint8_t *nl = in->n ? memchr(in->p, '\n', in->n) : NULL;
	size_t len = nl ? (size_t)(nl - in->p) : in->n;
	char *s = tp_fuzz_copy(in->p, len);

	in->p += len + (nl != NULL);
	in->n -= len + (nl != NULL);
	return s;
}

/* Everything left; *len is its length (the copy has a NUL after it as well). */
static inline char *tp_fuzz_rest(tp_fuzz_input *in, size_t *len)
{
	char *s = tp_fuzz_copy(in->p, in->n);

	*len = in->n;
	in->p += in->n;
	in->n = 0;
	return s;
}

#endif
