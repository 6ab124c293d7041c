/*
 * What the protocol files (client_query.c, client_json.c, client_rest.c)
 * share with the core (client.c): a request in wire form and the one
 * function that signs, sends and retries it.
 */
#ifndef TP_CLIENT_INTERNAL_H
#define TP_CLIENT_INTERNAL_H

#include "aws/client.h"

#define TP_WIRE_MAX_HEADERS 24

typedef struct tp_wire {
	const tp_service *svc;
	const char *operation;
	const char *region;          /* resolved: never NULL */
	const char *method;
	const char *bucket;          /* S3 only */
	tp_buf path;                 /* percent-encoded, starts with '/' */
	tp_buf query;                /* encoded query string, may be empty */
	tp_header headers[TP_WIRE_MAX_HEADERS]; /* borrowed name/value pointers */
	size_t nheaders;
	const void *body;
	size_t body_len;
} tp_wire;

/* Set up `w` for `service` in `region` (NULL = the client's). -1 on error. */
int tp_wire_init(tp_wire *w, tp_aws_client *c, const char *service, const char *region,
		 const char *operation, const char *method);
void tp_wire_release(tp_wire *w);
int tp_wire_add_header(tp_wire *w, const char *name, const char *value);

/*
 * Sign, send and retry `w`. On success (2xx) returns 0 with the response
 * in `resp`; otherwise the parsed error (see client.h for the codes).
 */
int tp_client_perform(tp_aws_client *c, tp_wire *w, tp_http_response *resp);

/* Parse an error response of `protocol` into code, message, request id. */
typedef struct tp_aws_fault {
	char code[128];
	char message[1024];
	char request_id[128];
} tp_aws_fault;

void tp_aws_fault_parse(tp_aws_fault *f, tp_protocol protocol, const tp_http_response *resp);

/* TP_ENOTFOUND / TP_EAUTH / TP_ETHROTTLED / TP_EAWS for an AWS error code. */
int tp_aws_fault_class(const tp_aws_fault *f, long status);

/*
 * The JSON value of a successful response: {} for an empty body or `null`.
 * TP_EAWS naming service and operation when the body is not JSON.
 */
int tp_json_response(json_t **out, const tp_http_response *resp, const char *service,
		     const char *operation);

/* Append `params` form-encoded to `out` ('&'-separated from what is there). */
void tp_params_encode(tp_buf *out, const tp_params *params);

#endif
