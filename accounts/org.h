/*
 * Pool accounts discovered through AWS Organizations.
 *
 * "Under an OU" means the whole subtree: the accounts directly in the OU
 * and in every OU below it (an OU's policies apply to its children, and
 * teams nest sandbox OUs). Only ACTIVE accounts count, and never the
 * organization's management account (which would be in the pool only by
 * mistake: a root id such as r-ab12 names every account).
 */
#ifndef TP_ORG_H
#define TP_ORG_H

#include <stddef.h>

#include "aws/client.h"

typedef struct tp_org_accounts {
	char **ids;           /* the accounts, sorted, each once */
	size_t n;
	char **skipped;       /* "111111111111 (SUSPENDED)", "123456789012 (management account)" */
	size_t n_skipped;
} tp_org_accounts;

#define TP_ORG_ACCOUNTS_INIT { NULL, 0, NULL, 0 }

/*
 * The active accounts under `parent` (an OU id "ou-..." or a root "r-..."),
 * through ListOrganizationalUnitsForParent and ListAccountsForParent (every
 * page) and DescribeOrganization for the management account. `out` is
 * filled only on success (caller releases).
 */
int tp_org_accounts_under(tp_org_accounts *out, tp_aws_client *c, const char *parent);

void tp_org_accounts_release(tp_org_accounts *a);

#endif
