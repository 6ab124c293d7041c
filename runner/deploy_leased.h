/*
 * Deploying a set of stacks into accounts the caller holds leases on: what
 * `tidepool deploy` and `tidepool claim --deploy` share. For each account
 * it assumes the pool role (accounts/creds.h, session
 * "tidepool-deploy-<run>"), makes the account's CloudFormation handle
 * (runner/deploy_cfn.h) and submits one deployment to one deployer for all
 * of them; while they run it renews the leases (every third of the TTL)
 * and shows progress; when an account finishes it records in the lease
 * store, under that lease, the hash of every stack now there (created,
 * updated or skipped) and forgets the ones that failed.
 *
 * The results stay readable (tp_deploy_leased_summary) until the handle is
 * freed. Leases are the caller's: this neither acquires nor releases them.
 */
#ifndef TP_DEPLOY_LEASED_H
#define TP_DEPLOY_LEASED_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "accounts/store.h"
#include "runner/deploy_calls.h"
#include "runner/deploy_report.h"
#include "runner/deploy_set.h"

typedef struct tp_deploy_target {
	char account[16];
	int64_t token;                /* the caller's lease on it */
	char *error;                  /* set (owned) when it could not be deployed at all */
} tp_deploy_target;

typedef struct tp_deploy_leased_opts {
	const tp_config *config;      /* role, regions, project, dir */
	tp_store *store;              /* records hashes, renews leases */
	long lease_ttl;               /* renew to this every ttl/3; 0 = never */
	const tp_deploy_set *set;
	int force;
	const char *run_id;           /* tokens and the role session name */
	const char *log_dir;          /* command stacks' output (LOG_DIR/ACCOUNT/STACK.log) */
	tp_deploy_calls *calls;       /* API calls counted/logged; may be NULL */
	tp_deploy_progress *progress; /* may be NULL; account i is target i */
	volatile sig_atomic_t *interrupted;  /* becomes non-zero: cancel; may be NULL */
	int max_active;               /* 0 = the deployer's default */
} tp_deploy_leased_opts;

typedef struct tp_deploy_leased tp_deploy_leased;

/*
 * Deploy into targets[0..n). Returns 0 when every stack of every target
 * is there (created, updated or skipped), TP_EINTR when interrupted, else
 * TP_ERROR (some stack or account failed; the summary says which). *out
 * holds the results either way (caller frees); targets[i].error is set for
 * accounts that could not be deployed at all.
 */
int tp_deploy_leased_run(tp_deploy_leased **out, tp_deploy_target *targets, size_t n,
			 const tp_deploy_leased_opts *opts);

/* The reports' view of target i (valid until the handle is freed). */
void tp_deploy_leased_summary(const tp_deploy_leased *l, size_t i, tp_deploy_summary *out);

/* NULL is a no-op. targets[i].error stays the caller's to free. */
void tp_deploy_leased_free(tp_deploy_leased *l);

/*
 * Whether AWS answers this process's own credentials (STS
 * GetCallerIdentity in the project's first region, with the client's
 * retries only): called before leasing anything to deploy, so a dead
 * endpoint or broken credentials fail in a second or two with the reason,
 * rather than after the deploy state machine has retried every stack's
 * first call for minutes. 0, or -1 with the error set.
 */
int tp_deploy_preflight(const tp_config *c);

#endif
