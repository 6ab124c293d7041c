/*
 * tidepool against an AWS that throttles and fails (issue 7, item 2):
 * tests/faultproxy.py between every client and moto.
 *
 *   - every protocol's throttling and 5xx shapes, as tidepool's client
 *     and as botocore (the suites' SDK) parse and classify them; resets,
 *     truncated bodies and slow answers as tidepool's client sees them;
 *   - the example project (examples/shop: 8 stacks, 14 suites) end to end,
 *     deploy, suites and the cleaner, through 20 % throttling, 5 % 5xx,
 *     2 % resets and 2 % slow answers: every suite passes, the proxy's
 *     counters show the faults happened, results.json and the closing
 *     summary show tidepool's retries, and no retry was refused by an
 *     empty retry bucket;
 *   - `tidepool sweep --no-dry-run --yes` cleans a dirty account through
 *     the same faults plus 10 % truncated bodies;
 *   - a run whose endpoint refuses connections fails within seconds, exit
 *     3, naming the URL and the reason, and leaves the pool as it was.
 *
 * Every process (tidepool, the suites it starts, the aws CLI) gets
 * AWS_MAX_ATTEMPTS=10 and AWS_RETRY_MODE=standard. Why 10: about 27 % of
 * the answers are faults, so with the default 3 attempts a call fails
 * 0.27^3 = 2 % of the time, and a run makes thousands of calls (the suites
 * alone a few hundred, most of them fatal to their suite when they fail).
 * With 10 it is 0.27^10 = 2e-6 per call: below 1 % over 5,000 calls, and
 * tidepool's deployer and cleaner retry even those at their own level.
 * The extra attempts cost nothing unless the faults keep coming.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "aws/client.h"
#include "aws/http.h"
#include "aws/retry.h"
#include "aws/sts.h"
#include "suites/config.h"
#include "tests/faultproxy.h"
#include "tests/integration/test_run_support.h"
#include "tests/support/moto.h"

#define ACCOUNTS 4

/* The fault mix of the full run (issue 7): rates per request. */
static const char *const run_mix[] = { "--throttle", "0.20", "--error", "0.05", "--reset", "0.02",
				       "--slow", "0.02", "--slow-ms", "100-600", "--seed", "7", NULL };
static const char run_mix_json[] =
	"{\"throttle\": 0.20, \"error\": 0.05, \"reset\": 0.02, \"truncate\": 0, \"slow\": 0.02,"
	" \"seed\": 7, \"reset_counters\": true}";

static tp_local *moto;
static tp_faultproxy proxy;
static char *root;
static char *env[12];

static int setup(void **state)
{
	(void)state;
	tp_http_global_init();
	moto = tp_test_moto_start(0, ACCOUNTS);
	tp_faultproxy_start(&proxy, tp_local_endpoint(moto), run_mix);
	root = tp_test_tmpdir("faults");
	env[0] = tp_xasprintf("AWS_ENDPOINT_URL=%s", proxy.url);
	env[1] = tp_xasprintf("AWS_ACCESS_KEY_ID=%s", tp_local_access_key(moto));
	env[2] = tp_xasprintf("AWS_SECRET_ACCESS_KEY=%s", tp_local_secret_key(moto));
	env[3] = tp_xstrdup("AWS_REGION=us-east-1");
	env[4] = tp_xstrdup("AWS_DEFAULT_REGION=us-east-1");
	env[5] = tp_xstrdup("AWS_PROFILE=");
	env[6] = tp_xstrdup("AWS_SESSION_TOKEN=");
	env[7] = tp_xstrdup("AWS_MAX_ATTEMPTS=10");       /* see the top of this file */
	env[8] = tp_xstrdup("AWS_RETRY_MODE=standard");
	env[9] = tp_xasprintf("AWS_CONFIG_FILE=%s/aws-config", root);
	return 0;
}

static int teardown(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; env[i]; i++)
		free(env[i]);
	tp_faultproxy_stop(&proxy);
	tp_local_stop(moto);
	tp_test_rmtree(root);
	free(root);
	tp_http_global_cleanup();
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

/* A client of the runner's keys through the proxy, `attempts` attempts, fast retries. */
static tp_aws_client *proxied_client(int attempts, tp_cred_provider *creds)
{
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_aws_client *c = NULL;

	o.region = "us-east-1";
	o.endpoint_url = proxy.url;
	o.creds = creds ? creds : tp_local_creds(moto);
	o.max_attempts = attempts;
	o.retry_base_ms = 5;
	o.retry_cap_ms = 50;
	o.timeout_ms = 20000;
	if (tp_aws_client_new(&c, &o) < 0)
		fail_msg("tp_aws_client_new: %s", tp_error_last()->msg);
	return c;
}

static void set_rates(const char *json)
{
	json_decref(tp_faultproxy_control(&proxy, json));
}

/* tidepool ARGS... with the test's environment; exit code, output and errors. */
static int tidepool(const char *const *args, char **out, char **err)
{
	char *argv[24];
	int n = 0;

	argv[n++] = (char *)tp_test_tidepool_bin();
	while (*args && n < 23)
		argv[n++] = (char *)*args++;
	argv[n] = NULL;
	return tp_test_run(argv, env, out, err);
}

/* `tidepool status --json -C dir`: the document (new reference). */
static json_t *status(const char *dir)
{
	const char *args[] = { "status", "--json", "-C", dir, NULL };
	char *out = NULL, *err = NULL;
	json_t *j;
	int rc = tidepool(args, &out, &err);

	j = json_loads(out, 0, NULL);
	if (rc != 0 || !j)
		fail_msg("status exited %d: %s", rc, err);
	free(out);
	free(err);
	return j;
}

static long count_state(json_t *status_doc, const char *state)
{
	return (long)json_integer_value(json_object_get(json_object_get(status_doc, "counts"), state));
}

/* A copy of examples/shop whose pool is moto's member accounts. */
static char *shop_copy(void)
{
	char *src = tp_test_source_path("examples/shop");
	char *dir = tp_xasprintf("%s/shop", root), *yaml_path, *yaml = NULL, *line, *end, *accts;
	char *argv[] = { "cp", "-R", src, dir, NULL };
	char *out = NULL, *err = NULL, *p;
	tp_buf y = TP_BUF_INIT;
	size_t len, i;

	if (tp_test_run(argv, NULL, &out, &err) != 0)
		fail_msg("cp -R %s: %s", src, err);
	free(out);
	free(err);
	p = tp_xasprintf("%s/.tidepool", dir);
	tp_test_rmtree(p);                 /* the demo's history, when there is one */
	free(p);
	yaml_path = tp_xasprintf("%s/tidepool.yaml", dir);
	assert_int_equal(tp_read_file(yaml_path, &yaml, &len), 0);
	line = strstr(yaml, "\n  accounts: [");
	assert_non_null(line);
	end = strchr(line + 1, '\n');
	accts = tp_xstrdup("\n  accounts: [");
	tp_buf_add(&y, yaml, (size_t)(line - yaml));
	tp_buf_adds(&y, accts);
	for (i = 0; i < tp_local_account_count(moto); i++)
		tp_buf_addf(&y, "%s\"%s\"", i ? ", " : "", tp_local_account(moto, i));
	tp_buf_adds(&y, "]");
	tp_buf_adds(&y, end);
	p = tp_test_write_file(dir, "tidepool.yaml", tp_buf_cstr(&y));
	free(p);
	tp_buf_release(&y);
	free(accts);
	free(yaml);
	free(yaml_path);
	free(src);
	return dir;
}

/* ---- every protocol's faults ------------------------------------------------ */

struct shape {
	const char *service;      /* through tidepool's client */
	const char *action;       /* query/JSON action; NULL for the REST calls below */
	const char *code;         /* the throttling code its protocol answers with */
};

static int call_shape(tp_aws_client *c, const struct shape *s)
{
	tp_rest_response resp = TP_REST_RESPONSE_INIT;
	tp_rest_request rq = { 0 };
	xmlDocPtr doc = NULL;
	json_t *out = NULL;
	int rc;

	if (strcmp(s->service, "s3") == 0) {
		rq.operation = "ListBuckets";
		rq.method = "GET";
		rq.path = "/";
		rc = tp_aws_rest(c, &resp, "s3", NULL, &rq);
		tp_http_response_release(&resp);
		return rc;
	}
	if (strcmp(s->service, "lambda") == 0) {
		rc = tp_aws_rest_json(c, &out, "lambda", NULL, "ListFunctions", "GET",
				      "/2015-03-31/functions/", NULL, NULL);
		json_decref(out);
		return rc;
	}
	if (strcmp(s->service, "sts") == 0 || strcmp(s->service, "ec2") == 0 ||
	    strcmp(s->service, "cloudformation") == 0) {
		rc = tp_aws_query(c, &doc, s->service, NULL, s->action, NULL);
		xmlFreeDoc(doc);
		return rc;
	}
	rc = tp_aws_json(c, &out, s->service, NULL, s->action, NULL);
	json_decref(out);
	return rc;
}

static const struct shape shapes[] = {
	{ "sts", "GetCallerIdentity", "Throttling" },
	{ "cloudformation", "ListStacks", "Throttling" },
	{ "ec2", "DescribeVpcs", "RequestLimitExceeded" },
	{ "sqs", "ListQueues", "ThrottlingException" },
	{ "logs", "DescribeLogGroups", "ThrottlingException" },
	{ "dynamodb", "ListTables", "ProvisionedThroughputExceededException" },
	{ "s3", NULL, "SlowDown" },
	{ "lambda", NULL, "TooManyRequestsException" },
};

/* Throttled and failing on every attempt: tidepool's client sees each protocol's code. */
static void check_throttle_and_5xx(tp_aws_client *one)
{
	size_t i;

	set_rates("{\"throttle\": 1, \"error\": 0, \"reset\": 0, \"truncate\": 0, \"slow\": 0}");
	for (i = 0; i < TP_ARRAY_SIZE(shapes); i++) {
		int rc = call_shape(one, &shapes[i]);
		const tp_error *e = tp_error_last();

		if (rc != TP_ETHROTTLED || strcmp(e->aws_code, shapes[i].code) != 0)
			fail_msg("%s throttled: rc %d code '%s' (want %s): %s", shapes[i].service, rc,
				 e->aws_code, shapes[i].code, e->msg);
		assert_int_equal(tp_retry_classify(0, e->http_status, e->aws_code), TP_RETRY_THROTTLE);
	}
	set_rates("{\"throttle\": 0, \"error\": 1}");
	for (i = 0; i < TP_ARRAY_SIZE(shapes); i++) {
		int rc = call_shape(one, &shapes[i]);
		const tp_error *e = tp_error_last();

		if (rc >= 0 || (e->http_status != 500 && e->http_status != 503))
			fail_msg("%s with a 5xx: rc %d status %d: %s", shapes[i].service, rc,
				 e->http_status, e->msg);
		assert_int_equal(tp_retry_classify(0, e->http_status, e->aws_code), TP_RETRY_TRANSIENT);
	}
}

/* Resets and truncated bodies are transport errors; slow answers only take time. */
static void check_transport_faults(tp_aws_client *one, tp_aws_client *many)
{
	tp_identity id;
	int64_t t0;

	set_rates("{\"error\": 0, \"reset\": 1}");
	assert_int_equal(tp_sts_get_caller_identity(one, &id), TP_ENET);
	set_rates("{\"reset\": 0, \"truncate\": 1}");
	assert_int_equal(tp_sts_get_caller_identity(one, &id), TP_ENET);
	/* half of the answers truncated: the retries get a whole one */
	set_rates("{\"truncate\": 0.5}");
	if (tp_sts_get_caller_identity(many, &id) < 0)
		fail_msg("with half the answers truncated: %s", tp_error_last()->msg);
	assert_string_equal(id.account, tp_local_management_account(moto));
	set_rates("{\"truncate\": 0, \"slow\": 1}");
	t0 = tp_now_ms();
	assert_int_equal(tp_sts_get_caller_identity(one, &id), 0);
	assert_true(tp_now_ms() - t0 >= 100);
	set_rates("{\"slow\": 0}");
}

static void test_faults__every_protocol(void **state)
{
	tp_aws_client *one = proxied_client(1, NULL), *many = proxied_client(20, NULL);
	char *script = tp_test_source_path("tests/faultproxy_check.py");
	char *argv[] = { "python3", script, proxy.url, NULL };
	char *out = NULL, *err = NULL;
	json_t *st;
	int rc;

	(void)state;
	set_rates("{\"reset_counters\": true}");
	check_throttle_and_5xx(one);
	check_transport_faults(one, many);
	st = tp_faultproxy_control(&proxy, NULL);
	assert_int_equal(tp_faultproxy_count(st, "faults.throttle"), TP_ARRAY_SIZE(shapes));
	assert_int_equal(tp_faultproxy_count(st, "faults.error_500") +
			 tp_faultproxy_count(st, "faults.error_503"), TP_ARRAY_SIZE(shapes));
	assert_true(tp_faultproxy_count(st, "faults.reset") >= 1);   /* libcurl resends once on a reused connection */
	assert_true(tp_faultproxy_count(st, "faults.truncate") >= 1);
	assert_int_equal(tp_faultproxy_count(st, "faults.slow"), 1);
	assert_int_equal(tp_faultproxy_count(st, "throttle_by_flavour.dynamodb"), 1);
	assert_int_equal(tp_faultproxy_count(st, "throttle_by_flavour.json"), 2);
	assert_int_equal(tp_faultproxy_count(st, "throttle_by_flavour.query"), 2);
	json_decref(st);
	/* botocore, as the suites use it, on the same shapes */
	rc = tp_test_run(argv, env, &out, &err);
	if (rc != 0)
		fail_msg("tests/faultproxy_check.py exited %d:\n%s%s", rc, out, err);
	free(out);
	free(err);
	free(script);
	tp_aws_client_free(one);
	tp_aws_client_free(many);
}

/* ---- the retry bucket under the run's mix -------------------------------------- */

/*
 * One long-lived client (as the deployer keeps per account) through the
 * run's mix for 600 calls: does its retry bucket (500 tokens, 5 a retry, 1
 * back per success, the retry's 5 back when a retried call succeeds) run
 * dry and stop retrying? At 27 % faults a call's expected balance is
 * +0.73 for first-try successes, 0 for successes after one retry, -5 per
 * further retry: about +0.23 tokens a call (break-even near 31 % faults),
 * so the bucket stays near full. Calls that end in an error that is not
 * retried (NotFound, a failed condition) pay for their retries and get
 * nothing back; a client making mostly those could drain, as an SDK's
 * would.
 */
static void test_faults__retry_bucket_holds(void **state)
{
	tp_retry_bucket *bucket = tp_retry_bucket_new(0);
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_aws_client *c = NULL;
	tp_aws_stats st;
	tp_identity id;
	int i, low = 500;

	(void)state;
	o.region = "us-east-1";
	o.endpoint_url = proxy.url;
	o.creds = tp_local_creds(moto);
	o.max_attempts = 10;
	o.retry_base_ms = 2;
	o.retry_cap_ms = 20;
	o.bucket = bucket;
	assert_int_equal(tp_aws_client_new(&c, &o), 0);
	set_rates(run_mix_json);
	for (i = 0; i < 600; i++) {
		if (tp_sts_get_caller_identity(c, &id) < 0)
			fail_msg("call %d: %s", i, tp_error_last()->msg);
		if (tp_retry_bucket_level(bucket) < low)
			low = tp_retry_bucket_level(bucket);
	}
	tp_aws_client_stats(c, &st);
	print_message("600 calls, %llu retries (%llu throttled, %llu transient); retry bucket: lowest "
		      "%d of 500, last %d\n", (unsigned long long)st.retries,
		      (unsigned long long)st.throttled, (unsigned long long)st.transient, low,
		      tp_retry_bucket_level(bucket));
	assert_true(st.retries > 100);
	assert_int_equal(st.quota_refused, 0);
	assert_true(low > 400);
	tp_aws_client_free(c);
	tp_retry_bucket_free(bucket);
}

/* ---- the example project through the faults ------------------------------------ */

static void check_run_report(const char *report, const char *out, size_t nsuites)
{
	char *p = tp_xasprintf("%s/results.json", report);
	json_t *j = load_json(p), *aws = json_object_get(j, "aws");
	char *want = tp_xasprintf("%zu suites: %zu passed, 0 failed, 0 errors", nsuites, nsuites);
	json_int_t retries = json_integer_value(json_object_get(aws, "retries"));

	if (!strstr(out, want))
		fail_msg("no \"%s\" in:\n%s", want, out);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(j, "counts"), "passed")),
			 (json_int_t)nsuites);
	/* tidepool's own retries, by cause, in results.json and the closing summary */
	assert_true(json_integer_value(json_object_get(aws, "calls")) > 100);
	assert_true(retries > 10);
	assert_true(json_integer_value(json_object_get(aws, "throttled")) > 0);
	assert_true(json_integer_value(json_object_get(aws, "transient")) > 0);
	assert_int_equal(json_integer_value(json_object_get(aws, "attempts")),
			 json_integer_value(json_object_get(aws, "calls")) + retries);
	/* the bucket never ran dry: every retryable failure was retried */
	assert_int_equal(json_integer_value(json_object_get(aws, "quota_refused")), 0);
	free(want);
	want = tp_xasprintf("AWS: %lld calls, %lld retries (", (long long)json_integer_value(
				    json_object_get(aws, "calls")), (long long)retries);
	if (!strstr(out, want))
		fail_msg("no \"%s\" in:\n%s", want, out);
	free(want);
	json_decref(j);
	free(p);
}

static void print_counts(const char *what, json_t *st)
{
	char *by = json_dumps(json_object_get(st, "throttle_by_flavour"), JSON_COMPACT);

	print_message("faults injected in %s: %ld requests, %ld throttled %s, %ld 500, %ld 503, "
		      "%ld resets, %ld truncated, %ld slow\n", what,
		      tp_faultproxy_count(st, "requests"), tp_faultproxy_count(st, "faults.throttle"),
		      by, tp_faultproxy_count(st, "faults.error_500"),
		      tp_faultproxy_count(st, "faults.error_503"), tp_faultproxy_count(st, "faults.reset"),
		      tp_faultproxy_count(st, "faults.truncate"), tp_faultproxy_count(st, "faults.slow"));
	free(by);
}

/* The proxy saw the mix: each fault, and throttling in each protocol the run speaks. */
static void check_injected(void)
{
	/* the protocols with dozens of requests in a run (S3 has about 25: 0.8^25 = 0.4 % of
	 * runs would throttle none; every protocol's shape is checked in every_protocol) */
	static const char *const flavours[] = { "query", "json", "dynamodb", "rest-json" };
	json_t *st = tp_faultproxy_control(&proxy, NULL);
	long requests = tp_faultproxy_count(st, "requests");
	long throttled = tp_faultproxy_count(st, "faults.throttle");
	size_t i;

	print_counts("the run", st);
	assert_true(requests > 500);
	assert_true(throttled > requests / 10 && throttled < requests * 3 / 10);
	assert_true(tp_faultproxy_count(st, "faults.error_500") > 0);
	assert_true(tp_faultproxy_count(st, "faults.error_503") > 0);
	assert_true(tp_faultproxy_count(st, "faults.reset") > 0);
	assert_true(tp_faultproxy_count(st, "faults.slow") > 0);
	for (i = 0; i < TP_ARRAY_SIZE(flavours); i++) {
		char *key = tp_xasprintf("throttle_by_flavour.%s", flavours[i]);
		if (tp_faultproxy_count(st, key) == 0)
			fail_msg("no %s request was throttled", flavours[i]);
		free(key);
	}
	json_decref(st);
}

static void test_faults__full_run_of_the_example(void **state)
{
	char *dir = shop_copy();
	char *report = tp_xasprintf("%s/report", dir), *junit = tp_xasprintf("%s/junit.xml", dir);
	const char *args[] = { "run", "-C", dir, "-j", "4", "--report", report, "--junit", junit, NULL };
	char *out = NULL, *err = NULL;
	tp_config *c = NULL;
	json_t *st;
	int rc;

	(void)state;
	assert_int_equal(tp_config_load_dir(&c, dir), 0);
	set_rates(run_mix_json);
	rc = tidepool(args, &out, &err);
	if (rc != 0)
		fail_msg("the run through the faults exited %d\nstdout:\n%s\nstderr:\n%s", rc, out, err);
	check_run_report(report, out, c->n_suites);
	print_message("%s", strstr(out, " suites: ") - 2);   /* the summary and AWS lines */
	check_injected();
	/* every account went through the cleaner (through the faults) and is available */
	st = status(dir);
	assert_int_equal(count_state(st, "available"), ACCOUNTS);
	json_decref(st);
	free(out);
	free(err);
	free(report);
	free(junit);
	free(dir);
	tp_config_free(c);
}

/* ---- sweep through the faults ------------------------------------------------------ */

/* A client in `account` with the credentials `tidepool credentials` hands out. */
static tp_aws_client *account_client(const char *dir, const char *account, long long token)
{
	char tok[24];
	const char *args[] = { "credentials", account, "--token", tok, "-C", dir, NULL };
	char *out = NULL, *err = NULL;
	json_t *j;
	tp_aws_client *c;
	int rc;

	snprintf(tok, sizeof(tok), "%lld", token);
	rc = tidepool(args, &out, &err);
	j = json_loads(out, 0, NULL);
	if (rc != 0 || !j)
		fail_msg("credentials exited %d: %s", rc, err);
	c = proxied_client(10, tp_creds_static(json_string_value(json_object_get(j, "AccessKeyId")),
					       json_string_value(json_object_get(j, "SecretAccessKey")),
					       json_string_value(json_object_get(j, "SessionToken"))));
	json_decref(j);
	free(out);
	free(err);
	return c;
}

/* Queues named sweep-* in `account`, straight from moto (no faults). */
static size_t queues_left(const char *account)
{
	tp_aws_client *c = tp_test_moto_client_in(moto, account, "faults-test", NULL);
	json_t *out = NULL, *req = json_pack("{s:s}", "QueueNamePrefix", "sweep-");
	size_t n;

	assert_int_equal(tp_aws_json(c, &out, "sqs", NULL, "ListQueues", req), 0);
	n = json_array_size(json_object_get(out, "QueueUrls"));
	json_decref(out);
	json_decref(req);
	tp_aws_client_free(c);
	return n;
}

static void test_faults__sweep(void **state)
{
	char *dir = tp_xasprintf("%s/shop", root);
	const char *claim[] = { "claim", "--owner", "faults", "--json", "-C", dir, NULL };
	const char *sweep[] = { "sweep", "--no-dry-run", "--yes", "-C", dir, NULL };
	char *out = NULL, *err = NULL, account[13];
	long long token;
	tp_aws_client *c;
	json_t *j;
	int i, rc;

	(void)state;
	/* truncation at 10 %: about 100 requests, most of them reads, so some are cut */
	set_rates("{\"throttle\": 0.20, \"error\": 0.05, \"reset\": 0.02, \"truncate\": 0.10,"
		  " \"slow\": 0.02, \"seed\": 11, \"reset_counters\": true}");
	rc = tidepool(claim, &out, &err);
	j = json_loads(out, 0, NULL);
	if (rc != 0 || !j)
		fail_msg("claim exited %d: %s", rc, err);
	tp_strlcpy(account, json_string_value(json_object_get(j, "account")), sizeof(account));
	token = (long long)json_integer_value(json_object_get(j, "token"));
	json_decref(j);
	free(out);
	free(err);
	/* what a developer leaves behind in a claimed account */
	c = account_client(dir, account, token);
	for (i = 0; i < 5; i++) {
		char *name = tp_xasprintf("sweep-%d", i);
		json_t *req = json_pack("{s:s}", "QueueName", name), *resp = NULL;

		if (tp_aws_json(c, &resp, "sqs", NULL, "CreateQueue", req) < 0)
			fail_msg("CreateQueue %s: %s", name, tp_error_last()->msg);
		json_decref(req);
		json_decref(resp);
		free(name);
	}
	tp_aws_client_free(c);
	assert_int_equal(queues_left(account), 5);
	{
		char tok[24];
		const char *release[] = { "release", account, "--token", tok, "-C", dir, NULL };

		snprintf(tok, sizeof(tok), "%lld", token);
		rc = tidepool(release, &out, &err);
		if (rc != 0)
			fail_msg("release exited %d: %s", rc, err);
		free(out);
		free(err);
	}
	rc = tidepool(sweep, &out, &err);
	if (rc != 0)
		fail_msg("sweep through the faults exited %d\nstdout:\n%s\nstderr:\n%s", rc, out, err);
	assert_non_null(strstr(out, "SQSQueue"));
	free(out);
	free(err);
	assert_int_equal(queues_left(account), 0);
	j = status(dir);
	assert_int_equal(count_state(j, "available"), ACCOUNTS);
	json_decref(j);
	j = tp_faultproxy_control(&proxy, NULL);
	print_counts("claim, release, sweep", j);
	assert_true(tp_faultproxy_count(j, "faults.throttle") > 0);
	assert_true(tp_faultproxy_count(j, "faults.truncate") > 0);
	json_decref(j);
	free(dir);
}

/* ---- a dead endpoint ------------------------------------------------------------------- */

/* A loopback port nothing listens on (bound, then closed). */
static int dead_port(void)
{
	struct sockaddr_in a;
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* `tidepool ARGS` against the dead endpoint `url`: exit 3 within 10 s, naming it and why. */
static void fails_fast(const char *const *args, const char *url)
{
	char *out = NULL, *err = NULL;
	int64_t t0 = tp_now_ms(), ms;
	int rc;

	rc = tidepool(args, &out, &err);
	ms = tp_now_ms() - t0;
	print_message("dead endpoint: tidepool %s: exit %d after %lld ms: %s", args[0], rc,
		      (long long)ms, err);
	assert_int_equal(rc, 3);
	assert_true(ms < 10000);
	if (!strstr(err, url) || !strstr(err, "connect"))
		fail_msg("the error does not name %s and the reason:\n%s", url, err);
	free(out);
	free(err);
}

static void test_faults__dead_endpoint(void **state)
{
	char *dir = tp_xasprintf("%s/dead", root), *url, *p;
	char *report = tp_xasprintf("%s/report", dir);
	const char *run[] = { "run", "-C", dir, "--report", report, NULL };
	const char *claim[] = { "claim", "-C", dir, "--deploy", NULL };
	const char *deploy[] = { "deploy", "-C", dir, "--all", NULL };
	char *before, *after;
	char *saved = env[0];
	json_t *st;

	(void)state;
	mkdir(dir, 0700);
	p = tp_test_write_file(dir, "tidepool.yaml",
			       "project: dead\nregions: [us-east-1]\n"
			       "pool:\n  store: sqlite:pool.db\n"
			       "  accounts: [\"111111111111\", \"222222222222\"]\n"
			       "stacks:\n  - {name: q, template: q.yaml}\n"
			       "suites:\n  - {name: s1, command: \"true\", stacks: [q]}\n"
			       "  - {name: s2, command: \"true\"}\n");
	free(p);
	p = tp_test_write_file(dir, "q.yaml", "Resources:\n  Q:\n    Type: AWS::SQS::Queue\n");
	free(p);
	url = tp_xasprintf("http://127.0.0.1:%d", dead_port());
	env[0] = tp_xasprintf("AWS_ENDPOINT_URL=%s", url);
	free(env[7]);
	env[7] = tp_xstrdup("AWS_MAX_ATTEMPTS=");         /* the default: 3 */
	st = status(dir);
	before = json_dumps(json_object_get(st, "accounts"), JSON_SORT_KEYS);
	json_decref(st);
	fails_fast(run, url);
	fails_fast(claim, url);       /* before leasing: not after minutes of deploy retries */
	fails_fast(deploy, url);
	st = status(dir);
	after = json_dumps(json_object_get(st, "accounts"), JSON_SORT_KEYS);
	assert_string_equal(after, before);
	assert_int_equal(count_state(st, "available"), 2);
	json_decref(st);
	free(env[7]);
	env[7] = tp_xstrdup("AWS_MAX_ATTEMPTS=10");
	free(env[0]);
	env[0] = saved;
	free(before);
	free(after);
	free(url);
	free(report);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults__every_protocol),
		cmocka_unit_test(test_faults__retry_bucket_holds),
		cmocka_unit_test(test_faults__full_run_of_the_example),
		cmocka_unit_test(test_faults__sweep),
		cmocka_unit_test(test_faults__dead_endpoint),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
