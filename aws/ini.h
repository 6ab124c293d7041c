/*
 * The INI dialect of the AWS shared config and credentials files, read the
 * way botocore reads them (Python's configparser, strict mode):
 *
 *   [section]            name as written (the caller maps "profile x")
 *   key = value          also "key: value"; keys are lower-cased, values
 *                        trimmed; "key =" is an empty value
 *     continued          an indented line continues the value above it
 *                        ("\n"-joined), which is how nested settings
 *                        ("s3 =\n  max_concurrent_requests = 10") look
 *   # comment / ; comment   whole lines only
 *
 * A duplicate section, a duplicate key within a section, a key before any
 * section and a line that is none of the above are errors naming the file
 * and line: "~/.aws/config:7: expected 'key = value'".
 */
#ifndef TP_INI_H
#define TP_INI_H

#include <stddef.h>

typedef struct tp_ini tp_ini;
typedef struct tp_ini_section tp_ini_section;

/*
 * Parse `len` bytes of `text`. `name` is how messages name the file. On
 * success *out is the document (caller frees with tp_ini_free); on error
 * *out is NULL and TP_EINVAL is returned with "name:line: reason".
 */
int tp_ini_parse(tp_ini **out, const char *text, size_t len, const char *name);

/*
 * Read and parse the file at `path`; `name` as above. A file that does not
 * exist is an empty document (as for the AWS CLI). Returns 0, TP_EINVAL for
 * a malformed file, TP_ERROR when it exists but cannot be read.
 */
int tp_ini_load(tp_ini **out, const char *path, const char *name);

/* NULL is a no-op. */
void tp_ini_free(tp_ini *ini);

/* Sections in file order. */
size_t tp_ini_count(const tp_ini *ini);
const tp_ini_section *tp_ini_at(const tp_ini *ini, size_t i);

/* The section named exactly `name`, or NULL. */
const tp_ini_section *tp_ini_find(const tp_ini *ini, const char *name);

const char *tp_ini_section_name(const tp_ini_section *s);

/* The value of `key` (lower-case) in `s`, or NULL; a NULL section has no keys. */
const char *tp_ini_get(const tp_ini_section *s, const char *key);

#endif
