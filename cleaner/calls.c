#include "cleaner/calls.h"

#include <stdlib.h>

#include "aws/error.h"
#include "aws/util.h"
#include "aws/xml.h"
#include "cleaner/fields.h"

int tp_call_query(tp_aws_client *c, const char *service, const char *region,
		  const char *action, tp_params *p)
{
	xmlDocPtr doc = NULL;
	int rc = tp_aws_query(c, &doc, service, region, action, p);

	xmlFreeDoc(doc);
	if (p)
		tp_params_release(p);
	return rc;
}

int tp_call_json(tp_aws_client *c, const char *service, const char *region,
		 const char *operation, json_t *body)
{
	json_t *resp = NULL;
	int rc = tp_aws_json(c, &resp, service, region, operation, body);

	json_decref(body);
	json_decref(resp);
	return rc;
}

typedef struct each_xml {
	const char *path;
	int (*fn)(void *arg, xmlNodePtr item);
	void *arg;
} each_xml;

static int xml_page(void *ctx, xmlDocPtr doc)
{
	each_xml *e = ctx;

	return tp_xml_foreach(tp_xml_root(doc), e->path, e->fn, e->arg);
}

int tp_each_query(tp_aws_client *c, const char *service, const char *region,
		  const char *action, const tp_params *p, const char *in_key,
		  const char *out_key, const char *item_path,
		  int (*fn)(void *arg, xmlNodePtr item), void *arg)
{
	each_xml e = { item_path, fn, arg };

	return tp_aws_query_paginate(c, service, region, action, p, in_key, out_key, xml_page, &e);
}

typedef struct each_json {
	const char *key;
	int (*fn)(void *arg, json_t *item);
	void *arg;
} each_json;

static int json_page(void *ctx, json_t *resp)
{
	each_json *e = ctx;
	json_t *item;
	size_t i;
	int rc;

	json_array_foreach(json_object_get(resp, e->key), i, item)
		if ((rc = e->fn(e->arg, item)) != 0)
			return rc;
	return 0;
}

int tp_each_json(tp_aws_client *c, const char *service, const char *region,
		 const char *operation, json_t *body, const char *in_key,
		 const char *out_key, const char *array_key,
		 int (*fn)(void *arg, json_t *item), void *arg)
{
	each_json e = { array_key, fn, arg };

	return tp_aws_json_paginate(c, service, region, operation, body, in_key, out_key,
				    json_page, &e);
}

int tp_each_rest_json(tp_aws_client *c, const char *service, const char *region,
		      const char *operation, const char *path, const tp_params *query,
		      const char *in_key, const char *out_key, const char *array_key,
		      int (*fn)(void *arg, json_t *item), void *arg)
{
	each_json e = { array_key, fn, arg };
	char *token = NULL;
	int rc;

	do {
		tp_params q = TP_PARAMS_INIT;
		json_t *resp = NULL;
		size_t i;

		for (i = 0; query && i < query->n; i++)
			tp_params_add(&q, query->keys[i], query->values[i]);
		if (token)
			tp_params_add(&q, in_key, token);
		free(token);
		token = NULL;
		rc = tp_aws_rest_json(c, &resp, service, region, operation, "GET", path, &q, NULL);
		tp_params_release(&q);
		if (rc == 0)
			rc = json_page(&e, resp);
		if (rc == 0 && tp_jstr(resp, out_key) && *tp_jstr(resp, out_key))
			token = tp_xstrdup(tp_jstr(resp, out_key));
		json_decref(resp);
	} while (rc == 0 && token);
	free(token);
	return rc;
}

int tp_each_json_name(tp_aws_client *c, const char *service, const char *region,
		      const char *operation, json_t *body, const char *names_key,
		      const char *start_key, const char *more_key,
		      int (*fn)(void *arg, const char *name, json_t *page, size_t i), void *arg)
{
	int rc, more;

	do {
		json_t *resp = NULL, *names, *n;
		const char *last = NULL;
		size_t i;

		rc = tp_aws_json(c, &resp, service, region, operation, body);
		if (rc < 0)
			break;
		names = json_object_get(resp, names_key);
		json_array_foreach(names, i, n) {
			if (!json_is_string(n))
				continue;
			rc = fn(arg, json_string_value(n), resp, i);
			if (rc != 0)
				break;
			last = json_string_value(n);
		}
		more = rc == 0 && last && tp_jbool(resp, more_key);
		if (more)
			json_object_set_new(body, start_key, json_string(last));
		json_decref(resp);
	} while (more);
	json_decref(body);
	return rc;
}

int tp_gone_result(int rc)
{
	if (rc == TP_ENOTFOUND) {
		tp_error_clear();
		return 1;
	}
	return rc < 0 ? rc : 0;
}
