/*
 * Error responses of every protocol, parsed into code / message / request
 * id, and classified into our error codes.
 *
 *   query:     <ErrorResponse><Error><Code/><Message/></Error><RequestId/></ErrorResponse>
 *   EC2:       <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
 *   REST-XML:  <Error><Code/><Message/><RequestId/></Error> (HEAD: no body)
 *   JSON:      {"__type": "ns#Code", "message": ...} and X-Amzn-ErrorType
 *   REST-JSON: X-Amzn-ErrorType: Code:uri, {"message"|"Message"}
 */
#include <string.h>

#include <jansson.h>

#include "aws/client_internal.h"
#include "aws/error.h"
#include "aws/util.h"
#include "aws/xml.h"

static void set(char *dst, size_t size, const char *src)
{
	if (src && *src && !*dst)
		tp_strlcpy(dst, src, size);
}

/* "com.amazon.x#Code:http://..." -> "Code" */
static void set_code(tp_aws_fault *f, const char *raw)
{
	const char *hash, *start;
	size_t n;

	if (!raw || !*raw || f->code[0])
		return;
	hash = strrchr(raw, '#');
	start = hash ? hash + 1 : raw;
	n = strcspn(start, ":");
	if (n >= sizeof(f->code))
		n = sizeof(f->code) - 1;
	memcpy(f->code, start, n);
	f->code[n] = '\0';
}

static void parse_xml(tp_aws_fault *f, const tp_http_response *resp)
{
	xmlDocPtr doc;
	xmlNodePtr root, err;
	char tmp[1024];

	if (tp_xml_parse(&doc, resp->body.ptr, resp->body.len, "error") < 0)
		return;
	root = tp_xml_root(doc);
	err = tp_xml_path(root, "Error");
	if (!err)
		err = tp_xml_path(root, "Errors/Error");
	if (!err && strcmp((const char *)root->name, "Error") == 0)
		err = root;
	if (err) {
		set(f->code, sizeof(f->code), tp_xml_text_buf(err, "Code", tmp, sizeof(tmp)));
		set(f->message, sizeof(f->message), tp_xml_text_buf(err, "Message", tmp, sizeof(tmp)));
		set(f->request_id, sizeof(f->request_id), tp_xml_text_buf(err, "RequestId", tmp, sizeof(tmp)));
	}
	set(f->request_id, sizeof(f->request_id), tp_xml_text_buf(root, "RequestId", tmp, sizeof(tmp)));
	set(f->request_id, sizeof(f->request_id), tp_xml_text_buf(root, "RequestID", tmp, sizeof(tmp)));
	xmlFreeDoc(doc);
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? json_string_value(v) : NULL;
}

static void parse_json(tp_aws_fault *f, const tp_http_response *resp)
{
	json_t *o;

	set_code(f, tp_http_header(resp, "x-amzn-errortype"));
	if (!resp->body.len)
		return;
	o = json_loadb(resp->body.ptr, resp->body.len, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		return;
	}
	set_code(f, jstr(o, "__type"));
	set_code(f, jstr(o, "code"));
	set_code(f, jstr(o, "Code"));
	set(f->message, sizeof(f->message), jstr(o, "message"));
	set(f->message, sizeof(f->message), jstr(o, "Message"));
	set(f->message, sizeof(f->message), jstr(o, "errorMessage"));
	json_decref(o);
}

/* What a bodiless error (S3 HEAD) means. */
static const char *status_code(long status)
{
	switch (status) {
	case 301: return "PermanentRedirect";
	case 400: return "BadRequest";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 429: return "TooManyRequests";
	case 500: return "InternalError";
	case 503: return "ServiceUnavailable";
	default: return NULL;
	}
}

void tp_aws_fault_parse(tp_aws_fault *f, tp_protocol protocol, const tp_http_response *resp)
{
	const char *b = tp_buf_cstr(&resp->body);
	int json = protocol == TP_PROTO_JSON || protocol == TP_PROTO_REST_JSON;

	memset(f, 0, sizeof(*f));
	/* Trust the body over the protocol: gateways and emulators answer
	 * auth failures of JSON services in XML, and the reverse happens. */
	while (*b == ' ' || *b == '\n' || *b == '\r' || *b == '\t')
		b++;
	if (*b == '<')
		json = 0;
	else if (*b == '{')
		json = 1;
	if (json)
		parse_json(f, resp);
	else if (resp->body.len)
		parse_xml(f, resp);
	set(f->request_id, sizeof(f->request_id), tp_http_header(resp, "x-amzn-requestid"));
	set(f->request_id, sizeof(f->request_id), tp_http_header(resp, "x-amz-request-id"));
	set(f->code, sizeof(f->code), status_code(resp->status));
	if (!f->code[0])
		tp_strlcpy(f->code, "UnknownError", sizeof(f->code));
	if (!f->message[0])
		tp_strlcpy(f->message, resp->body.len ? "(no message)" : "(empty response)",
			   sizeof(f->message));
}

static int is_not_found(const tp_aws_fault *f)
{
	const char *c = f->code;

	if (tp_starts_with(c, "NoSuch") || tp_ends_with(c, "NotFound") ||
	    tp_ends_with(c, "NotFoundException") || tp_ends_with(c, "NotFoundFault") ||
	    strstr(c, "NonExistent") || strstr(c, "DoesNotExist"))
		return 1;
	/* CloudFormation: ValidationError "Stack with id X does not exist". */
	return strcmp(c, "ValidationError") == 0 && strstr(f->message, "does not exist");
}

static int is_auth(const char *c)
{
	static const char *const codes[] = {
		"SignatureDoesNotMatch", "InvalidClientTokenId", "UnrecognizedClientException",
		"InvalidAccessKeyId", "ExpiredToken", "ExpiredTokenException",
		"InvalidSignatureException", "IncompleteSignature", "MissingAuthenticationToken",
		"InvalidToken", "AuthFailure",
	};
	size_t i;

	for (i = 0; i < TP_ARRAY_SIZE(codes); i++)
		if (strcmp(c, codes[i]) == 0)
			return 1;
	return 0;
}

int tp_aws_fault_class(const tp_aws_fault *f, long status)
{
	if (tp_retry_classify(0, status, f->code) == TP_RETRY_THROTTLE)
		return TP_ETHROTTLED;
	if (is_not_found(f))
		return TP_ENOTFOUND;
	if (is_auth(f->code))
		return TP_EAUTH;
	return TP_EAWS;
}
