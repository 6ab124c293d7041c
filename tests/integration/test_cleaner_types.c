/*
 * The cleaner's resource types against moto, in a member account of a
 * local organization (reached through AssumeRole of
 * OrganizationAccountAccessRole, as the real nuke does: it refuses the
 * caller's own account).
 *
 * tests/cleaner/fixtures.py creates a few resources of every type with
 * boto3 and prints what each type's list must report for them. For every
 * type, table-driven: list -> each fixture found with its name, ARN,
 * region and tags (or its skip reason); remove -> the next list lacks it;
 * a second remove -> TP_ENOTFOUND, or 0 where the type's API is
 * idempotent (see `types` below). Special cases follow the table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/sts.h"
#include "aws/util.h"
#include "cleaner/resource.h"
#include "cleaner/s3_empty.h"
#include "cleaner/types.h"
#include "tests/support/moto.h"
#include "tests/support/testutil.h"

#define REGION "us-east-1"

static tp_local *moto;
static tp_aws_client *member;
static char account[16];
static char *creds_env[5];
static json_t *fixtures;

/* ---- the member account ------------------------------------------------ */

static void assume_member(void)
{
	tp_aws_client *mgmt = tp_test_moto_client(moto, 3);
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_creds creds = TP_CREDS_INIT;
	char role[128];

	tp_strlcpy(account, tp_local_account(moto, 0), sizeof(account));
	snprintf(role, sizeof(role), "arn:aws:iam::%s:role/OrganizationAccountAccessRole", account);
	if (tp_sts_assume_role(mgmt, &creds, role, "tidepool-test-types", NULL, 0) < 0)
		fail_msg("AssumeRole %s: %s", role, tp_error_last()->msg);
	creds_env[0] = tp_xasprintf("AWS_ACCESS_KEY_ID=%s", creds.access_key_id);
	creds_env[1] = tp_xasprintf("AWS_SECRET_ACCESS_KEY=%s", creds.secret_access_key);
	creds_env[2] = tp_xasprintf("AWS_SESSION_TOKEN=%s", creds.session_token);
	creds_env[3] = tp_xstrdup("AWS_PROFILE=");
	o.region = REGION;
	o.endpoint_url = tp_local_endpoint(moto);
	o.creds = tp_creds_static(creds.access_key_id, creds.secret_access_key,
				  creds.session_token);
	o.max_attempts = 3;
	o.retry_base_ms = 50;
	if (tp_aws_client_new(&member, &o) < 0)
		fail_msg("member client: %s", tp_error_last()->msg);
	tp_creds_release(&creds);
	tp_aws_client_free(mgmt);
}

/* Run a python script of tests/cleaner with the member's credentials; its stdout as JSON. */
static json_t *run_py(const char *script, const char *const *args)
{
	char *argv[24], *out = NULL, *err = NULL, *path = tp_test_source_path(script);
	json_error_t jerr;
	json_t *j;
	int n = 0, rc;

	argv[n++] = "python3";
	argv[n++] = path;
	argv[n++] = "--endpoint";
	argv[n++] = (char *)tp_local_endpoint(moto);
	while (*args && n < 23)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	rc = tp_test_run(argv, creds_env, &out, &err);
	if (rc != 0)
		fail_msg("%s exited %d: %s", script, rc, err ? err : "");
	j = json_loads(out, JSON_DECODE_ANY, &jerr);
	if (!j)
		fail_msg("%s printed no JSON (%s): %s", script, jerr.text, out);
	free(out);
	free(err);
	free(path);
	return j;
}

static int setup(void **state)
{
	static const char *const args[] = { "--region", REGION, NULL };

	(void)state;
	tp_http_global_init();
	moto = tp_test_moto_start(0, 1);
	assume_member();
	fixtures = run_py("tests/cleaner/fixtures.py", args);
	return 0;
}

static int teardown(void **state)
{
	size_t i;

	(void)state;
	json_decref(fixtures);
	tp_aws_client_free(member);
	for (i = 0; i < TP_ARRAY_SIZE(creds_env); i++)
		free(creds_env[i]);
	tp_local_stop(moto);
	tp_http_global_cleanup();
	return 0;
}

static tp_clean_ctx ctx_of(int parallel)
{
	tp_clean_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.client = member;
	ctx.account = account;
	ctx.deadline_ms = tp_now_ms() + 60000;
	ctx.parallel = parallel;
	return ctx;
}

/* ---- helpers ------------------------------------------------------------ */

static void list_or_fail(const tp_resource_type *t, const char *region, tp_resource_list *l)
{
	tp_clean_ctx ctx = ctx_of(4);

	tp_resource_list_release(l);
	if (t->list(&ctx, region, l) < 0)
		fail_msg("%s list in %s: %s", t->name, region, tp_error_last()->msg);
}

static tp_resource *find(const tp_resource_list *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->items[i]->id, id) == 0)
			return l->items[i];
	return NULL;
}

/* User tags only: AWS adds aws:* tags of its own (CloudFormation's). */
static size_t user_tags(const tp_resource *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->ntags; i++)
		n += !tp_starts_with(r->tags[i].key, "aws:");
	return n;
}

static void check_props(const tp_resource *r, json_t *want)
{
	const char *k, *skip = json_string_value(json_object_get(want, "skip"));
	json_t *v;

	assert_string_equal(r->name, json_string_value(json_object_get(want, "name")));
	assert_string_equal(r->region, json_string_value(json_object_get(want, "region")));
	if (json_is_string(json_object_get(want, "arn"))) {
		assert_non_null(r->arn);
		assert_string_equal(r->arn, json_string_value(json_object_get(want, "arn")));
	}
	json_object_foreach(json_object_get(want, "tags"), k, v) {
		const char *got = tp_resource_tag(r, k);

		if (!got)
			fail_msg("%s %s: tag %s missing", r->type->name, r->id, k);
		assert_string_equal(got, json_string_value(v));
	}
	assert_int_equal(user_tags(r), json_object_size(json_object_get(want, "tags")));
	if (skip) {
		if (!r->skip_reason || !strstr(r->skip_reason, skip))
			fail_msg("%s %s: skip reason '%s', want one with '%s'", r->type->name,
				 r->id, r->skip_reason ? r->skip_reason : "(none)", skip);
	} else if (r->skip_reason) {
		fail_msg("%s %s: unexpectedly skipped: %s", r->type->name, r->id, r->skip_reason);
	}
}

/*
 * Waits (up to 30 s) until `r` is no longer listed, or listed skipped with
 * a reason containing `settled`; async deletes poll `gone` first.
 */
static void wait_unlisted(const tp_resource_type *t, const tp_resource *r, const char *settled)
{
	const tp_resource *still;
	tp_resource_list l = TP_RESOURCE_LIST_INIT;
	tp_clean_ctx ctx = ctx_of(4);
	int64_t until = tp_now_ms() + 30000;
	int rc;

	while (t->gone && (rc = t->gone(&ctx, r)) == 0 && tp_now_ms() < until)
		tp_sleep_ms(200);
	if (t->gone && rc < 0)
		fail_msg("%s %s: gone: %s", t->name, r->id, tp_error_last()->msg);
	for (;;) {
		list_or_fail(t, r->region[0] == 'g' ? REGION : r->region, &l);
		still = find(&l, r->id);
		if (!still || (settled && still->skip_reason && strstr(still->skip_reason, settled)))
			break;
		if (tp_now_ms() > until)
			fail_msg("%s %s still listed after remove", t->name, r->id);
		tp_sleep_ms(200);
	}
	tp_resource_list_release(&l);
}

/* ---- the table ---------------------------------------------------------- */

/*
 * Every type, in an order where what others wait for goes first. `again`
 * is what a second remove returns: TP_ENOTFOUND, 0 where the AWS API
 * answers success for something already gone, EITHER where AWS and moto
 * differ (each type's file says how).
 */
#define EITHER 1

typedef struct type_case {
	const char *type;
	int again;
	const char *settled;  /* removed = listed skipped with this reason (NULL: not listed) */
} type_case;

static const type_case cases[] = {
	{ "CloudFormationStack", TP_ENOTFOUND, NULL },     /* remove describes first */
	{ "S3Bucket", TP_ENOTFOUND, NULL },
	{ "LambdaEventSourceMapping", TP_ENOTFOUND, NULL },
	{ "LambdaFunction", TP_ENOTFOUND, NULL },
	{ "LambdaLayerVersion", EITHER, NULL },            /* AWS: idempotent */
	{ "APIGatewayRestApi", TP_ENOTFOUND, NULL },
	{ "APIGatewayV2Api", EITHER, NULL },          /* moto: idempotent */
	{ "StepFunctionsStateMachine", EITHER, NULL },     /* AWS: idempotent */
	{ "EventBridgeRule", TP_ENOTFOUND, NULL },         /* ListTargetsByRule first */
	{ "EventBridgeBus", EITHER, NULL },                /* AWS: idempotent */
	{ "SNSSubscription", EITHER, NULL },
	{ "SNSTopic", EITHER, NULL },                      /* AWS: idempotent */
	{ "SQSQueue", TP_ENOTFOUND, NULL },
	{ "DynamoDBTable", TP_ENOTFOUND, NULL },
	{ "KinesisStream", TP_ENOTFOUND, NULL },
	{ "FirehoseDeliveryStream", TP_ENOTFOUND, NULL },
	{ "CloudWatchAlarm", EITHER, NULL },               /* moto: idempotent */
	{ "CloudWatchLogGroup", TP_ENOTFOUND, NULL },
	{ "SecretsManagerSecret", EITHER, NULL },     /* moto: idempotent */
	{ "SSMParameter", TP_ENOTFOUND, NULL },
	{ "ECRRepository", TP_ENOTFOUND, NULL },
	{ "CognitoUserPool", TP_ENOTFOUND, NULL },
	{ "KMSAlias", TP_ENOTFOUND, NULL },
	{ "KMSKey", TP_ENOTFOUND, "PendingDeletion" },  /* already pending deletion */
	{ "EC2SecurityGroup", TP_ENOTFOUND, NULL },
	{ "EC2VPC", TP_ENOTFOUND, NULL },
	{ "IAMInstanceProfile", TP_ENOTFOUND, NULL },
	{ "IAMRole", TP_ENOTFOUND, NULL },
	{ "IAMUser", TP_ENOTFOUND, NULL },
	{ "IAMPolicy", TP_ENOTFOUND, NULL },
};

static void test_type(void **state)
{
	const type_case *tc = *state;
	const tp_resource_type *t = tp_resource_type_find(tc->type);
	tp_resource_list l = TP_RESOURCE_LIST_INIT;
	tp_clean_ctx ctx = ctx_of(4);
	json_t *rows = json_object_get(fixtures, tc->type), *want;
	size_t i;

	assert_non_null(t);
	if (json_array_size(rows) == 0)
		fail_msg("fixtures.py made no %s", tc->type);
	list_or_fail(t, REGION, &l);
	json_array_foreach(rows, i, want) {
		const char *id = json_string_value(json_object_get(want, "id"));
		tp_resource *r = find(&l, id);
		int rc;

		if (!r)
			fail_msg("%s %s not listed (%zu listed)", tc->type, id, l.n);
		check_props(r, want);
		if (r->skip_reason)
			continue;
		if ((rc = t->remove(&ctx, r)) != 0)
			fail_msg("%s remove %s: %d %s", tc->type, id, rc, tp_error_last()->msg);
		wait_unlisted(t, r, tc->settled);
		rc = t->remove(&ctx, r);
		if (tc->again == EITHER ? rc != 0 && rc != TP_ENOTFOUND : rc != tc->again)
			fail_msg("%s second remove of %s: %d (%s), want %d", tc->type, id, rc,
				 tp_error_last()->msg, tc->again);
	}
	tp_resource_list_release(&l);
}

/* Every registered type has a row above (and so a fixture). */
static void test_cleaner_types__every_type_tested(void **state)
{
	const tp_resource_type *const *t;
	size_t i;

	(void)state;
	for (t = tp_resource_types(); *t; t++) {
		for (i = 0; i < TP_ARRAY_SIZE(cases); i++)
			if (strcmp(cases[i].type, (*t)->name) == 0)
				break;
		if (i == TP_ARRAY_SIZE(cases))
			fail_msg("type %s has no test case", (*t)->name);
		assert_ptr_equal(tp_resource_type_find((*t)->name), *t);
	}
	assert_null(tp_resource_type_find("NoSuchType"));
}

int main(void)
{
	struct CMUnitTest tests[TP_ARRAY_SIZE(cases) + 8];
	static char names[TP_ARRAY_SIZE(cases)][96];
	size_t i, n = 0;

	memset(tests, 0, sizeof(tests));
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_cleaner_types__every_type_tested);
	for (i = 0; i < TP_ARRAY_SIZE(cases); i++) {
		snprintf(names[i], sizeof(names[i]), "test_cleaner_types__%s", cases[i].type);
		tests[n].name = names[i];
		tests[n].test_func = test_type;
		tests[n].initial_state = (void *)&cases[i];
		n++;
	}
	return _cmocka_run_group_tests("test_cleaner_types", tests, n, setup, teardown);
}
