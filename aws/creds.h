/*
 * Credentials and the credential chain.
 *
 * A provider is a table of functions (a registry entry): `load` fetches
 * fresh credentials from its source. The chain tries its providers in the
 * AWS CLI's order and remembers the first that answers. The cache wraps any
 * provider, is thread-safe (one mutex per cache; `load` runs with it held,
 * so at most one refresh runs at a time) and refreshes 5 minutes before
 * expiry.
 *
 * Secrets never appear in error messages or logs: use tp_creds_redact().
 */
#ifndef TP_CREDS_H
#define TP_CREDS_H

#include <time.h>

typedef struct tp_creds {
	char *access_key_id;
	char *secret_access_key;
	char *session_token;   /* NULL for long-term keys */
	time_t expiration;     /* 0 = does not expire */
	char *account_id;      /* when the source knows it (STS, process), else NULL */
	char *source;          /* "environment", "profile dev (credentials file)", ... */
} tp_creds;

#define TP_CREDS_INIT { NULL, NULL, NULL, 0, NULL, NULL }

void tp_creds_release(tp_creds *c);
void tp_creds_copy(tp_creds *dst, const tp_creds *src);   /* dst is overwritten */

/* "AKIA****MPLE": safe to print. */
const char *tp_creds_redact(char *buf, unsigned size, const char *access_key_id);

typedef struct tp_cred_provider tp_cred_provider;

struct tp_cred_provider {
	const char *name;      /* "environment", "web-identity", "imds", ... */
	/*
	 * Fill `out` with fresh credentials. Returns 0; TP_ENOTFOUND when this
	 * source is not configured (the chain moves on); any other negative
	 * code when it is configured but failed (the chain stops there, like
	 * the AWS CLI, with that error).
	 */
	int (*load)(tp_cred_provider *self, tp_creds *out);
	void (*free)(tp_cred_provider *self);
};

/* Fetch (through the cache, if it is one) into `out`, which the caller releases. */
int tp_creds_get(tp_cred_provider *p, tp_creds *out);

/* Free a provider; NULL is a no-op. */
void tp_cred_provider_free(tp_cred_provider *p);

/* Fixed keys (tests, --local). */
tp_cred_provider *tp_creds_static(const char *access_key_id,
				  const char *secret_access_key,
				  const char *session_token);

/* Wrap `inner` (taking ownership) in a thread-safe refreshing cache. */
tp_cred_provider *tp_creds_cached(tp_cred_provider *inner);

/*
 * The default chain, in the AWS CLI's (botocore's) order: environment
 * variables; then AWS_PROFILE (or "default") from the shared config and
 * credentials files: role_arn + source_profile / credential_source ->
 * AssumeRole, then web identity (AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN,
 * each falling back to the profile's web_identity_token_file / role_arn)
 * -> AssumeRoleWithWebIdentity, then static keys of the credentials file,
 * credential_process, static keys of the config file; then container
 * credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI / _RELATIVE_URI with
 * AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]); then IMDSv2.
 *
 * Returns a cached provider. When no source has credentials, `load` fails
 * with TP_EAUTH and a message listing every source tried. A malformed file
 * ("~/.aws/config:7: ...") or an AWS_PROFILE that is in neither file fails
 * with TP_EINVAL; a source that is configured but fails (a credential_process
 * exiting non-zero, a refused AssumeRole) stops the chain with its error.
 */
tp_cred_provider *tp_creds_default_chain(void);

/*
 * Credentials of a role assumed with `source` (borrowed; must outlive the
 * returned provider): STS AssumeRole in `region` with the given session
 * name, duration (0 = 3600 s) and optional external id. Cached.
 */
tp_cred_provider *tp_creds_assume_role(tp_cred_provider *source, const char *region,
				       const char *role_arn, const char *session_name,
				       const char *external_id, int duration_s);

/*
 * Constructors of single sources, each cached like the chain. Providers of
 * the chain's sources that find nothing fail their `load` with TP_ENOTFOUND.
 */

/* AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_CREDENTIAL_EXPIRATION (re-read on refresh). */
tp_cred_provider *tp_creds_env(void);

/*
 * Profile `profile` of the shared files, as `aws --profile NAME` resolves
 * it: the profile's sources first (environment keys do not count), then
 * container credentials and IMDS. A profile in neither file fails `load`
 * with TP_EINVAL.
 */
tp_cred_provider *tp_creds_profile(const char *profile);

/*
 * The AWS CLI's credential_process: runs `command` with /bin/sh -c (stdin
 * and stderr inherited) and reads its JSON from stdout. `profile` names it
 * in messages (may be NULL).
 */
tp_cred_provider *tp_creds_process(const char *command, const char *profile);

/*
 * AssumeRoleWithWebIdentity (unsigned) in `region` (NULL = the default
 * region) with the token read from `token_file` on every refresh;
 * `session_name` NULL = "tidepool-session-<epoch>".
 */
tp_cred_provider *tp_creds_web_identity(const char *region, const char *role_arn,
					const char *token_file, const char *session_name);

/*
 * The selected profile's `region` from the shared files (AWS_PROFILE, else
 * "default"), or NULL when there is none or a file cannot be read (the
 * error is reported by the chain, not here; the error state is unchanged).
 * The string lives in a per-thread buffer until the next call.
 */
const char *tp_profile_region(void);

#endif
