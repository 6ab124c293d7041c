/*
 * Credentials from environment variables, botocore's EnvProvider: the
 * source applies when AWS_ACCESS_KEY_ID is non-empty, and then the secret
 * must be there too. The variables are read again on every load, so a
 * refresh (AWS_CREDENTIAL_EXPIRATION) sees what the process set since.
 */
#include "aws/creds_internal.h"

#include <stdlib.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);

	return v && *v ? v : NULL;
}

static int env_load(tp_cred_provider *self, tp_creds *out)
{
	const char *id = env("AWS_ACCESS_KEY_ID");
	const char *secret = env("AWS_SECRET_ACCESS_KEY");
	const char *token = env("AWS_SECURITY_TOKEN");   /* botocore reads it first */
	const char *exp = env("AWS_CREDENTIAL_EXPIRATION");
	time_t expiration = 0;

	(void)self;
	if (!id)
		return tp_error_set(TP_ENOTFOUND, "environment variables");
	if (!secret)
		return tp_error_set(TP_EINVAL, "environment variables: AWS_ACCESS_KEY_ID is set "
				    "but AWS_SECRET_ACCESS_KEY is not");
	if (exp && tp_time_parse_iso8601(exp, &expiration) < 0)
		return tp_error_set(TP_EINVAL, "environment variables: AWS_CREDENTIAL_EXPIRATION "
				    "'%s' is not an ISO 8601 time (2030-01-31T12:00:00Z)", exp);
	if (!token)
		token = env("AWS_SESSION_TOKEN");
	out->access_key_id = tp_xstrdup(id);
	out->secret_access_key = tp_xstrdup(secret);
	out->session_token = tp_xstrdup(token);
	out->expiration = expiration;
	out->account_id = tp_xstrdup(env("AWS_ACCOUNT_ID"));
	out->source = tp_xstrdup("environment");
	return 0;
}

static void env_free(tp_cred_provider *self)
{
	free(self);
}

tp_cred_provider *tp_creds_env_new(void)
{
	tp_cred_provider *p = tp_xcalloc(1, sizeof(*p));

	p->name = "environment";
	p->load = env_load;
	p->free = env_free;
	return p;
}

tp_cred_provider *tp_creds_env(void)
{
	return tp_creds_cached(tp_creds_env_new());
}

int tp_creds_source_env(const tp_creds_config *cfg, tp_cred_provider **out)
{
	*out = NULL;
	if (!cfg->use_env)
		return tp_error_set(TP_ENOTFOUND, "%s", "");   /* a named profile ignores them */
	if (!env("AWS_ACCESS_KEY_ID"))
		return tp_error_set(TP_ENOTFOUND, "environment variables");
	*out = tp_creds_env_new();
	return 0;
}
