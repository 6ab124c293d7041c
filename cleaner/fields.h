/*
 * Reading the fields resource types need out of AWS responses: strings,
 * timestamps (epoch numbers in JSON, ISO 8601 in XML and REST-JSON), and
 * the "already gone" test every remove makes.
 */
#ifndef TP_CLEANER_FIELDS_H
#define TP_CLEANER_FIELDS_H

#include <time.h>

#include <jansson.h>
#include <libxml/tree.h>

/* o[key] when it is a string, else NULL (o may be NULL). Borrowed. */
const char *tp_jstr(const json_t *o, const char *key);

/* o[key] when it is true; 0 otherwise. */
int tp_jbool(const json_t *o, const char *key);

/*
 * o[key] as a time: a number of seconds (JSON protocol; milliseconds when
 * it is too large to be seconds) or an ISO 8601 string. 0 when absent or
 * unreadable.
 */
time_t tp_jtime(const json_t *o, const char *key);

/* The ISO 8601 text at `path` under `from` as a time; 0 when absent. */
time_t tp_xml_time(xmlNodePtr from, const char *path);

/* Is the calling thread's last error the AWS code `code`? */
int tp_error_is(const char *code);

#endif
