/*
 * Fuzz the path a JSON (JSON 1.0/1.1 and REST-JSON) response takes:
 * tp_json_response, the error-body parser (tp_aws_fault_parse) for every
 * protocol with the body and the X-Amzn-ErrorType header, and the readers
 * other modules use on what it returns: the cleaner's tp_jstr / tp_jbool /
 * tp_jtime and tags (cleaner/fields.h, cleaner/tags.h), the DynamoDB lease
 * store's item decoder (accounts/store_dynamodb.h), and the credential
 * document of the container endpoint and IMDS (tp_creds_from_json).
 *
 * Input (tests/fuzz/corpus/json/):
 *   byte 0   control: bits 0-2 the HTTP status of the error, bit 6 no
 *            headers at all;
 *   line 1   the X-Amzn-ErrorType (and request id) header value;
 *   the rest the response body.
 *
 * Whatever the bytes, nothing may crash, leak or overflow (UBSan checks the
 * conversions of huge numbers), and: a fault always has a code and a
 * message; tp_json_response returns a value or TP_EAWS naming the call;
 * readers agree with jansson (tp_jstr is the string member, tp_jtime of
 * a number is never negative); a decoded item has a 12-digit account; credentials read
 * from a document have every member the reader demands.
 */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "accounts/account.h"
#include "accounts/store_dynamodb.h"
#include "aws/client_internal.h"
#include "aws/creds_internal.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/fields.h"
#include "cleaner/resource.h"
#include "cleaner/tags.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_input.h"

#define MAX_VALUES 512      /* values visited per document: bounded time */

static const long statuses[8] = { 400, 403, 404, 409, 429, 500, 503, 301 };

struct input {
	unsigned ctl;
	char *header;
	char *body;
	size_t len;
};

static void check_terminated(const char *s, size_t size, int nonempty)
{
	if (!memchr(s, '\0', size) || (nonempty && !s[0]))
		abort();
}

static void response(tp_http_response *resp, const struct input *in, tp_header *headers,
		     size_t nheaders)
{
	resp->status = statuses[in->ctl & 7];
	resp->headers = headers;
	resp->nheaders = in->ctl & 0x40 ? 0 : nheaders;
	if (tp_buf_add(&resp->body, in->body, in->len) < 0)
		abort();
}

/* ---- error bodies ------------------------------------------------------------------ */

static void check_fault(const struct input *in, tp_protocol protocol)
{
	tp_header headers[] = {
		{ "x-amzn-errortype", in->header },
		{ "X-Amzn-RequestId", in->header },
	};
	tp_http_response resp = TP_HTTP_RESPONSE_INIT;
	tp_aws_fault f;
	int cls;

	response(&resp, in, headers, TP_ARRAY_SIZE(headers));
	tp_aws_fault_parse(&f, protocol, &resp);
	check_terminated(f.code, sizeof(f.code), 1);
	check_terminated(f.message, sizeof(f.message), 1);
	check_terminated(f.request_id, sizeof(f.request_id), 0);
	/* A JSON body's code is what follows the last '#', up to a ':'. */
	if (in->body[0] == '{' && strchr(f.code, ':'))
		abort();
	cls = tp_aws_fault_class(&f, resp.status);
	if (cls != TP_EAWS && cls != TP_ENOTFOUND && cls != TP_EAUTH && cls != TP_ETHROTTLED)
		abort();
	tp_buf_release(&resp.body);
}

/* ---- readers of a response ---------------------------------------------------------- */

/*
 * r->stack is the value of the last aws:cloudformation:stack-name tag (AWS
 * sends one; a response with several is not worth more than consistency),
 * NULL when there is none or it came without a value.
 */
static void check_stack(const tp_resource *r)
{
	const char *last = NULL;
	size_t i;

	for (i = 0; i < r->ntags; i++)
		if (strcmp(r->tags[i].key, "aws:cloudformation:stack-name") == 0)
			last = r->tags[i].value;
	if (r->stack ? !last || strcmp(r->stack, last) != 0 : last && *last)
		abort();
}

static const tp_resource_type fuzz_type = { "FuzzResource", 0, NULL, NULL, NULL, NULL };

static void read_tags(const json_t *tags)
{
	tp_resource *r = tp_resource_new(&fuzz_type, "us-east-1", "id");
	size_t i;

	tp_tags_from_json(r, tags);
	for (i = 0; i < r->ntags; i++)
		if (!r->tags[i].key || !r->tags[i].value)
			abort();
	check_stack(r);
	tp_resource_free(r);
}

static void read_item(json_t *item)
{
	tp_account a = TP_ACCOUNT_INIT;
	size_t i;

	if (tp_ddb_item_decode(&a, item, "fuzz-table") == 0) {
		if (!tp_is_account_id(a.id))
			abort();
		for (i = 0; i < a.n_stacks; i++)
			if (!a.stacks[i].name || !a.stacks[i].hash)
				abort();
	} else if (!strstr(tp_error_last()->msg, "fuzz-table")) {
		abort();
	}
	tp_account_release(&a);
	tp_error_clear();
}

/* What the cleaner's types and the lease store read from one object. */
static void read_object(json_t *o)
{
	const char *key;
	json_t *v;

	json_object_foreach(o, key, v) {
		if (tp_jstr(o, key) != (json_is_string(v) ? json_string_value(v) : NULL))
			abort();
		if (tp_jbool(o, key) != json_is_true(v))
			abort();
		if (tp_jtime(o, key) < 0 && json_is_number(v))
			abort();        /* a number is seconds since 1970 or unreadable (0) */
	}
	read_tags(o);
	read_tags(json_object_get(o, "Tags"));
	read_tags(json_object_get(o, "tags"));
	read_item(o);
}

static void walk(json_t *v, size_t *budget)
{
	const char *key;
	json_t *e;
	size_t i;

	if (!*budget)
		return;
	--*budget;
	if (json_is_object(v)) {
		read_object(v);
		json_object_foreach(v, key, e)
			walk(e, budget);
	} else if (json_is_array(v)) {
		read_tags(v);
		json_array_foreach(v, i, e)
			walk(e, budget);
	}
}

static void check_response(const struct input *in)
{
	tp_header headers[] = { { "Content-Type", "application/x-amz-json-1.0" } };
	tp_http_response resp = TP_HTTP_RESPONSE_INIT;
	size_t budget = MAX_VALUES;
	json_t *v = NULL;
	int rc;

	response(&resp, in, headers, TP_ARRAY_SIZE(headers));
	rc = tp_json_response(&v, &resp, "fuzz", "Op");
	if (rc < 0) {
		if (v || rc != TP_EAWS || !strstr(tp_error_last()->msg, "fuzz Op"))
			abort();
	} else {
		if (!v || json_is_null(v))
			abort();
		walk(v, &budget);
	}
	json_decref(v);
	tp_buf_release(&resp.body);
}

static void check_credentials(const struct input *in)
{
	tp_buf body = TP_BUF_INIT;
	const char *why = NULL;
	tp_creds c;

	if (tp_buf_add(&body, in->body, in->len) < 0)
		abort();
	if (tp_creds_from_json(&body, &c, &why) == 0) {
		if (!c.access_key_id || !c.secret_access_key || !c.session_token)
			abort();
	} else if (!why || c.access_key_id || c.secret_access_key || c.session_token) {
		abort();
	}
	tp_creds_release(&c);
	tp_buf_release(&body);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tp_fuzz_input raw = TP_FUZZ_INPUT(data, size);
	struct input in;
	int p;

	in.ctl = tp_fuzz_byte(&raw);
	in.header = tp_fuzz_line(&raw);
	in.body = tp_fuzz_rest(&raw, &in.len);
	for (p = TP_PROTO_QUERY; p <= TP_PROTO_REST_JSON; p++)
		check_fault(&in, (tp_protocol)p);
	check_response(&in);
	check_credentials(&in);
	tp_error_clear();
	free(in.header);
	free(in.body);
	return 0;
}
