/* The JSON 1.0 / 1.1 protocol: POST / with X-Amz-Target, JSON both ways. */
#include <stdio.h>
#include <string.h>

#include "aws/client_internal.h"
#include "aws/error.h"

int tp_json_response(json_t **out, const tp_http_response *resp, const char *service,
		     const char *operation)
{
	json_error_t jerr;
	json_t *v;

	*out = NULL;
	if (!resp->body.len)
		v = json_object();
	else
		v = json_loadb(resp->body.ptr, resp->body.len, JSON_DECODE_ANY, &jerr);
	if (!v)
		return tp_error_set(TP_EAWS, "%s %s: the response is not JSON (%s)", service,
				    operation, jerr.text);
	/* Some services (KMS DeleteAlias on moto) answer `null`: no members. */
	if (json_is_null(v)) {
		json_decref(v);
		v = json_object();
	}
	*out = v;
	return 0;
}

int tp_aws_json(tp_aws_client *c, json_t **out, const char *service,
		const char *region, const char *operation, json_t *body)
{
	tp_http_response resp = TP_HTTP_RESPONSE_INIT;
	char target[192], ctype[64];
	char *text = NULL;
	tp_wire w;
	int rc;

	*out = NULL;
	if ((rc = tp_wire_init(&w, c, service, region, operation, "POST")) < 0)
		return rc;
	if (w.svc->protocol != TP_PROTO_JSON) {
		rc = tp_error_set(TP_EINVAL, "%s does not speak the JSON protocol", service);
		goto done;
	}
	text = body ? json_dumps(body, JSON_COMPACT) : strdup("{}");
	if (!text) {
		rc = tp_error_set(TP_EINVAL, "%s %s: the request cannot be encoded", service, operation);
		goto done;
	}
	snprintf(target, sizeof(target), "%s.%s", w.svc->target_prefix, operation);
	snprintf(ctype, sizeof(ctype), "application/x-amz-json-%s", w.svc->json_version);
	tp_wire_add_header(&w, "Content-Type", ctype);
	tp_wire_add_header(&w, "X-Amz-Target", target);
	w.body = text;
	w.body_len = strlen(text);
	if ((rc = tp_client_perform(c, &w, &resp)) < 0)
		goto done;
	rc = tp_json_response(out, &resp, service, operation);
done:
	free(text);
	tp_http_response_release(&resp);
	tp_wire_release(&w);
	return rc;
}

static const char *token_of(json_t *resp, const char *out_key)
{
	json_t *t = json_object_get(resp, out_key);

	return json_is_string(t) && *json_string_value(t) ? json_string_value(t) : NULL;
}

int tp_aws_json_paginate(tp_aws_client *c, const char *service, const char *region,
			 const char *operation, json_t *body, const char *in_key,
			 const char *out_key,
			 int (*page)(void *ctx, json_t *resp), void *ctx)
{
	json_t *req = body ? json_deep_copy(body) : json_object();
	json_t *resp = NULL;
	int rc;

	for (;;) {
		const char *tok;

		rc = tp_aws_json(c, &resp, service, region, operation, req);
		if (rc < 0)
			break;
		rc = page(ctx, resp);
		tok = token_of(resp, out_key);
		if (rc != 0 || !tok)
			break;
		json_object_set_new(req, in_key, json_string(tok));
		json_decref(resp);
		resp = NULL;
	}
	json_decref(resp);
	json_decref(req);
	return rc;
}
