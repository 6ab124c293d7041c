/*
 * Deploying into leased accounts (runner/deploy_leased.h). The calling
 * thread submits every account's deployment, then waits for them in turn
 * in slices of half a second, renewing leases, ticking the progress and
 * watching for an interrupt between slices; the deployer's threads do the
 * work and call the progress from the coordinator thread.
 */
#include "runner/deploy_leased.h"

#include <stdlib.h>
#include <string.h>

#include "accounts/creds.h"
#include "aws/client.h"
#include "aws/error.h"
#include "aws/sts.h"
#include "aws/util.h"
#include "runner/deploy.h"
#include "runner/deploy_cfn.h"
#include "runner/deploy_creds.h"

#define SLICE_MS 500

typedef struct slot {
	tp_cfn_account *cfn;
	size_t dep;
	int submitted, finished;
	int64_t start_ms, end_ms;
	const tp_deploy_stack_result **results;
	size_t nresults;
} slot;

struct tp_deploy_leased {
	const tp_deploy_leased_opts *o;
	tp_deploy_target *t;
	size_t n;
	slot *slots;
	tp_cred_provider *base;
	tp_account_creds *creds;
	tp_deployer *d;
	size_t *by_dep;               /* deployment number -> target (written before submit) */
	size_t nsubmitted;
	int64_t renewed_ms;
};

static void on_stack(void *ctx, size_t dep, size_t stack, const tp_deploy_stack_result *r)
{
	tp_deploy_leased *l = ctx;

	(void)stack;
	if (dep < l->n)
		tp_deploy_progress_stack(l->o->progress, l->by_dep[dep], r);
}

static int new_account(tp_deploy_leased *l, size_t i, const char *session)
{
	const tp_deploy_leased_opts *o = l->o;
	tp_cfn_account_opts co = TP_CFN_ACCOUNT_OPTS_INIT;

	co.account = l->t[i].account;
	co.region = o->config->regions.items[0];
	co.creds = tp_deploy_creds_provider(l->creds, l->t[i].account, session);
	co.project = o->config->project;
	co.project_dir = o->config->dir;
	co.log_dir = o->log_dir;
	co.calls = o->calls;
	return tp_cfn_account_new(&l->slots[i].cfn, &co);
}

static double jitter(void *ctx)
{
	(void)ctx;
	return tp_random_unit();
}

static void submit(tp_deploy_leased *l, size_t i)
{
	const tp_deploy_leased_opts *o = l->o;
	tp_deploy_request req;

	memset(&req, 0, sizeof(req));
	req.stacks = o->set->specs;
	req.nstacks = o->set->n;
	req.account = l->slots[i].cfn;
	req.sm.account = l->t[i].account;
	req.sm.region = o->config->regions.items[0];
	req.sm.project = o->config->project;
	req.sm.run_id = o->run_id;
	req.sm.force = o->force;
	req.sm.jitter = jitter;
	l->slots[i].start_ms = tp_now_ms();
	/* numbers go 0, 1, ...: known before submitting, so the callbacks can use them */
	l->by_dep[l->nsubmitted] = i;
	l->slots[i].dep = tp_deployer_submit(l->d, &req);
	l->nsubmitted++;
	l->slots[i].submitted = 1;
}

/* Record what is there now under the account's lease (a hint for later runs: errors are dropped). */
static void record(tp_deploy_leased *l, size_t i)
{
	const slot *s = &l->slots[i];
	size_t k;

	for (k = 0; k < s->nresults; k++) {
		const tp_deploy_stack_result *r = s->results[k];
		const char *hash = tp_deploy_set_hash(l->o->set, k);

		if (r->outcome == TP_DEPLOY_FAILED)
			hash = NULL;
		else if (r->outcome != TP_DEPLOY_CREATED && r->outcome != TP_DEPLOY_UPDATED &&
			 r->outcome != TP_DEPLOY_SKIPPED)
			continue;
		if (tp_store_record_stack(l->o->store, l->t[i].account, l->t[i].token, r->name,
					  hash) < 0)
			tp_error_clear();
	}
}

static void collect(tp_deploy_leased *l, size_t i)
{
	slot *s = &l->slots[i];
	size_t k;

	s->finished = 1;
	s->end_ms = tp_now_ms();
	s->nresults = tp_deployer_stack_count(l->d, s->dep);
	s->results = tp_xcalloc(s->nresults + 1, sizeof(*s->results));
	for (k = 0; k < s->nresults; k++)
		s->results[k] = tp_deployer_result(l->d, s->dep, k);
	if (l->o->store)
		record(l, i);
	tp_deploy_progress_account(l->o->progress, i, NULL);
}

static void renew_all(tp_deploy_leased *l)
{
	long ttl = l->o->lease_ttl;
	size_t i;

	if (ttl <= 0 || !l->o->store || tp_now_ms() - l->renewed_ms < ttl * 1000 / 3)
		return;
	l->renewed_ms = tp_now_ms();
	for (i = 0; i < l->n; i++)
		if (l->slots[i].submitted && !l->slots[i].finished &&
		    tp_store_renew(l->o->store, l->t[i].account, l->t[i].token, ttl, NULL) < 0)
			tp_error_clear();   /* the deploy goes on; the lease may lapse */
}

/* Wait for every deployment; 1 when interrupted. */
static int wait_all(tp_deploy_leased *l)
{
	int interrupted = 0;
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (!l->slots[i].submitted)
			continue;
		while (tp_deployer_wait(l->d, l->slots[i].dep, SLICE_MS) == TP_ETIMEOUT) {
			if (!interrupted && l->o->interrupted && *l->o->interrupted) {
				interrupted = 1;
				tp_deployer_cancel_all(l->d);
			}
			renew_all(l);
			tp_deploy_progress_tick(l->o->progress);
		}
		collect(l, i);
	}
	return interrupted;
}

static int start(tp_deploy_leased *l)
{
	tp_deployer_opts dopts = TP_DEPLOYER_OPTS_INIT;
	char session[TP_SESSION_NAME_MAX + 1];
	size_t i;

	dopts.max_active = l->o->max_active;
	dopts.on_stack = on_stack;
	dopts.ctx = l;
	if (tp_deployer_new(&l->d, &dopts) < 0)
		return -1;
	l->base = tp_creds_default_chain();
	l->creds = tp_account_creds_new(l->base, l->o->config->regions.items[0],
					l->o->config->pool.role);
	tp_account_session_name(session, "deploy", l->o->run_id);
	for (i = 0; i < l->n; i++) {
		if (l->t[i].error)
			continue;
		if (new_account(l, i, session) < 0) {
			l->t[i].error = tp_xstrdup(tp_error_last()->msg);
			tp_deploy_progress_account(l->o->progress, i, l->t[i].error);
			continue;
		}
		submit(l, i);
	}
	return 0;
}

static int outcome(const tp_deploy_leased *l)
{
	size_t i, k;

	for (i = 0; i < l->n; i++) {
		if (l->t[i].error)
			return TP_ERROR;
		for (k = 0; k < l->slots[i].nresults; k++)
			if (l->slots[i].results[k]->outcome != TP_DEPLOY_CREATED &&
			    l->slots[i].results[k]->outcome != TP_DEPLOY_UPDATED &&
			    l->slots[i].results[k]->outcome != TP_DEPLOY_SKIPPED)
				return TP_ERROR;
	}
	return 0;
}

int tp_deploy_leased_run(tp_deploy_leased **out, tp_deploy_target *targets, size_t n,
			 const tp_deploy_leased_opts *opts)
{
	tp_deploy_leased *l = tp_xcalloc(1, sizeof(*l));
	int interrupted;

	*out = l;
	l->o = opts;
	l->t = targets;
	l->n = n;
	l->slots = tp_xcalloc(n + 1, sizeof(*l->slots));
	l->by_dep = tp_xcalloc(n + 1, sizeof(*l->by_dep));
	l->renewed_ms = tp_now_ms();
	if (start(l) < 0)
		return -1;
	interrupted = wait_all(l);
	if (interrupted)
		return tp_error_set(TP_EINTR, "interrupted");
	if (outcome(l) < 0)
		return tp_error_set(TP_ERROR, "some stacks were not deployed");
	return 0;
}

void tp_deploy_leased_summary(const tp_deploy_leased *l, size_t i, tp_deploy_summary *out)
{
	const slot *s = &l->slots[i];

	memset(out, 0, sizeof(*out));
	out->account = l->t[i].account;
	out->error = l->t[i].error;
	out->results = s->results;
	out->nstacks = s->results ? s->nresults : l->o->set->n;
	out->seconds = s->finished ? (double)(s->end_ms - s->start_ms) / 1000.0 : 0;
}

void tp_deploy_leased_free(tp_deploy_leased *l)
{
	size_t i;

	if (!l)
		return;
	tp_deployer_free(l->d);
	for (i = 0; i < l->n; i++) {
		tp_cfn_account_free(l->slots[i].cfn);
		free(l->slots[i].results);
	}
	tp_account_creds_free(l->creds);
	tp_cred_provider_free(l->base);
	free(l->slots);
	free(l->by_dep);
	free(l);
}

int tp_deploy_preflight(const tp_config *c)
{
	tp_aws_client_opts co = TP_AWS_CLIENT_OPTS_INIT;
	tp_aws_client *client = NULL;
	tp_identity id;
	int rc;

	co.region = c->regions.items[0];
	rc = tp_aws_client_new(&client, &co);
	if (rc == 0)
		rc = tp_sts_get_caller_identity(client, &id);
	tp_aws_client_free(client);
	return rc < 0 ? tp_error_prefix("cannot deploy: your own AWS credentials: ") : 0;
}
