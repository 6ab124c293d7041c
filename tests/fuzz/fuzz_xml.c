/*
 * Fuzz the path an AWS XML response takes: tp_xml_parse and the aws/xml.h
 * accessors, the error-body parser of every protocol (tp_aws_fault_parse),
 * and the readers other modules build on them: STS credentials, the
 * CloudFormation parsers of runner/deploy_cfn.h (and the deployer's state
 * machine fed what they parse), the cleaner's tags and timestamps.
 *
 * Input (tests/fuzz/corpus/xml/):
 *   byte 0   control: bits 0-2 the HTTP status of the error (table below),
 *            bit 3 a command stack, bit 4 force, bit 5 a template too large
 *            for TemplateBody (PutTemplate first);
 *   line 1   a header value (x-amzn-ErrorType, the request id headers) and
 *            a path for the accessors ("DescribeStacksResult/Stacks/member");
 *   line 2   the deployer's script: character i is the answer to its i-th
 *            call: t throttled, n not found, u "No updates are to be
 *            performed.", e a 500, x a reset, d access denied; anything else
 *            (and past the end) the body, parsed for that call;
 *   the rest the response body.
 *
 * Whatever the bytes, nothing may crash, leak or read out of bounds, and:
 * a fault always has a code and a message, NUL-terminated in their arrays,
 * and a class among the four; a parsed document's accessors agree with each
 * other (a child found by name has that name, text_buf is a truncation of
 * text); the state machine reaches DONE (or is cancelled) with a message
 * whenever it fails.
 */
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "aws/client_internal.h"
#include "aws/error.h"
#include "aws/sts.h"
#include "aws/util.h"
#include "aws/xml.h"
#include "cleaner/fields.h"
#include "cleaner/resource.h"
#include "cleaner/tags.h"
#include "runner/deploy_cfn.h"
#include "runner/deploy_sm.h"
#include "tests/fuzz/fuzz.h"
#include "tests/fuzz/fuzz_input.h"

#define MAX_ELEMENTS 512     /* elements visited per document: bounded time */
#define MAX_STEPS 160        /* state machine events before it is cancelled */

static const long statuses[8] = { 400, 403, 404, 409, 429, 500, 503, 301 };

struct input {
	unsigned ctl;
	char *header;
	char *script;
	char *body;
	size_t len;
};

static void check_terminated(const char *s, size_t size, int nonempty)
{
	if (!memchr(s, '\0', size) || (nonempty && !s[0]))
		abort();
}

/* ---- error bodies ------------------------------------------------------------------ */

static void check_fault(const struct input *in, tp_protocol protocol)
{
	tp_header headers[] = {
		{ "X-Amzn-ErrorType", in->header },
		{ "x-amzn-RequestId", in->header },
		{ "x-amz-request-id", in->header },
	};
	tp_http_response resp = TP_HTTP_RESPONSE_INIT;
	tp_aws_fault f;
	int cls;

	resp.status = statuses[in->ctl & 7];
	resp.headers = headers;
	resp.nheaders = in->ctl & 0x40 ? 0 : TP_ARRAY_SIZE(headers);
	if (tp_buf_add(&resp.body, in->body, in->len) < 0)
		abort();
	tp_aws_fault_parse(&f, protocol, &resp);
	check_terminated(f.code, sizeof(f.code), 1);
	check_terminated(f.message, sizeof(f.message), 1);
	check_terminated(f.request_id, sizeof(f.request_id), 0);
	cls = tp_aws_fault_class(&f, resp.status);
	if (cls != TP_EAWS && cls != TP_ENOTFOUND && cls != TP_EAUTH && cls != TP_ETHROTTLED)
		abort();
	tp_buf_release(&resp.body);
}

/* ---- the accessors ----------------------------------------------------------------- */

static int count(void *ctx, xmlNodePtr node)
{
	if (node->type != XML_ELEMENT_NODE)
		abort();
	++*(size_t *)ctx;
	return 0;
}

/* text_buf is text cut to the buffer, "" when absent. */
static void check_text(xmlNodePtr from, const char *path)
{
	char *text = tp_xml_text(from, path);
	char small[8], one[1];

	tp_xml_text_buf(from, path, small, sizeof(small));
	tp_xml_text_buf(from, path, one, sizeof(one));
	if (one[0] || strlen(small) >= sizeof(small) ||
	    strncmp(small, text ? text : "", strlen(small)) != 0)
		abort();
	if (text && strlen(text) < sizeof(small) && strcmp(small, text) != 0)
		abort();
	if (!text != !tp_xml_path(from, path))
		abort();
	free(text);
}

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

/* What the cleaner's types read from an element of a listing. */
static void read_like_a_type(xmlNodePtr el)
{
	tp_resource *r = tp_resource_new(&fuzz_type, "us-east-1", "id");

	tp_tags_from_xml(r, el, "Tags/member");
	tp_tags_from_xml(r, el, "tagSet/item");
	tp_tags_from_xml(r, el, "TagSet/Tag");
	r->created = tp_xml_time(el, "CreateDate");
	check_stack(r);
	tp_resource_free(r);
}

/* Every element (up to a bound): found again by name, its text read, read as a resource. */
static void walk(xmlNodePtr parent, size_t *budget)
{
	xmlNodePtr n, first;

	for (n = parent->children; n && *budget; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		--*budget;
		first = tp_xml_child(parent, (const char *)n->name);
		if (!first || strcmp((const char *)first->name, (const char *)n->name) != 0)
			abort();
		if (strlen((const char *)n->name) < 128 && tp_xml_path(parent, (const char *)n->name) != first)
			abort();
		check_text(n, "");
		read_like_a_type(n);
		walk(n, budget);
	}
}

static void check_paths(xmlNodePtr root, const char *path)
{
	size_t n = 0;

	check_text(root, path);
	tp_xml_foreach(root, path, count, &n);
	if (n > MAX_ELEMENTS * 8 + 1000)
		abort();       /* more children than a bounded input holds */
	(void)tp_xml_time(root, path);
}

/* ---- STS ---------------------------------------------------------------------------- */

static void read_sts(xmlDocPtr doc)
{
	static const char *const actions[] = { "AssumeRole", "AssumeRoleWithWebIdentity" };
	size_t i;

	for (i = 0; i < TP_ARRAY_SIZE(actions); i++) {
		tp_creds c;

		if (tp_sts_parse_credentials(doc, actions[i], &c) == 0) {
			if (!c.access_key_id || !c.secret_access_key)
				abort();
			if (c.account_id && strlen(c.account_id) != 12)
				abort();
			tp_creds_release(&c);
		} else if (c.access_key_id || c.secret_access_key || c.session_token) {
			abort();   /* failed, yet handed out credentials */
		}
	}
}

/* ---- CloudFormation and the deployer ------------------------------------------------ */

static void check_result(const tp_cfn_result *r)
{
	size_t i;

	for (i = 0; i < r->stack.tags.n; i++)
		if (!r->stack.tags.items[i].key || !r->stack.tags.items[i].value)
			abort();
	for (i = 0; i < r->stack.outputs.n; i++)
		if (!r->stack.outputs.items[i].key || !r->stack.outputs.items[i].value)
			abort();
	if (r->rc < 0 && !r->message)
		abort();
}

/* What the real table would answer to `op` when AWS sent `doc` (NULL: not XML). */
static void answer_with(tp_cfn_result *out, tp_cfn_op op, xmlDocPtr doc)
{
	if (!doc && op <= TP_CFN_DESCRIBE_STACK_EVENTS && op != TP_CFN_DELETE_STACK) {
		tp_cfn_result_error(out, TP_EAWS, NULL, "the response is not XML");
		return;
	}
	switch (op) {
	case TP_CFN_DESCRIBE_STACKS:
		out->rc = tp_cfn_parse_describe_stacks(out, doc);
		break;
	case TP_CFN_CREATE_STACK:
	case TP_CFN_UPDATE_STACK:
		out->rc = tp_cfn_parse_stack_id(out, doc);
		break;
	case TP_CFN_DESCRIBE_STACK_EVENTS:
		out->rc = tp_cfn_parse_stack_events(out, doc);
		break;
	case TP_CFN_PUT_TEMPLATE:
		out->template_url = tp_xstrdup("https://bucket.s3.amazonaws.com/key");
		break;
	default:          /* DeleteStack has no answer; RunCommand exited 0 */
		break;
	}
	check_result(out);
}

static void answer(tp_cfn_result *out, const tp_cfn_request *req, char how, xmlDocPtr doc)
{
	switch (how) {
	case 't': tp_cfn_result_error(out, TP_ETHROTTLED, "Throttling", "Rate exceeded"); break;
	case 'n': tp_cfn_result_error(out, TP_ENOTFOUND, "ValidationError",
				      "Stack with id fuzz does not exist"); break;
	case 'u': tp_cfn_result_error(out, TP_EAWS, "ValidationError",
				      "No updates are to be performed."); break;
	case 'e': tp_cfn_result_error(out, TP_EAWS, "InternalFailure", "internal");
		  out->http_status = 500; break;
	case 'x': tp_cfn_result_error(out, TP_ENET, NULL, "connection reset"); break;
	case 'd': tp_cfn_result_error(out, TP_EAUTH, "AccessDenied", "denied"); break;
	default: answer_with(out, req->op, doc); break;
	}
}

static void check_done(const tp_dsm_action *a)
{
	switch (a->outcome) {
	case TP_DEPLOY_CREATED: case TP_DEPLOY_UPDATED: case TP_DEPLOY_SKIPPED:
	case TP_DEPLOY_CANCELLED:
		break;
	case TP_DEPLOY_FAILED:
		if (!a->message || !a->message[0])
			abort();
		break;
	default:
		abort();
	}
}

static void deploy(const struct input *in, xmlDocPtr doc)
{
	static char big[TP_DSM_TEMPLATE_BODY_MAX + 2];
	static const tp_kv tags[] = { { "team", "fuzz" } };
	tp_dsm_stack s = { "fuzz", "0123abcd", NULL, 0, NULL, NULL, 0, NULL, 0,
			   tags, 1, NULL, 0 };
	tp_dsm_opts o = TP_DSM_OPTS_INIT;
	size_t script_len = strlen(in->script), step;
	const tp_dsm_action *a;
	tp_dsm *m;

	if (in->ctl & 8) {
		s.command = "true";
	} else if (in->ctl & 0x20) {
		memset(big, ' ', sizeof(big) - 1);
		memcpy(big, "Resources: {}", 13);
		s.template_body = big;
		s.template_len = sizeof(big) - 1;
	} else {
		s.template_body = "Resources: {}";
		s.template_len = 13;
	}
	o.account = "111111111111";
	o.region = "us-east-1";
	o.project = "fuzz";
	o.force = (in->ctl & 0x10) != 0;
	m = tp_dsm_new(&s, &o);
	a = tp_dsm_start(m);
	for (step = 0; a->kind != TP_DSM_DONE && step < MAX_STEPS; step++) {
		if (a->kind == TP_DSM_CALL) {
			tp_cfn_result r = TP_CFN_RESULT_INIT;

			answer(&r, &a->req, step < script_len ? in->script[step] : 'o', doc);
			a = tp_dsm_feed(m, &r);
			tp_cfn_result_release(&r);
		} else if (a->kind == TP_DSM_WAIT) {
			if (a->wait_ms <= 0)
				abort();
			a = tp_dsm_timer(m);
		} else {
			abort();
		}
	}
	if (a->kind != TP_DSM_DONE) {
		a = tp_dsm_cancel(m);
		if (a->kind != TP_DSM_DONE || a->outcome != TP_DEPLOY_CANCELLED)
			abort();
	}
	check_done(a);
	if (tp_dsm_calls(m) > step)
		abort();
	tp_dsm_free(m);
}

static void parse_cloudformation(xmlDocPtr doc)
{
	tp_cfn_result r = TP_CFN_RESULT_INIT;

	answer_with(&r, TP_CFN_DESCRIBE_STACKS, doc);
	if (r.rc == 0 && r.has_stack != (tp_xml_path(tp_xml_root(doc),
						     "DescribeStacksResult/Stacks/member") != NULL))
		abort();
	tp_cfn_result_release(&r);
	answer_with(&r, TP_CFN_DESCRIBE_STACK_EVENTS, doc);
	tp_cfn_result_release(&r);
	answer_with(&r, TP_CFN_CREATE_STACK, doc);
	tp_cfn_result_release(&r);
}

/* ---- the entry ------------------------------------------------------------------------ */

static void check_document(const struct input *in)
{
	xmlDocPtr doc = NULL;
	size_t budget = MAX_ELEMENTS;
	int rc;

	rc = tp_xml_parse(&doc, in->body, in->len, "fuzz");
	if (rc < 0) {
		if (doc || rc != TP_EAWS || !strstr(tp_error_last()->msg, "fuzz"))
			abort();
		deploy(in, NULL);
		return;
	}
	if (!tp_xml_root(doc))
		abort();
	walk(tp_xml_root(doc), &budget);
	check_paths(tp_xml_root(doc), in->header);
	read_sts(doc);
	parse_cloudformation(doc);
	deploy(in, doc);
	xmlFreeDoc(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	tp_fuzz_input raw = TP_FUZZ_INPUT(data, size);
	struct input in;
	int p;

	if (!init) {
		xmlInitParser();
		init = 1;
	}
	in.ctl = tp_fuzz_byte(&raw);
	in.header = tp_fuzz_line(&raw);
	in.script = tp_fuzz_line(&raw);
	in.body = tp_fuzz_rest(&raw, &in.len);
	for (p = TP_PROTO_QUERY; p <= TP_PROTO_REST_JSON; p++)
		check_fault(&in, (tp_protocol)p);
	check_document(&in);
	tp_error_clear();
	free(in.header);
	free(in.script);
	free(in.body);
	return 0;
}
