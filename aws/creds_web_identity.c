/*
 * Web identity (OIDC) credentials: STS AssumeRoleWithWebIdentity, unsigned,
 * with a token from a file. That is what EKS (IRSA) and CI OIDC setups
 * provide: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN [+
 * AWS_ROLE_SESSION_NAME]. As in botocore, each variable falls back to the
 * profile's key (web_identity_token_file, role_arn, role_session_name), and
 * the token is read again on every refresh, since it rotates.
 */
#include "aws/creds_internal.h"

#include <ctype.h>
#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/sts.h"
#include "aws/util.h"

struct web_identity {
	tp_cred_provider base;
	char *region, *role_arn, *session_name, *token_file, *profile;
};

static int read_token(const struct web_identity *w, char **token)
{
	size_t len = 0;
	int rc = tp_read_file(w->token_file, token, &len);

	char why[512];

	if (rc < 0) {   /* configured but unreadable: an error, never "not found" */
		tp_strlcpy(why, tp_error_last()->msg, sizeof(why));
		return tp_error_set(TP_EAUTH, "web identity: %s", why);
	}
	while (len > 0 && isspace((unsigned char)(*token)[len - 1]))
		(*token)[--len] = '\0';
	if (len == 0) {
		free(*token);
		*token = NULL;
		return tp_error_set(TP_EAUTH, "web identity: the token file %s is empty",
				    w->token_file);
	}
	return 0;
}

static int web_identity_load(tp_cred_provider *self, tp_creds *out)
{
	struct web_identity *w = (struct web_identity *)self;
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_aws_client *sts = NULL;
	char *token = NULL, *session = NULL;
	int rc;

	if ((rc = read_token(w, &token)) < 0)
		return rc;
	session = w->session_name ? tp_xstrdup(w->session_name)
				  : tp_xasprintf("tidepool-session-%ld", (long)tp_time_now());
	o.region = w->region;
	o.anonymous = 1;
	rc = tp_aws_client_new(&sts, &o);
	if (rc == 0)
		rc = tp_sts_assume_role_with_web_identity(sts, out, w->role_arn, session, token, 0);
	tp_aws_client_free(sts);
	memset(token, 0, strlen(token));
	free(token);
	free(session);
	if (rc < 0)
		return tp_error_prefix("web identity: AssumeRoleWithWebIdentity %s: ", w->role_arn);
	if (w->profile) {
		free(out->source);
		out->source = tp_xasprintf("profile %s (web identity %s)", w->profile, w->role_arn);
	}
	return 0;
}

static void web_identity_free(tp_cred_provider *self)
{
	struct web_identity *w = (struct web_identity *)self;

	free(w->region);
	free(w->role_arn);
	free(w->session_name);
	free(w->token_file);
	free(w->profile);
	free(w);
}

tp_cred_provider *tp_creds_web_identity_new(const tp_role_params *p, const char *token_file)
{
	struct web_identity *w = tp_xcalloc(1, sizeof(*w));

	w->base.name = "web-identity";
	w->base.load = web_identity_load;
	w->base.free = web_identity_free;
	w->region = tp_xstrdup(p->region);
	w->role_arn = tp_xstrdup(p->role_arn);
	w->session_name = p->session_name && *p->session_name ? tp_xstrdup(p->session_name) : NULL;
	w->token_file = tp_xstrdup(token_file);
	w->profile = tp_xstrdup(p->profile);
	return &w->base;
}

tp_cred_provider *tp_creds_web_identity(const char *region, const char *role_arn,
					const char *token_file, const char *session_name)
{
	tp_role_params p;

	memset(&p, 0, sizeof(p));
	p.region = region;
	p.role_arn = role_arn;
	p.session_name = session_name;
	return tp_creds_cached(tp_creds_web_identity_new(&p, token_file));
}

/* The variable when set (even empty, as botocore), else the profile's key. */
static const char *setting(const tp_creds_config *cfg, const char *profile, int use_env,
			   const char *var, const char *key, int *from_profile)
{
	const char *v = use_env ? getenv(var) : NULL;

	if (v)
		return v;
	v = tp_creds_config_get(cfg, profile, key);
	if (v && from_profile)
		*from_profile = 1;
	return v;
}

int tp_creds_web_identity_for(const tp_creds_config *cfg, const char *profile, int use_env,
			      tp_cred_provider **out)
{
	int from_profile = 0;
	const char *file = setting(cfg, profile, use_env, "AWS_WEB_IDENTITY_TOKEN_FILE",
				   "web_identity_token_file", &from_profile);
	char *region;
	tp_role_params p;

	*out = NULL;
	if (!file || !*file)
		return use_env ? tp_error_set(TP_ENOTFOUND, "web identity (AWS_WEB_IDENTITY_TOKEN_FILE not set)")
			       : tp_error_set(TP_ENOTFOUND, "%s", "");
	memset(&p, 0, sizeof(p));
	p.role_arn = setting(cfg, profile, use_env, "AWS_ROLE_ARN", "role_arn", NULL);
	p.session_name = setting(cfg, profile, use_env, "AWS_ROLE_SESSION_NAME",
				 "role_session_name", NULL);
	p.profile = from_profile ? profile : NULL;
	if (!p.role_arn || !*p.role_arn)
		return tp_error_set(TP_EINVAL, "web identity: a token file is configured (%s) but "
				    "no role: set AWS_ROLE_ARN or role_arn in profile %s",
				    from_profile ? "web_identity_token_file" : "AWS_WEB_IDENTITY_TOKEN_FILE",
				    profile);
	region = tp_creds_config_region(cfg);
	p.region = region;
	*out = tp_creds_web_identity_new(&p, file);
	free(region);
	return 0;
}

int tp_creds_source_web_identity(const tp_creds_config *cfg, tp_cred_provider **out)
{
	return tp_creds_web_identity_for(cfg, cfg->profile, cfg->use_env, out);
}
