#include "runner/child_env.h"

#include <ctype.h>
#include <string.h>

#include "aws/util.h"

/* AWS_* variables a child may inherit: none of them identify anyone. */
static const char *const aws_allowed[] = {
	"AWS_MAX_ATTEMPTS", "AWS_RETRY_MODE", "AWS_CA_BUNDLE", "AWS_PAGER",
	"AWS_CLI_AUTO_PROMPT", "AWS_USE_FIPS_ENDPOINT", "AWS_USE_DUALSTACK_ENDPOINT",
	"AWS_STS_REGIONAL_ENDPOINTS", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
};

static size_t name_len(const char *var)
{
	return strcspn(var, "=");
}

static int name_is(const char *var, const char *name)
{
	size_t n = strlen(name);

	return name_len(var) == n && strncmp(var, name, n) == 0;
}

int tp_env_is_scrubbed(const char *var)
{
	size_t i;

	if (tp_starts_with(var, "TIDEPOOL_"))
		return 1;
	if (!tp_starts_with(var, "AWS_"))
		return 0;
	/* Per-service endpoint overrides pass; AWS_ENDPOINT_URL itself is set
	 * by tp_env_set_account when an override is in force. */
	if (tp_starts_with(var, "AWS_ENDPOINT_URL_"))
		return 0;
	for (i = 0; i < TP_ARRAY_SIZE(aws_allowed); i++)
		if (name_is(var, aws_allowed[i]))
			return 0;
	return 1;
}

static void push(tp_env *e, char *var)
{
	if (e->n + 1 >= e->alloc) {
		e->alloc = e->alloc ? e->alloc * 2 : 64;
		e->vars = tp_xrealloc(e->vars, e->alloc * sizeof(*e->vars));
	}
	e->vars[e->n++] = var;
	e->vars[e->n] = NULL;
}

void tp_env_init_scrubbed(tp_env *e, char *const *base)
{
	size_t i;

	e->vars = NULL;
	e->n = e->alloc = 0;
	push(e, NULL);           /* allocate the terminator */
	e->n = 0;
	for (i = 0; base && base[i]; i++)
		if (strchr(base[i], '=') && !tp_env_is_scrubbed(base[i]))
			push(e, tp_xstrdup(base[i]));
}

void tp_env_set(tp_env *e, const char *name, const char *value)
{
	char *var = tp_xasprintf("%s=%s", name, value ? value : "");
	size_t i;

	for (i = 0; i < e->n; i++) {
		if (name_is(e->vars[i], name)) {
			free(e->vars[i]);
			e->vars[i] = var;
			return;
		}
	}
	push(e, var);
}

const char *tp_env_get(const tp_env *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->n; i++)
		if (name_is(e->vars[i], name))
			return e->vars[i] + strlen(name) + 1;
	return NULL;
}

void tp_env_set_account(tp_env *e, const tp_creds *creds, const char *region,
			const char *endpoint_url)
{
	tp_env_set(e, "AWS_ACCESS_KEY_ID", creds->access_key_id);
	tp_env_set(e, "AWS_SECRET_ACCESS_KEY", creds->secret_access_key);
	if (creds->session_token)
		tp_env_set(e, "AWS_SESSION_TOKEN", creds->session_token);
	tp_env_set(e, "AWS_REGION", region);
	tp_env_set(e, "AWS_DEFAULT_REGION", region);
	if (endpoint_url)
		tp_env_set(e, "AWS_ENDPOINT_URL", endpoint_url);
	/* No fallback to the runner's profiles or instance role. */
	tp_env_set(e, "AWS_CONFIG_FILE", "/dev/null");
	tp_env_set(e, "AWS_SHARED_CREDENTIALS_FILE", "/dev/null");
	tp_env_set(e, "AWS_EC2_METADATA_DISABLED", "true");
}

static void add_upper(tp_buf *out, const char *s)
{
	for (; *s; s++)
		tp_buf_addc(out, isalnum((unsigned char)*s) ? (char)toupper((unsigned char)*s) : '_');
}

void tp_env_output_name(tp_buf *out, const char *stack, const char *key)
{
	tp_buf_adds(out, "TIDEPOOL_OUTPUT_");
	add_upper(out, stack);
	tp_buf_addc(out, '_');
	add_upper(out, key);
}

char *const *tp_env_array(const tp_env *e)
{
	return e->vars;
}

void tp_env_release(tp_env *e)
{
	size_t i;

	for (i = 0; i < e->n; i++) {
		/* credentials live here: wipe before freeing */
		memset(e->vars[i], 0, strlen(e->vars[i]));
		free(e->vars[i]);
	}
	free(e->vars);
	e->vars = NULL;
	e->n = e->alloc = 0;
}
