/*
 * The credential chain: every source, the precedence between them, the
 * shared-file parser and its errors, and refreshing through the cache.
 *
 * Each test runs with HOME in a fresh temporary directory and every AWS
 * variable cleared, so the ~/.aws files are the test's own files and nothing of the
 * machine's leaks in. IMDS is off unless a test points it at the loopback
 * server; STS (AssumeRole, AssumeRoleWithWebIdentity) and the container
 * endpoint are loopback servers too, which record what they were sent.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/client.h"
#include "aws/creds.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/ini.h"
#include "aws/util.h"
#include "tests/support/httpd.h"
#include "tests/support/testutil.h"

static const char *const aws_vars[] = {
	"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CREDENTIAL_EXPIRATION", "AWS_ACCOUNT_ID", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
	"AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_DISABLED",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT", "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
	"AWS_EC2_METADATA_V1_DISABLED", "AWS_METADATA_SERVICE_TIMEOUT",
	"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "AWS_REGION", "AWS_DEFAULT_REGION",
	"AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_STS", "AWS_MAX_ATTEMPTS",
};

static char *dir;          /* the test's HOME */
static char *saved_home;

static void clear_env(void)
{
	size_t i;

	for (i = 0; i < TP_ARRAY_SIZE(aws_vars); i++)
		unsetenv(aws_vars[i]);
}

static int setup(void **state)
{
	(void)state;
	dir = tp_test_tmpdir("creds");
	clear_env();
	setenv("HOME", dir, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	tp_error_clear();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tp_test_rmtree(dir);
	free(dir);
	dir = NULL;
	clear_env();
	return 0;
}

/* ~/.aws/<name> */
static void write_aws(const char *name, const char *text)
{
	char *rel = tp_xasprintf(".aws/%s", name);

	free(tp_test_write_file(dir, rel, text));
	free(rel);
}

/* A file in HOME; caller frees the path. */
static char *write_home(const char *name, const char *text)
{
	return tp_test_write_file(dir, name, text);
}

/* One load through a fresh default chain. */
static int chain_get(tp_creds *c)
{
	tp_cred_provider *p = tp_creds_default_chain();
	int rc = tp_creds_get(p, c);

	tp_cred_provider_free(p);
	return rc;
}

static void assert_keys(const tp_creds *c, const char *id, const char *secret,
			const char *token, const char *source)
{
	assert_string_equal(c->access_key_id, id);
	assert_string_equal(c->secret_access_key, secret);
	if (token)
		assert_string_equal(c->session_token, token);
	else
		assert_null(c->session_token);
	assert_string_equal(c->source, source);
}

static void iso_in(char *buf, size_t size, long seconds)
{
	tp_time_iso8601(buf, size, tp_time_now() + seconds);
}

/* ---- a loopback STS ----------------------------------------------------- */

#define MAX_CALLS 8

struct sts_call {
	char action[64], role[256], session[128], external_id[64], duration[16];
	char token[256], auth[512];
};

struct sts {
	int n;
	struct sts_call calls[MAX_CALLS];
	const char *fail_code;    /* reply 403 with this code */
};

/* The URL-decoded value of `key` in a form body. */
static void form_value(const char *body, const char *key, char *out, size_t size)
{
	size_t klen = strlen(key), o = 0;
	const char *p = body;

	out[0] = '\0';
	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && p[klen] == '=') {
			for (p += klen + 1; *p && *p != '&' && o + 1 < size; p++) {
				unsigned int c;
				if (*p == '%' && sscanf(p + 1, "%2x", &c) == 1) {
					out[o++] = (char)c;
					p += 2;
				} else {
					out[o++] = *p == '+' ? ' ' : *p;
				}
			}
			out[o] = '\0';
			return;
		}
		p = strchr(p, '&');
		if (p)
			p++;
	}
}

static void sts_handler(void *ctx, const tp_test_http_req *req, tp_test_reply *reply)
{
	struct sts *s = ctx;
	struct sts_call *c = &s->calls[s->n < MAX_CALLS ? s->n : MAX_CALLS - 1];
	const char *name, *acct;
	char exp[32];

	s->n++;
	memset(c, 0, sizeof(*c));
	form_value(req->body, "Action", c->action, sizeof(c->action));
	form_value(req->body, "RoleArn", c->role, sizeof(c->role));
	form_value(req->body, "RoleSessionName", c->session, sizeof(c->session));
	form_value(req->body, "ExternalId", c->external_id, sizeof(c->external_id));
	form_value(req->body, "DurationSeconds", c->duration, sizeof(c->duration));
	form_value(req->body, "WebIdentityToken", c->token, sizeof(c->token));
	tp_test_http_header(req, "Authorization", c->auth, sizeof(c->auth));
	if (s->fail_code) {
		reply->status = 403;
		reply->body = tp_xasprintf("<ErrorResponse><Error><Type>Sender</Type><Code>%s</Code>"
					   "<Message>not allowed</Message></Error>"
					   "<RequestId>req-1</RequestId></ErrorResponse>", s->fail_code);
		return;
	}
	name = strrchr(c->role, '/') ? strrchr(c->role, '/') + 1 : "none";
	acct = strlen(c->role) > 25 ? c->role + 13 : "000000000000";   /* arn:aws:iam::ACCOUNT: */
	iso_in(exp, sizeof(exp), 3600);
	reply->body = tp_xasprintf(
		"<%sResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><%sResult>"
		"<Credentials><AccessKeyId>AK-%s</AccessKeyId><SecretAccessKey>SK-%s</SecretAccessKey>"
		"<SessionToken>TK-%s</SessionToken><Expiration>%s</Expiration></Credentials>"
		"<AssumedRoleUser><Arn>arn:aws:sts::%.12s:assumed-role/%s/%s</Arn>"
		"<AssumedRoleId>AROA:%s</AssumedRoleId></AssumedRoleUser></%sResult>"
		"<ResponseMetadata><RequestId>r-%d</RequestId></ResponseMetadata></%sResponse>",
		c->action, c->action, name, name, name, exp, acct, name, c->session, c->session,
		c->action, s->n, c->action);
}

static tp_test_httpd *start_sts(struct sts *s)
{
	tp_test_httpd *h;

	memset(s, 0, sizeof(*s));
	h = tp_test_httpd_start(sts_handler, s);
	assert_non_null(h);
	setenv("AWS_ENDPOINT_URL_STS", tp_test_httpd_url(h), 1);
	setenv("AWS_MAX_ATTEMPTS", "1", 1);
	return h;
}

/* The access key a request was signed with ("Credential=KEY/date/region/..."). */
static int signed_with(const struct sts_call *c, const char *key, const char *region)
{
	char want[256];

	snprintf(want, sizeof(want), "Credential=%s/", key);
	if (!strstr(c->auth, want))
		return 0;
	snprintf(want, sizeof(want), "/%s/sts/aws4_request", region);
	return strstr(c->auth, want) != NULL;
}

/* ---- the INI parser ------------------------------------------------------ */

static void test_creds__ini_reads_the_aws_dialect(void **state)
{
	static const char text[] =
		"\xef\xbb\xbf# comment\n"
		"; another\n"
		"[default]\n"
		"AWS_Access_Key_ID = AKID  \r\n"
		"region: eu-west-1\n"
		"empty =\n"
		"s3 =\n"
		"  max_concurrent_requests = 20\n"
		"\n"
		"    # an indented comment\n"
		"  addressing_style = path\n"
		"[profile  \"with space\"]\n"
		"role_arn=arn:aws:iam::1:role/x=y\n";
	tp_ini *ini = NULL;
	const tp_ini_section *s;

	(void)state;
	assert_int_equal(tp_ini_parse(&ini, text, strlen(text), "t"), 0);
	assert_int_equal(tp_ini_count(ini), 2);
	s = tp_ini_find(ini, "default");
	assert_string_equal(tp_ini_get(s, "aws_access_key_id"), "AKID");
	assert_string_equal(tp_ini_get(s, "region"), "eu-west-1");
	assert_string_equal(tp_ini_get(s, "empty"), "");
	assert_string_equal(tp_ini_get(s, "s3"), "\nmax_concurrent_requests = 20\naddressing_style = path");
	assert_null(tp_ini_get(s, "max_concurrent_requests"));
	s = tp_ini_at(ini, 1);
	assert_string_equal(tp_ini_section_name(s), "profile  \"with space\"");
	assert_string_equal(tp_ini_get(s, "role_arn"), "arn:aws:iam::1:role/x=y");
	tp_ini_free(ini);
}

static void test_creds__ini_errors_name_file_and_line(void **state)
{
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "[default]\nregion = x\nthis is wrong\n", "f:3: expected 'key = value'" },
		{ "region = x\n", "f:1: expected a [section] header before the first key" },
		{ "\n[default\n", "f:2: expected ']' to end the section header" },
		{ "[]\n", "f:1: empty section name '[]'" },
		{ "[a]\nx = 1\n[b]\n[a]\n", "f:4: duplicate section [a] (first at line 1)" },
		{ "[a]\nkey = 1\nKEY = 2\n", "f:3: duplicate key 'key' in [a] (first at line 2)" },
		{ "[a]\n = 1\n", "f:2: expected 'key = value'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(cases); i++) {
		tp_ini *ini = (tp_ini *)1;
		assert_int_equal(tp_ini_parse(&ini, cases[i].text, strlen(cases[i].text), "f"), TP_EINVAL);
		assert_null(ini);
		assert_string_equal(tp_error_last()->msg, cases[i].msg);
	}
}

/* ---- environment and static profiles ------------------------------------ */

static void test_creds__environment(void **state)
{
	tp_creds c = TP_CREDS_INIT;
	char exp[32];
	time_t want;

	(void)state;
	iso_in(exp, sizeof(exp), 7200);
	tp_time_parse_iso8601(exp, &want);
	setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT1", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	setenv("AWS_SESSION_TOKEN", "env-token", 1);
	setenv("AWS_CREDENTIAL_EXPIRATION", exp, 1);
	setenv("AWS_ACCOUNT_ID", "111122223333", 1);
	assert_int_equal(chain_get(&c), 0);
	assert_keys(&c, "AKIAENVIRONMENT1", "env-secret", "env-token", "environment");
	assert_int_equal(c.expiration, want);
	assert_string_equal(c.account_id, "111122223333");
	tp_creds_release(&c);
}

static void test_creds__environment_without_secret_is_an_error(void **state)
{
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	write_aws("credentials", "[default]\naws_access_key_id = AKIAPROFILE\n"
		  "aws_secret_access_key = profile-secret\n");
	setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT1", 1);
	assert_int_equal(chain_get(&c), TP_EINVAL);   /* not a fall-through to the profile */
	assert_string_equal(tp_error_last()->msg, "environment variables: AWS_ACCESS_KEY_ID is set "
			    "but AWS_SECRET_ACCESS_KEY is not");
}

static void test_creds__environment_wins_over_profile(void **state)
{
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	write_aws("credentials", "[dev]\naws_access_key_id = AKIAPROFILE\n"
		  "aws_secret_access_key = profile-secret\n");
	setenv("AWS_PROFILE", "dev", 1);
	setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT1", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	assert_int_equal(chain_get(&c), 0);
	assert_keys(&c, "AKIAENVIRONMENT1", "env-secret", NULL, "environment");
	tp_creds_release(&c);
}

static void test_creds__profile_static_keys(void **state)
{
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	write_aws("credentials", "[default]\naws_access_key_id = AKIADEFAULT\n"
		  "aws_secret_access_key = default-secret\n"
		  "[dev]\naws_access_key_id = AKIADEV\naws_secret_access_key = dev-secret\n"
		  "aws_session_token = dev-token\naws_account_id = 444455556666\n");
	assert_int_equal(chain_get(&c), 0);
	assert_keys(&c, "AKIADEFAULT", "default-secret", NULL, "profile default (credentials file)");
	assert_int_equal(c.expiration, 0);
	tp_creds_release(&c);
	setenv("AWS_PROFILE", "dev", 1);
	assert_int_equal(chain_get(&c), 0);
	assert_keys(&c, "AKIADEV", "dev-secret", "dev-token", "profile dev (credentials file)");
	assert_string_equal(c.account_id, "444455556666");
	tp_creds_release(&c);
}

static void test_creds__credentials_file_wins_over_config_file(void **state)
{
	tp_creds c = TP_CREDS_INIT;
	char *cfile, *kfile;

	(void)state;
	cfile = write_home("elsewhere/config",
			   "[profile dev]\naws_access_key_id = AKIACONFIG\n"
			   "aws_secret_access_key = config-secret\n"
			   "[profile only-config]\naws_access_key_id = AKIAONLYCONFIG\n"
			   "aws_secret_access_key = only-config-secret\n"
			   "[stray]\naws_access_key_id = AKIASTRAY\naws_secret_access_key = s\n");
	kfile = write_home("elsewhere/credentials",
			   "[dev]\naws_access_key_id = AKIACREDS\naws_secret_access_key = creds-secret\n");
	setenv("AWS_CONFIG_FILE", cfile, 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", kfile, 1);
	setenv("AWS_PROFILE", "dev", 1);
	assert_int_equal(chain_get(&c), 0);
	assert_keys(&c, "AKIACREDS", "creds-secret", NULL, "profile dev (credentials file)");
	tp_creds_release(&c);
	setenv("AWS_PROFILE", "only-config", 1);
	assert_int_equal(chain_get(&c), 0);
	assert_keys(&c, "AKIAONLYCONFIG", "only-config-secret", NULL, "profile only-config (config file)");
	tp_creds_release(&c);
	/* a config-file section without "profile " is not a profile */
	setenv("AWS_PROFILE", "stray", 1);
	assert_int_equal(chain_get(&c), TP_EINVAL);
	assert_non_null(strstr(tp_error_last()->msg, "the config profile (stray) could not be found"));
	free(cfile);
	free(kfile);
}

static void test_creds__missing_profile_is_an_error(void **state)
{
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	write_aws("config", "[profile dev]\nregion = eu-west-1\n");
	setenv("AWS_PROFILE", "nope", 1);
	setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT1", 1);   /* the CLI refuses even then */
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	assert_int_equal(chain_get(&c), TP_EINVAL);
	assert_string_equal(tp_error_last()->msg, "the config profile (nope) could not be found "
			    "(looked in ~/.aws/config and ~/.aws/credentials)");
	/* an explicitly named profile of the API too */
	{
		tp_cred_provider *p = tp_creds_profile("absent");
		assert_int_equal(tp_creds_get(p, &c), TP_EINVAL);
		assert_non_null(strstr(tp_error_last()->msg, "(absent) could not be found"));
		tp_cred_provider_free(p);
	}
}

static void test_creds__malformed_files_name_file_and_line(void **state)
{
	tp_creds c = TP_CREDS_INIT;
	char *kfile;

	(void)state;
	setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT1", 1);   /* a broken file is reported anyway */
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	write_aws("config", "[default]\nregion = eu-west-1\n\n# ok so far\noutput json\n");
	assert_int_equal(chain_get(&c), TP_EINVAL);
	assert_string_equal(tp_error_last()->msg, "~/.aws/config:5: expected 'key = value'");
	write_aws("config", "[default]\nregion = eu-west-1\n");
	kfile = write_home("k/creds", "[default]\naws_access_key_id = A\n[default]\n");
	setenv("AWS_SHARED_CREDENTIALS_FILE", kfile, 1);
	assert_int_equal(chain_get(&c), TP_EINVAL);
	assert_string_equal(tp_error_last()->msg,
			    "~/k/creds:3: duplicate section [default] (first at line 1)");
	free(kfile);
}

static void test_creds__partial_profile_keys_are_an_error(void **state)
{
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	write_aws("credentials", "[default]\naws_access_key_id = AKIAHALF\n");
	assert_int_equal(chain_get(&c), TP_EINVAL);
	assert_string_equal(tp_error_last()->msg, "profile default in ~/.aws/credentials: "
			    "aws_access_key_id without aws_secret_access_key");
}

static void test_creds__no_credentials_lists_every_source(void **state)
{
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	write_aws("config", "[default]\nregion = eu-west-1\n");
	assert_int_equal(chain_get(&c), TP_EAUTH);
	assert_string_equal(tp_error_last()->msg,
			    "no AWS credentials found; tried: environment variables, "
			    "profile default (~/.aws/credentials, ~/.aws/config), "
			    "web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set), "
			    "container (not configured), "
			    "instance metadata (AWS_EC2_METADATA_DISABLED=true)");
	/* IMDS on: a closed port is a reason in the list, not an error of its own */
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1/", 1);
	assert_int_equal(chain_get(&c), TP_EAUTH);
	assert_non_null(strstr(tp_error_last()->msg, "container (not configured), "
			       "instance metadata (http://127.0.0.1:1: "));
	assert_true(tp_ends_with(tp_error_last()->msg, ")"));
}

static void test_creds__sso_profiles_are_refused_by_name(void **state)
{
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	write_aws("config", "[profile sso]\nsso_session = corp\nsso_account_id = 1\n");
	setenv("AWS_PROFILE", "sso", 1);
	assert_int_equal(chain_get(&c), TP_EINVAL);
	assert_non_null(strstr(tp_error_last()->msg, "profile sso uses IAM Identity Center (SSO)"));
}

/* ---- credential_process ---------------------------------------------------- */

/* A credential_process script printing `json` and counting its runs in HOME/runs. */
static void process_profile(const char *json, int status)
{
	char *out = write_home("out.json", json);
	char *script = tp_xasprintf("echo run >> '%s/runs'; cat '%s'; exit %d", dir, out, status);
	char *sh = write_home("proc.sh", script);
	char *cfg = tp_xasprintf("[profile proc]\ncredential_process = /bin/sh '%s'\n"
				 "aws_account_id = 777788889999\n", sh);

	write_aws("config", cfg);
	setenv("AWS_PROFILE", "proc", 1);
	free(out);
	free(script);
	free(sh);
	free(cfg);
}

static int process_runs(void)
{
	char *path = tp_xasprintf("%s/runs", dir), *text = NULL;
	size_t len = 0;
	int n = 0;

	if (tp_read_file(path, &text, &len) == 0)
		for (size_t i = 0; i < len; i++)
			n += text[i] == '\n';
	tp_error_clear();
	free(text);
	free(path);
	return n;
}

static void test_creds__credential_process(void **state)
{
	tp_creds c = TP_CREDS_INIT;
	char json[512], exp[32];
	time_t want;

	(void)state;
	iso_in(exp, sizeof(exp), 3600);
	tp_time_parse_iso8601(exp, &want);
	snprintf(json, sizeof(json), "{\"Version\": 1, \"AccessKeyId\": \"AKIAPROCESS\", "
		 "\"SecretAccessKey\": \"process-secret\", \"SessionToken\": \"process-token\", "
		 "\"Expiration\": \"%s\"}", exp);
	process_profile(json, 0);
	assert_int_equal(chain_get(&c), 0);
	assert_keys(&c, "AKIAPROCESS", "process-secret", "process-token",
		    "profile proc (credential_process)");
	assert_int_equal(c.expiration, want);
	assert_string_equal(c.account_id, "777788889999");   /* the profile's aws_account_id */
	assert_int_equal(process_runs(), 1);
	tp_creds_release(&c);
}

static void test_creds__credential_process_failures_name_the_profile(void **state)
{
	static const struct {
		const char *json;
		int status;
		const char *msg;
	} cases[] = {
		{ "{\"Version\":1,\"AccessKeyId\":\"AKIAPROCESS\",\"SecretAccessKey\":\"TOPSECRET\"}", 3,
		  "profile proc: credential_process exited with status 3" },
		{ "{\"Version\":1,\"AccessKeyId\":\"AKIAPROCESS\",\"SecretAccessKey\":\"TOPSECRET\"", 0,
		  "profile proc: credential_process output is not valid JSON (line 1, column " },
		{ "TOPSECRET", 0,
		  "profile proc: credential_process output is not valid JSON (line 1, column " },
		{ "{\"Version\":2,\"AccessKeyId\":\"AKIAPROCESS\",\"SecretAccessKey\":\"TOPSECRET\"}", 0,
		  "profile proc: credential_process output needs \"Version\": 1" },
		{ "{\"Version\":1,\"AccessKeyId\":\"AKIAPROCESS\"}", 0,
		  "profile proc: credential_process output has no SecretAccessKey" },
		{ "{\"Version\":1,\"AccessKeyId\":\"AKIAPROCESS\",\"SecretAccessKey\":\"TOPSECRET\","
		  "\"Expiration\":\"tomorrow\"}", 0,
		  "profile proc: credential_process Expiration 'tomorrow' is not an ISO 8601 time" },
	};
	tp_creds c = TP_CREDS_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(cases); i++) {
		process_profile(cases[i].json, cases[i].status);
		assert_int_equal(chain_get(&c), TP_EAUTH);
		if (tp_ends_with(cases[i].msg, " "))   /* where jansson stops reading varies */
			assert_true(tp_starts_with(tp_error_last()->msg, cases[i].msg));
		else
			assert_string_equal(tp_error_last()->msg, cases[i].msg);
		assert_null(strstr(tp_error_last()->msg, "TOPSECRET"));
	}
}

static void test_creds__credential_process_expiring_soon_is_rerun(void **state)
{
	tp_cred_provider *p;
	tp_creds c = TP_CREDS_INIT;
	char json[512], exp[32];

	(void)state;
	/* 2 minutes left: inside the 5-minute margin, so every get refreshes */
	iso_in(exp, sizeof(exp), 120);
	snprintf(json, sizeof(json), "{\"Version\":1,\"AccessKeyId\":\"AKIASOON\","
		 "\"SecretAccessKey\":\"s\",\"Expiration\":\"%s\"}", exp);
	process_profile(json, 0);
	p = tp_creds_default_chain();
	assert_int_equal(tp_creds_get(p, &c), 0);
	tp_creds_release(&c);
	assert_int_equal(tp_creds_get(p, &c), 0);
	tp_creds_release(&c);
	assert_int_equal(process_runs(), 2);
	tp_cred_provider_free(p);

	/* an hour left: the cache answers */
	iso_in(exp, sizeof(exp), 3600);
	snprintf(json, sizeof(json), "{\"Version\":1,\"AccessKeyId\":\"AKIALATER\","
		 "\"SecretAccessKey\":\"s\",\"Expiration\":\"%s\"}", exp);
	process_profile(json, 0);
	p = tp_creds_default_chain();
	assert_int_equal(tp_creds_get(p, &c), 0);
	tp_creds_release(&c);
	assert_int_equal(tp_creds_get(p, &c), 0);
	assert_string_equal(c.access_key_id, "AKIALATER");
	tp_creds_release(&c);
	assert_int_equal(process_runs(), 3);
	tp_cred_provider_free(p);
}

static void test_creds__precedence_within_a_profile(void **state)
{
	tp_creds c = TP_CREDS_INIT;
	char *path, *cfg = NULL, *more;
	size_t len = 0;

	(void)state;
	process_profile("{\"Version\":1,\"AccessKeyId\":\"AKIAPROCESS\",\"SecretAccessKey\":\"p\"}", 0);
	/* credential_process beats static keys of the config file ... */
	path = tp_xasprintf("%s/.aws/config", dir);
	assert_int_equal(tp_read_file(path, &cfg, &len), 0);
	more = tp_xasprintf("%saws_access_key_id = AKIACONFIG\naws_secret_access_key = c\n", cfg);
	write_aws("config", more);
	free(more);
	free(cfg);
	free(path);
	assert_int_equal(chain_get(&c), 0);
	assert_string_equal(c.source, "profile proc (credential_process)");
	tp_creds_release(&c);
	/* ... and static keys of the credentials file beat credential_process */
	write_aws("credentials", "[proc]\naws_access_key_id = AKIACREDS\naws_secret_access_key = k\n");
	assert_int_equal(chain_get(&c), 0);
	assert_keys(&c, "AKIACREDS", "k", NULL, "profile proc (credentials file)");
	tp_creds_release(&c);
	assert_int_equal(process_runs(), 1);
}

/* ---- roles --------------------------------------------------------------- */

static void test_creds__source_profile_chain_assumes_each_role(void **state)
{
	struct sts sts;
	tp_test_httpd *h = start_sts(&sts);
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	setenv("AWS_REGION", "eu-west-1", 1);
	write_aws("config",
		  "[profile dev]\nrole_arn = arn:aws:iam::111111111111:role/dev\n"
		  "source_profile = mid\nexternal_id = ext-42\nrole_session_name = alice\n"
		  "duration_seconds = 1800\n"
		  "[profile mid]\nrole_arn = arn:aws:iam::222222222222:role/mid\n"
		  "source_profile = base\n");
	write_aws("credentials", "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n");
	setenv("AWS_PROFILE", "dev", 1);
	assert_int_equal(chain_get(&c), 0);
	assert_keys(&c, "AK-dev", "SK-dev", "TK-dev",
		    "profile dev (assumed role arn:aws:iam::111111111111:role/dev)");
	assert_string_equal(c.account_id, "111111111111");
	assert_true(c.expiration > tp_time_now() + 3000);
	assert_int_equal(sts.n, 2);
	/* mid first, signed with base's keys; then dev, signed with mid's */
	assert_string_equal(sts.calls[0].action, "AssumeRole");
	assert_string_equal(sts.calls[0].role, "arn:aws:iam::222222222222:role/mid");
	assert_true(signed_with(&sts.calls[0], "AKIABASE", "eu-west-1"));
	assert_string_equal(sts.calls[0].external_id, "");
	assert_string_equal(sts.calls[0].duration, "3600");
	assert_string_equal(sts.calls[1].role, "arn:aws:iam::111111111111:role/dev");
	assert_true(signed_with(&sts.calls[1], "AK-mid", "eu-west-1"));
	assert_string_equal(sts.calls[1].external_id, "ext-42");
	assert_string_equal(sts.calls[1].session, "alice");
	assert_string_equal(sts.calls[1].duration, "1800");
	tp_creds_release(&c);
	tp_test_httpd_stop(h);
}

static void test_creds__source_profile_cycles_are_detected(void **state)
{
	struct sts sts;
	tp_test_httpd *h = start_sts(&sts);
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	write_aws("config",
		  "[profile a]\nrole_arn = arn:aws:iam::111111111111:role/a\nsource_profile = b\n"
		  "[profile b]\nrole_arn = arn:aws:iam::111111111111:role/b\nsource_profile = c\n"
		  "[profile c]\nrole_arn = arn:aws:iam::111111111111:role/c\nsource_profile = a\n"
		  "[profile self]\nrole_arn = arn:aws:iam::333333333333:role/self\n"
		  "source_profile = self\naws_access_key_id = AKIASELF\naws_secret_access_key = s\n"
		  "[profile lost]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = nowhere\n"
		  "[profile both]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = a\n"
		  "credential_source = Environment\n");
	setenv("AWS_PROFILE", "a", 1);
	assert_int_equal(chain_get(&c), TP_EINVAL);
	assert_string_equal(tp_error_last()->msg, "source_profile loop: a -> b -> c -> a");
	assert_int_equal(sts.n, 0);
	setenv("AWS_PROFILE", "lost", 1);
	assert_int_equal(chain_get(&c), TP_EINVAL);
	assert_string_equal(tp_error_last()->msg, "profile lost: its source_profile nowhere does not "
			    "exist in ~/.aws/config or ~/.aws/credentials");
	setenv("AWS_PROFILE", "both", 1);
	assert_int_equal(chain_get(&c), TP_EINVAL);
	assert_non_null(strstr(tp_error_last()->msg, "has both source_profile and credential_source"));
	/* naming itself is how a profile assumes its role with its own keys */
	setenv("AWS_PROFILE", "self", 1);
	assert_int_equal(chain_get(&c), 0);
	assert_string_equal(c.access_key_id, "AK-self");
	assert_int_equal(sts.n, 1);
	assert_true(signed_with(&sts.calls[0], "AKIASELF", "us-east-1"));
	tp_creds_release(&c);
	tp_test_httpd_stop(h);
}

static void test_creds__refused_assume_role_names_profile_and_role(void **state)
{
	struct sts sts;
	tp_test_httpd *h = start_sts(&sts);
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	sts.fail_code = "AccessDenied";
	write_aws("config", "[profile dev]\nrole_arn = arn:aws:iam::111111111111:role/dev\n"
		  "source_profile = base\n");
	write_aws("credentials", "[base]\naws_access_key_id = AKIABASE\naws_secret_access_key = base-secret\n");
	setenv("AWS_PROFILE", "dev", 1);
	assert_int_not_equal(chain_get(&c), 0);
	assert_true(tp_starts_with(tp_error_last()->msg,
				   "profile dev: AssumeRole arn:aws:iam::111111111111:role/dev: "));
	assert_string_equal(tp_error_last()->aws_code, "AccessDenied");
	assert_null(strstr(tp_error_last()->msg, "base-secret"));
	tp_test_httpd_stop(h);
}

static void test_creds__credential_source_environment(void **state)
{
	struct sts sts;
	tp_test_httpd *h = start_sts(&sts);
	tp_cred_provider *p;
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	write_aws("config", "[profile ci]\nrole_arn = arn:aws:iam::555555555555:role/ci\n"
		  "credential_source = Environment\nregion = ap-south-1\n"
		  "[profile bad]\nrole_arn = arn:aws:iam::1:role/x\ncredential_source = Keychain\n");
	setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT1", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	/* a profile named by the caller ignores environment keys as a source of its own */
	p = tp_creds_profile("ci");
	assert_int_equal(tp_creds_get(p, &c), 0);
	assert_string_equal(c.access_key_id, "AK-ci");
	assert_int_equal(sts.n, 1);
	assert_true(signed_with(&sts.calls[0], "AKIAENVIRONMENT1", "ap-south-1"));
	tp_creds_release(&c);
	tp_cred_provider_free(p);
	p = tp_creds_profile("bad");
	assert_int_equal(tp_creds_get(p, &c), TP_EINVAL);
	assert_string_equal(tp_error_last()->msg, "profile bad: credential_source 'Keychain' is not "
			    "one of Environment, Ec2InstanceMetadata, EcsContainer");
	tp_cred_provider_free(p);
	tp_test_httpd_stop(h);
}

static void test_creds__assume_role_for_pool_accounts(void **state)
{
	struct sts sts;
	tp_test_httpd *h = start_sts(&sts);
	tp_cred_provider *base = tp_creds_static("AKIABASECHAIN", "base-secret", NULL), *p;
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	p = tp_creds_assume_role(base, "eu-central-1", "arn:aws:iam::999988887777:role/Pool",
				 "tidepool-run1-orders", "xid", 900);
	assert_int_equal(tp_creds_get(p, &c), 0);
	assert_keys(&c, "AK-Pool", "SK-Pool", "TK-Pool",
		    "assumed role arn:aws:iam::999988887777:role/Pool");
	assert_string_equal(c.account_id, "999988887777");
	tp_creds_release(&c);
	assert_int_equal(tp_creds_get(p, &c), 0);   /* an hour left: cached */
	tp_creds_release(&c);
	assert_int_equal(sts.n, 1);
	assert_true(signed_with(&sts.calls[0], "AKIABASECHAIN", "eu-central-1"));
	assert_string_equal(sts.calls[0].session, "tidepool-run1-orders");
	assert_string_equal(sts.calls[0].external_id, "xid");
	assert_string_equal(sts.calls[0].duration, "900");
	tp_cred_provider_free(p);
	tp_cred_provider_free(base);   /* borrowed: still ours */
	tp_test_httpd_stop(h);
}

/* ---- web identity ---------------------------------------------------------- */

static void test_creds__web_identity_from_environment(void **state)
{
	struct sts sts;
	tp_test_httpd *h = start_sts(&sts);
	tp_creds c = TP_CREDS_INIT;
	char *token = write_home("token", "eyJ.oidc.token\n");

	(void)state;
	setenv("AWS_DEFAULT_REGION", "us-west-2", 1);
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token, 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/gha", 1);
	setenv("AWS_ROLE_SESSION_NAME", "gha-run-7", 1);
	assert_int_equal(chain_get(&c), 0);
	assert_keys(&c, "AK-gha", "SK-gha", "TK-gha", "web identity arn:aws:iam::123456789012:role/gha");
	assert_int_equal(sts.n, 1);
	assert_string_equal(sts.calls[0].action, "AssumeRoleWithWebIdentity");
	assert_string_equal(sts.calls[0].token, "eyJ.oidc.token");
	assert_string_equal(sts.calls[0].session, "gha-run-7");
	assert_string_equal(sts.calls[0].auth, "");   /* unsigned */
	tp_creds_release(&c);
	/* a token file without a role is a configuration error */
	unsetenv("AWS_ROLE_ARN");
	assert_int_equal(chain_get(&c), TP_EINVAL);
	assert_non_null(strstr(tp_error_last()->msg, "set AWS_ROLE_ARN or role_arn in profile default"));
	free(token);
	tp_test_httpd_stop(h);
}

static void test_creds__web_identity_precedence(void **state)
{
	struct sts sts;
	tp_test_httpd *h = start_sts(&sts);
	tp_creds c = TP_CREDS_INIT;
	char *token = write_home("token", "tok");

	(void)state;
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token, 1);
	setenv("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/oidc", 1);
	/* botocore: web identity comes before the profile's static keys ... */
	write_aws("credentials", "[default]\naws_access_key_id = AKIAPROFILE\n"
		  "aws_secret_access_key = profile-secret\n[base]\naws_access_key_id = AKIABASE\n"
		  "aws_secret_access_key = base-secret\n");
	assert_int_equal(chain_get(&c), 0);
	assert_string_equal(c.access_key_id, "AK-oidc");
	tp_creds_release(&c);
	/* ... after the profile's role_arn ... */
	write_aws("config", "[default]\nrole_arn = arn:aws:iam::123456789012:role/assumed\n"
		  "source_profile = base\n");
	assert_int_equal(chain_get(&c), 0);
	assert_string_equal(c.access_key_id, "AK-assumed");
	tp_creds_release(&c);
	/* ... and after environment keys */
	setenv("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENT1", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "env-secret", 1);
	assert_int_equal(chain_get(&c), 0);
	assert_string_equal(c.source, "environment");
	tp_creds_release(&c);
	assert_int_equal(sts.n, 2);
	free(token);
	tp_test_httpd_stop(h);
}

static void test_creds__web_identity_from_profile(void **state)
{
	struct sts sts;
	tp_test_httpd *h = start_sts(&sts);
	tp_creds c = TP_CREDS_INIT;
	char *token = write_home("token", "profile-token");
	char *cfg = tp_xasprintf("[profile k8s]\nweb_identity_token_file = %s\n"
				 "role_arn = arn:aws:iam::123456789012:role/pod\n", token);

	(void)state;
	write_aws("config", cfg);
	setenv("AWS_PROFILE", "k8s", 1);
	assert_int_equal(chain_get(&c), 0);
	assert_keys(&c, "AK-pod", "SK-pod", "TK-pod",
		    "profile k8s (web identity arn:aws:iam::123456789012:role/pod)");
	assert_string_equal(sts.calls[0].token, "profile-token");
	assert_true(tp_starts_with(sts.calls[0].session, "tidepool-session-"));
	tp_creds_release(&c);
	free(cfg);
	free(token);
	tp_test_httpd_stop(h);
}

/* ---- container ------------------------------------------------------------ */

struct endpoint {
	int status;          /* reply status; 0 = 200 */
	long expires_in;
	int generation;
	char auth[256];      /* Authorization of the last request */
};

static void container_handler(void *ctx, const tp_test_http_req *req, tp_test_reply *reply)
{
	struct endpoint *e = ctx;
	char exp[32];

	if (!tp_test_http_header(req, "Authorization", e->auth, sizeof(e->auth)))
		e->auth[0] = '\0';
	if (e->status) {
		reply->status = e->status;
		reply->body = tp_xstrdup("{\"message\":\"bad token\"}");
		return;
	}
	e->generation++;
	iso_in(exp, sizeof(exp), e->expires_in ? e->expires_in : 3600);
	reply->body = tp_xasprintf("{\"AccessKeyId\":\"ASIACONTAINER%d\",\"SecretAccessKey\":\"c-secret\","
				   "\"Token\":\"c-token\",\"Expiration\":\"%s\",\"AccountId\":\"121212121212\"}",
				   e->generation, exp);
}

static void test_creds__container_full_uri_with_token(void **state)
{
	struct endpoint e = { 0, 0, 0, "" };
	tp_test_httpd *h = tp_test_httpd_start(container_handler, &e);
	char *url = tp_xasprintf("%s/v2/credentials/abc", tp_test_httpd_url(h));
	char *tfile = write_home("ctoken", "file-token\n");
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "env-token", 1);
	assert_int_equal(chain_get(&c), 0);
	assert_keys(&c, "ASIACONTAINER1", "c-secret", "c-token", "container");
	assert_string_equal(c.account_id, "121212121212");
	assert_string_equal(e.auth, "env-token");
	tp_creds_release(&c);
	/* the token file wins over the variable, and is read again on each load */
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tfile, 1);
	assert_int_equal(chain_get(&c), 0);
	assert_string_equal(e.auth, "file-token");
	tp_creds_release(&c);
	assert_int_equal(tp_test_httpd_count(h), 2);
	free(tfile);
	free(url);
	tp_test_httpd_stop(h);
}

static void test_creds__container_failure_is_an_error(void **state)
{
	struct endpoint e = { 401, 0, 0, "" };
	tp_test_httpd *h = tp_test_httpd_start(container_handler, &e);
	char *url = tp_xasprintf("%s/creds", tp_test_httpd_url(h)), *want;
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1", 1);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong-token", 1);
	want = tp_xasprintf("container credentials from %s: HTTP 401: {\"message\":\"bad token\"} "
			    "(after 3 attempts)", url);
	assert_int_equal(chain_get(&c), TP_EAUTH);
	assert_string_equal(tp_error_last()->msg, want);
	assert_null(strstr(tp_error_last()->msg, "wrong-token"));
	assert_int_equal(tp_test_httpd_count(h), 3);
	free(want);
	free(url);
	tp_test_httpd_stop(h);
}

static void test_creds__container_full_uri_must_be_local(void **state)
{
	static const struct {
		const char *url;
		int ok;
	} cases[] = {
		{ "http://evil.example.com/creds", 0 },
		{ "http://169.254.170.99/creds", 0 },
		{ "http://127.0.0.1.evil.example.com/", 0 },
		{ "http://user@evil.example.com:80/", 0 },
		{ "ftp://127.0.0.1/", 0 },
		{ "https://creds.example.com/x", 1 },
		{ "http://127.0.0.2:8080/x", 1 },
		{ "http://[::1]:8080/x", 1 },
		{ "http://LOCALHOST/x", 1 },
		{ "http://169.254.170.23/v1/credentials", 1 },
		{ "http://[fd00:ec2::23]/v1/credentials", 1 },
	};
	tp_cred_provider *p;
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(cases); i++) {
		tp_creds c = TP_CREDS_INIT;
		int rc;

		setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", cases[i].url, 1);
		setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "line\nbreak", 1);   /* stops before any request */
		p = tp_creds_default_chain();
		rc = tp_creds_get(p, &c);
		tp_cred_provider_free(p);
		assert_int_equal(rc, TP_EINVAL);
		if (cases[i].ok)
			assert_string_equal(tp_error_last()->msg, "container credentials: the "
					    "authorization token contains a line break");
		else
			assert_non_null(strstr(tp_error_last()->msg, "may serve credentials"));
	}
}

/* ---- IMDS ---------------------------------------------------------------- */

struct imds {
	int v1_only;         /* the token PUT answers 404 */
	long expires_in;
	int generation;
	int puts, gets, refused;
};

static void imds_handler(void *ctx, const tp_test_http_req *req, tp_test_reply *reply)
{
	struct imds *m = ctx;
	char v[64], exp[32];
	int token_ok = tp_test_http_header(req, "X-aws-ec2-metadata-token", v, sizeof(v)) &&
		       strcmp(v, "TOKEN-xyz") == 0;

	if (strcmp(req->method, "PUT") == 0 && strcmp(req->path, "/latest/api/token") == 0) {
		m->puts++;
		if (m->v1_only)
			reply->status = 404;
		else if (!tp_test_http_header(req, "X-aws-ec2-metadata-token-ttl-seconds", v, sizeof(v)) ||
			 strcmp(v, "21600") != 0)
			reply->status = 400;
		else
			reply->body = tp_xstrdup("TOKEN-xyz");
		return;
	}
	m->gets++;
	if (!m->v1_only && !token_ok) {
		m->refused++;
		reply->status = 401;
	} else if (strcmp(req->path, "/latest/meta-data/iam/security-credentials/") == 0) {
		reply->body = tp_xstrdup("ec2-role\n");
	} else if (strcmp(req->path, "/latest/meta-data/iam/security-credentials/ec2-role") == 0) {
		m->generation++;
		iso_in(exp, sizeof(exp), m->expires_in);
		reply->body = tp_xasprintf("{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\","
					   "\"AccessKeyId\":\"ASIAIMDS%d\",\"SecretAccessKey\":\"i-secret\","
					   "\"Token\":\"i-token\",\"Expiration\":\"%s\"}", m->generation, exp);
	} else {
		reply->status = 404;
	}
}

static tp_test_httpd *start_imds(struct imds *m, long expires_in)
{
	tp_test_httpd *h;

	memset(m, 0, sizeof(*m));
	m->expires_in = expires_in;
	h = tp_test_httpd_start(imds_handler, m);
	assert_non_null(h);
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", tp_test_httpd_url(h), 1);
	return h;
}

static void test_creds__imds_v2_token_flow_and_cache(void **state)
{
	struct imds m;
	tp_test_httpd *h = start_imds(&m, 3600);
	tp_cred_provider *p = tp_creds_default_chain();
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	assert_int_equal(tp_creds_get(p, &c), 0);
	assert_keys(&c, "ASIAIMDS1", "i-secret", "i-token", "instance metadata (role ec2-role)");
	assert_true(c.expiration > tp_time_now() + 3500);
	tp_creds_release(&c);
	assert_int_equal(tp_creds_get(p, &c), 0);   /* an hour left: from the cache */
	assert_string_equal(c.access_key_id, "ASIAIMDS1");
	tp_creds_release(&c);
	assert_int_equal(tp_test_httpd_count(h), 3);   /* PUT token, GET role, GET credentials */
	assert_int_equal(m.puts, 1);
	assert_int_equal(m.gets, 2);
	assert_int_equal(m.refused, 0);
	tp_cred_provider_free(p);
	tp_test_httpd_stop(h);
}

static void test_creds__imds_expiring_soon_is_refreshed(void **state)
{
	struct imds m;
	tp_test_httpd *h = start_imds(&m, 120);
	tp_cred_provider *p = tp_creds_default_chain();
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	assert_int_equal(tp_creds_get(p, &c), 0);
	assert_string_equal(c.access_key_id, "ASIAIMDS1");
	tp_creds_release(&c);
	assert_int_equal(tp_creds_get(p, &c), 0);
	assert_string_equal(c.access_key_id, "ASIAIMDS2");
	tp_creds_release(&c);
	assert_int_equal(tp_test_httpd_count(h), 6);
	assert_int_equal(m.refused, 0);
	tp_cred_provider_free(p);
	tp_test_httpd_stop(h);
}

struct getter {
	tp_cred_provider *p;
	int failures;
};

static void *get_many(void *arg)
{
	struct getter *g = arg;
	int i;

	for (i = 0; i < 20; i++) {
		tp_creds c = TP_CREDS_INIT;
		if (tp_creds_get(g->p, &c) != 0 || strcmp(c.access_key_id, "ASIAIMDS1") != 0)
			g->failures++;
		tp_creds_release(&c);
	}
	return NULL;
}

static void test_creds__concurrent_gets_fetch_once(void **state)
{
	struct imds m;
	tp_test_httpd *h = start_imds(&m, 3600);
	struct getter g[8];
	pthread_t t[8];
	size_t i;

	(void)state;
	g[0].p = tp_creds_default_chain();
	for (i = 0; i < TP_ARRAY_SIZE(t); i++) {
		g[i].p = g[0].p;
		g[i].failures = 0;
		assert_int_equal(pthread_create(&t[i], NULL, get_many, &g[i]), 0);
	}
	for (i = 0; i < TP_ARRAY_SIZE(t); i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(g[i].failures, 0);
	}
	assert_int_equal(tp_test_httpd_count(h), 3);   /* one resolution for 160 gets */
	tp_cred_provider_free(g[0].p);
	tp_test_httpd_stop(h);
}

static void test_creds__imds_falls_back_to_v1(void **state)
{
	struct imds m;
	tp_test_httpd *h = start_imds(&m, 3600);
	tp_creds c = TP_CREDS_INIT;

	(void)state;
	m.v1_only = 1;
	assert_int_equal(chain_get(&c), 0);
	assert_string_equal(c.access_key_id, "ASIAIMDS1");
	tp_creds_release(&c);
	/* unless IMDSv1 is off */
	setenv("AWS_EC2_METADATA_V1_DISABLED", "true", 1);
	assert_int_equal(chain_get(&c), TP_EAUTH);
	assert_non_null(strstr(tp_error_last()->msg, "no session token (HTTP 404) and IMDSv1 is disabled"));
	tp_test_httpd_stop(h);
}

static void imds_slow_handler(void *ctx, const tp_test_http_req *req, tp_test_reply *reply)
{
	(void)ctx;
	(void)req;
	reply->delay_ms = 4000;
	reply->status = 500;
}

static void test_creds__imds_timeout_is_listed(void **state)
{
	tp_test_httpd *h = tp_test_httpd_start(imds_slow_handler, NULL);
	tp_creds c = TP_CREDS_INIT;
	char *want;
	int64_t t0 = tp_now_ms();

	(void)state;
	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", tp_test_httpd_url(h), 1);
	assert_int_equal(chain_get(&c), TP_EAUTH);
	want = tp_xasprintf("instance metadata (%s: timed out)", tp_test_httpd_url(h));
	assert_true(tp_ends_with(tp_error_last()->msg, want));
	/* 1 attempt + 1 retry of 2 s each: a laptop without IMDS does not hang
	 * (without the timeout, 2 x 4 s) */
	assert_true(tp_now_ms() - t0 < 6000);
	assert_int_equal(tp_test_httpd_count(h), 2);
	free(want);
	tp_test_httpd_stop(h);
}

/* ---- region --------------------------------------------------------------- */

static void test_creds__profile_region(void **state)
{
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_aws_client *cl = NULL;

	(void)state;
	assert_null(tp_profile_region());
	write_aws("config", "[default]\nregion = eu-north-1\n[profile dev]\nregion = sa-east-1\n");
	assert_string_equal(tp_profile_region(), "eu-north-1");
	setenv("AWS_PROFILE", "dev", 1);
	assert_string_equal(tp_profile_region(), "sa-east-1");
	o.creds = tp_creds_static("AKIAX", "s", NULL);
	assert_int_equal(tp_aws_client_new(&cl, &o), 0);
	assert_string_equal(tp_aws_client_region(cl), "sa-east-1");
	tp_aws_client_free(cl);
	setenv("AWS_REGION", "ca-central-1", 1);   /* the variables come first */
	o.creds = tp_creds_static("AKIAX", "s", NULL);
	assert_int_equal(tp_aws_client_new(&cl, &o), 0);
	assert_string_equal(tp_aws_client_region(cl), "ca-central-1");
	tp_aws_client_free(cl);
	/* a broken file yields no region and leaves the error state alone */
	write_aws("config", "[default\n");
	tp_error_set(TP_ENOTFOUND, "earlier");
	assert_null(tp_profile_region());
	assert_string_equal(tp_error_last()->msg, "earlier");
}

#define T(name) cmocka_unit_test_setup_teardown(test_creds__##name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(ini_reads_the_aws_dialect),
		T(ini_errors_name_file_and_line),
		T(environment),
		T(environment_without_secret_is_an_error),
		T(environment_wins_over_profile),
		T(profile_static_keys),
		T(credentials_file_wins_over_config_file),
		T(missing_profile_is_an_error),
		T(malformed_files_name_file_and_line),
		T(partial_profile_keys_are_an_error),
		T(no_credentials_lists_every_source),
		T(sso_profiles_are_refused_by_name),
		T(credential_process),
		T(credential_process_failures_name_the_profile),
		T(credential_process_expiring_soon_is_rerun),
		T(precedence_within_a_profile),
		T(source_profile_chain_assumes_each_role),
		T(source_profile_cycles_are_detected),
		T(refused_assume_role_names_profile_and_role),
		T(credential_source_environment),
		T(assume_role_for_pool_accounts),
		T(web_identity_from_environment),
		T(web_identity_precedence),
		T(web_identity_from_profile),
		T(container_full_uri_with_token),
		T(container_failure_is_an_error),
		T(container_full_uri_must_be_local),
		T(imds_v2_token_flow_and_cache),
		T(imds_expiring_soon_is_refreshed),
		T(concurrent_gets_fetch_once),
		T(imds_falls_back_to_v1),
		T(imds_timeout_is_listed),
		T(profile_region),
	};
	int rc;

	saved_home = tp_xstrdup(getenv("HOME"));
	tp_http_global_init();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	tp_http_global_cleanup();
	if (saved_home)
		setenv("HOME", saved_home, 1);
	free(saved_home);
	return rc;
}
