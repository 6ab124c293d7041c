/*
 * A local AWS for tests and `tidepool run --local`: moto's server on a free
 * loopback port.
 *
 * The server runs in its own process group with a parent-death signal, so
 * it never outlives the process that started it, even when that process
 * crashes (start it from the thread that lives longest: the signal follows
 * the starting thread). tp_local_stop terminates the group.
 *
 * Signature checking (opts.auth): moto verifies SigV4 once
 * INITIAL_NO_AUTH_ACTION_COUNT unauthenticated calls have been made; the
 * launcher spends them creating an IAM user with an inline "*" policy and an
 * access key, and hands that key out. Assumed-role credentials of member
 * accounts are refused in that mode, so multi-account users leave it off.
 */
#ifndef TP_LOCAL_H
#define TP_LOCAL_H

#include <stddef.h>

#include "aws/creds.h"

typedef struct tp_local tp_local;

typedef struct tp_local_opts {
	int auth;              /* bootstrap signature checking */
	int accounts;          /* create an organization with this many member accounts */
	const char *log_path;  /* moto's output; NULL = discard */
	int start_timeout_ms;  /* 0 = 60 s */
} tp_local_opts;

#define TP_LOCAL_OPTS_INIT { 0, 0, NULL, 0 }

/*
 * Start moto_server. Returns 0, TP_ENOTFOUND when moto_server is not
 * installed (the message says how to install it), or TP_ERROR when it did
 * not come up (the message has the tail of its log).
 */
int tp_local_start(tp_local **out, const tp_local_opts *opts);

/* Stop the server (SIGTERM to its group, SIGKILL after 5 s); NULL is a no-op. */
void tp_local_stop(tp_local *l);

/* "http://127.0.0.1:PORT" */
const char *tp_local_endpoint(const tp_local *l);

/* Keys accepted by the server (the IAM user's in auth mode). */
const char *tp_local_access_key(const tp_local *l);
const char *tp_local_secret_key(const tp_local *l);
/* A new static provider with those keys (caller owns). */
tp_cred_provider *tp_local_creds(const tp_local *l);

/* The management account ("123456789012") and the member accounts. */
const char *tp_local_management_account(const tp_local *l);
size_t tp_local_account_count(const tp_local *l);
const char *tp_local_account(const tp_local *l, size_t i);

/* The root id of the organization ("r-xxxx"), or "" when none was created. */
const char *tp_local_root_id(const tp_local *l);

/* The server's process id (tests check it is gone after stop). */
int tp_local_pid(const tp_local *l);

#endif
