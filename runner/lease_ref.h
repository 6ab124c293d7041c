/*
 * Which lease a command acts on when it runs in another process than the
 * `claim` that took it (release, extend, credentials).
 *
 *   --token N   names the lease exactly: the fencing token `claim` printed
 *               (and wrote into the profile's credential_process). A stale
 *               token fails with "lease superseded" and changes nothing,
 *               even when the same owner holds a newer lease.
 *   otherwise   the live lease the owner (--owner, default $USER@$HOSTNAME)
 *               holds on the account; another holder's lease is refused
 *               with "lease superseded".
 */
#ifndef TP_LEASE_REF_H
#define TP_LEASE_REF_H

#include <stdint.h>

#include "accounts/pool.h"

typedef struct tp_lease_ref {
	const char *account;     /* as given on the command line */
	const char *token;       /* --token, or NULL */
	const char *owner;       /* --owner, or NULL for the default */
} tp_lease_ref;

#define TP_LEASE_REF_INIT { NULL, NULL, NULL }

/*
 * The token to act with. TP_EINVAL for a malformed account id or token,
 * a blocklisted account or one not in the pool; TP_ECONFLICT when no
 * token was given and the owner holds no lease on the account.
 */
int tp_lease_ref_token(int64_t *token, tp_pool *pool, const tp_lease_ref *ref);

#endif
