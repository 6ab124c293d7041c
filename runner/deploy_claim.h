/*
 * `tidepool claim --deploy`: every stack of the project deployed into the
 * account just claimed, under its lease (runner/deploy_leased.h). Progress
 * and the closing table go to stderr, so claim's own output (its lease, or
 * its one JSON document) stays what it is on stdout.
 */
#ifndef TP_DEPLOY_CLAIM_H
#define TP_DEPLOY_CLAIM_H

#include <stdint.h>

#include "accounts/store.h"
#include "suites/config.h"

/*
 * What `claim --deploy` checks before it leases: every template,
 * parameter, watch path and depends_on (runner/deploy_set.h). 0, or
 * TP_EINVAL with the message naming file:line:column.
 */
int tp_deploy_claim_check(const tp_config *c);

/*
 * Deploy every stack into `account`, leased with `token` for `ttl`
 * seconds (renewed while deploying; hashes recorded under it). Returns 0,
 * TP_EINTR when interrupted, or TP_ERROR "N of M stacks not deployed into
 * ACCOUNT" (the table above says which and why). The lease is left as it
 * is either way: it is the claimer's.
 */
int tp_deploy_claimed(const tp_config *c, tp_store *store, const char *account, int64_t token,
		      long ttl);

#endif
