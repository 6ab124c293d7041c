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

/* How many copies of its operand a repetition at p makes; *len is its length. */
static size_t copies(const char *p, size_t *len)
{
	char *end;
	unsigned long n, m;

	*len = 1;
	if (*p == '+')
		return 2;
	if (*p != '{' || !isdigit((unsigned char)p[1]))
		return 1; /* '*' and '?' add a node, not a copy */
	n = m = strtoul(p + 1, &end, 10);
	if (*end == ',') {
		end++;
		m = isdigit((unsigned char)*end) ? strtoul(end, &end, 10) : n + 1;
	}
	if (*end != '}')
		return 1;
	*len = (size_t)(end + 1 - p);
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

size_t tp_regex_cost(const char *p)
{
	frame stack[TP_REGEX_MAX_LEN + 2] = { { 0, 0 } };
	size_t depth = 0, len, n;

	if (strlen(p) > TP_REGEX_MAX_LEN)
		return OVER;
	for (; *p; p += len) {
		len = 1;
		if (*p == '(' && depth + 1 < TP_REGEX_MAX_LEN + 2) {
			stack[++depth] = (frame){ 0, 0 };
		} else if (*p == ')' && depth > 0) {
			depth--;
			atom(&stack[depth], add_sat(stack[depth + 1].size, 1));
		} else if (*p == '|') {
			stack[depth].size = add_sat(stack[depth].size, 1);
			stack[depth].last = 0;
		} else if (strchr("*?+{", *p) && (n = copies(p, &len)) > 0) {
			repeat(&stack[depth], n);
		} else {
			len = *p == '[' ? (size_t)(skip_bracket(p) - p) + 1 : *p == '\\' && p[1] ? 2 : 1;
			atom(&stack[depth], 1);
		}
	}
	while (depth > 0) {
		depth--;
		atom(&stack[depth], add_sat(stack[depth + 1].size, 1));
	}
	return stack[0].size;
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
	if (strlen(pattern) > TP_REGEX_MAX_LEN)
		return "longer than 512 characters";
	if (has_backreference(pattern))
		return "back-references are not supported";
	if (tp_regex_cost(pattern) > TP_REGEX_MAX_NODES)
		return "too many repetitions (nested counts and '+' multiply the pattern)";
	return NULL;
}
