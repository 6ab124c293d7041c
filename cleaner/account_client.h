/*
 * An AWS client acting in one pool account: its credentials come from the
 * account's AssumeRole of pool.role (accounts/creds.h) and refresh through
 * it, so a clean that outlasts one set of temporary credentials goes on
 * with the next.
 */
#ifndef TP_ACCOUNT_CLIENT_H
#define TP_ACCOUNT_CLIENT_H

#include "accounts/creds.h"
#include "aws/client.h"

/*
 * A client in `account` (default region `region`; NULL as for any client)
 * with role session `session`. `ac` is borrowed and must outlive the
 * client. The first credentials are fetched here, so a refused AssumeRole
 * is reported now (prefixed with the role ARN). Returns 0, or <0 with
 * *out NULL.
 */
int tp_account_client_new(tp_aws_client **out, tp_account_creds *ac, const char *account,
			  const char *session, const char *region);

#endif
