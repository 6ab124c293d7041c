/*
 * Which POSIX extended regular expressions are safe to hand to glibc.
 *
 * glibc's regcomp builds E+ as E E* and E{n,m} as m copies of E, so stacked
 * or nested repetitions multiply the tree: "a++++++++++++++++++++" or
 * "((a{99}){99}){99}" allocate gigabytes. Its regexec supports
 * back-references in extended syntax and matches them in exponential time.
 * Its epsilon closures grow about quadratically with the tree, so even a
 * tree of 8000 nodes built from starred groups takes seconds.
 *
 * The guard estimates the size of the tree regcomp would build (following
 * the nesting of groups) and refuses patterns past TP_REGEX_MAX_NODES, and
 * refuses adjacent repetitions ("a**", "a?+"; POSIX leaves them undefined),
 * so a protect rule in tidepool.yaml cannot exhaust the machine that loads it.
 */
#ifndef TP_REGEX_GUARD_H
#define TP_REGEX_GUARD_H

#include <stddef.h>

#define TP_REGEX_MAX_LEN 512
#define TP_REGEX_MAX_NODES 2000

/* Why `pattern` is refused ("back-references are not supported"...), or NULL. */
const char *tp_regex_hazard(const char *pattern);

/* The estimated tree size (saturating at TP_REGEX_MAX_NODES + 1). */
size_t tp_regex_cost(const char *pattern);

#endif
