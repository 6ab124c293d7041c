/* The one JSON document a `--json` command prints on stdout. */
#ifndef TP_JSON_OUT_H
#define TP_JSON_OUT_H

#include <time.h>

#include <jansson.h>

/* Print `doc` (stolen) indented, with a final newline. Returns 0 (TP_EXIT_OK). */
int tp_json_print(json_t *doc);

/* "2015-08-30T12:36:00Z", or null for 0 (new reference). */
json_t *tp_json_time(time_t t);

/* A string, or null for NULL (new reference). */
json_t *tp_json_string_or_null(const char *s);

#endif
