/*
 * A credential provider (aws/creds.h) for one pool account, over the pool's
 * AssumeRole set (accounts/creds.h): what an account's deploy client signs
 * with. Fetching goes through the set's refreshing cache, so a provider is
 * cheap to ask on every request.
 */
#ifndef TP_DEPLOY_CREDS_H
#define TP_DEPLOY_CREDS_H

#include "accounts/creds.h"
#include "aws/creds.h"

/*
 * A new provider for `account` with role session `session_name` (copied);
 * `set` is borrowed and must outlive the provider. Free with
 * tp_cred_provider_free (or hand it to a client, which takes it over).
 */
tp_cred_provider *tp_deploy_creds_provider(tp_account_creds *set, const char *account,
					   const char *session_name);

#endif
