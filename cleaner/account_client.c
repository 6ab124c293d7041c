/*
 * A client in a pool account (account_client.h): a credential provider
 * whose load asks the account-credentials set, wrapped in the usual
 * refreshing cache.
 */
#include "cleaner/account_client.h"

#include <stdlib.h>

#include "aws/error.h"
#include "aws/util.h"

typedef struct account_provider {
	tp_cred_provider base;      /* first: the client sees a tp_cred_provider */
	tp_account_creds *ac;
	char account[13];
	char session[TP_SESSION_NAME_MAX + 1];
} account_provider;

static int load(tp_cred_provider *self, tp_creds *out)
{
	account_provider *p = (account_provider *)self;

	return tp_account_creds_get(p->ac, out, p->account, p->session, 0);
}

static void free_provider(tp_cred_provider *self)
{
	free(self);
}

int tp_account_client_new(tp_aws_client **out, tp_account_creds *ac, const char *account,
			  const char *session, const char *region)
{
	account_provider *p = tp_xcalloc(1, sizeof(*p));
	tp_aws_client_opts o = TP_AWS_CLIENT_OPTS_INIT;
	tp_creds first = TP_CREDS_INIT;
	int rc;

	*out = NULL;
	p->base.name = "pool account";
	p->base.load = load;
	p->base.free = free_provider;
	p->ac = ac;
	tp_strlcpy(p->account, account, sizeof(p->account));
	tp_strlcpy(p->session, session, sizeof(p->session));
	o.region = region;
	o.creds = tp_creds_cached(&p->base);
	rc = tp_creds_get(o.creds, &first);
	tp_creds_release(&first);
	if (rc < 0) {
		tp_error save;

		tp_error_save(&save);
		tp_cred_provider_free(o.creds);
		tp_error_restore(&save);
		return rc;
	}
	return tp_aws_client_new(out, &o);
}
