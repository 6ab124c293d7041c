/*
 * Credentials of an assumed role: STS AssumeRole signed with a source
 * provider's credentials. Used by profiles (role_arn + source_profile /
 * credential_source) and by the account pool (a role in every pool
 * account, assumed with the base chain's credentials).
 *
 * Every load builds a short-lived STS client (region and endpoint resolved
 * the usual way, so AWS_ENDPOINT_URL[_STS] points it at moto); the client
 * reaches the source through a borrowing provider, since a client frees
 * the provider it is given.
 */
#include "aws/creds_internal.h"

#include <string.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/sts.h"
#include "aws/util.h"

struct assume {
	tp_cred_provider base;
	tp_cred_provider *source;
	int own_source;
	char *region, *role_arn, *session_name, *external_id, *profile;
	int duration_s;
};

struct borrowed {
	tp_cred_provider base;
	tp_cred_provider *target;
};

static int borrowed_load(tp_cred_provider *self, tp_creds *out)
{
	return tp_creds_get(((struct borrowed *)self)->target, out);
}

static void borrowed_free(tp_cred_provider *self)
{
	free(self);
}

static tp_cred_provider *borrow(tp_cred_provider *target)
{
	struct borrowed *b = tp_xcalloc(1, sizeof(*b));

	b->base.name = target->name;
	b->base.load = borrowed_load;
	b->base.free = borrowed_free;
	b->target = target;
	return &b->base;
}

static int assume_load(tp_cred_provider *self, tp_creds *out)
{
	struct assume *a = (struct assume *)self;
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_aws_client *sts = NULL;
	char *session = a->session_name ? tp_xstrdup(a->session_name)
					: tp_xasprintf("tidepool-session-%ld", (long)tp_time_now());
	int rc;

	o.region = a->region;
	o.creds = borrow(a->source);
	rc = tp_aws_client_new(&sts, &o);
	if (rc == 0)
		rc = tp_sts_assume_role(sts, out, a->role_arn, session, a->external_id,
					a->duration_s);
	tp_aws_client_free(sts);
	free(session);
	if (rc < 0)
		return a->profile ? tp_error_prefix("profile %s: AssumeRole %s: ", a->profile, a->role_arn)
				  : tp_error_prefix("AssumeRole %s: ", a->role_arn);
	if (a->profile) {
		free(out->source);
		out->source = tp_xasprintf("profile %s (assumed role %s)", a->profile, a->role_arn);
	}
	return 0;
}

static void assume_free(tp_cred_provider *self)
{
	struct assume *a = (struct assume *)self;

	if (a->own_source)
		tp_cred_provider_free(a->source);
	free(a->region);
	free(a->role_arn);
	free(a->session_name);
	free(a->external_id);
	free(a->profile);
	free(a);
}

tp_cred_provider *tp_creds_assume_role_new(tp_cred_provider *source, int own_source,
					   const tp_role_params *p)
{
	struct assume *a = tp_xcalloc(1, sizeof(*a));

	a->base.name = "assume-role";
	a->base.load = assume_load;
	a->base.free = assume_free;
	a->source = source;
	a->own_source = own_source;
	a->region = tp_xstrdup(p->region);
	a->role_arn = tp_xstrdup(p->role_arn);
	a->session_name = p->session_name && *p->session_name ? tp_xstrdup(p->session_name) : NULL;
	a->external_id = p->external_id && *p->external_id ? tp_xstrdup(p->external_id) : NULL;
	a->duration_s = p->duration_s;
	a->profile = tp_xstrdup(p->profile);
	return &a->base;
}

tp_cred_provider *tp_creds_assume_role(tp_cred_provider *source, const char *region,
				       const char *role_arn, const char *session_name,
				       const char *external_id, int duration_s)
{
	tp_role_params p;

	memset(&p, 0, sizeof(p));
	p.region = region;
	p.role_arn = role_arn;
	p.session_name = session_name;
	p.external_id = external_id;
	p.duration_s = duration_s;
	return tp_creds_cached(tp_creds_assume_role_new(source, 0, &p));
}
