/*
 * What must hold before the cleaner deletes anything in an account
 * (DESIGN.md, "The cleaner": Safety). Each refusal is TP_EINVAL (exit 2)
 * with its own message naming the account and the rule; a check that
 * cannot be made because AWS failed is that AWS error (exit 3): the
 * checks fail closed.
 *
 * Two steps, so that everything that needs no AWS call is refused before
 * the first one:
 *   tp_safety_check_pool    12 digits; not blocklisted; in the pool (the
 *                           store, or pool.accounts); no live lease on it;
 *                           not the caller's own account (when known)
 *   tp_safety_check_account with credentials in the account: they really
 *                           are the account's (GetCallerIdentity); no alias
 *                           containing "prod" (IAM ListAccountAliases; any
 *                           case) unless cleaner.allow_prod_alias; not the
 *                           organization's management account
 *                           (Organizations DescribeOrganization, asked with
 *                           the caller's credentials and the account's)
 */
#ifndef TP_SAFETY_H
#define TP_SAFETY_H

#include <stddef.h>

#include "accounts/pool.h"
#include "aws/client.h"
#include "suites/config.h"

typedef struct tp_safety_opts {
	const char *account;          /* the account to clean */
	const tp_config *config;      /* pool.accounts, cleaner.allow_prod_alias (may be NULL) */
	tp_pool *pool;                /* membership, blocklist, leases (may be NULL: the config's) */
	const char *caller_account;   /* the caller's own account, when known */
	tp_aws_client *caller;        /* the caller's credentials (may be NULL) */
	tp_aws_client *target;        /* credentials in `account` */
	int allow_live_lease;         /* the sweeper cleans expired leases; nuke refuses live ones */
} tp_safety_opts;

#define TP_SAFETY_OPTS_INIT { NULL, NULL, NULL, NULL, NULL, NULL, 0 }

/* The checks that need no AWS call. 0 or TP_EINVAL (refused). */
int tp_safety_check_pool(const tp_safety_opts *o);

/*
 * The checks made with AWS. On success `alias` (size bytes) holds the
 * account's alias, or "" when it has none. TP_EINVAL when refused; the
 * AWS error when a check could not be made.
 */
int tp_safety_check_account(const tp_safety_opts *o, char *alias, size_t size);

/* The caller's own account through `caller` (GetCallerIdentity) into out[16]. */
int tp_safety_caller_account(tp_aws_client *caller, char out[16]);

#endif
