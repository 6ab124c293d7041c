/*
 * "Did you mean ...?": the closest of a set of candidates to a misspelt word,
 * by optimal-string-alignment (Damerau-Levenshtein) distance, ignoring case.
 *
 *   tp_suggest s;
 *   tp_suggest_init(&s, "comon");
 *   for (i = 0; i < n; i++)
 *       tp_suggest_add(&s, names[i]);
 *   if (tp_suggest_best(&s)) ...   // "common"
 *
 * A candidate is offered only when it is close: at most 1 + len/4 edits for
 * a word of len characters (one typo in a short word, two in a longer one).
 * Words or candidates longer than TP_SUGGEST_MAX_LEN are never matched.
 */
#ifndef TP_SUGGEST_H
#define TP_SUGGEST_H

#include <stddef.h>

#define TP_SUGGEST_MAX_LEN 64

typedef struct tp_suggest {
	const char *word;
	size_t word_len;
	const char *best;   /* borrowed from the caller's candidates */
	size_t best_dist;
} tp_suggest;

/* Start a search for `word` (borrowed; must outlive the tp_suggest). */
void tp_suggest_init(tp_suggest *s, const char *word);

/* Consider `candidate` (borrowed). The first of equally close ones wins. */
void tp_suggest_add(tp_suggest *s, const char *candidate);

/* The closest candidate, or NULL when none is close enough. */
const char *tp_suggest_best(const tp_suggest *s);

/* Edit distance between a and b ignoring case, or SIZE_MAX when either is too long. */
size_t tp_suggest_distance(const char *a, const char *b);

#endif
