/*
 * Reading AWS XML responses (libxml2) by local element names, ignoring
 * namespaces: tp_xml_text(root, "GetCallerIdentityResult/Arn").
 */
#ifndef TP_XML_H
#define TP_XML_H

#include <stddef.h>

#include <libxml/tree.h>

/*
 * Parse a response body. No network, no entity expansion. Returns 0, or
 * TP_EAWS with a message naming `what` when the body is not XML.
 */
int tp_xml_parse(xmlDocPtr *out, const char *data, size_t len, const char *what);

xmlNodePtr tp_xml_root(xmlDocPtr doc);

/* First child element of `parent` named `name`; NULL if none. */
xmlNodePtr tp_xml_child(xmlNodePtr parent, const char *name);

/* Follow "A/B/C" from `from` (first match at each step); "" or NULL = from. */
xmlNodePtr tp_xml_path(xmlNodePtr from, const char *path);

/* Text of the element at `path` (caller frees); NULL when absent. */
char *tp_xml_text(xmlNodePtr from, const char *path);

/* Same, copied into buf (truncated); "" when absent. Returns buf. */
const char *tp_xml_text_buf(xmlNodePtr from, const char *path, char *buf, size_t size);

/*
 * Call `fn` for every element named like the last component of `path`
 * under the element the rest of the path names: "Stacks/member" calls fn
 * for each <member> of <Stacks>. Stops when fn returns non-zero and returns
 * that value; 0 otherwise (also when the parent is absent).
 */
int tp_xml_foreach(xmlNodePtr from, const char *path,
		   int (*fn)(void *ctx, xmlNodePtr node), void *ctx);

#endif
