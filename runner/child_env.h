/*
 * The environment of a process that acts in a pool account: a suite
 * (DESIGN.md, "What a suite process gets") or a command stack.
 *
 * It starts from the runner's environment with every AWS credential,
 * profile, config-file and container/web-identity variable removed (and
 * every TIDEPOOL_* variable), then gets the account's temporary
 * credentials, its region and, when one is in force, the endpoint override.
 * The shared config and credentials files are pointed at /dev/null and
 * instance metadata is disabled, so an SDK in the child cannot fall back to
 * the runner's own profile or instance role.
 *
 * Harmless AWS_* settings pass through: endpoint overrides per service
 * (AWS_ENDPOINT_URL_<SERVICE>), retry settings, the CA bundle, the pager.
 */
#ifndef TP_CHILD_ENV_H
#define TP_CHILD_ENV_H

#include <stddef.h>

#include "aws/buf.h"
#include "aws/creds.h"

typedef struct tp_env {
	char **vars;           /* "NAME=value", owned, NULL-terminated */
	size_t n, alloc;
} tp_env;

#define TP_ENV_INIT { NULL, 0, 0 }

/* Copy `base` (NULL-terminated, e.g. environ) minus what must not pass. */
void tp_env_init_scrubbed(tp_env *e, char *const *base);

/* Would `var` ("NAME=value" or "NAME") be removed by the scrub? */
int tp_env_is_scrubbed(const char *var);

/* Set or replace NAME. */
void tp_env_set(tp_env *e, const char *name, const char *value);

/* The value of NAME, or NULL. */
const char *tp_env_get(const tp_env *e, const char *name);

/*
 * The account's credentials and region (AWS_REGION and AWS_DEFAULT_REGION),
 * the endpoint override when `endpoint_url` is not NULL, and the settings
 * that stop fallbacks to the runner's identity.
 */
void tp_env_set_account(tp_env *e, const tp_creds *creds, const char *region,
			const char *endpoint_url);

/* TIDEPOOL_OUTPUT_<STACK>_<KEY>: upper-cased, non-alphanumerics as '_'. */
void tp_env_output_name(tp_buf *out, const char *stack, const char *key);

/* The NULL-terminated array for execve (still owned by e). */
char *const *tp_env_array(const tp_env *e);

void tp_env_release(tp_env *e);

#endif
