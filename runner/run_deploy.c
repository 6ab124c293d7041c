/*
 * Deploying what a suite needs into its account, through the deployer
 * (runner/deploy.h): the loop thread submits one deployment (the suite's
 * stacks with their depends_on, in dependency order); the deployer's own
 * threads make the calls, skip the stacks whose tidepool:hash already
 * matches, and return each stack's outputs. No thread of the run waits for
 * it: its completion callback hands the job to a worker, which records
 * every stack that is there in the lease store (so a later run can prefer
 * this account); the job's done folds outputs and hashes into the account
 * on the loop thread, so the next suite on the same account that needs
 * the same stacks starts at once.
 *
 * The deployer borrows the deploy sets (runner/deploy_set.h, made before
 * the run starts), account ids and per-account
 * handles of every deployment until it is freed, so those live until the
 * end of the run (tp_run_deploy_release).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"
#include "runner/deploy.h"
#include "runner/deploy_cfn.h"
#include "runner/run_internal.h"

/* ---- the sets ----------------------------------------------------------- */

/* "a\tb\t": the suite's `stacks:` as written (the set's key). */
static char *set_key(const tp_config_suite *c)
{
	tp_buf b = TP_BUF_INIT;
	size_t i;

	for (i = 0; i < c->stacks.n; i++)
		tp_buf_addf(&b, "%s\t", c->stacks.items[i]);
	return tp_buf_detach(&b);
}

static const tp_deploy_set *find_or_make_set(run_state *r, const tp_config_suite *c)
{
	char *key = set_key(c);
	tp_deploy_set *set = NULL;
	size_t i;

	for (i = 0; i < r->nsets; i++) {
		if (strcmp(r->set_keys[i], key) == 0) {
			free(key);
			return r->sets[i];
		}
	}
	if (tp_deploy_set_new(&set, r->cfg, (const char *const *)c->stacks.items, c->stacks.n) < 0) {
		free(key);
		return NULL;
	}
	r->sets = tp_xrealloc(r->sets, (r->nsets + 1) * sizeof(*r->sets));
	r->set_keys = tp_xrealloc(r->set_keys, (r->nsets + 1) * sizeof(*r->set_keys));
	r->sets[r->nsets] = set;
	r->set_keys[r->nsets++] = key;
	return set;
}

int tp_run_deploy_prepare(run_state *r, run_suite *s)
{
	size_t i;

	if (s->cfg->stacks.n == 0)
		return 0;
	if (!(s->set = find_or_make_set(r, s->cfg)))
		return tp_error_prefix("suite %s: ", s->cfg->name);
	s->nstacks = s->set->n;
	s->stacks = tp_xcalloc(s->nstacks, sizeof(*s->stacks));
	for (i = 0; i < s->nstacks; i++) {
		s->stacks[i].name = tp_deploy_set_stack(s->set, i)->name;
		s->stacks[i].hash = tp_deploy_set_hash(s->set, i);
	}
	return 0;
}

/* ---- what the account already has ------------------------------------- */

static const char *known_hash(const run_acct *a, const char *stack)
{
	size_t i;

	for (i = 0; i < a->ndeployed; i++)
		if (strcmp(a->deployed[i].name, stack) == 0)
			return a->deployed[i].hash;
	return NULL;
}

static int outputs_known(const run_acct *a, const char *stack)
{
	char *k = tp_xasprintf("%s\t", stack);
	int known = tp_kv_list_get(&a->outputs, k) != NULL;

	free(k);
	return known;
}

int tp_run_deployed(const run_attempt *a)
{
	size_t i;

	for (i = 0; i < a->suite->nstacks; i++) {
		const tp_stack_ref *s = &a->suite->stacks[i];
		const char *h = known_hash(a->acct, s->name);
		if (!h || strcmp(h, s->hash) != 0 || !outputs_known(a->acct, s->name))
			return 0;
	}
	return 1;
}

static void set_deployed(run_acct *a, const char *stack, const char *hash)
{
	size_t i;

	for (i = 0; i < a->ndeployed; i++) {
		if (strcmp(a->deployed[i].name, stack) == 0) {
			free((char *)a->deployed[i].hash);
			a->deployed[i].hash = tp_xstrdup(hash);
			return;
		}
	}
	a->deployed = tp_xrealloc(a->deployed, (a->ndeployed + 1) * sizeof(*a->deployed));
	a->deployed[a->ndeployed].name = tp_xstrdup(stack);
	a->deployed[a->ndeployed].hash = tp_xstrdup(hash);
	a->ndeployed++;
}

/* ---- a deployment in flight ------------------------------------------ */

/*
 * The deployer's coordinator thread says when a deployment finished
 * (on_done); it finds the job by deployment number here and hands it to a
 * worker, which reads the results and records the stacks in the store,
 * then to the loop thread. `lock` protects `jobs`; the deployer's callback
 * takes it, the loop thread takes it around each submit.
 */
struct run_deploy_waiters {
	pthread_mutex_t lock;
	struct deploy_job **jobs;    /* by deployment number; NULL once handed on */
	size_t n;
	tp_jobs *pool;
};

typedef struct deploy_job {
	run_attempt *a;             /* done only */
	tp_deployer *d;
	size_t dep;
	tp_pool *pool;
	const run_plan *plan;       /* the suite's stacks, then extras */
	const char *account;        /* lives until the run ends */
	int64_t lease_token;
	tp_kv_list outputs;         /* out: "STACK\tKEY" -> value, "STACK\t" -> "" */
	char **lines;               /* out: "stack outcome" */
	size_t nlines;
	int64_t *stack_ms;          /* out: per stack, created/updated only (else -1) */
	int *ok;                    /* out: per stack, there at its hash */
	char *error;                /* the first of the suite's own stacks that failed */
	char *extra_error;          /* the first extra that failed (the suite goes on) */
	int64_t start, end;
} deploy_job;

static void collect(deploy_job *j, size_t dep)
{
	size_t n = tp_deployer_stack_count(j->d, dep), i, k;

	j->lines = tp_xcalloc(n + 1, sizeof(*j->lines));
	j->stack_ms = tp_xcalloc(n + 1, sizeof(*j->stack_ms));
	j->ok = tp_xcalloc(n + 1, sizeof(*j->ok));
	for (i = 0; i < n; i++) {
		const tp_deploy_stack_result *res = tp_deployer_result(j->d, dep, i);
		const char *hash = j->plan->specs[i].stack.hash;
		int ok = res->outcome == TP_DEPLOY_CREATED || res->outcome == TP_DEPLOY_UPDATED ||
			 res->outcome == TP_DEPLOY_SKIPPED;
		char **first = i < j->plan->nown ? &j->error : &j->extra_error;

		j->lines[j->nlines++] = tp_xasprintf("%s %s%s", res->name, tp_deploy_outcome_name(res->outcome),
						     i < j->plan->nown ? "" : " (extra)");
		j->stack_ms[i] = res->outcome == TP_DEPLOY_SKIPPED || !ok ? -1 : res->end_ms - res->start_ms;
		j->ok[i] = ok;
		if (!ok) {
			if (!*first)
				*first = tp_xasprintf("deploy of stack %s in %s %s: %s", res->name, j->account,
						      tp_deploy_outcome_name(res->outcome),
						      res->message ? res->message : "no reason given");
			continue;
		}
		for (k = 0; k < res->stack.outputs.n; k++) {
			char *key = tp_xasprintf("%s\t%s", res->name, res->stack.outputs.items[k].key);
			tp_kv_list_add(&j->outputs, key, res->stack.outputs.items[k].value);
			free(key);
		}
		{
			char *mark = tp_xasprintf("%s\t", res->name);
			tp_kv_list_add(&j->outputs, mark, "");
			free(mark);
		}
		if (tp_store_record_stack(tp_pool_store(j->pool), j->account, j->lease_token, res->name,
					  hash) < 0)
			tp_error_clear();   /* only a hint for later runs */
	}
}

/* On a worker: the results, and the stacks recorded in the store. */
static void collect_work(void *p)
{
	deploy_job *j = p;

	collect(j, j->dep);
	j->end = tp_now_ms();
}

static void deploy_done(void *p);

/* On the deployer's coordinator thread. */
static void on_deployed(void *ctx, size_t dep)
{
	struct run_deploy_waiters *w = ctx;
	deploy_job *j = NULL;

	pthread_mutex_lock(&w->lock);
	if (dep < w->n) {
		j = w->jobs[dep];
		w->jobs[dep] = NULL;
	}
	pthread_mutex_unlock(&w->lock);
	if (j)
		tp_jobs_submit_reserved(w->pool, j, collect_work, deploy_done);
}

static void record_stack_times(run_state *r, const deploy_job *j)
{
	char *project = tp_xasprintf("%s#stacks", r->cfg->project);
	size_t i;

	for (i = 0; r->history && i < j->nlines; i++)
		if (j->stack_ms[i] >= 0 &&
		    tp_history_record(r->history, project, j->plan->specs[i].stack.name, j->stack_ms[i], 1,
				      tp_time_now()) < 0)
			tp_error_clear();
	free(project);
}

static void deploy_done(void *p)
{
	deploy_job *j = p;
	run_attempt *a = j->a;
	run_state *r = a->run;
	tp_report_attempt *ra = &r->rep->suites[a->suite->sched].attempts[a->report_attempt];
	tp_stack_ref *landed = tp_xcalloc(j->plan->n + 1, sizeof(*landed));
	size_t i, n = 0;

	tp_report_span_close(r->rep, a->deploy_span, j->error == NULL);
	a->deploy_span = -1;
	ra->deploy_ms += j->end - j->start;
	ra->stacks = j->lines;
	ra->nstacks = j->nlines;
	j->lines = NULL;
	/* What is there now, even when something else failed: the account
	 * keeps it for the next suite, the scheduler counts on it. */
	for (i = 0; i < j->plan->n; i++) {
		if (!j->ok[i])
			continue;
		landed[n].name = j->plan->specs[i].stack.name;
		landed[n++].hash = j->plan->specs[i].stack.hash;
		set_deployed(a->acct, j->plan->specs[i].stack.name, j->plan->specs[i].stack.hash);
	}
	for (i = 0; i < j->outputs.n; i++)
		tp_kv_list_add(&a->acct->outputs, j->outputs.items[i].key, j->outputs.items[i].value);
	tp_sched_stacks_deployed(r->sched, a->acct->handle, landed, n);
	record_stack_times(r, j);
	if (j->extra_error)
		run_event(r, "warning: %s (an extra stack: %s goes on)", j->extra_error,
			  a->suite->cfg->name);
	if (!j->error) {
		char extra[48] = "";

		if (j->plan->n > j->plan->nown)
			snprintf(extra, sizeof(extra), " and %zu extra", j->plan->n - j->plan->nown);
		run_event(r, "deployed %zu stack%s%s for %s on %s (%.1f s)", j->plan->nown,
			  j->plan->nown == 1 ? "" : "s", extra, a->suite->cfg->name, a->acct->id,
			  (double)(j->end - j->start) / 1000.0);
	}
	tp_run_attempt_deployed(a, j->error);
	tp_kv_list_release(&j->outputs);
	free(landed);
	free(j->stack_ms);
	free(j->ok);
	free(j->error);
	free(j->extra_error);
	free(j);
}

static const char *keep(run_state *r, const char *s)
{
	r->kept = tp_xrealloc(r->kept, (r->nkept + 1) * sizeof(*r->kept));
	r->kept[r->nkept] = tp_xstrdup(s);
	return r->kept[r->nkept++];
}

static int ensure_deployer(run_state *r)
{
	tp_deployer_opts o = TP_DEPLOYER_OPTS_INIT;

	if (r->deployer)
		return 0;
	r->waiters = tp_xcalloc(1, sizeof(*r->waiters));
	pthread_mutex_init(&r->waiters->lock, NULL);
	r->waiters->pool = r->jobs;
	o.on_done = on_deployed;
	o.ctx = r->waiters;
	return tp_deployer_new(&r->deployer, &o);
}

/*
 * The account's credentials for a deployment, through the run's
 * per-account AssumeRole cache (accounts/creds.h): refreshed before they
 * expire, so a deployment longer than a session keeps working.
 */
typedef struct acct_provider {
	tp_cred_provider base;
	tp_account_creds *set;      /* outlives the deployer (freed after it) */
	char account[13];
	char session[TP_SESSION_NAME_MAX + 1];
} acct_provider;

static int acct_load(tp_cred_provider *self, tp_creds *out)
{
	acct_provider *p = (acct_provider *)self;

	return tp_account_creds_get(p->set, out, p->account, p->session, 0);
}

static void acct_free(tp_cred_provider *self)
{
	free(self);
}

static tp_cred_provider *acct_creds(run_state *r, const run_attempt *a)
{
	acct_provider *p = tp_xcalloc(1, sizeof(*p));

	p->base.name = "pool account (AssumeRole)";
	p->base.load = acct_load;
	p->base.free = acct_free;
	p->set = r->creds;
	tp_strlcpy(p->account, a->acct->id, sizeof(p->account));
	tp_account_session_name(p->session, r->run_id, a->suite->cfg->name);
	return &p->base;
}

/* The account handle of this deployment: a client in the account. */
static tp_cfn_account *cfn_account(run_state *r, const run_attempt *a, const char *account)
{
	tp_cfn_account_opts co = TP_CFN_ACCOUNT_OPTS_INIT;
	tp_cfn_account *cfn = NULL;
	char *log_dir = tp_xasprintf("%s/logs/deploy", r->run_dir);

	co.account = account;
	co.region = r->region;
	co.creds = acct_creds(r, a);
	co.endpoint_url = r->endpoint;
	co.project = r->cfg->project;
	co.project_dir = r->cfg->dir;
	co.log_dir = log_dir;
	if (tp_cfn_account_new(&cfn, &co) < 0)
		cfn = NULL;
	free(log_dir);
	if (cfn) {
		r->cfn = tp_xrealloc(r->cfn, (r->ncfn + 1) * sizeof(*r->cfn));
		r->cfn[r->ncfn++] = cfn;
	}
	return cfn;
}

static void submit(run_state *r, deploy_job *j, tp_cfn_account *cfn)
{
	struct run_deploy_waiters *w = r->waiters;
	tp_deploy_request req;

	memset(&req, 0, sizeof(req));
	req.stacks = j->plan->specs;
	req.nstacks = j->plan->n;
	req.account = cfn;
	req.sm.account = j->account;
	req.sm.region = r->region;
	req.sm.project = r->cfg->project;
	req.sm.run_id = r->run_id;
	tp_jobs_reserve(r->jobs);
	pthread_mutex_lock(&w->lock);     /* on_deployed waits until the job is listed */
	j->dep = tp_deployer_submit(r->deployer, &req);
	if (j->dep >= w->n) {
		size_t n = j->dep * 2 + 8;
		w->jobs = tp_xrealloc(w->jobs, n * sizeof(*w->jobs));
		memset(w->jobs + w->n, 0, (n - w->n) * sizeof(*w->jobs));
		w->n = n;
	}
	w->jobs[j->dep] = j;
	pthread_mutex_unlock(&w->lock);
	j->a->deployment = j->dep;
}

void tp_run_deploy(run_state *r, run_attempt *a)
{
	const run_plan *plan = tp_run_plan(r, a);
	tp_cfn_account *cfn;
	deploy_job *j;

	if (ensure_deployer(r) < 0) {
		tp_run_attempt_deployed(a, tp_error_last()->msg);
		return;
	}
	a->phase = PHASE_DEPLOY;
	a->phase_start = tp_now_ms();
	a->deploy_span = tp_report_span_open(r->rep, TP_SPAN_DEPLOY, a->acct->report, a->suite->sched,
					     a->number);
	j = tp_xcalloc(1, sizeof(*j));
	j->a = a;
	j->d = r->deployer;
	j->pool = r->pool;
	j->plan = plan;
	j->account = keep(r, a->acct->id);
	j->lease_token = a->acct->token;
	j->start = tp_now_ms();
	cfn = cfn_account(r, a, j->account);
	if (!cfn) {
		char *msg = tp_xasprintf("deploy in %s: %s", j->account, tp_error_last()->msg);
		tp_report_span_close(r->rep, a->deploy_span, 0);
		a->deploy_span = -1;
		free(j);
		tp_run_attempt_deployed(a, msg);
		free(msg);
		return;
	}
	submit(r, j, cfn);
}

void tp_run_deploy_cancel(run_state *r)
{
	if (r->deployer)
		tp_deployer_cancel_all(r->deployer);
}

void tp_run_deploy_cancel_one(run_state *r, run_attempt *a)
{
	if (r->deployer && a->phase == PHASE_DEPLOY)
		tp_deployer_cancel(r->deployer, a->deployment);
}

void tp_run_deploy_release(run_state *r)
{
	size_t i;

	tp_deployer_free(r->deployer);
	r->deployer = NULL;
	if (r->waiters) {
		pthread_mutex_destroy(&r->waiters->lock);
		free(r->waiters->jobs);
		free(r->waiters);
		r->waiters = NULL;
	}
	for (i = 0; i < r->ncfn; i++)
		tp_cfn_account_free(r->cfn[i]);
	free(r->cfn);
	tp_run_plans_release(r);
	for (i = 0; i < r->nkept; i++)
		free(r->kept[i]);
	free(r->kept);
	for (i = 0; i < r->nsets; i++) {
		tp_deploy_set_free(r->sets[i]);
		free(r->set_keys[i]);
	}
	free(r->sets);
	free(r->set_keys);
}
