/*
 * What the credential providers (aws/creds_*.c) share; not a public face.
 *
 * DESIGN: the default chain (creds_chain.c) resolves once, like botocore's
 * resolver: it loads the shared files into a tp_creds_config, asks each
 * source in order whether it applies, and keeps the provider of the first
 * that yields credentials; later refreshes go to that provider alone. A
 * source only looks at configuration; the provider it builds owns copies of
 * everything it needs, so the config is released after resolving.
 */
#ifndef TP_CREDS_INTERNAL_H
#define TP_CREDS_INTERNAL_H

#include <stddef.h>

#include "aws/buf.h"
#include "aws/creds.h"
#include "aws/http.h"
#include "aws/ini.h"

/* ---- the shared config and credentials files (creds_config.c) -------- */

typedef struct tp_creds_config {
	char *profile;            /* the selected profile */
	int profile_named;        /* named by AWS_PROFILE or a caller: it must exist */
	int use_env;              /* environment variables are a source (not when a caller named the profile) */
	tp_ini *config;           /* AWS_CONFIG_FILE or ~/.aws/config (empty when absent) */
	tp_ini *credentials;      /* AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials */
	char *config_name;        /* for messages: "~/.aws/config" */
	char *credentials_name;
	/* Profiles of the config file: "[profile x]" and "[default]" by name. */
	char **names;
	const tp_ini_section **sections;
	size_t nprofiles;
} tp_creds_config;

typedef enum tp_creds_file {
	TP_CREDS_FILE_CREDENTIALS,
	TP_CREDS_FILE_CONFIG
} tp_creds_file;

/*
 * Load the files for `profile` (NULL: AWS_PROFILE, else "default"). Returns
 * 0; TP_EINVAL for a malformed file ("~/.aws/config:7: ...") or a named
 * profile that is in neither file; TP_ERROR for an unreadable file. `cfg`
 * is released by the caller in every case.
 */
int tp_creds_config_load(tp_creds_config *cfg, const char *profile);
void tp_creds_config_release(tp_creds_config *cfg);

int tp_creds_config_has_profile(const tp_creds_config *cfg, const char *profile);

/* The section of `profile` in one file, or NULL. */
const tp_ini_section *tp_creds_config_section(const tp_creds_config *cfg, tp_creds_file which,
					      const char *profile);

/* `key` of `profile`, the credentials file winning over the config file (botocore's merge). */
const char *tp_creds_config_get(const tp_creds_config *cfg, const char *profile, const char *key);

/* The region STS calls use: AWS_REGION, AWS_DEFAULT_REGION, the profile's, or NULL. Caller frees. */
char *tp_creds_config_region(const tp_creds_config *cfg);

/* "~/.aws/x" for paths under $HOME, else the path. Caller frees. */
char *tp_creds_display_path(const char *path);

/* ---- sources of the default chain, in its order ------------------------- */

/*
 * Look at the configuration and, when this source applies, build the
 * (uncached) provider of its credentials into *out. Returns 0; TP_ENOTFOUND
 * when it does not apply, with a message naming what was looked at for the
 * "tried:" list ("container (not configured)"; an empty message is not
 * listed); another code when the configuration is wrong.
 */
typedef int (*tp_creds_source_fn)(const tp_creds_config *cfg, tp_cred_provider **out);

int tp_creds_source_env(const tp_creds_config *cfg, tp_cred_provider **out);
/* role_arn + source_profile / credential_source in the selected profile. */
int tp_creds_source_profile_role(const tp_creds_config *cfg, tp_cred_provider **out);
/* AWS_WEB_IDENTITY_TOKEN_FILE etc., each falling back to the profile's key. */
int tp_creds_source_web_identity(const tp_creds_config *cfg, tp_cred_provider **out);
/* The same for any profile; use_env 0 ignores the variables (a source_profile). */
int tp_creds_web_identity_for(const tp_creds_config *cfg, const char *profile, int use_env,
			      tp_cred_provider **out);
/* Static keys (credentials file), credential_process, static keys (config file). */
int tp_creds_source_profile_keys(const tp_creds_config *cfg, tp_cred_provider **out);
int tp_creds_source_container(const tp_creds_config *cfg, tp_cred_provider **out);
int tp_creds_source_imds(const tp_creds_config *cfg, tp_cred_provider **out);

/*
 * The credentials of profile `name` when it is the source of another
 * profile's role (botocore's source_profile resolution: environment
 * variables do not count). `visited` lists the profiles on the way, for
 * cycle detection. Returns 0 or an error naming the profile.
 */
int tp_creds_source_profile_by_name(const tp_creds_config *cfg, const char *name,
				    const char *const *visited, size_t nvisited,
				    tp_cred_provider **out);

/* ---- credentials served over HTTP (creds_metadata.c) ------------------ */

/*
 * Read the JSON document the container endpoint and IMDS serve
 * (AccessKeyId, SecretAccessKey, Token, Expiration, optional AccountId)
 * into `out`. Returns 0, or -1 with *why saying what is wrong, without
 * quoting the document (it holds secrets). No error is set.
 */
int tp_creds_from_json(const tp_buf *body, tp_creds *out, const char **why);

/*
 * Why the last tp_http_send (which returned `rc`) failed, into buf, for a
 * "tried:" list: "timed out", or curl's reason ("Connection refused").
 */
void tp_creds_http_reason(char *buf, size_t size, int rc);

/* ---- providers (uncached; wrap in tp_creds_cached to share) ------------ */

tp_cred_provider *tp_creds_env_new(void);

/* Static keys read from a profile; `source` e.g. "profile dev (credentials file)". */
tp_cred_provider *tp_creds_fixed_new(const char *access_key_id, const char *secret_access_key,
				     const char *session_token, const char *account_id,
				     const char *source);

/* Runs `command` with /bin/sh -c; `profile` names it in messages; account_id may be NULL. */
tp_cred_provider *tp_creds_process_new(const char *command, const char *profile,
				       const char *account_id);

typedef struct tp_role_params {
	const char *region;        /* NULL = the client's default */
	const char *role_arn;
	const char *session_name;  /* NULL = "tidepool-session-<epoch>" */
	const char *external_id;   /* may be NULL */
	int duration_s;            /* 0 = 3600 */
	const char *profile;       /* the profile that configures the role, for messages; may be NULL */
} tp_role_params;

/* AssumeRole with `source`'s credentials; takes ownership of `source` when own_source. */
tp_cred_provider *tp_creds_assume_role_new(tp_cred_provider *source, int own_source,
					   const tp_role_params *p);

/* AssumeRoleWithWebIdentity with the token in `token_file` (re-read on every load). */
tp_cred_provider *tp_creds_web_identity_new(const tp_role_params *p, const char *token_file);

#endif
