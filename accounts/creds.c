/* Per-account credentials through AssumeRole (see creds.h for the design). */
#include "accounts/creds.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"

struct entry {
	char account[13];
	char session[TP_SESSION_NAME_MAX + 1];
	tp_cred_provider *provider;   /* a refreshing AssumeRole cache */
	struct entry *next;
};

struct tp_account_creds {
	tp_cred_provider *base;       /* borrowed */
	char *region, *role;
	pthread_mutex_t lock;         /* protects `entries` (not the fetches) */
	struct entry *entries;
};

static int session_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("_+=,.@-", c) != NULL;
}

void tp_account_session_name(char out[TP_SESSION_NAME_MAX + 1], const char *a, const char *b)
{
	char *p;

	snprintf(out, TP_SESSION_NAME_MAX + 1, "tidepool-%s%s%s", a ? a : "", b ? "-" : "",
		 b ? b : "");
	for (p = out; *p; p++)
		if (!session_char_ok(*p))
			*p = '-';
}

char *tp_account_role_arn(const char *account, const char *role)
{
	return tp_xasprintf("arn:aws:iam::%s:role/%s", account, role);
}

tp_account_creds *tp_account_creds_new(tp_cred_provider *base, const char *region,
				       const char *role)
{
	tp_account_creds *ac = tp_xcalloc(1, sizeof(*ac));

	ac->base = base;
	ac->region = tp_xstrdup(region);
	ac->role = tp_xstrdup(role);
	pthread_mutex_init(&ac->lock, NULL);
	return ac;
}

void tp_account_creds_free(tp_account_creds *ac)
{
	struct entry *e, *next;

	if (!ac)
		return;
	for (e = ac->entries; e; e = next) {
		next = e->next;
		tp_cred_provider_free(e->provider);
		free(e);
	}
	pthread_mutex_destroy(&ac->lock);
	free(ac->region);
	free(ac->role);
	free(ac);
}

/* The provider of (account, session), made on first use. Entries live until the set is freed. */
static tp_cred_provider *provider(tp_account_creds *ac, const char *account,
				  const char *session, int duration_s)
{
	struct entry *e;
	char *arn;

	pthread_mutex_lock(&ac->lock);
	for (e = ac->entries; e; e = e->next)
		if (strcmp(e->account, account) == 0 && strcmp(e->session, session) == 0)
			break;
	if (!e) {
		e = tp_xcalloc(1, sizeof(*e));
		tp_strlcpy(e->account, account, sizeof(e->account));
		tp_strlcpy(e->session, session, sizeof(e->session));
		arn = tp_account_role_arn(account, ac->role);
		e->provider = tp_creds_assume_role(ac->base, ac->region, arn, e->session, NULL,
						   duration_s);
		free(arn);
		e->next = ac->entries;
		ac->entries = e;
	}
	pthread_mutex_unlock(&ac->lock);
	return e->provider;
}

int tp_account_creds_get(tp_account_creds *ac, tp_creds *out, const char *account,
			 const char *session_name, int duration_s)
{
	if (!tp_is_account_id(account))
		return tp_error_set(TP_EINVAL, "'%s' is not an AWS account id (12 digits)",
				    account ? account : "");
	return tp_creds_get(provider(ac, account, session_name, duration_s), out);
}
