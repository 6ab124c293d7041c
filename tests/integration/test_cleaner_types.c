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

#include "aws/buf.h"
#include "aws/client.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/sts.h"
#include "aws/util.h"
#include "aws/xml.h"
#include "cleaner/resource.h"
#include "cleaner/s3_empty.h"
#include "cleaner/types.h"
#include "tests/support/moto.h"
#include "tests/support/testutil.h"

#define REGION "us-east-1"

static tp_local *moto;

/* A member account: a client with its AssumeRole credentials, and those for scripts. */
typedef struct member {
	char account[16];
	tp_aws_client *client;
	char *env[5];
} member;

static member m1;   /* the per-type tests' fixtures */
static member m2;   /* populate.py's resources, for the inventory comparison */
static json_t *fixtures;

/* ---- the member accounts ----------------------------------------------- */

static void assume(member *m, const char *account)
{
	tp_aws_client *mgmt = tp_test_moto_client(moto, 3);
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_creds creds = TP_CREDS_INIT;
	char role[128];

	tp_strlcpy(m->account, account, sizeof(m->account));
	snprintf(role, sizeof(role), "arn:aws:iam::%s:role/OrganizationAccountAccessRole", account);
	if (tp_sts_assume_role(mgmt, &creds, role, "tidepool-test-types", NULL, 0) < 0)
		fail_msg("AssumeRole %s: %s", role, tp_error_last()->msg);
	m->env[0] = tp_xasprintf("AWS_ACCESS_KEY_ID=%s", creds.access_key_id);
	m->env[1] = tp_xasprintf("AWS_SECRET_ACCESS_KEY=%s", creds.secret_access_key);
	m->env[2] = tp_xasprintf("AWS_SESSION_TOKEN=%s", creds.session_token);
	m->env[3] = tp_xstrdup("AWS_PROFILE=");
	o.region = REGION;
	o.endpoint_url = tp_local_endpoint(moto);
	o.creds = tp_creds_static(creds.access_key_id, creds.secret_access_key,
				  creds.session_token);
	o.max_attempts = 3;
	o.retry_base_ms = 50;
	if (tp_aws_client_new(&m->client, &o) < 0)
		fail_msg("member client: %s", tp_error_last()->msg);
	tp_creds_release(&creds);
	tp_aws_client_free(mgmt);
}

static void member_release(member *m)
{
	size_t i;

	tp_aws_client_free(m->client);
	for (i = 0; i < TP_ARRAY_SIZE(m->env); i++)
		free(m->env[i]);
}

/*
 * Run a python script of tests/cleaner as member `m` (its own account,
 * no --account needed). Its stdout as JSON; with `lines`, as an array of
 * the JSON documents on its lines.
 */
static json_t *run_py(const member *m, const char *script, const char *const *args, int lines)
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
	rc = tp_test_run(argv, m->env, &out, &err);
	if (rc != 0)
		fail_msg("%s exited %d: %s", script, rc, err ? err : "");
	if (lines) {
		char *line = out, *nl;

		j = json_array();
		for (; *line; line = nl + 1) {
			json_t *doc;

			nl = strchr(line, '\n');
			if (!nl)
				nl = line + strlen(line) - 1;
			else
				*nl = '\0';
			if (!*line)
				continue;
			if (!(doc = json_loads(line, 0, &jerr)))
				fail_msg("%s: a line is not JSON (%s): %s", script, jerr.text, line);
			json_array_append_new(j, doc);
		}
	} else if (!(j = json_loads(out, JSON_DECODE_ANY, &jerr))) {
		fail_msg("%s printed no JSON (%s): %s", script, jerr.text, out);
	}
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
	moto = tp_test_moto_start(0, 2);
	assume(&m1, tp_local_account(moto, 0));
	assume(&m2, tp_local_account(moto, 1));
	fixtures = run_py(&m1, "tests/cleaner/fixtures.py", args, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	json_decref(fixtures);
	member_release(&m1);
	member_release(&m2);
	tp_local_stop(moto);
	tp_http_global_cleanup();
	return 0;
}

static tp_clean_ctx ctx_in(const member *m, int parallel)
{
	tp_clean_ctx ctx;

	memset(&ctx, 0, sizeof(ctx));
	ctx.client = m->client;
	ctx.account = m->account;
	ctx.deadline_ms = tp_now_ms() + 60000;
	ctx.parallel = parallel;
	return ctx;
}

static tp_clean_ctx ctx_of(int parallel)
{
	return ctx_in(&m1, parallel);
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
	void (*after)(void);  /* more checks once every fixture of the type is removed */
} type_case;

static void role_links_gone(void);

static const type_case cases[] = {
	{ "CloudFormationStack", TP_ENOTFOUND, NULL, NULL },     /* remove describes first */
	{ "S3Bucket", TP_ENOTFOUND, NULL, NULL },
	{ "LambdaEventSourceMapping", TP_ENOTFOUND, NULL, NULL },
	{ "LambdaFunction", TP_ENOTFOUND, NULL, NULL },
	{ "LambdaLayerVersion", EITHER, NULL, NULL },            /* AWS: idempotent */
	{ "APIGatewayRestApi", TP_ENOTFOUND, NULL, NULL },
	{ "APIGatewayV2Api", EITHER, NULL, NULL },               /* moto: idempotent */
	{ "StepFunctionsStateMachine", EITHER, NULL, NULL },     /* AWS: idempotent */
	{ "EventBridgeRule", TP_ENOTFOUND, NULL, NULL },         /* ListTargetsByRule first */
	{ "EventBridgeBus", EITHER, NULL, NULL },                /* AWS: idempotent */
	{ "SNSSubscription", EITHER, NULL, NULL },
	{ "SNSTopic", EITHER, NULL, NULL },                      /* AWS: idempotent */
	{ "SQSQueue", TP_ENOTFOUND, NULL, NULL },
	{ "DynamoDBTable", TP_ENOTFOUND, NULL, NULL },
	{ "KinesisStream", TP_ENOTFOUND, NULL, NULL },
	{ "FirehoseDeliveryStream", TP_ENOTFOUND, NULL, NULL },
	{ "CloudWatchAlarm", EITHER, NULL, NULL },               /* moto: idempotent */
	{ "CloudWatchLogGroup", TP_ENOTFOUND, NULL, NULL },
	{ "SecretsManagerSecret", EITHER, NULL, NULL },          /* moto: idempotent */
	{ "SSMParameter", TP_ENOTFOUND, NULL, NULL },
	{ "ECRRepository", TP_ENOTFOUND, NULL, NULL },
	{ "CognitoUserPool", TP_ENOTFOUND, NULL, NULL },
	{ "KMSAlias", TP_ENOTFOUND, NULL, NULL },
	{ "KMSKey", TP_ENOTFOUND, "PendingDeletion", NULL },     /* already pending */
	{ "EC2SecurityGroup", TP_ENOTFOUND, NULL, NULL },
	{ "EC2VPC", TP_ENOTFOUND, NULL, NULL },
	{ "IAMInstanceProfile", TP_ENOTFOUND, NULL, NULL },
	{ "IAMRole", TP_ENOTFOUND, NULL, role_links_gone },
	{ "IAMUser", TP_ENOTFOUND, NULL, NULL },
	{ "IAMPolicy", TP_ENOTFOUND, NULL, NULL },
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
	if (tc->after)
		tc->after();
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

/* ---- special cases ------------------------------------------------------ */

/* An IAM query's member texts at `path` (a JSON array), for checks. */
static json_t *iam_texts(const char *action, const char *key, const char *value,
			 const char *path)
{
	tp_params p = TP_PARAMS_INIT;
	xmlDocPtr doc = NULL;
	json_t *out = json_array();
	xmlNodePtr n;

	tp_params_add(&p, key, value);
	if (tp_aws_query(m1.client, &doc, "iam", REGION, action, &p) < 0)
		fail_msg("%s %s: %s", action, value, tp_error_last()->msg);
	n = tp_xml_path(tp_xml_root(doc), path);
	for (n = n ? n->children : NULL; n; n = n->next) {
		char *t = n->type == XML_ELEMENT_NODE ? tp_xml_text(n, "RoleName") : NULL;

		if (t)
			json_array_append_new(out, json_string(t));
		free(t);
	}
	xmlFreeDoc(doc);
	tp_params_release(&p);
	return out;
}

/*
 * The removed role let go of everything: its instance profile (which
 * stays: it is IAMInstanceProfile's) lists no role, its customer policy
 * (which stays: IAMPolicy's) no entity. moto would delete a role with
 * attachments, so this is what shows remove detached them.
 */
static void role_links_gone(void)
{
	char arn[128];
	json_t *roles;

	roles = iam_texts("GetInstanceProfile", "InstanceProfileName", "fx-role-profile",
			  "GetInstanceProfileResult/InstanceProfile/Roles");
	assert_int_equal(json_array_size(roles), 0);
	json_decref(roles);
	snprintf(arn, sizeof(arn), "arn:aws:iam::%s:policy/fx-role-attached", m1.account);
	roles = iam_texts("ListEntitiesForPolicy", "PolicyArn", arn,
			  "ListEntitiesForPolicyResult/PolicyRoles");
	assert_int_equal(json_array_size(roles), 0);
	json_decref(roles);
}

/*
 * A policy still attached to a role that stays (protected, say) is not
 * detached from it: remove refuses with TP_ECONFLICT naming the role, and
 * the attachment is still there.
 */
static void test_cleaner_types__iam_policy_held(void **state)
{
	json_t *want = json_array_get(json_object_get(fixtures, "HeldIAMPolicy"), 0);
	const char *arn = json_string_value(json_object_get(want, "id"));
	const char *holder = json_string_value(json_object_get(want, "holder"));
	tp_resource *r = tp_resource_new(&tp_type_iam_policy, "global", arn);
	tp_clean_ctx ctx = ctx_of(4);
	json_t *roles;

	(void)state;
	tp_resource_set_name(r, json_string_value(json_object_get(want, "name")));
	assert_int_equal(tp_type_iam_policy.remove(&ctx, r), TP_ECONFLICT);
	if (!strstr(tp_error_last()->msg, holder))
		fail_msg("the refusal does not name role %s: %s", holder, tp_error_last()->msg);
	roles = iam_texts("ListEntitiesForPolicy", "PolicyArn", arn,
			  "ListEntitiesForPolicyResult/PolicyRoles");
	assert_int_equal(json_array_size(roles), 1);
	json_decref(roles);
	tp_resource_free(r);
}

/* A bucket of `objects` versions and `markers` delete markers (populate.py). */
static void big_bucket(const char *name, long objects, long markers, int versioned)
{
	char o[24], d[24];
	const char *args[] = { "--big-bucket", name, "--objects", o, "--delete-markers", d,
			       "--region", REGION, "--threads", "16",
			       versioned ? NULL : "--unversioned", NULL };
	json_t *info;

	snprintf(o, sizeof(o), "%ld", objects);
	snprintf(d, sizeof(d), "%ld", markers);
	info = run_py(&m1, "tests/cleaner/populate.py", args, 0);
	assert_int_equal(json_integer_value(json_object_get(info, "versions")), objects);
	assert_int_equal(json_integer_value(json_object_get(info, "delete_markers")),
			 versioned ? markers : 0);
	json_decref(info);
}

/* Empties `bucket` `parallel` batches at a time; checks the count; seconds taken. */
static double empty_timed(const char *bucket, int parallel, uint64_t want)
{
	tp_s3_empty_opts opts = TP_S3_EMPTY_OPTS_INIT;
	uint64_t deleted = 0;
	int64_t t0 = tp_now_ms();
	int rc;

	opts.parallel = parallel;
	rc = tp_s3_empty_bucket(m1.client, REGION, bucket, &opts, &deleted);
	if (rc != 0)
		fail_msg("emptying %s: %s", bucket, tp_error_last()->msg);
	assert_int_equal(deleted, want);
	return (double)(tp_now_ms() - t0) / 1000.0;
}

/* The S3Bucket type removes `name` (listed in REGION); a second remove: TP_ENOTFOUND. */
static void remove_bucket(const char *name)
{
	const tp_resource_type *t = &tp_type_s3_bucket;
	tp_resource_list l = TP_RESOURCE_LIST_INIT;
	tp_clean_ctx ctx = ctx_of(8);
	tp_resource *r;

	list_or_fail(t, REGION, &l);
	r = find(&l, name);
	if (!r)
		fail_msg("bucket %s not listed", name);
	assert_string_equal(r->region, REGION);
	if (t->remove(&ctx, r) != 0)
		fail_msg("removing bucket %s: %s", name, tp_error_last()->msg);
	wait_unlisted(t, r, NULL);
	assert_int_equal(t->remove(&ctx, r), TP_ENOTFOUND);
	tp_resource_list_release(&l);
}

/*
 * S3Bucket with versioning on, more than 1,000 versions and delete
 * markers (two ListObjectVersions pages, two DeleteObjects batches, sent
 * in parallel): every version and marker is deleted, then the bucket.
 */
static void test_cleaner_types__s3_versioned_bucket(void **state)
{
	double secs;

	(void)state;
	big_bucket("fx-big-versioned", 1200, 300, 1);
	secs = empty_timed("fx-big-versioned", 8, 1500);
	print_message("S3 emptying, 1,200 versions + 300 delete markers: %.2f s (%.0f/s)\n",
		      secs, 1500 / secs);
	remove_bucket("fx-big-versioned");
}

/*
 * A measurement, not a check (skipped unless TP_TEST_S3_OBJECTS=N is
 * set): N objects, in a bucket without versioning and in one with (plus
 * N/10 delete markers), emptied one DeleteObjects batch at a time and 8 at
 * a time.
 */
static void test_cleaner_types__s3_emptying_speed(void **state)
{
	const char *env = getenv("TP_TEST_S3_OBJECTS");
	static const char *const names[2][2] = {
		{ "fx-speed-plain-1", "fx-speed-plain-8" },
		{ "fx-speed-versioned-1", "fx-speed-versioned-8" },
	};
	long n = 0;
	int v, p;

	(void)state;
	if (!env || tp_parse_long(env, &n) < 0 || n <= 0)
		skip();
	for (v = 0; v < 2; v++) {
		uint64_t want = (uint64_t)n + (v ? (uint64_t)n / 10 : 0);
		double secs[2];

		for (p = 0; p < 2; p++)
			big_bucket(names[v][p], n, n / 10, v);
		for (p = 0; p < 2; p++)
			secs[p] = empty_timed(names[v][p], p ? 8 : 1, want);
		print_message("S3 emptying, %s bucket, %llu entries: one batch at a time %.2f s "
			      "(%.0f/s), 8 at a time %.2f s (%.0f/s)\n", v ? "versioned" : "plain",
			      (unsigned long long)want, secs[0], (double)want / secs[0], secs[1],
			      (double)want / secs[1]);
		for (p = 0; p < 2; p++)
			remove_bucket(names[v][p]);
	}
}

/* "type|region|id|name|skipped": one listed resource, for set comparisons (caller frees). */
static char *key_of(const char *type, const char *region, const char *id, const char *name,
		    int skipped)
{
	return tp_xasprintf("%s|%s|%s|%s|%s", type, region, id, name, skipped ? "skipped" : "-");
}

/* Everything every type lists in member 2, both regions, as keys in `seen`. */
static void list_everything(json_t *seen)
{
	static const char *const regions[] = { "us-east-1", "eu-west-1" };
	const tp_resource_type *const *t;
	tp_clean_ctx ctx = ctx_in(&m2, 4);
	size_t i, j;

	for (t = tp_resource_types(); *t; t++) {
		for (j = 0; j < ((*t)->global ? 1 : TP_ARRAY_SIZE(regions)); j++) {
			tp_resource_list l = TP_RESOURCE_LIST_INIT;

			if ((*t)->list(&ctx, regions[j], &l) < 0)
				fail_msg("%s list in %s: %s", (*t)->name, regions[j],
					 tp_error_last()->msg);
			for (i = 0; i < l.n; i++) {
				tp_resource *r = l.items[i];
				char *k = key_of((*t)->name, r->region, r->id, r->name,
						 r->skip_reason != NULL);

				json_object_set_new(seen, k, json_true());
				free(k);
			}
			tp_resource_list_release(&l);
		}
	}
}

/* Keys of `a` missing from `b`, as one line for a failure message. */
static char *missing(json_t *a, json_t *b)
{
	tp_buf out = TP_BUF_INIT;
	const char *k;
	json_t *v;

	json_object_foreach(a, k, v)
		if (!json_object_get(b, k))
			tp_buf_addf(&out, "\n  %s", k);
	return tp_buf_detach(&out);
}

/*
 * populate.py fills member 2 (200+ resources, 25+ types, 2 regions); every
 * type's list, together, finds exactly what inventory.py (boto3, no
 * tidepool) finds, with the same ids, names, regions and skips.
 */
static void test_cleaner_types__lists_match_inventory(void **state)
{
	static const char *const pop_args[] = { "--regions", "us-east-1,eu-west-1", NULL };
	json_t *pop, *inv, *want = json_object(), *seen = json_object(), *x;
	char *only_ours, *only_theirs;
	size_t i;

	(void)state;
	pop = run_py(&m2, "tests/cleaner/populate.py", pop_args, 0);
	assert_true(json_integer_value(json_object_get(pop, "total")) >= 200);
	assert_true(json_object_size(json_object_get(pop, "counts")) >= 25);
	inv = run_py(&m2, "tests/cleaner/inventory.py", pop_args, 1);
	json_array_foreach(inv, i, x) {
		char *k = key_of(json_string_value(json_object_get(x, "type")),
				 json_string_value(json_object_get(x, "region")),
				 json_string_value(json_object_get(x, "id")),
				 json_string_value(json_object_get(x, "name")),
				 json_object_get(x, "skip") != NULL);

		json_object_set_new(want, k, json_true());
		free(k);
	}
	assert_true((json_int_t)json_object_size(want) >= json_integer_value(json_object_get(pop, "total")));
	list_everything(seen);
	only_ours = missing(seen, want);
	only_theirs = missing(want, seen);
	if (*only_ours || *only_theirs)
		fail_msg("tidepool's types and inventory.py disagree.\nonly tidepool:%s\n"
			 "only inventory.py:%s", only_ours, only_theirs);
	free(only_ours);
	free(only_theirs);
	json_decref(pop);
	json_decref(inv);
	json_decref(want);
	json_decref(seen);
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
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_cleaner_types__iam_policy_held);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_cleaner_types__s3_versioned_bucket);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_cleaner_types__s3_emptying_speed);
	tests[n++] = (struct CMUnitTest)cmocka_unit_test(test_cleaner_types__lists_match_inventory);
	return _cmocka_run_group_tests("test_cleaner_types", tests, n, setup, teardown);
}
