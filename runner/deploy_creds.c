/* A credential provider for one pool account (runner/deploy_creds.h). */
#include "runner/deploy_creds.h"

#include <stdlib.h>

#include "aws/util.h"

typedef struct account_provider {
	tp_cred_provider base;        /* first: the provider pointer is this struct's */
	tp_account_creds *set;
	char account[13];
	char session[TP_SESSION_NAME_MAX + 1];
} account_provider;

static int load(tp_cred_provider *self, tp_creds *out)
{
	account_provider *p = (account_provider *)self;

	return tp_account_creds_get(p->set, out, p->account, p->session, 0);
}

static void provider_free(tp_cred_provider *self)
{
	free(self);
}

tp_cred_provider *tp_deploy_creds_provider(tp_account_creds *set, const char *account,
					   const char *session_name)
{
	account_provider *p = tp_xcalloc(1, sizeof(*p));

	p->base.name = "pool-account";
	p->base.load = load;
	p->base.free = provider_free;
	p->set = set;
	tp_strlcpy(p->account, account, sizeof(p->account));
	tp_strlcpy(p->session, session_name, sizeof(p->session));
	return &p->base;
}
