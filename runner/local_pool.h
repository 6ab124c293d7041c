/*
 * The pool of `tidepool run --local` (DESIGN.md, "Local mode"): moto's
 * server on a free loopback port (aws/local.h) with an organization of N
 * member accounts, and a temporary SQLite lease store holding them. Every
 * AWS call of the run and every suite is pointed at the server; everything
 * goes away with tp_local_pool_stop.
 */
#ifndef TP_LOCAL_POOL_H
#define TP_LOCAL_POOL_H

#include <stddef.h>

#include "accounts/pool.h"
#include "aws/creds.h"

typedef struct tp_local_pool tp_local_pool;

/*
 * Start moto with `accounts` member accounts and open a temporary store
 * with them. Returns 0; TP_EINVAL when moto_server is not installed (the
 * message says how to install it: a setup problem, exit 2); TP_ERROR when
 * it did not come up.
 */
int tp_local_pool_start(tp_local_pool **out, int accounts);

/* Stop the server and remove the temporary store. NULL is a no-op. */
void tp_local_pool_stop(tp_local_pool *p);

/* "http://127.0.0.1:PORT" */
const char *tp_local_pool_endpoint(const tp_local_pool *p);

/* The pool (borrowed; lives until stop). */
tp_pool *tp_local_pool_pool(const tp_local_pool *p);

/* The management account's keys as a new provider (caller owns). */
tp_cred_provider *tp_local_pool_creds(const tp_local_pool *p);

size_t tp_local_pool_count(const tp_local_pool *p);
const char *tp_local_pool_account(const tp_local_pool *p, size_t i);

#endif
