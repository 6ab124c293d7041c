#include "suites/suggest.h"

#include <ctype.h>
#include <stdint.h>
#include <string.h>

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;

	return m < c ? m : c;
}

static int same(char a, char b)
{
	return tolower((unsigned char)a) == tolower((unsigned char)b);
}

/*
 * Optimal string alignment distance with three rolling rows: d[i][j] is
 * the distance between the first i chars of a and the first j chars of b.
 */
size_t tp_suggest_distance(const char *a, const char *b)
{
	size_t rows[3][TP_SUGGEST_MAX_LEN + 1];
	size_t la = strlen(a), lb = strlen(b), i, j;
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2], *t;

	if (la > TP_SUGGEST_MAX_LEN || lb > TP_SUGGEST_MAX_LEN)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		prev[j] = j;
	for (i = 1; i <= la; i++) {
		cur[0] = i;
		for (j = 1; j <= lb; j++) {
			cur[j] = min3(prev[j] + 1, cur[j - 1] + 1,
				      prev[j - 1] + !same(a[i - 1], b[j - 1]));
			if (i > 1 && j > 1 && same(a[i - 1], b[j - 2]) &&
			    same(a[i - 2], b[j - 1]) && prev2[j - 2] + 1 < cur[j])
				cur[j] = prev2[j - 2] + 1;
		}
		t = prev2, prev2 = prev, prev = cur, cur = t;
	}
	return prev[lb];
}

void tp_suggest_init(tp_suggest *s, const char *word)
{
	s->word = word;
	s->word_len = strlen(word);
	s->best = NULL;
	s->best_dist = SIZE_MAX;
}

void tp_suggest_add(tp_suggest *s, const char *candidate)
{
	size_t limit = 1 + s->word_len / 4, len = strlen(candidate), d;
	size_t diff = len > s->word_len ? len - s->word_len : s->word_len - len;

	if (diff > limit || s->word_len > TP_SUGGEST_MAX_LEN || !strcmp(candidate, s->word))
		return;
	d = tp_suggest_distance(s->word, candidate);
	if (d <= limit && d < s->best_dist) {
		s->best = candidate;
		s->best_dist = d;
	}
}

const char *tp_suggest_best(const tp_suggest *s)
{
	return s->best;
}
