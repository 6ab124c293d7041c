/*
 * The default credential chain, in botocore's order (which is the AWS CLI
 * v2's):
 *
 *   environment variables
 *   profile: role_arn -> AssumeRole
 *   web identity: AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN, or the
 *                 profile's web_identity_token_file
 *   profile: static keys (credentials file), credential_process, static
 *            keys (config file)
 *   container credentials
 *   instance metadata (IMDSv2)
 *
 * Web identity sits inside the profile's steps exactly as in botocore, so
 * tidepool and `aws` agree on who the caller is when both a profile and the
 * variables are present.
 *
 * DESIGN: the first load resolves (reads the files, asks each source in
 * turn) and keeps the provider that answered; every later load, i.e. every
 * refresh, goes to that provider alone. The chain is always wrapped in a
 * cache, whose lock serialises loads, so `chosen` needs no lock of its own.
 */
#include "aws/creds_internal.h"

#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

static const tp_creds_source_fn sources[] = {
	tp_creds_source_env,
	tp_creds_source_profile_role,
	tp_creds_source_web_identity,
	tp_creds_source_profile_keys,
	tp_creds_source_container,
	tp_creds_source_imds,
};

struct chain {
	tp_cred_provider base;
	char *profile;               /* NULL: AWS_PROFILE, else "default" */
	tp_cred_provider *chosen;    /* the source that answered first */
};

/* One source: 0 and *chosen set when it answered. */
static int try_source(tp_creds_source_fn source, const tp_creds_config *cfg, tp_creds *out,
		      tp_cred_provider **chosen)
{
	tp_cred_provider *p = NULL;
	int rc = source(cfg, &p);

	if (rc == 0)
		rc = p->load(p, out);
	if (rc == 0) {
		*chosen = p;
		return 0;
	}
	tp_creds_release(out);
	tp_cred_provider_free(p);
	return rc;
}

static int resolve(struct chain *ch, tp_creds *out)
{
	tp_buf tried = TP_BUF_INIT;
	tp_creds_config cfg;
	size_t i;
	int rc;

	rc = tp_creds_config_load(&cfg, ch->profile);
	for (i = 0; rc == 0 && !ch->chosen && i < TP_ARRAY_SIZE(sources); i++) {
		rc = try_source(sources[i], &cfg, out, &ch->chosen);
		if (rc == TP_ENOTFOUND) {
			const char *what = tp_error_last()->msg;
			if (*what)
				tp_buf_addf(&tried, "%s%s", tried.len ? ", " : "", what);
			rc = 0;
		}
	}
	if (rc == 0 && !ch->chosen)
		rc = tp_error_set(TP_EAUTH, "no AWS credentials found; tried: %s",
				  tp_buf_cstr(&tried));
	tp_buf_release(&tried);
	tp_creds_config_release(&cfg);
	return rc;
}

static int chain_load(tp_cred_provider *self, tp_creds *out)
{
	struct chain *ch = (struct chain *)self;

	if (ch->chosen)
		return ch->chosen->load(ch->chosen, out);
	return resolve(ch, out);
}

static void chain_free(tp_cred_provider *self)
{
	struct chain *ch = (struct chain *)self;

	tp_cred_provider_free(ch->chosen);
	free(ch->profile);
	free(ch);
}

static tp_cred_provider *chain_new(const char *profile)
{
	struct chain *ch = tp_xcalloc(1, sizeof(*ch));

	ch->base.name = "chain";
	ch->base.load = chain_load;
	ch->base.free = chain_free;
	ch->profile = tp_xstrdup(profile);
	return &ch->base;
}

tp_cred_provider *tp_creds_default_chain(void)
{
	return tp_creds_cached(chain_new(NULL));
}

tp_cred_provider *tp_creds_profile(const char *profile)
{
	return tp_creds_cached(chain_new(profile));
}
