/*
 * Credentials configured in a profile of the shared files, in botocore's
 * order within a profile:
 *
 *   1. role_arn (without web_identity_token_file) -> AssumeRole, with the
 *      credentials of source_profile (followed recursively; a cycle is an
 *      error) or of credential_source (Environment, Ec2InstanceMetadata,
 *      EcsContainer);
 *   2. web identity (creds_web_identity.c; the chain runs it between 1 and 3);
 *   3. static keys in the credentials file;
 *   4. credential_process;
 *   5. static keys in the config file.
 *
 * SSO profiles (sso_session, sso_start_url) are not supported and say so,
 * rather than falling through to another identity.
 */
#include "aws/creds_internal.h"

#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

/* ---- fixed keys with a source label ----------------------------------- */

struct fixed {
	tp_cred_provider base;
	tp_creds creds;
};

static int fixed_load(tp_cred_provider *self, tp_creds *out)
{
	tp_creds_copy(out, &((struct fixed *)self)->creds);
	return 0;
}

static void fixed_free(tp_cred_provider *self)
{
	struct fixed *f = (struct fixed *)self;

	tp_creds_release(&f->creds);
	free(f);
}

tp_cred_provider *tp_creds_fixed_new(const char *access_key_id, const char *secret_access_key,
				     const char *session_token, const char *account_id,
				     const char *source)
{
	struct fixed *f = tp_xcalloc(1, sizeof(*f));

	f->base.name = "profile";
	f->base.load = fixed_load;
	f->base.free = fixed_free;
	f->creds.access_key_id = tp_xstrdup(access_key_id);
	f->creds.secret_access_key = tp_xstrdup(secret_access_key);
	f->creds.session_token = session_token && *session_token ? tp_xstrdup(session_token) : NULL;
	f->creds.account_id = account_id && *account_id ? tp_xstrdup(account_id) : NULL;
	f->creds.source = tp_xstrdup(source);
	return &f->base;
}

/* ---- static keys, process, SSO ------------------------------------------ */

/* aws_access_key_id + aws_secret_access_key of `profile` in one file. */
static int file_keys(const tp_creds_config *cfg, tp_creds_file which, const char *profile,
		     tp_cred_provider **out)
{
	const tp_ini_section *s = tp_creds_config_section(cfg, which, profile);
	const char *id = tp_ini_get(s, "aws_access_key_id");
	const char *secret = tp_ini_get(s, "aws_secret_access_key");
	const char *token = tp_ini_get(s, "aws_session_token");
	const char *file = which == TP_CREDS_FILE_CONFIG ? "config file" : "credentials file";
	char *source;

	if (!id)
		return TP_ENOTFOUND;
	if (!*id || !secret || !*secret)
		return tp_error_set(TP_EINVAL, "profile %s in %s: %s", profile,
				    which == TP_CREDS_FILE_CONFIG ? cfg->config_name : cfg->credentials_name,
				    !*id ? "aws_access_key_id is empty"
					 : "aws_access_key_id without aws_secret_access_key");
	if (!token)
		token = tp_ini_get(s, "aws_security_token");
	source = tp_xasprintf("profile %s (%s)", profile, file);
	*out = tp_creds_fixed_new(id, secret, token, tp_creds_config_get(cfg, profile, "aws_account_id"),
				  source);
	free(source);
	return 0;
}

static int refuse_sso(const tp_creds_config *cfg, const char *profile)
{
	if (!tp_creds_config_get(cfg, profile, "sso_session") &&
	    !tp_creds_config_get(cfg, profile, "sso_start_url"))
		return 0;
	return tp_error_set(TP_EINVAL, "profile %s uses IAM Identity Center (SSO), which tidepool "
			    "cannot log in to; set credential_process = aws configure "
			    "export-credentials --profile %s --format process", profile, profile);
}

/* Steps 3-5 (and the SSO refusal before them). */
static int keys_or_process(const tp_creds_config *cfg, const char *profile, tp_cred_provider **out)
{
	const char *cmd;
	int rc;

	if ((rc = refuse_sso(cfg, profile)) < 0)
		return rc;
	if ((rc = file_keys(cfg, TP_CREDS_FILE_CREDENTIALS, profile, out)) != TP_ENOTFOUND)
		return rc;
	cmd = tp_creds_config_get(cfg, profile, "credential_process");
	if (cmd && *cmd) {
		*out = tp_creds_process_new(cmd, profile,
					    tp_creds_config_get(cfg, profile, "aws_account_id"));
		return 0;
	}
	return file_keys(cfg, TP_CREDS_FILE_CONFIG, profile, out);
}

int tp_creds_source_profile_keys(const tp_creds_config *cfg, tp_cred_provider **out)
{
	int rc;

	*out = NULL;
	rc = keys_or_process(cfg, cfg->profile, out);
	if (rc == TP_ENOTFOUND)   /* already listed by the role step */
		return tp_error_set(TP_ENOTFOUND, "%s", "");
	return rc;
}

/* ---- roles ------------------------------------------------------------ */

static int has_static_keys(const tp_creds_config *cfg, const char *profile)
{
	return tp_creds_config_get(cfg, profile, "aws_access_key_id") ||
	       tp_creds_config_get(cfg, profile, "aws_secret_access_key");
}

static int has_role(const tp_creds_config *cfg, const char *profile)
{
	return tp_creds_config_get(cfg, profile, "role_arn") &&
	       !tp_creds_config_get(cfg, profile, "web_identity_token_file");
}

static int named_source(const tp_creds_config *cfg, const char *profile, const char *name,
			tp_cred_provider **out)
{
	const char *v;
	int rc;

	if (strcmp(name, "Environment") == 0) {
		v = getenv("AWS_ACCESS_KEY_ID");
		rc = v && *v ? 0 : TP_ENOTFOUND;
		if (rc == 0)
			*out = tp_creds_env_new();
	} else if (strcmp(name, "EcsContainer") == 0) {
		rc = tp_creds_source_container(cfg, out);
	} else if (strcmp(name, "Ec2InstanceMetadata") == 0) {
		rc = tp_creds_source_imds(cfg, out);
	} else {
		return tp_error_set(TP_EINVAL, "profile %s: credential_source '%s' is not one of "
				    "Environment, Ec2InstanceMetadata, EcsContainer", profile, name);
	}
	if (rc == TP_ENOTFOUND)
		return tp_error_set(TP_EAUTH, "profile %s: credential_source %s has no credentials",
				    profile, name);
	return rc < 0 ? tp_error_prefix("profile %s: credential_source %s: ", profile, name) : 0;
}

static int loop_error(const char *source, const char *const *visited, size_t n)
{
	tp_buf path = TP_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		tp_buf_addf(&path, "%s -> ", visited[i]);
	tp_buf_adds(&path, source);
	tp_error_set(TP_EINVAL, "source_profile loop: %s", tp_buf_cstr(&path));
	tp_buf_release(&path);
	return TP_EINVAL;
}

/* The credentials a role of `profile` is assumed with: its source_profile's. */
static int source_profile(const tp_creds_config *cfg, const char *profile, const char *source,
			  const char *const *visited, size_t n, tp_cred_provider **out)
{
	const char **next;
	size_t i;
	int rc, seen = 0;

	if (!tp_creds_config_has_profile(cfg, source))
		return tp_error_set(TP_EINVAL, "profile %s: its source_profile %s does not exist "
				    "in %s or %s", profile, source, cfg->config_name,
				    cfg->credentials_name);
	for (i = 0; i < n; i++)
		seen |= strcmp(visited[i], source) == 0;
	/* A profile may name itself to use its own static keys; anything else seen is a loop. */
	if (seen && (strcmp(source, profile) != 0 || !has_static_keys(cfg, source)))
		return loop_error(source, visited, n);
	next = tp_xcalloc(n + 1, sizeof(*next));
	memcpy(next, visited, n * sizeof(*next));
	next[n] = source;
	rc = tp_creds_source_profile_by_name(cfg, source, next, n + 1, out);
	free(next);
	return rc;
}

static int role_params(const tp_creds_config *cfg, const char *profile, tp_role_params *p)
{
	const char *duration = tp_creds_config_get(cfg, profile, "duration_seconds");
	long d = 0;

	memset(p, 0, sizeof(*p));
	if (tp_creds_config_get(cfg, profile, "mfa_serial"))
		return tp_error_set(TP_EINVAL, "profile %s: its role needs an MFA code (mfa_serial), "
				    "which tidepool cannot prompt for", profile);
	if (duration && (tp_parse_long(duration, &d) < 0 || d < 900 || d > 43200))
		return tp_error_set(TP_EINVAL, "profile %s: duration_seconds '%s' is not a number "
				    "of seconds between 900 and 43200", profile, duration);
	p->role_arn = tp_creds_config_get(cfg, profile, "role_arn");
	p->session_name = tp_creds_config_get(cfg, profile, "role_session_name");
	p->external_id = tp_creds_config_get(cfg, profile, "external_id");
	p->duration_s = (int)d;
	p->profile = profile;
	return 0;
}

/* AssumeRole configured in `profile` (it has role_arn). */
static int role_for(const tp_creds_config *cfg, const char *profile,
		    const char *const *visited, size_t n, tp_cred_provider **out)
{
	const char *sp = tp_creds_config_get(cfg, profile, "source_profile");
	const char *cs = tp_creds_config_get(cfg, profile, "credential_source");
	tp_cred_provider *source = NULL;
	char *region;
	tp_role_params p;
	int rc;

	if (sp && cs)
		return tp_error_set(TP_EINVAL, "profile %s has both source_profile and "
				    "credential_source; keep one", profile);
	if (!sp && !cs)
		return tp_error_set(TP_EINVAL, "profile %s has role_arn but neither source_profile "
				    "nor credential_source", profile);
	if ((rc = role_params(cfg, profile, &p)) < 0)
		return rc;
	rc = sp ? source_profile(cfg, profile, sp, visited, n, &source)
		: named_source(cfg, profile, cs, &source);
	if (rc < 0)
		return rc;
	region = tp_creds_config_region(cfg);
	p.region = region;
	*out = tp_creds_assume_role_new(tp_creds_cached(source), 1, &p);
	free(region);
	return 0;
}

int tp_creds_source_profile_by_name(const tp_creds_config *cfg, const char *name,
				    const char *const *visited, size_t nvisited,
				    tp_cred_provider **out)
{
	int rc;

	*out = NULL;
	if (!has_static_keys(cfg, name) && has_role(cfg, name))
		return role_for(cfg, name, visited, nvisited, out);
	rc = tp_creds_web_identity_for(cfg, name, 0, out);
	if (rc == TP_ENOTFOUND)
		rc = keys_or_process(cfg, name, out);
	if (rc == TP_ENOTFOUND)
		return tp_error_set(TP_EINVAL, "the source profile %s has no credentials "
				    "(looked in %s and %s)", name, cfg->credentials_name,
				    cfg->config_name);
	return rc;
}

int tp_creds_source_profile_role(const tp_creds_config *cfg, tp_cred_provider **out)
{
	const char *visited[1];

	*out = NULL;
	visited[0] = cfg->profile;
	if (has_role(cfg, cfg->profile))
		return role_for(cfg, cfg->profile, visited, 1, out);
	return tp_error_set(TP_ENOTFOUND, "profile %s (%s, %s)", cfg->profile,
			    cfg->credentials_name, cfg->config_name);
}
