/* The query and EC2 protocols: form-encoded POST, XML response. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client_internal.h"
#include "aws/error.h"
#include "aws/xml.h"

#define FORM_TYPE "application/x-www-form-urlencoded; charset=utf-8"

int tp_aws_query(tp_aws_client *c, xmlDocPtr *out, const char *service,
		 const char *region, const char *action, const tp_params *params)
{
	tp_http_response resp = TP_HTTP_RESPONSE_INIT;
	tp_buf body = TP_BUF_INIT;
	tp_wire w;
	int rc;

	*out = NULL;
	if ((rc = tp_wire_init(&w, c, service, region, action, "POST")) < 0)
		return rc;
	if (w.svc->protocol != TP_PROTO_QUERY && w.svc->protocol != TP_PROTO_EC2) {
		rc = tp_error_set(TP_EINVAL, "%s does not speak the query protocol", service);
		goto done;
	}
	tp_buf_addf(&body, "Action=%s&Version=%s", action, w.svc->api_version);
	tp_params_encode(&body, params);   /* appends "&k=v" pairs */
	w.body = body.ptr;
	w.body_len = body.len;
	tp_wire_add_header(&w, "Content-Type", FORM_TYPE);
	if ((rc = tp_client_perform(c, &w, &resp)) < 0)
		goto done;
	rc = tp_xml_parse(out, resp.body.ptr, resp.body.len, action);
	if (rc < 0)
		tp_error_prefix("%s ", service);
done:
	tp_http_response_release(&resp);
	tp_buf_release(&body);
	tp_wire_release(&w);
	return rc;
}

/* The token is in <ActionResult>/<out_key> (or directly under the root for EC2). */
static char *next_token(xmlDocPtr doc, const char *action, const char *out_key)
{
	xmlNodePtr root = tp_xml_root(doc);
	char result[160];
	char *tok, *truncated;

	snprintf(result, sizeof(result), "%sResult", action);
	tok = tp_xml_text(tp_xml_child(root, result), out_key);
	if (!tok)
		tok = tp_xml_text(root, out_key);
	if (tok && !*tok) {
		free(tok);
		return NULL;
	}
	/* Marker-style (IAM): only follow while IsTruncated is true. */
	truncated = tp_xml_text(tp_xml_child(root, result), "IsTruncated");
	if (truncated && strcmp(truncated, "true") != 0) {
		free(tok);
		tok = NULL;
	}
	free(truncated);
	return tok;
}

int tp_aws_query_paginate(tp_aws_client *c, const char *service, const char *region,
			  const char *action, const tp_params *params,
			  const char *in_key, const char *out_key,
			  int (*page)(void *ctx, xmlDocPtr doc), void *ctx)
{
	char *token = NULL;
	int rc = 0;

	do {
		tp_params p = TP_PARAMS_INIT;
		xmlDocPtr doc = NULL;
		size_t i;

		for (i = 0; params && i < params->n; i++)
			tp_params_add(&p, params->keys[i], params->values[i]);
		if (token)
			tp_params_add(&p, in_key, token);
		free(token);
		token = NULL;
		rc = tp_aws_query(c, &doc, service, region, action, &p);
		tp_params_release(&p);
		if (rc < 0)
			break;
		rc = page(ctx, doc);
		if (rc == 0)
			token = next_token(doc, action, out_key);
		xmlFreeDoc(doc);
	} while (rc == 0 && token);
	free(token);
	return rc;
}
