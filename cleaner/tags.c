#include "cleaner/tags.h"

#include <stdlib.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/xml.h"
#include "cleaner/fields.h"

static const char *first_str(const json_t *o, const char *a, const char *b, const char *c)
{
	const char *v = tp_jstr(o, a);

	if (!v)
		v = tp_jstr(o, b);
	if (!v)
		v = tp_jstr(o, c);
	return v;
}

void tp_tags_from_json(tp_resource *r, const json_t *tags)
{
	const char *k;
	json_t *v;
	size_t i;

	if (json_is_object(tags)) {
		json_object_foreach((json_t *)tags, k, v)
			tp_resource_add_tag(r, k, json_is_string(v) ? json_string_value(v) : "");
		return;
	}
	json_array_foreach(tags, i, v) {
		k = first_str(v, "Key", "key", "TagKey");
		if (k)
			tp_resource_add_tag(r, k, first_str(v, "Value", "value", "TagValue"));
	}
}

static int add_xml_tag(void *ctx, xmlNodePtr node)
{
	char *k = tp_xml_text(node, "Key"), *v = tp_xml_text(node, "Value");

	if (!k) {                    /* EC2: <item><key/><value/></item> */
		k = tp_xml_text(node, "key");
		free(v);
		v = tp_xml_text(node, "value");
	}
	if (k)
		tp_resource_add_tag(ctx, k, v);
	free(k);
	free(v);
	return 0;
}

void tp_tags_from_xml(tp_resource *r, xmlNodePtr from, const char *path)
{
	tp_xml_foreach(from, path, add_xml_tag, r);
}

void tp_tags_unreadable(tp_resource *r)
{
	char buf[1024];

	tp_resource_skip(r, "tags unreadable: %s", tp_error_format(tp_error_last(), buf, sizeof(buf)));
	tp_error_clear();
}

void tp_tags_add(tp_resource_list *out, tp_resource *r, int rc)
{
	if (rc == TP_ENOTFOUND) {
		tp_resource_free(r);
		tp_error_clear();
		return;
	}
	if (rc < 0)
		tp_tags_unreadable(r);
	tp_error_clear();
	tp_resource_list_add(out, r);
}

int tp_tags_json(tp_aws_client *c, const char *service, const char *region,
		 const char *operation, json_t *body, const char *tags_key, tp_resource *r)
{
	json_t *resp = NULL;
	int rc = tp_aws_json(c, &resp, service, region, operation, body);

	if (rc == 0)
		tp_tags_from_json(r, json_object_get(resp, tags_key));
	json_decref(body);
	json_decref(resp);
	return rc;
}

int tp_tags_json_arn(tp_aws_client *c, const char *service, const char *region,
		     const char *arn_key, const char *tags_key, tp_resource *r)
{
	if (!r->arn)
		return tp_error_set(TP_EAWS, "no ARN");
	return tp_tags_json(c, service, region, "ListTagsForResource",
			    json_pack("{s:s}", arn_key, r->arn), tags_key, r);
}

static int tag_page(void *arg, json_t *resp)
{
	tp_tags_from_json(arg, json_object_get(resp, "Tags"));
	return 0;
}

int tp_tags_json_paged(tp_aws_client *c, const char *service, const char *region,
		       const char *operation, json_t *body, const char *in_key,
		       const char *out_key, tp_resource *r)
{
	int rc = tp_aws_json_paginate(c, service, region, operation, body, in_key, out_key,
				      tag_page, r);

	json_decref(body);
	return rc;
}

int tp_tags_json_by_key(tp_aws_client *c, const char *service, const char *region,
			const char *operation, json_t *body, tp_resource *r)
{
	json_t *resp = NULL;
	int rc, more = 1;

	while (more) {
		json_t *tags, *last;

		rc = tp_aws_json(c, &resp, service, region, operation, body);
		if (rc < 0)
			break;
		tags = json_object_get(resp, "Tags");
		tp_tags_from_json(r, tags);
		last = json_array_get(tags, json_array_size(tags) - 1);
		more = tp_jbool(resp, "HasMoreTags") && tp_jstr(last, "Key");
		if (more)
			json_object_set_new(body, "ExclusiveStartTagKey", json_string(tp_jstr(last, "Key")));
		json_decref(resp);
		resp = NULL;
	}
	json_decref(body);
	return rc;
}

int tp_tags_query(tp_aws_client *c, const char *service, const char *region,
		  const char *key, const char *value, tp_resource *r)
{
	tp_params p = TP_PARAMS_INIT;
	xmlDocPtr doc = NULL;
	int rc;

	tp_params_add(&p, key, value);
	rc = tp_aws_query(c, &doc, service, region, "ListTagsForResource", &p);
	if (rc == 0)
		tp_tags_from_xml(r, tp_xml_root(doc), "ListTagsForResourceResult/Tags/member");
	xmlFreeDoc(doc);
	tp_params_release(&p);
	return rc;
}

int tp_tags_rest(tp_aws_client *c, const char *service, const char *region,
		 const char *prefix, const char *arn, tp_resource *r)
{
	tp_buf path = TP_BUF_INIT;
	json_t *resp = NULL, *tags;
	int rc;

	tp_buf_adds(&path, prefix);
	tp_aws_uri_escape(&path, arn, 0);
	rc = tp_aws_rest_json(c, &resp, service, region, "ListTags", "GET", tp_buf_cstr(&path),
			      NULL, NULL);
	if (rc == 0) {
		tags = json_object_get(resp, "Tags");
		tp_tags_from_json(r, tags ? tags : json_object_get(resp, "tags"));
	}
	json_decref(resp);
	tp_buf_release(&path);
	return rc;
}
