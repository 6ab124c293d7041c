/*
 * The real CloudFormation table (runner/deploy_cfn.h): requests in the
 * query protocol's form (Parameters.member.1.ParameterKey, ...), responses
 * read with aws/xml.h by local names, errors taken from the client's error
 * state. The artifacts bucket is created on the first upload of an account
 * (BucketAlreadyOwnedByYou counts as success).
 */
#include "runner/deploy_cfn.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"
#include "aws/xml.h"
#include "runner/deploy_command.h"

#define SVC "cloudformation"

struct tp_cfn_account {
	char account[16];
	char *region;
	char *endpoint_url;
	char *project;
	char *project_dir;
	char *log_dir;
	tp_aws_client *client;
	atomic_int bucket_ready;
};

/* ---- parsing ------------------------------------------------------------------ */

static char *text(xmlNodePtr n, const char *path)
{
	return tp_xml_text(n, path);
}

static int add_pair(void *ctx, xmlNodePtr n, const char *k, const char *v)
{
	char *key = text(n, k), *value = text(n, v);

	if (key)
		tp_kv_list_add(ctx, key, value ? value : "");
	free(key);
	free(value);
	return 0;
}

static int add_tag(void *ctx, xmlNodePtr n)
{
	return add_pair(ctx, n, "Key", "Value");
}

static int add_output(void *ctx, xmlNodePtr n)
{
	return add_pair(ctx, n, "OutputKey", "OutputValue");
}

int tp_cfn_parse_describe_stacks(tp_cfn_result *out, xmlDocPtr doc)
{
	xmlNodePtr root = tp_xml_root(doc), stacks = tp_xml_path(root, "DescribeStacksResult/Stacks");
	xmlNodePtr m = stacks ? tp_xml_child(stacks, "member") : NULL;
	tp_cfn_stack *s = &out->stack;

	if (!tp_xml_path(root, "DescribeStacksResult"))
		return tp_cfn_result_error(out, TP_EAWS, NULL,
					   "DescribeStacks: unexpected response (no DescribeStacksResult)");
	out->has_stack = m != NULL;
	if (!m)
		return 0;
	s->stack_id = text(m, "StackId");
	s->stack_name = text(m, "StackName");
	s->status = text(m, "StackStatus");
	s->status_reason = text(m, "StackStatusReason");
	tp_xml_foreach(m, "Tags/member", add_tag, &s->tags);
	tp_xml_foreach(m, "Outputs/member", add_output, &s->outputs);
	return 0;
}

static int add_event(void *ctx, xmlNodePtr n)
{
	tp_cfn_event *e = tp_cfn_result_add_event(ctx);

	e->event_id = text(n, "EventId");
	e->stack_id = text(n, "StackId");
	e->logical_id = text(n, "LogicalResourceId");
	e->physical_id = text(n, "PhysicalResourceId");
	e->resource_type = text(n, "ResourceType");
	e->status = text(n, "ResourceStatus");
	e->reason = text(n, "ResourceStatusReason");
	e->client_request_token = text(n, "ClientRequestToken");
	e->timestamp = text(n, "Timestamp");
	return 0;
}

int tp_cfn_parse_stack_events(tp_cfn_result *out, xmlDocPtr doc)
{
	xmlNodePtr r = tp_xml_path(tp_xml_root(doc), "DescribeStackEventsResult");

	if (!r)
		return tp_cfn_result_error(out, TP_EAWS, NULL, "DescribeStackEvents: unexpected "
					   "response (no DescribeStackEventsResult)");
	tp_xml_foreach(r, "StackEvents/member", add_event, out);
	out->next_token = text(r, "NextToken");
	return 0;
}

int tp_cfn_parse_stack_id(tp_cfn_result *out, xmlDocPtr doc)
{
	xmlNodePtr root = tp_xml_root(doc);
	xmlNodePtr r = root ? tp_xml_child(root, "CreateStackResult") : NULL;

	if (!r && root)
		r = tp_xml_child(root, "UpdateStackResult");
	out->stack_id = r ? text(r, "StackId") : NULL;
	return 0;
}

int tp_cfn_result_from_error(tp_cfn_result *out, int rc)
{
	const tp_error *e = tp_error_last();
	const char *msg = e->msg, *words = strstr(msg, ": ");

	/* The client writes "cloudformation CreateStack: <AWS's message>": keep AWS's words. */
	if (e->aws_code[0] && words)
		msg = words + 2;
	tp_cfn_result_error(out, rc, e->aws_code, msg);
	out->http_status = e->http_status;
	if (e->request_id[0])
		out->request_id = tp_xstrdup(e->request_id);
	return rc;
}

/* ---- requests ------------------------------------------------------------------- */

/* Add `value` under the key formatted from fmt ("Tags.member.3.Key"). */
static void add_at(tp_params *p, const char *value, const char *fmt, size_t i)
{
	char key[64];

	snprintf(key, sizeof(key), fmt, i);
	tp_params_add(p, key, value);
}

static void add_template_params(tp_params *p, const tp_cfn_request *q)
{
	size_t i;

	tp_params_add(p, "StackName", q->stack);
	if (q->template_url) {
		tp_params_add(p, "TemplateURL", q->template_url);
	} else {
		char *body = tp_xstrndup(q->template_body, q->template_len);

		tp_params_add(p, "TemplateBody", body);
		free(body);
	}
	for (i = 0; i < q->nparameters; i++) {
		add_at(p, q->parameters[i].key, "Parameters.member.%zu.ParameterKey", i + 1);
		add_at(p, q->parameters[i].value, "Parameters.member.%zu.ParameterValue", i + 1);
	}
	for (i = 0; i < q->ncapabilities; i++)
		add_at(p, q->capabilities[i], "Capabilities.member.%zu", i + 1);
	for (i = 0; i < q->ntags; i++) {
		add_at(p, q->tags[i].key, "Tags.member.%zu.Key", i + 1);
		add_at(p, q->tags[i].value, "Tags.member.%zu.Value", i + 1);
	}
	if (q->client_request_token)
		tp_params_add(p, "ClientRequestToken", q->client_request_token);
}

/* One query call for the stack of `q`, labelled for the call log. */
static int query(tp_cfn_account *a, const tp_cfn_request *q, const char *action,
		 const tp_params *p, xmlDocPtr *doc, tp_cfn_result *out)
{
	int rc;

	tp_deploy_calls_label(a->account, q->stack_name);
	rc = tp_aws_query(a->client, doc, SVC, a->region, action, p);
	tp_deploy_calls_unlabel();
	if (rc < 0)
		return tp_cfn_result_from_error(out, rc);
	return 0;
}

static int describe_stacks(void *acct, const tp_cfn_request *q, tp_cfn_result *out)
{
	tp_params p = TP_PARAMS_INIT;
	xmlDocPtr doc = NULL;
	int rc;

	tp_params_add(&p, "StackName", q->stack);
	rc = query(acct, q, "DescribeStacks", &p, &doc, out);
	if (rc == 0)
		rc = tp_cfn_parse_describe_stacks(out, doc);
	xmlFreeDoc(doc);
	tp_params_release(&p);
	return out->rc = rc;
}

static int write_stack(void *acct, const tp_cfn_request *q, tp_cfn_result *out,
		       const char *action)
{
	tp_params p = TP_PARAMS_INIT;
	xmlDocPtr doc = NULL;
	int rc;

	add_template_params(&p, q);
	rc = query(acct, q, action, &p, &doc, out);
	if (rc == 0)
		rc = tp_cfn_parse_stack_id(out, doc);
	xmlFreeDoc(doc);
	tp_params_release(&p);
	return out->rc = rc;
}

static int create_stack(void *acct, const tp_cfn_request *q, tp_cfn_result *out)
{
	return write_stack(acct, q, out, "CreateStack");
}

static int update_stack(void *acct, const tp_cfn_request *q, tp_cfn_result *out)
{
	return write_stack(acct, q, out, "UpdateStack");
}

static int delete_stack(void *acct, const tp_cfn_request *q, tp_cfn_result *out)
{
	tp_params p = TP_PARAMS_INIT;
	xmlDocPtr doc = NULL;
	int rc;

	tp_params_add(&p, "StackName", q->stack);
	if (q->client_request_token)
		tp_params_add(&p, "ClientRequestToken", q->client_request_token);
	rc = query(acct, q, "DeleteStack", &p, &doc, out);
	xmlFreeDoc(doc);
	tp_params_release(&p);
	return out->rc = rc;
}

static int describe_stack_events(void *acct, const tp_cfn_request *q, tp_cfn_result *out)
{
	tp_params p = TP_PARAMS_INIT;
	xmlDocPtr doc = NULL;
	int rc;

	tp_params_add(&p, "StackName", q->stack);
	if (q->next_token)
		tp_params_add(&p, "NextToken", q->next_token);
	rc = query(acct, q, "DescribeStackEvents", &p, &doc, out);
	if (rc == 0)
		rc = tp_cfn_parse_stack_events(out, doc);
	xmlFreeDoc(doc);
	tp_params_release(&p);
	return out->rc = rc;
}

/* ---- the artifacts bucket ---------------------------------------------------------- */

char *tp_cfn_template_url(const char *bucket, const char *region, const char *key,
			  const char *endpoint_url)
{
	if (endpoint_url && *endpoint_url)
		return tp_xasprintf("https://s3.%s.amazonaws.com/%s/%s", region, bucket, key);
	return tp_xasprintf("https://%s.s3.%s.amazonaws.com/%s", bucket, region, key);
}

static int s3(tp_cfn_account *a, const tp_cfn_request *q, tp_rest_request *req)
{
	tp_rest_response resp = TP_REST_RESPONSE_INIT;
	int rc;

	tp_deploy_calls_label(a->account, q->stack_name);
	rc = tp_aws_rest(a->client, &resp, "s3", a->region, req);
	tp_deploy_calls_unlabel();
	tp_http_response_release(&resp);
	return rc;
}

static int create_bucket(tp_cfn_account *a, const tp_cfn_request *q)
{
	tp_rest_request req;
	char *body = NULL;
	int rc;

	memset(&req, 0, sizeof(req));
	req.operation = "CreateBucket";
	req.method = "PUT";
	req.bucket = q->bucket;
	req.path = "/";
	if (strcmp(a->region, "us-east-1") != 0) {
		body = tp_xasprintf("<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/"
				    "doc/2006-03-01/\"><LocationConstraint>%s</LocationConstraint>"
				    "</CreateBucketConfiguration>", a->region);
		req.body = body;
		req.body_len = strlen(body);
		req.content_type = "application/xml";
	}
	rc = s3(a, q, &req);
	if (rc < 0 && strcmp(tp_error_last()->aws_code, "BucketAlreadyOwnedByYou") == 0)
		rc = 0;
	free(body);
	return rc;
}

static int put_template(void *acct, const tp_cfn_request *q, tp_cfn_result *out)
{
	tp_cfn_account *a = acct;
	tp_rest_request req;
	tp_buf path = TP_BUF_INIT;
	int rc = 0;

	if (!atomic_load(&a->bucket_ready) && (rc = create_bucket(a, q)) == 0)
		atomic_store(&a->bucket_ready, 1);
	if (rc < 0)
		return out->rc = tp_cfn_result_from_error(out, rc);
	tp_buf_addc(&path, '/');
	tp_aws_uri_escape(&path, q->key, 1);
	memset(&req, 0, sizeof(req));
	req.operation = "PutObject";
	req.method = "PUT";
	req.bucket = q->bucket;
	req.path = tp_buf_cstr(&path);
	req.body = q->template_body;
	req.body_len = q->template_len;
	req.content_type = "application/octet-stream";
	rc = s3(a, q, &req);
	if (rc < 0)
		tp_cfn_result_from_error(out, rc);
	else
		out->template_url = tp_cfn_template_url(q->bucket, a->region, q->key,
							a->endpoint_url);
	tp_buf_release(&path);
	return out->rc = rc;
}

/* ---- command stacks -------------------------------------------------------------------- */

static int run_command(void *acct, const tp_cfn_request *q, tp_cfn_result *out)
{
	tp_cfn_account *a = acct;
	tp_deploy_command cmd = TP_DEPLOY_COMMAND_INIT;
	tp_creds creds = TP_CREDS_INIT;
	int rc = tp_creds_get(tp_aws_client_creds(a->client), &creds);

	if (rc < 0)
		return out->rc = tp_cfn_result_from_error(out, rc);
	cmd.command = q->command;
	cmd.stack = q->stack_name;
	cmd.hash = q->hash;
	cmd.account = a->account;
	cmd.region = a->region;
	cmd.project = a->project;
	cmd.endpoint_url = a->endpoint_url;
	cmd.cwd = a->project_dir;
	cmd.creds = &creds;
	cmd.env = q->env;
	cmd.nenv = q->nenv;
	if (a->log_dir)
		out->log_path = tp_xasprintf("%s/%s/%s.log", a->log_dir, a->account, q->stack_name);
	cmd.log_path = out->log_path;
	rc = tp_deploy_command_run(&cmd, &out->exit_status);
	if (rc < 0)
		tp_cfn_result_error(out, rc, NULL, tp_error_last()->msg);
	tp_creds_release(&creds);
	return out->rc = rc;
}

const tp_cfn_ops tp_cfn_aws_ops = {
	"aws",
	describe_stacks,
	create_stack,
	update_stack,
	delete_stack,
	describe_stack_events,
	put_template,
	run_command,
};

/* ---- accounts --------------------------------------------------------------------------- */

int tp_cfn_account_new(tp_cfn_account **out, const tp_cfn_account_opts *o)
{
	tp_aws_client_opts co = TP_AWS_CLIENT_OPTS_INIT;
	tp_cfn_account *a = tp_xcalloc(1, sizeof(*a));
	int rc;

	*out = NULL;
	tp_strlcpy(a->account, o->account, sizeof(a->account));
	a->region = tp_xstrdup(o->region);
	/* what commands get as AWS_ENDPOINT_URL, and what shapes TemplateURL */
	a->endpoint_url = tp_xstrdup(o->endpoint_url ? o->endpoint_url : getenv("AWS_ENDPOINT_URL"));
	if (a->endpoint_url && !*a->endpoint_url) {
		free(a->endpoint_url);
		a->endpoint_url = NULL;
	}
	a->project = tp_xstrdup(o->project);
	a->project_dir = tp_xstrdup(o->project_dir);
	a->log_dir = tp_xstrdup(o->log_dir);
	co.region = o->region;
	co.creds = o->creds;
	co.endpoint_url = o->endpoint_url;
	co.max_attempts = o->max_attempts;
	co.retry_base_ms = o->retry_base_ms;
	co.observer = o->calls ? tp_deploy_calls_observe : NULL;
	co.observer_ctx = o->calls;
	rc = tp_aws_client_new(&a->client, &co);
	if (rc < 0) {
		tp_cfn_account_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

void tp_cfn_account_free(tp_cfn_account *a)
{
	if (!a)
		return;
	tp_aws_client_free(a->client);
	free(a->region);
	free(a->endpoint_url);
	free(a->project);
	free(a->project_dir);
	free(a->log_dir);
	free(a);
}

tp_aws_client *tp_cfn_account_client(tp_cfn_account *a)
{
	return a->client;
}
