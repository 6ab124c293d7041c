/*
 * The per-stack deploy state machine (runner/deploy_sm.h), fed the
 * responses CloudFormation sends. Successful responses are XML documents
 * shaped as the query protocol returns them (element names and nesting from
 * botocore's cloudformation service model, 2010-05-15: DescribeStacksResult/
 * Stacks/member, DescribeStackEventsResult/StackEvents/member with
 * NextToken, CreateStackResult/StackId) and go through the real parsers of
 * runner/deploy_cfn.c; errors are what the client makes of AWS's error
 * documents: the code and message as sent ("ValidationError", "Stack with
 * id api does not exist", "No updates are to be performed.", "Throttling",
 * "Rate exceeded").
 *
 * moto finishes stacks synchronously and never rolls back, so the
 * asynchronous paths live here: CREATE_FAILED with the first failed
 * resource from the events (across pages), ROLLBACK_COMPLETE deleted and
 * re-created, a stack in progress waited for, throttled polls, the backoff
 * from 1 s to 20 s with jitter, tokens, template uploads, command stacks.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"
#include "aws/xml.h"
#include "runner/deploy_cfn.h"
#include "runner/deploy_sm.h"

#define ACCOUNT "111111111111"
#define REGION "us-east-1"
#define HASH "9f2c1e7a5b3d4c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9012345678abcde"
#define OLD_HASH "0000000000000000000000000000000000000000000000000000000000000001"
#define STACK_ID "arn:aws:cloudformation:us-east-1:111111111111:stack/api/aaf549a0-a413-11df-adb3-5081b3858e83"
#define NEW_ID "arn:aws:cloudformation:us-east-1:111111111111:stack/api/0e2f1c60-1b2c-11ef-9b0a-0a1b2c3d4e5f"

static const tp_kv params[] = { { "Stage", "test" }, { "ReadCapacity", "5" } };
static const char *const caps[] = { "CAPABILITY_NAMED_IAM" };
static const tp_kv own_tags[] = { { "team", "shop" } };
static const char template_body[] = "Resources:\n  Table:\n    Type: AWS::DynamoDB::Table\n";

typedef struct fx {
	tp_dsm_stack st;
	tp_dsm_opts o;
	tp_dsm *m;
	const tp_dsm_action *a;
	double jitter[32];       /* consumed in order; then 0.5 */
	int njitter, used;
	char *big;               /* a template over the TemplateBody limit */
} fx;

static double next_jitter(void *ctx)
{
	fx *f = ctx;

	return f->used < f->njitter ? f->jitter[f->used++] : 0.5;
}

static int setup(void **state)
{
	fx *f = tp_xcalloc(1, sizeof(*f));
	tp_dsm_opts o = TP_DSM_OPTS_INIT;

	f->st.name = "api";
	f->st.hash = HASH;
	f->st.template_body = template_body;
	f->st.template_len = strlen(template_body);
	f->st.parameters = params;
	f->st.nparameters = 2;
	f->st.capabilities = caps;
	f->st.ncapabilities = 1;
	f->st.tags = own_tags;
	f->st.ntags = 1;
	o.account = ACCOUNT;
	o.region = REGION;
	o.project = "shop";
	o.run_id = "run-1";
	o.jitter = next_jitter;
	o.jitter_ctx = f;
	f->o = o;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;

	tp_dsm_free(f->m);
	free(f->big);
	free(f);
	return 0;
}

static const tp_dsm_action *start(fx *f)
{
	f->m = tp_dsm_new(&f->st, &f->o);
	return f->a = tp_dsm_start(f->m);
}

/* ---- AWS-shaped responses -------------------------------------------------------- */

typedef struct out_kv {
	const char *key, *value;
} out_kv;

/* A DescribeStacks response with one stack. */
static char *stacks_xml(const char *id, const char *status, const char *reason,
			const char *hash, const out_kv *outputs, size_t nout)
{
	tp_buf b = TP_BUF_INIT;
	size_t i;

	tp_buf_adds(&b, "<DescribeStacksResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\n"
		    "  <DescribeStacksResult>\n    <Stacks>\n      <member>\n"
		    "        <StackName>api</StackName>\n");
	tp_buf_addf(&b, "        <StackId>%s</StackId>\n", id);
	tp_buf_adds(&b, "        <Description>shop/api</Description>\n"
		    "        <Parameters>\n          <member>\n"
		    "            <ParameterKey>Stage</ParameterKey>\n"
		    "            <ParameterValue>test</ParameterValue>\n"
		    "          </member>\n        </Parameters>\n"
		    "        <CreationTime>2024-05-01T10:00:00.123Z</CreationTime>\n");
	tp_buf_addf(&b, "        <StackStatus>%s</StackStatus>\n", status);
	if (reason)
		tp_buf_addf(&b, "        <StackStatusReason>%s</StackStatusReason>\n", reason);
	tp_buf_adds(&b, "        <DisableRollback>false</DisableRollback>\n"
		    "        <NotificationARNs/>\n"
		    "        <Capabilities>\n          <member>CAPABILITY_NAMED_IAM</member>\n"
		    "        </Capabilities>\n");
	if (nout) {
		tp_buf_adds(&b, "        <Outputs>\n");
		for (i = 0; i < nout; i++)
			tp_buf_addf(&b, "          <member>\n            <Description>x</Description>\n"
				    "            <OutputKey>%s</OutputKey>\n"
				    "            <OutputValue>%s</OutputValue>\n"
				    "            <ExportName>shop-test-%s</ExportName>\n          </member>\n",
				    outputs[i].key, outputs[i].value, outputs[i].key);
		tp_buf_adds(&b, "        </Outputs>\n");
	}
	tp_buf_adds(&b, "        <Tags>\n          <member><Key>team</Key><Value>shop</Value></member>\n");
	if (hash)
		tp_buf_addf(&b, "          <member><Key>tidepool:hash</Key><Value>%s</Value></member>\n",
			    hash);
	tp_buf_adds(&b, "          <member><Key>tidepool:managed</Key><Value>true</Value></member>\n"
		    "        </Tags>\n"
		    "        <EnableTerminationProtection>false</EnableTerminationProtection>\n"
		    "        <DriftInformation><StackDriftStatus>NOT_CHECKED</StackDriftStatus></DriftInformation>\n"
		    "      </member>\n    </Stacks>\n  </DescribeStacksResult>\n"
		    "  <ResponseMetadata>\n    <RequestId>b9b4b068-3a41-11e5-94eb-example</RequestId>\n"
		    "  </ResponseMetadata>\n</DescribeStacksResponse>\n");
	return tp_buf_detach(&b);
}

typedef struct ev {
	const char *logical, *type, *status, *reason;
} ev;

/* A DescribeStackEvents page: `events` newest first, as AWS lists them. */
static char *events_xml(const ev *events, size_t n, const char *next_token)
{
	tp_buf b = TP_BUF_INIT;
	size_t i;

	tp_buf_adds(&b, "<DescribeStackEventsResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\n"
		    "  <DescribeStackEventsResult>\n    <StackEvents>\n");
	for (i = 0; i < n; i++) {
		int own = strcmp(events[i].type, "AWS::CloudFormation::Stack") == 0 &&
			  strcmp(events[i].logical, "api") == 0;

		tp_buf_addf(&b, "      <member>\n        <Timestamp>2024-05-01T10:%02zu:00.000Z</Timestamp>\n"
			    "        <ResourceStatus>%s</ResourceStatus>\n"
			    "        <StackId>%s</StackId>\n"
			    "        <EventId>%s-%zu</EventId>\n"
			    "        <LogicalResourceId>%s</LogicalResourceId>\n"
			    "        <StackName>api</StackName>\n"
			    "        <PhysicalResourceId>%s</PhysicalResourceId>\n"
			    "        <ResourceType>%s</ResourceType>\n",
			    59 - i, events[i].status, NEW_ID, events[i].logical, i, events[i].logical,
			    own ? NEW_ID : "", events[i].type);
		if (events[i].reason)
			tp_buf_addf(&b, "        <ResourceStatusReason>%s</ResourceStatusReason>\n",
				    events[i].reason);
		tp_buf_adds(&b, "        <ClientRequestToken>tidepool-x</ClientRequestToken>\n"
			    "      </member>\n");
	}
	tp_buf_adds(&b, "    </StackEvents>\n");
	if (next_token)
		tp_buf_addf(&b, "    <NextToken>%s</NextToken>\n", next_token);
	tp_buf_adds(&b, "  </DescribeStackEventsResult>\n  <ResponseMetadata>\n"
		    "    <RequestId>5ccc7dcd-744c-11e5-be70-example</RequestId>\n"
		    "  </ResponseMetadata>\n</DescribeStackEventsResponse>\n");
	return tp_buf_detach(&b);
}

static char *write_xml(const char *action, const char *id)
{
	return tp_xasprintf("<%sResponse xmlns=\"http://cloudformation.amazonaws.com/doc/2010-05-15/\">\n"
			    "  <%sResult>\n    <StackId>%s</StackId>\n  </%sResult>\n"
			    "  <ResponseMetadata><RequestId>b9b4b068-3a41-11e5-94eb-example</RequestId>"
			    "</ResponseMetadata>\n</%sResponse>\n", action, action, id, action, action);
}

/* ---- feeding ------------------------------------------------------------------------ */

typedef int (*parse_fn)(tp_cfn_result *, xmlDocPtr);

/* Parse `xml` (freed) with `parse` and feed the result. */
static const tp_dsm_action *feed_xml(fx *f, parse_fn parse, char *xml)
{
	tp_cfn_result r = TP_CFN_RESULT_INIT;
	xmlDocPtr doc = NULL;

	assert_int_equal(tp_xml_parse(&doc, xml, strlen(xml), "test"), 0);
	assert_int_equal(parse(&r, doc), 0);
	xmlFreeDoc(doc);
	free(xml);
	f->a = tp_dsm_feed(f->m, &r);
	tp_cfn_result_release(&r);
	return f->a;
}

static const tp_dsm_action *feed_stack(fx *f, const char *id, const char *status,
				       const char *hash)
{
	assert_int_equal(f->a->kind, TP_DSM_CALL);
	assert_int_equal(f->a->req.op, TP_CFN_DESCRIBE_STACKS);
	return feed_xml(f, tp_cfn_parse_describe_stacks, stacks_xml(id, status, NULL, hash, NULL, 0));
}

static const tp_dsm_action *feed_error(fx *f, int rc, const char *code, const char *msg)
{
	tp_cfn_result r = TP_CFN_RESULT_INIT;

	tp_cfn_result_error(&r, rc, code, msg);
	r.request_id = tp_xstrdup("4af14eec-350e-11e4-b260-example");
	f->a = tp_dsm_feed(f->m, &r);
	tp_cfn_result_release(&r);
	return f->a;
}

/* AWS failing past the client's retries: 500 InternalFailure. */
static const tp_dsm_action *feed_5xx(fx *f)
{
	tp_cfn_result r = TP_CFN_RESULT_INIT;

	tp_cfn_result_error(&r, TP_EAWS, "InternalFailure",
			    "The request processing has failed because of an unknown error.");
	r.http_status = 500;
	f->a = tp_dsm_feed(f->m, &r);
	tp_cfn_result_release(&r);
	return f->a;
}

static const tp_dsm_action *feed_missing(fx *f)
{
	assert_int_equal(f->a->req.op, TP_CFN_DESCRIBE_STACKS);
	return feed_error(f, TP_ENOTFOUND, "ValidationError", "Stack with id api does not exist");
}

static const tp_dsm_action *feed_written(fx *f, const char *id)
{
	tp_cfn_op op = f->a->req.op;

	assert_true(op == TP_CFN_CREATE_STACK || op == TP_CFN_UPDATE_STACK);
	return feed_xml(f, tp_cfn_parse_stack_id,
			write_xml(op == TP_CFN_CREATE_STACK ? "CreateStack" : "UpdateStack", id));
}

static const tp_dsm_action *feed_empty(fx *f)
{
	tp_cfn_result r = TP_CFN_RESULT_INIT;

	f->a = tp_dsm_feed(f->m, &r);
	return f->a;
}

/* The WAIT is in [lo, hi]; end it. */
static const tp_dsm_action *expect_wait(fx *f, int64_t lo, int64_t hi)
{
	assert_int_equal(f->a->kind, TP_DSM_WAIT);
	if (f->a->wait_ms < lo || f->a->wait_ms > hi)
		fail_msg("wait %lld ms, expected %lld..%lld", (long long)f->a->wait_ms,
			 (long long)lo, (long long)hi);
	return f->a = tp_dsm_timer(f->m);
}

static void expect_call(fx *f, tp_cfn_op op, const char *stack)
{
	assert_int_equal(f->a->kind, TP_DSM_CALL);
	if (f->a->req.op != op)
		fail_msg("asked for %s, expected %s", tp_cfn_op_name(f->a->req.op),
			 tp_cfn_op_name(op));
	if (stack)
		assert_string_equal(f->a->req.stack, stack);
}

static void expect_done(fx *f, tp_deploy_outcome outcome)
{
	assert_int_equal(f->a->kind, TP_DSM_DONE);
	if (f->a->outcome != outcome)
		fail_msg("ended %s (%s), expected %s", tp_deploy_outcome_name(f->a->outcome),
			 f->a->message ? f->a->message : "", tp_deploy_outcome_name(outcome));
}

static const char *tag(const tp_cfn_request *q, const char *key)
{
	size_t i;

	for (i = 0; i < q->ntags; i++)
		if (strcmp(q->tags[i].key, key) == 0)
			return q->tags[i].value;
	return NULL;
}

/* ---- the rules ----------------------------------------------------------------------- */

/* Same hash, CREATE_COMPLETE: skipped after exactly one DescribeStacks, outputs kept. */
static void test_deploy_sm__same_hash_is_skipped_with_one_call(void **state)
{
	fx *f = *state;
	static const out_kv outs[] = { { "TableName", "shop-test-orders" }, { "TableArn", "arn:t" } };

	start(f);
	expect_call(f, TP_CFN_DESCRIBE_STACKS, "api");
	feed_xml(f, tp_cfn_parse_describe_stacks,
		 stacks_xml(STACK_ID, "CREATE_COMPLETE", NULL, HASH, outs, 2));
	expect_done(f, TP_DEPLOY_SKIPPED);
	assert_int_equal(tp_dsm_calls(f->m), 1);
	assert_non_null(f->a->stack);
	assert_string_equal(f->a->stack->stack_id, STACK_ID);
	assert_int_equal(f->a->stack->outputs.n, 2);
	assert_string_equal(tp_kv_list_get(&f->a->stack->outputs, "TableName"), "shop-test-orders");
	assert_null(f->a->message);
}

static void test_deploy_sm__update_complete_same_hash_is_skipped(void **state)
{
	fx *f = *state;

	start(f);
	feed_stack(f, STACK_ID, "UPDATE_COMPLETE", HASH);
	expect_done(f, TP_DEPLOY_SKIPPED);
}

/* Missing: CreateStack with every tag, parameter, capability and a token; then polls. */
static void test_deploy_sm__missing_is_created(void **state)
{
	fx *f = *state;
	const tp_cfn_request *q;
	static const out_kv outs[] = { { "TableName", "shop-test-orders" } };

	start(f);
	feed_missing(f);
	expect_call(f, TP_CFN_CREATE_STACK, "api");
	q = &f->a->req;
	assert_non_null(q->template_body);
	assert_null(q->template_url);
	assert_memory_equal(q->template_body, template_body, q->template_len);
	assert_int_equal(q->nparameters, 2);
	assert_string_equal(q->parameters[1].key, "ReadCapacity");
	assert_int_equal(q->ncapabilities, 1);
	assert_int_equal(q->ntags, 4);
	assert_string_equal(tag(q, "team"), "shop");
	assert_string_equal(tag(q, "tidepool:hash"), HASH);
	assert_string_equal(tag(q, "tidepool:project"), "shop");
	assert_string_equal(tag(q, "tidepool:managed"), "true");
	assert_true(tp_starts_with(q->client_request_token, "tidepool-"));
	feed_written(f, NEW_ID);
	expect_wait(f, 1000, 1200);
	expect_call(f, TP_CFN_DESCRIBE_STACKS, NEW_ID);       /* polls by id */
	feed_stack(f, NEW_ID, "CREATE_IN_PROGRESS", HASH);
	expect_wait(f, 1600, 2400);
	feed_xml(f, tp_cfn_parse_describe_stacks,
		 stacks_xml(NEW_ID, "CREATE_COMPLETE", NULL, HASH, outs, 1));
	expect_done(f, TP_DEPLOY_CREATED);
	assert_string_equal(tp_kv_list_get(&f->a->stack->outputs, "TableName"), "shop-test-orders");
	assert_int_equal(tp_dsm_calls(f->m), 4);
}

/* Another hash: UpdateStack (by id); "No updates are to be performed." is success. */
static void test_deploy_sm__other_hash_is_updated(void **state)
{
	fx *f = *state;

	start(f);
	feed_stack(f, STACK_ID, "UPDATE_ROLLBACK_COMPLETE", OLD_HASH);
	expect_call(f, TP_CFN_UPDATE_STACK, STACK_ID);
	assert_string_equal(tag(&f->a->req, "tidepool:hash"), HASH);
	feed_written(f, STACK_ID);
	expect_wait(f, 1000, 1200);
	feed_stack(f, STACK_ID, "UPDATE_IN_PROGRESS", HASH);
	expect_wait(f, 1000, 20000);
	feed_stack(f, STACK_ID, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", HASH);
	expect_wait(f, 1000, 20000);
	feed_stack(f, STACK_ID, "UPDATE_COMPLETE", HASH);
	expect_done(f, TP_DEPLOY_UPDATED);
	assert_null(f->a->message);
}

static void test_deploy_sm__no_updates_is_success(void **state)
{
	fx *f = *state;

	start(f);
	feed_stack(f, STACK_ID, "CREATE_COMPLETE", OLD_HASH);
	expect_call(f, TP_CFN_UPDATE_STACK, STACK_ID);
	feed_error(f, TP_EAWS, "ValidationError", "No updates are to be performed.");
	expect_done(f, TP_DEPLOY_UPDATED);
	assert_string_equal(f->a->message, "no changes");
	assert_string_equal(f->a->stack->stack_id, STACK_ID);
}

/* A matching stack is deployed anyway with force. */
static void test_deploy_sm__force_updates_a_matching_stack(void **state)
{
	fx *f = *state;

	f->o.force = 1;
	start(f);
	feed_stack(f, STACK_ID, "CREATE_COMPLETE", HASH);
	expect_call(f, TP_CFN_UPDATE_STACK, STACK_ID);
}

/*
 * CreateStack, then the stack rolls back. The events (newest first) hold an
 * older failed operation, this operation's start, the real cause, and the
 * resources cancelled because of it: the cause is reported.
 */
static void test_deploy_sm__create_failed_names_the_first_failed_resource(void **state)
{
	fx *f = *state;
	static const ev events[] = {
		{ "api", "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE", NULL },
		{ "Queue", "AWS::SQS::Queue", "DELETE_COMPLETE", NULL },
		{ "Table", "AWS::DynamoDB::Table", "DELETE_COMPLETE", NULL },
		{ "api", "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS",
		  "The following resource(s) failed to create: [Queue, Table]. Rollback requested by user." },
		{ "Queue", "AWS::SQS::Queue", "CREATE_FAILED", "Resource creation cancelled" },
		{ "Table", "AWS::DynamoDB::Table", "CREATE_FAILED",
		  "Resource handler returned message: \"Table already exists: shop-test-orders\"" },
		{ "Queue", "AWS::SQS::Queue", "CREATE_IN_PROGRESS", NULL },
		{ "Table", "AWS::DynamoDB::Table", "CREATE_IN_PROGRESS", NULL },
		{ "api", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated" },
		{ "Old", "AWS::S3::Bucket", "CREATE_FAILED", "an earlier operation's failure" },
	};

	start(f);
	feed_missing(f);
	feed_written(f, NEW_ID);
	expect_wait(f, 1000, 1200);
	feed_stack(f, NEW_ID, "CREATE_IN_PROGRESS", HASH);
	expect_wait(f, 1000, 20000);
	feed_stack(f, NEW_ID, "ROLLBACK_IN_PROGRESS", HASH);
	expect_wait(f, 1000, 20000);
	feed_xml(f, tp_cfn_parse_describe_stacks,
		 stacks_xml(NEW_ID, "ROLLBACK_COMPLETE", "The following resource(s) failed to create: "
			    "[Queue, Table]. Rollback requested by user.", HASH, NULL, 0));
	expect_call(f, TP_CFN_DESCRIBE_STACK_EVENTS, NEW_ID);
	assert_null(f->a->req.next_token);
	feed_xml(f, tp_cfn_parse_stack_events, events_xml(events, TP_ARRAY_SIZE(events), NULL));
	expect_done(f, TP_DEPLOY_FAILED);
	assert_string_equal(f->a->message, "CREATE_FAILED Table (AWS::DynamoDB::Table): Resource "
			    "handler returned message: \"Table already exists: shop-test-orders\" "
			    "(stack ROLLBACK_COMPLETE)");
	assert_null(f->a->stack);
}

/* The failure is on the second page of events: the machine pages with NextToken. */
static void test_deploy_sm__failure_events_across_pages(void **state)
{
	fx *f = *state;
	static const ev page1[] = {
		{ "api", "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_COMPLETE", NULL },
		{ "Fn", "AWS::Lambda::Function", "UPDATE_COMPLETE", NULL },
		{ "Fn", "AWS::Lambda::Function", "UPDATE_FAILED", "a later failure" },
	};
	static const ev page2[] = {
		{ "Role", "AWS::IAM::Role", "UPDATE_FAILED", "User is not authorized to perform iam:PutRolePolicy" },
		{ "api", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated" },
		{ "api", "AWS::CloudFormation::Stack", "CREATE_COMPLETE", NULL },
	};

	start(f);
	feed_stack(f, STACK_ID, "CREATE_COMPLETE", OLD_HASH);
	feed_written(f, STACK_ID);
	expect_wait(f, 1000, 1200);
	feed_stack(f, STACK_ID, "UPDATE_ROLLBACK_COMPLETE", HASH);
	expect_call(f, TP_CFN_DESCRIBE_STACK_EVENTS, STACK_ID);
	feed_xml(f, tp_cfn_parse_stack_events, events_xml(page1, 3, "page-2-token"));
	expect_call(f, TP_CFN_DESCRIBE_STACK_EVENTS, STACK_ID);
	assert_string_equal(f->a->req.next_token, "page-2-token");
	feed_xml(f, tp_cfn_parse_stack_events, events_xml(page2, 3, "page-3-token"));
	expect_done(f, TP_DEPLOY_FAILED);
	assert_string_equal(f->a->message, "UPDATE_FAILED Role (AWS::IAM::Role): User is not "
			    "authorized to perform iam:PutRolePolicy (stack UPDATE_ROLLBACK_COMPLETE)");
}

/* No failed resource among the events: the stack's own reason is reported. */
static void test_deploy_sm__failure_without_resource_events(void **state)
{
	fx *f = *state;
	static const ev events[] = {
		{ "api", "AWS::CloudFormation::Stack", "ROLLBACK_COMPLETE", NULL },
		{ "api", "AWS::CloudFormation::Stack", "ROLLBACK_IN_PROGRESS", "Template error" },
		{ "api", "AWS::CloudFormation::Stack", "CREATE_IN_PROGRESS", "User Initiated" },
	};

	start(f);
	feed_missing(f);
	feed_written(f, NEW_ID);
	expect_wait(f, 1000, 1200);
	feed_xml(f, tp_cfn_parse_describe_stacks,
		 stacks_xml(NEW_ID, "ROLLBACK_COMPLETE", "Template error: unresolved reference",
			    HASH, NULL, 0));
	feed_xml(f, tp_cfn_parse_stack_events, events_xml(events, 3, NULL));
	expect_done(f, TP_DEPLOY_FAILED);
	assert_string_equal(f->a->message, "stack ROLLBACK_COMPLETE: Template error: unresolved reference");
}

/* A stack left in ROLLBACK_COMPLETE is deleted, waited for, and created again. */
static void test_deploy_sm__rollback_complete_is_deleted_and_recreated(void **state)
{
	fx *f = *state;
	char delete_token[TP_DSM_TOKEN_MAX];

	start(f);
	feed_stack(f, STACK_ID, "ROLLBACK_COMPLETE", OLD_HASH);
	expect_call(f, TP_CFN_DELETE_STACK, STACK_ID);
	assert_non_null(f->a->req.client_request_token);
	tp_strlcpy(delete_token, f->a->req.client_request_token, sizeof(delete_token));
	feed_empty(f);
	expect_wait(f, 1000, 1200);
	expect_call(f, TP_CFN_DESCRIBE_STACKS, STACK_ID);     /* by id: DELETE_COMPLETE stays visible */
	feed_stack(f, STACK_ID, "DELETE_IN_PROGRESS", OLD_HASH);
	expect_wait(f, 1600, 2400);
	feed_stack(f, STACK_ID, "DELETE_COMPLETE", OLD_HASH);
	expect_call(f, TP_CFN_CREATE_STACK, "api");
	assert_string_not_equal(f->a->req.client_request_token, delete_token);
	feed_written(f, NEW_ID);
	expect_wait(f, 1000, 1200);
	feed_stack(f, NEW_ID, "CREATE_COMPLETE", HASH);
	expect_done(f, TP_DEPLOY_CREATED);
}

static void test_deploy_sm__rollback_failed_and_review_are_deleted_too(void **state)
{
	fx *f = *state;
	static const char *const statuses[] = { "ROLLBACK_FAILED", "CREATE_FAILED", "REVIEW_IN_PROGRESS" };
	size_t i;

	for (i = 0; i < TP_ARRAY_SIZE(statuses); i++) {
		tp_dsm_free(f->m);
		start(f);
		feed_stack(f, STACK_ID, statuses[i], NULL);
		expect_call(f, TP_CFN_DELETE_STACK, STACK_ID);
		feed_empty(f);
		expect_wait(f, 1000, 1200);
		feed_missing(f);         /* gone already: create */
		expect_call(f, TP_CFN_CREATE_STACK, "api");
	}
}

/* Someone else's operation is waited for with backoff, then the decision is made again. */
static void test_deploy_sm__stack_in_progress_is_waited_for(void **state)
{
	fx *f = *state;

	f->jitter[0] = 0.0;
	f->jitter[1] = 0.0;
	f->jitter[2] = 0.0;
	f->njitter = 3;
	start(f);
	feed_stack(f, STACK_ID, "UPDATE_IN_PROGRESS", OLD_HASH);
	expect_wait(f, 1000, 1000);
	expect_call(f, TP_CFN_DESCRIBE_STACKS, "api");
	feed_stack(f, STACK_ID, "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", HASH);
	expect_wait(f, 1600, 1600);
	feed_stack(f, STACK_ID, "UPDATE_IN_PROGRESS", HASH);
	expect_wait(f, 3200, 3200);
	feed_stack(f, STACK_ID, "UPDATE_COMPLETE", HASH);
	expect_done(f, TP_DEPLOY_SKIPPED);     /* the other deployer brought our hash */
	assert_int_equal(tp_dsm_calls(f->m), 4);
}

static void test_deploy_sm__deletion_in_progress_then_create(void **state)
{
	fx *f = *state;

	start(f);
	feed_stack(f, STACK_ID, "DELETE_IN_PROGRESS", OLD_HASH);
	expect_wait(f, 1000, 1200);
	feed_missing(f);
	expect_call(f, TP_CFN_CREATE_STACK, "api");
}

/* Throttled polls back off and go on; too many in a row fail the stack. */
static void test_deploy_sm__throttled_polls(void **state)
{
	fx *f = *state;
	int i;

	f->o.max_errors = 4;
	start(f);
	feed_missing(f);
	feed_written(f, NEW_ID);
	expect_wait(f, 1000, 1200);
	feed_error(f, TP_ETHROTTLED, "Throttling", "Rate exceeded");
	expect_wait(f, 1000, 1200);
	expect_call(f, TP_CFN_DESCRIBE_STACKS, NEW_ID);
	feed_stack(f, NEW_ID, "CREATE_IN_PROGRESS", HASH);    /* the count starts again */
	expect_wait(f, 1600, 2400);
	for (i = 0; i < 4; i++) {
		feed_error(f, TP_ETHROTTLED, "Throttling", "Rate exceeded");
		assert_int_equal(f->a->kind, TP_DSM_WAIT);
		f->a = tp_dsm_timer(f->m);
	}
	feed_error(f, TP_ETHROTTLED, "Throttling", "Rate exceeded");
	expect_done(f, TP_DEPLOY_FAILED);
	assert_string_equal(f->a->message, "DescribeStacks: Rate exceeded (5 attempts)");
	assert_string_equal(f->a->aws_code, "Throttling");
}

/* A throttled CreateStack is sent again with the same token. */
static void test_deploy_sm__retried_create_keeps_its_token(void **state)
{
	fx *f = *state;
	char token[TP_DSM_TOKEN_MAX];

	start(f);
	feed_missing(f);
	expect_call(f, TP_CFN_CREATE_STACK, "api");
	tp_strlcpy(token, f->a->req.client_request_token, sizeof(token));
	feed_error(f, TP_ENET, NULL, "connection reset by peer");
	expect_wait(f, 1000, 1200);
	expect_call(f, TP_CFN_CREATE_STACK, "api");
	assert_string_equal(f->a->req.client_request_token, token);
	feed_error(f, TP_ETHROTTLED, "Throttling", "Rate exceeded");
	expect_wait(f, 1600, 2400);
	assert_string_equal(f->a->req.client_request_token, token);
	feed_5xx(f);
	expect_wait(f, 3200, 4800);
	expect_call(f, TP_CFN_CREATE_STACK, "api");
	assert_string_equal(f->a->req.client_request_token, token);
}

static void test_deploy_sm__tokens(void **state)
{
	char a[TP_DSM_TOKEN_MAX], b[TP_DSM_TOKEN_MAX];

	(void)state;
	tp_dsm_token(a, "run-1", ACCOUNT, REGION, "api", HASH, "CreateStack", 1);
	tp_dsm_token(b, "run-1", ACCOUNT, REGION, "api", HASH, "CreateStack", 1);
	assert_string_equal(a, b);
	assert_int_equal(strlen(a), 49);     /* "tidepool-" + 40: within CloudFormation's 128 */
	assert_int_equal(strspn(a + 9, "0123456789abcdef"), 40);
	tp_dsm_token(b, "run-1", ACCOUNT, REGION, "api", HASH, "CreateStack", 2);
	assert_string_not_equal(a, b);
	tp_dsm_token(b, "run-2", ACCOUNT, REGION, "api", HASH, "CreateStack", 1);
	assert_string_not_equal(a, b);
	tp_dsm_token(b, "run-1", "222222222222", REGION, "api", HASH, "CreateStack", 1);
	assert_string_not_equal(a, b);
	tp_dsm_token(b, "run-1", ACCOUNT, REGION, "api", OLD_HASH, "CreateStack", 1);
	assert_string_not_equal(a, b);
	tp_dsm_token(b, "run-1", ACCOUNT, REGION, "api", HASH, "UpdateStack", 1);
	assert_string_not_equal(a, b);
}

/* 1 s, doubling, capped at 20 s; jitter x[0.8, 1.2) within [1 s, 20 s]. */
static void test_deploy_sm__backoff_table(void **state)
{
	tp_dsm_opts o = TP_DSM_OPTS_INIT;
	static const struct { int n; double j; int64_t ms; } rows[] = {
		{ 0, 0.0, 1000 }, { 0, 0.5, 1000 }, { 0, 0.999, 1199 },
		{ 1, 0.0, 1600 }, { 1, 0.5, 2000 }, { 1, 0.999, 2399 },
		{ 2, 0.5, 4000 }, { 3, 0.5, 8000 }, { 4, 0.0, 12800 }, { 4, 0.5, 16000 },
		{ 4, 0.999, 19193 }, { 5, 0.0, 16000 }, { 5, 0.5, 20000 }, { 5, 0.999, 20000 },
		{ 50, 0.0, 16000 }, { 1000, 0.5, 20000 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(rows); i++)
		if (tp_dsm_backoff_ms(&o, rows[i].n, rows[i].j) != rows[i].ms)
			fail_msg("poll %d jitter %.3f: %lld ms, expected %lld", rows[i].n, rows[i].j,
				 (long long)tp_dsm_backoff_ms(&o, rows[i].n, rows[i].j),
				 (long long)rows[i].ms);
}

/* A long wait polls at most every 20 s, with the injected jitter, until the budget. */
static void test_deploy_sm__poll_sequence_and_timeout(void **state)
{
	fx *f = *state;
	int64_t total = 0;
	int polls = 0;

	f->o.timeout_ms = 5 * 60 * 1000;
	start(f);
	feed_missing(f);
	feed_written(f, NEW_ID);
	while (f->a->kind == TP_DSM_WAIT) {
		assert_true(f->a->wait_ms >= 1000 && f->a->wait_ms <= 20000);
		if (polls >= 6)
			assert_true(f->a->wait_ms >= 16000);
		total += f->a->wait_ms;
		polls++;
		f->a = tp_dsm_timer(f->m);
		feed_stack(f, NEW_ID, "CREATE_IN_PROGRESS", HASH);
	}
	expect_done(f, TP_DEPLOY_FAILED);
	assert_true(total <= 5 * 60 * 1000);
	assert_true(polls >= 15 && polls <= 22);
	assert_true(tp_starts_with(f->a->message, "timed out after waiting "));
	assert_non_null(strstr(f->a->message, "(stack status CREATE_IN_PROGRESS)"));
}

static void test_deploy_sm__rejected_create_reports_aws(void **state)
{
	fx *f = *state;

	start(f);
	feed_missing(f);
	feed_error(f, TP_EAWS, "ValidationError", "No export named shop-test-Missing found.");
	expect_done(f, TP_DEPLOY_FAILED);
	assert_string_equal(f->a->message,
			    "CreateStack: ValidationError: No export named shop-test-Missing found.");
	assert_string_equal(f->a->aws_code, "ValidationError");
}

static void test_deploy_sm__capabilities_error(void **state)
{
	fx *f = *state;

	start(f);
	feed_stack(f, STACK_ID, "CREATE_COMPLETE", OLD_HASH);
	feed_error(f, TP_EAWS, "InsufficientCapabilitiesException",
		   "Requires capabilities : [CAPABILITY_NAMED_IAM]");
	expect_done(f, TP_DEPLOY_FAILED);
	assert_string_equal(f->a->message, "UpdateStack: InsufficientCapabilitiesException: "
			    "Requires capabilities : [CAPABILITY_NAMED_IAM]");
}

/* Another deployer created the stack between our DescribeStacks and CreateStack. */
static void test_deploy_sm__create_race_decides_again(void **state)
{
	fx *f = *state;

	start(f);
	feed_missing(f);
	feed_error(f, TP_EAWS, "AlreadyExistsException", "Stack [api] already exists");
	expect_wait(f, 1000, 1200);
	expect_call(f, TP_CFN_DESCRIBE_STACKS, "api");
	feed_stack(f, STACK_ID, "CREATE_IN_PROGRESS", HASH);
	expect_wait(f, 1600, 2400);
	feed_stack(f, STACK_ID, "CREATE_COMPLETE", HASH);
	expect_done(f, TP_DEPLOY_SKIPPED);
}

static void test_deploy_sm__stacks_that_need_a_human(void **state)
{
	fx *f = *state;

	start(f);
	feed_stack(f, STACK_ID, "UPDATE_ROLLBACK_FAILED", OLD_HASH);
	expect_done(f, TP_DEPLOY_FAILED);
	assert_non_null(strstr(f->a->message, "continue-update-rollback"));
	tp_dsm_free(f->m);
	start(f);
	feed_stack(f, STACK_ID, "DELETE_FAILED", OLD_HASH);
	expect_done(f, TP_DEPLOY_FAILED);
	assert_non_null(strstr(f->a->message, "DELETE_FAILED"));
}

/* Over 51,200 bytes: the template goes to the artifacts bucket and CreateStack gets its URL. */
static void test_deploy_sm__large_template_goes_by_url(void **state)
{
	fx *f = *state;
	size_t n = TP_DSM_TEMPLATE_BODY_MAX + 1;
	tp_cfn_result r = TP_CFN_RESULT_INIT;

	f->big = tp_xmalloc(n);
	memset(f->big, '#', n);
	f->st.template_body = f->big;
	f->st.template_len = n;
	start(f);
	feed_missing(f);
	expect_call(f, TP_CFN_PUT_TEMPLATE, NULL);
	assert_string_equal(f->a->req.bucket, "tidepool-artifacts-111111111111-us-east-1");
	assert_string_equal(f->a->req.key, "templates/api/" HASH ".template");
	assert_ptr_equal(f->a->req.template_body, f->big);
	assert_int_equal(f->a->req.template_len, n);
	r.template_url = tp_xstrdup("https://tidepool-artifacts-111111111111-us-east-1.s3."
				    "us-east-1.amazonaws.com/templates/api/" HASH ".template");
	f->a = tp_dsm_feed(f->m, &r);
	tp_cfn_result_release(&r);
	expect_call(f, TP_CFN_CREATE_STACK, "api");
	assert_null(f->a->req.template_body);
	assert_true(tp_starts_with(f->a->req.template_url, "https://tidepool-artifacts-"));
	assert_int_equal(tp_dsm_calls(f->m), 2);   /* the upload is not a CloudFormation call */
}

static void test_deploy_sm__exactly_the_limit_goes_inline(void **state)
{
	fx *f = *state;

	f->big = tp_xmalloc(TP_DSM_TEMPLATE_BODY_MAX);
	memset(f->big, '#', TP_DSM_TEMPLATE_BODY_MAX);
	f->st.template_body = f->big;
	f->st.template_len = TP_DSM_TEMPLATE_BODY_MAX;
	start(f);
	feed_missing(f);
	expect_call(f, TP_CFN_CREATE_STACK, "api");
}

/* ---- command stacks ---------------------------------------------------------------------- */

static void command_stack(fx *f)
{
	static const tp_kv env[] = { { "TIDEPOOL_OUTPUT_BASE_ROLEARN", "arn:aws:iam::1:role/r" } };

	f->st.template_body = NULL;
	f->st.template_len = 0;
	f->st.command = "sh services/tracing/deploy.sh";
	f->st.env = env;
	f->st.nenv = 1;
}

static const tp_dsm_action *feed_exit(fx *f, int status)
{
	tp_cfn_result r = TP_CFN_RESULT_INIT;

	expect_call(f, TP_CFN_RUN_COMMAND, NULL);
	r.exit_status = status;
	r.log_path = tp_xstrdup("/p/.tidepool/deploy-logs/111111111111/api.log");
	f->a = tp_dsm_feed(f->m, &r);
	tp_cfn_result_release(&r);
	return f->a;
}

static void test_deploy_sm__command_stack_runs_then_checks_the_tag(void **state)
{
	fx *f = *state;

	command_stack(f);
	start(f);
	feed_missing(f);
	expect_call(f, TP_CFN_RUN_COMMAND, NULL);
	assert_string_equal(f->a->req.command, "sh services/tracing/deploy.sh");
	assert_string_equal(f->a->req.hash, HASH);
	assert_int_equal(f->a->req.nenv, 1);
	feed_exit(f, 0);
	expect_call(f, TP_CFN_DESCRIBE_STACKS, "api");       /* at once, by name */
	feed_stack(f, STACK_ID, "CREATE_IN_PROGRESS", HASH);  /* a command that does not wait */
	expect_wait(f, 1000, 1200);
	feed_stack(f, STACK_ID, "CREATE_COMPLETE", HASH);
	expect_done(f, TP_DEPLOY_CREATED);
}

static void test_deploy_sm__command_stack_skipped_without_running(void **state)
{
	fx *f = *state;

	command_stack(f);
	start(f);
	feed_stack(f, STACK_ID, "UPDATE_COMPLETE", HASH);
	expect_done(f, TP_DEPLOY_SKIPPED);
}

static void test_deploy_sm__command_stack_must_tag(void **state)
{
	fx *f = *state;

	command_stack(f);
	start(f);
	feed_stack(f, STACK_ID, "CREATE_COMPLETE", OLD_HASH);
	feed_exit(f, 0);
	feed_stack(f, STACK_ID, "UPDATE_COMPLETE", OLD_HASH);
	expect_done(f, TP_DEPLOY_FAILED);
	assert_non_null(strstr(f->a->message, "did not tag it tidepool:hash=" HASH));
	assert_non_null(strstr(f->a->message, "it has " OLD_HASH));
}

static void test_deploy_sm__command_stack_failures(void **state)
{
	fx *f = *state;

	command_stack(f);
	start(f);
	feed_missing(f);
	feed_exit(f, 2);
	expect_done(f, TP_DEPLOY_FAILED);
	assert_string_equal(f->a->message, "the command exited with status 2; its output is in "
			    "/p/.tidepool/deploy-logs/111111111111/api.log");
	tp_dsm_free(f->m);
	start(f);
	feed_missing(f);
	feed_exit(f, 0);
	feed_missing(f);
	expect_done(f, TP_DEPLOY_FAILED);
	assert_non_null(strstr(f->a->message, "there is no stack 'api'"));
}

static void test_deploy_sm__cancel_between_actions(void **state)
{
	fx *f = *state;

	start(f);
	feed_stack(f, STACK_ID, "UPDATE_IN_PROGRESS", OLD_HASH);
	assert_int_equal(f->a->kind, TP_DSM_WAIT);
	f->a = tp_dsm_cancel(f->m);
	expect_done(f, TP_DEPLOY_CANCELLED);
	f->a = tp_dsm_timer(f->m);          /* a late timer changes nothing */
	expect_done(f, TP_DEPLOY_CANCELLED);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_deploy_sm__same_hash_is_skipped_with_one_call),
		T(test_deploy_sm__update_complete_same_hash_is_skipped),
		T(test_deploy_sm__missing_is_created),
		T(test_deploy_sm__other_hash_is_updated),
		T(test_deploy_sm__no_updates_is_success),
		T(test_deploy_sm__force_updates_a_matching_stack),
		T(test_deploy_sm__create_failed_names_the_first_failed_resource),
		T(test_deploy_sm__failure_events_across_pages),
		T(test_deploy_sm__failure_without_resource_events),
		T(test_deploy_sm__rollback_complete_is_deleted_and_recreated),
		T(test_deploy_sm__rollback_failed_and_review_are_deleted_too),
		T(test_deploy_sm__stack_in_progress_is_waited_for),
		T(test_deploy_sm__deletion_in_progress_then_create),
		T(test_deploy_sm__throttled_polls),
		T(test_deploy_sm__retried_create_keeps_its_token),
		T(test_deploy_sm__tokens),
		T(test_deploy_sm__backoff_table),
		T(test_deploy_sm__poll_sequence_and_timeout),
		T(test_deploy_sm__rejected_create_reports_aws),
		T(test_deploy_sm__capabilities_error),
		T(test_deploy_sm__create_race_decides_again),
		T(test_deploy_sm__stacks_that_need_a_human),
		T(test_deploy_sm__large_template_goes_by_url),
		T(test_deploy_sm__exactly_the_limit_goes_inline),
		T(test_deploy_sm__command_stack_runs_then_checks_the_tag),
		T(test_deploy_sm__command_stack_skipped_without_running),
		T(test_deploy_sm__command_stack_must_tag),
		T(test_deploy_sm__command_stack_failures),
		T(test_deploy_sm__cancel_between_actions),
	};
#undef T
	xmlInitParser();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
