/* REST-XML (S3) and REST-JSON (Lambda, API Gateway). */
#include <string.h>

#include "aws/client_internal.h"
#include "aws/error.h"

static int check_path(const char *path, const char *op)
{
	if (!path || path[0] != '/')
		return tp_error_set(TP_EINVAL, "%s: request path must start with '/'", op);
	return 0;
}

int tp_aws_rest(tp_aws_client *c, tp_rest_response *out, const char *service,
		const char *region, const tp_rest_request *req)
{
	tp_wire w;
	size_t i;
	int rc;

	tp_http_response_release(out);
	if ((rc = tp_wire_init(&w, c, service, region, req->operation, req->method)) < 0)
		return rc;
	if (w.svc->protocol != TP_PROTO_REST_XML && w.svc->protocol != TP_PROTO_REST_JSON) {
		rc = tp_error_set(TP_EINVAL, "%s is not a REST service", service);
		goto done;
	}
	if ((rc = check_path(req->path, req->operation)) < 0)
		goto done;
	w.bucket = req->bucket;
	tp_buf_adds(&w.path, req->path);
	tp_params_encode(&w.query, req->query);
	if (req->content_type)
		tp_wire_add_header(&w, "Content-Type", req->content_type);
	for (i = 0; i < req->nheaders; i++)
		if ((rc = tp_wire_add_header(&w, req->headers[i].name, req->headers[i].value)) < 0)
			goto done;
	w.body = req->body;
	w.body_len = req->body_len;
	rc = tp_client_perform(c, &w, out);
done:
	tp_wire_release(&w);
	return rc;
}

int tp_aws_rest_json(tp_aws_client *c, json_t **out, const char *service,
		     const char *region, const char *operation, const char *method,
		     const char *path, const tp_params *query, json_t *body)
{
	tp_rest_response resp = TP_REST_RESPONSE_INIT;
	tp_rest_request req;
	char *text = NULL;
	int rc;

	*out = NULL;
	memset(&req, 0, sizeof(req));
	req.operation = operation;
	req.method = method;
	req.path = path;
	req.query = query;
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		req.body = text;
		req.body_len = text ? strlen(text) : 0;
		req.content_type = "application/json";
	}
	if ((rc = tp_aws_rest(c, &resp, service, region, &req)) < 0)
		goto done;
	rc = tp_json_response(out, &resp, service, operation);
done:
	free(text);
	tp_http_response_release(&resp);
	return rc;
}
