/*
 * Credentials of pool accounts: STS AssumeRole of
 * arn:aws:iam::ACCOUNT:role/ROLE (pool.role) signed with the runner's base
 * credentials.
 *
 * DESIGN: one provider per (account, session name), made on first use by
 * tp_creds_assume_role and kept for the life of the set. Each is a
 * refreshing cache (aws/creds.h): credentials are fetched once and fetched
 * again 5 minutes before they expire. Nothing is written to disk.
 * `lock` protects the table of providers only; it is not held while
 * credentials are fetched (each provider serialises its own refresh), so
 * threads of different accounts never wait for each other.
 */
#ifndef TP_ACCOUNT_CREDS_H
#define TP_ACCOUNT_CREDS_H

#include "aws/creds.h"

/* STS's limit on a role session name. */
#define TP_SESSION_NAME_MAX 64

/*
 * "tidepool-<a>-<b>" (b may be NULL: "tidepool-<a>") with every character
 * STS does not allow ([A-Za-z0-9_+=,.@-]) replaced by '-', cut to 64
 * characters: tidepool-<run>-<suite>, tidepool-claim-<owner>.
 */
void tp_account_session_name(char out[TP_SESSION_NAME_MAX + 1], const char *a, const char *b);

/* "arn:aws:iam::ACCOUNT:role/ROLE" (caller frees). */
char *tp_account_role_arn(const char *account, const char *role);

typedef struct tp_account_creds tp_account_creds;

/*
 * A set of per-account providers. `base` (borrowed; must outlive the set)
 * signs the AssumeRole calls; `region` is STS's (NULL = default); `role`
 * the role name (pool.role).
 */
tp_account_creds *tp_account_creds_new(tp_cred_provider *base, const char *region,
				       const char *role);

/* NULL is a no-op. */
void tp_account_creds_free(tp_account_creds *ac);

/*
 * Credentials of `account` for `session_name` into `out` (caller releases
 * with tp_creds_release). `duration_s` (0 = 3600; STS allows 900 and up)
 * applies when this (account, session) is first asked for. Thread-safe.
 * Errors are AssumeRole's, prefixed with the role ARN.
 */
int tp_account_creds_get(tp_account_creds *ac, tp_creds *out, const char *account,
			 const char *session_name, int duration_s);

#endif
