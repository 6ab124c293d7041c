#include "suites/regex_guard.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#define OVER (TP_REGEX_MAX_NODES + 1)

/* One group being scanned: its size so far and the size of its last atom. */
typedef struct frame {
	size_t size;
	size_t last;
} frame;

static size_t add_sat(size_t a, size_t b)
{
	return a + b > OVER ? OVER : a + b;
}

static size_t mul_sat(size_t a, size_t b)
{
	return b && a > OVER / b ? OVER : (a * b > OVER ? OVER : a * b);
}

/* The end of a bracket expression starting at p ('['), or p + 1 if unterminated. */
static const char *skip_bracket(const char *p)
{
	const char *q = p + 1;

	q += *q == '^';
	q += *q == ']';
	while (*q && *q != ']') {
		if (q[0] == '[' && strchr(":.=", q[1]) && q[1]) {
			const char *close = strchr(q + 2, q[1]);

			q = close && close[1] == ']' ? close + 2 : q + 1;
		} else {
			q++;
		}
	}
	return *q ? q : p;
}

static unsigned long number(const char **q)
{
	char *end;
	unsigned long v = strtoul(*q, &end, 10);

	*q = end;
	return v;
}

/*
 * How many copies of its operand the repetition at p makes ('*' and '?' add
 * a node, not a copy: 1), or 0 when p is not a repetition. *len is its
 * length. glibc reads "{,m}" as "{0,m}" and "{n,}" as n copies and a star.
 */
static size_t copies(const char *p, size_t *len)
{
	const char *q = p + 1;
	unsigned long n = 0, m;

	*len = 1;
	if (*p == '+')
		return 2;
	if (*p == '*' || *p == '?')
		return 1;
	if (*p != '{' || !(isdigit((unsigned char)*q) || *q == ','))
		return 0;
	m = n = isdigit((unsigned char)*q) ? number(&q) : 0;
	if (*q == ',') {
		q++;
		m = isdigit((unsigned char)*q) ? number(&q) : n + 1;
	}
	if (*q != '}')
		return 0;
	*len = (size_t)(q + 1 - p);
	n = n > m ? n : m;
	return n > OVER ? OVER : (n ? n : 1);
}

static void atom(frame *f, size_t size)
{
	f->size = add_sat(f->size, size);
	f->last = size;
}

static void repeat(frame *f, size_t n)
{
	f->size = add_sat(f->size, add_sat(mul_sat(f->last, n - 1), 1));
	f->last = add_sat(mul_sat(f->last, n), 1);
}

/* The estimated tree size; *stacked is set when a repetition follows another. */
static size_t scan(const char *p, int *stacked)
{
	frame stack[TP_REGEX_MAX_LEN + 2] = { { 0, 0 } };
	size_t depth = 0, len, n;
	int after_repeat = 0;

	for (*stacked = 0; *p; p += len) {
		n = copies(p, &len);
		*stacked |= n && after_repeat;
		after_repeat = n > 0;
		if (n) {
			repeat(&stack[depth], n);
		} else if (*p == '(' && depth + 1 < TP_REGEX_MAX_LEN + 2) {
			stack[++depth] = (frame){ 0, 0 };
		} else if (*p == ')' && depth > 0) {
			depth--;
			atom(&stack[depth], add_sat(stack[depth + 1].size, 1));
		} else if (*p == '|') {
			stack[depth].size = add_sat(stack[depth].size, 1);
			stack[depth].last = 0;
		} else {
			len = *p == '[' ? (size_t)(skip_bracket(p) - p) + 1 : *p == '\\' && p[1] ? 2 : 1;
			atom(&stack[depth], 1);
		}
	}
	for (; depth > 0; depth--)
		atom(&stack[depth - 1], add_sat(stack[depth].size, 1));
	return stack[0].size;
}

size_t tp_regex_cost(const char *pattern)
{
	int stacked;

	return strlen(pattern) > TP_REGEX_MAX_LEN ? OVER : scan(pattern, &stacked);
}

static int has_backreference(const char *p)
{
	for (; *p; p++) {
		if (p[0] == '[')
			p = skip_bracket(p);
		else if (p[0] == '\\' && isdigit((unsigned char)p[1]))
			return 1;
		else if (p[0] == '\\' && p[1])
			p++;
	}
	return 0;
}

const char *tp_regex_hazard(const char *pattern)
{
	int stacked;

	if (strlen(pattern) > TP_REGEX_MAX_LEN)
		return "longer than 512 characters";
	if (has_backreference(pattern))
		return "back-references are not supported";
	if (scan(pattern, &stacked) > TP_REGEX_MAX_NODES)
		return "too many repetitions (nested counts and '+' multiply the pattern)";
	if (stacked)
		return "a repetition ('*', '+', '?' or {n,m}) follows another";
	return NULL;
}
