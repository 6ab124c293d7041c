#include "aws/xml.h"

#include <string.h>

#include <libxml/parser.h>

#include "aws/error.h"
#include "aws/util.h"

int tp_xml_parse(xmlDocPtr *out, const char *data, size_t len, const char *what)
{
	xmlDocPtr doc;

	*out = NULL;
	if (len > (size_t)0x7fffffff)
		return tp_error_set(TP_EAWS, "%s: response too large to parse", what);
	doc = xmlReadMemory(data, (int)len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
			    XML_PARSE_NOWARNING);
	if (!doc || !xmlDocGetRootElement(doc)) {
		xmlFreeDoc(doc);
		return tp_error_set(TP_EAWS, "%s: the response is not XML", what);
	}
	*out = doc;
	return 0;
}

xmlNodePtr tp_xml_root(xmlDocPtr doc)
{
	return doc ? xmlDocGetRootElement(doc) : NULL;
}

xmlNodePtr tp_xml_child(xmlNodePtr parent, const char *name)
{
	xmlNodePtr n;

	for (n = parent ? parent->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, name) == 0)
			return n;
	return NULL;
}

xmlNodePtr tp_xml_path(xmlNodePtr from, const char *path)
{
	char name[128];

	while (from && path && *path) {
		size_t n = strcspn(path, "/");
		if (n >= sizeof(name))
			return NULL;
		memcpy(name, path, n);
		name[n] = '\0';
		from = tp_xml_child(from, name);
		path += n;
		if (*path == '/')
			path++;
	}
	return from;
}

char *tp_xml_text(xmlNodePtr from, const char *path)
{
	xmlNodePtr n = tp_xml_path(from, path);
	xmlChar *content;
	char *s;

	if (!n)
		return NULL;
	content = xmlNodeGetContent(n);
	s = tp_xstrdup(content ? (const char *)content : "");
	xmlFree(content);
	return s;
}

const char *tp_xml_text_buf(xmlNodePtr from, const char *path, char *buf, size_t size)
{
	char *s = tp_xml_text(from, path);

	tp_strlcpy(buf, s ? s : "", size);
	free(s);
	return buf;
}

int tp_xml_foreach(xmlNodePtr from, const char *path,
		   int (*fn)(void *ctx, xmlNodePtr node), void *ctx)
{
	const char *last = strrchr(path, '/');
	char parent[256];
	xmlNodePtr p, n;
	int rc;

	if (last) {
		size_t len = (size_t)(last - path);
		if (len >= sizeof(parent))
			return 0;
		memcpy(parent, path, len);
		parent[len] = '\0';
		p = tp_xml_path(from, parent);
		last++;
	} else {
		p = from;
		last = path;
	}
	for (n = p ? p->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, last) != 0)
			continue;
		rc = fn(ctx, n);
		if (rc)
			return rc;
	}
	return 0;
}
