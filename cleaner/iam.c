#include "cleaner/iam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/xml.h"
#include "cleaner/calls.h"
#include "cleaner/tags.h"

typedef struct collector {
	const char *field;
	json_t *out;
} collector;

static int collect_one(void *arg, xmlNodePtr item)
{
	collector *c = arg;
	char *text = tp_xml_text(item, c->field);

	if (text && *text)
		json_array_append_new(c->out, json_string(text));
	free(text);
	return 0;
}

int tp_iam_collect(tp_clean_ctx *ctx, const char *action, const char *key, const char *value,
		   const char *path, const char *field, json_t *out)
{
	collector c = { field, out };
	tp_params p = TP_PARAMS_INIT;
	char item_path[256];
	int rc;

	tp_params_add(&p, key, value);
	snprintf(item_path, sizeof(item_path), "%sResult/%s", action, path);
	rc = tp_each_query(ctx->client, "iam", TP_IAM_REGION, action, &p, "Marker", "Marker",
			   item_path, collect_one, &c);
	tp_params_release(&p);
	return rc;
}

int tp_iam_call(tp_clean_ctx *ctx, const char *action, const char *key, const char *value,
		const char *key2, const char *value2)
{
	tp_params p = TP_PARAMS_INIT;

	tp_params_add(&p, key, value);
	if (key2)
		tp_params_add(&p, key2, value2);
	return tp_call_query(ctx->client, "iam", TP_IAM_REGION, action, &p);
}

int tp_iam_each(tp_clean_ctx *ctx, const char *action, const char *key, const char *value,
		const char *name_key, const json_t *names)
{
	json_t *name;
	size_t i;
	int rc;

	json_array_foreach(names, i, name) {
		rc = tp_iam_call(ctx, action, key, value, name_key, json_string_value(name));
		if (rc == TP_ENOTFOUND) {
			tp_error_clear();
			continue;
		}
		if (rc < 0)
			return tp_error_prefix("%s %s of %s: ", action, json_string_value(name), value);
	}
	return 0;
}

int tp_iam_undo(tp_clean_ctx *ctx, const char *list_action, const char *path,
		const char *field, const char *action, const char *key, const char *value,
		const char *name_key)
{
	json_t *names = json_array();
	int rc = tp_iam_collect(ctx, list_action, key, value, path, field, names);

	if (rc == 0)
		rc = tp_iam_each(ctx, action, key, value, name_key, names);
	json_decref(names);
	return rc;
}

typedef struct tagger {
	tp_resource *r;
} tagger;

/* Tags/member of `n` or of one of its children; 1 when found. */
static int tags_under(tp_resource *r, xmlNodePtr n)
{
	xmlNodePtr m;

	if (tp_xml_child(n, "Tags")) {
		tp_tags_from_xml(r, n, "Tags/member");
		return 1;
	}
	for (m = n->children; m; m = m->next)
		if (m->type == XML_ELEMENT_NODE && tp_xml_child(m, "Tags")) {
			tp_tags_from_xml(r, m, "Tags/member");
			return 1;
		}
	return 0;
}

/*
 * <ListRoleTagsResult><Tags>, <GetInstanceProfileResult><InstanceProfile>
 * <Tags>: the result element's name varies, and so does the depth.
 */
static int tag_page(void *arg, xmlDocPtr doc)
{
	tagger *t = arg;
	xmlNodePtr root = tp_xml_root(doc), n;

	for (n = root ? root->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE && tags_under(t->r, n))
			break;
	return 0;
}

int tp_iam_tags(tp_clean_ctx *ctx, const char *action, const char *key, const char *value,
		tp_resource *r)
{
	tagger t = { r };
	tp_params p = TP_PARAMS_INIT;
	int rc;

	tp_params_add(&p, key, value);
	rc = tp_aws_query_paginate(ctx->client, "iam", TP_IAM_REGION, action, &p, "Marker",
				   "Marker", tag_page, &t);
	tp_params_release(&p);
	return rc;
}
