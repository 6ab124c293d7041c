/*
 * Accounts of a run: leasing (scored by the scheduler), heartbeats, and
 * the release to the cleaner. Each AWS/store step is a job (run_jobs.h);
 * its `done` runs on the loop thread and is the only place run state
 * changes.
 *
 * Leasing in two steps when any suite needs stacks: list the pool (job),
 * score every available account on the loop thread with
 * tp_sched_lease_score against what its record says is deployed there,
 * then acquire (job) with those scores, so the store's atomic acquire
 * picks the best account still free at that moment.
 */
#include <string.h>

#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/filter.h"
#include "cleaner/sweep.h"
#include "runner/run_internal.h"

#define LEASE_RETRY_MS 2000
/* AWS calls in flight per account being cleaned (the cleaner's pool runs
 * RUN_CLEAN_ACCOUNTS accounts at once, see run.c). */
#define RUN_CLEAN_PARALLEL 4
#define LEASE_WAIT_MAX_MS (60 * 60 * 1000)

typedef struct score {
	char id[13];
	long score;
} score;

typedef struct lease_job {
	run_state *run;                /* done only */
	tp_pool *pool;
	char holder[256];
	char run_id[48];
	long ttl;
	int list_first;             /* step 1: list the pool */
	score *scores;              /* step 2: the loop thread's scores */
	size_t nscores;
	int rc;
	tp_error err;
	tp_account_list list;
	tp_lease lease;
	tp_account rec;
} lease_job;

run_acct *tp_run_acct(run_state *r, int handle)
{
	return handle >= 0 && (size_t)handle < r->naccts ? r->accts[handle] : NULL;
}

static int needs_stacks(const run_state *r)
{
	size_t i;

	for (i = 0; i < r->nsuites; i++)
		if (r->suites[i].nstacks)
			return 1;
	return 0;
}

/* ---- the job: on a worker -------------------------------------------- */

static long score_of(void *ctx, const tp_account *a)
{
	const lease_job *j = ctx;
	size_t i;

	for (i = 0; i < j->nscores; i++)
		if (strcmp(j->scores[i].id, a->id) == 0)
			return j->scores[i].score;
	return 0;
}

static void lease_work(void *p)
{
	lease_job *j = p;
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;

	if (j->list_first) {
		j->rc = tp_store_list(tp_pool_store(j->pool), &j->list);
	} else {
		o.holder = j->holder;
		o.run_id = j->run_id;
		o.ttl = j->ttl;
		o.score = j->nscores ? score_of : NULL;
		o.score_ctx = j;
		j->rc = tp_pool_acquire(j->pool, &j->lease, &o, 0);
		if (j->rc == 0 && tp_store_get(tp_pool_store(j->pool), &j->rec, j->lease.account) < 0)
			tp_error_clear();     /* no stacks known: the deployer checks anyway */
	}
	if (j->rc < 0)
		tp_error_save(&j->err);
}

/* ---- results: on the loop thread -------------------------------------- */

static void lease_done(void *p);

static void submit(run_state *r, lease_job *j)
{
	r->leases_out++;
	tp_jobs_submit(r->jobs, j, lease_work, lease_done);
}

static lease_job *new_job(run_state *r)
{
	lease_job *j = tp_xcalloc(1, sizeof(*j));

	j->run = r;
	j->pool = r->pool;
	tp_strlcpy(j->holder, r->holder, sizeof(j->holder));
	tp_strlcpy(j->run_id, r->run_id, sizeof(j->run_id));
	j->ttl = r->cfg->pool.lease_ttl;
	return j;
}

void tp_run_lease(run_state *r)
{
	lease_job *j = new_job(r);

	j->list_first = needs_stacks(r);
	submit(r, j);
}

static void free_job(lease_job *j)
{
	tp_account_list_release(&j->list);
	tp_account_release(&j->rec);
	free(j->scores);
	free(j);
}

/* Step 1 done: score the available accounts, then acquire. */
static void score_and_acquire(run_state *r, lease_job *j)
{
	size_t i, k;

	j->scores = tp_xcalloc(j->list.n + 1, sizeof(*j->scores));
	for (i = 0; i < j->list.n; i++) {
		const tp_account *a = &j->list.items[i];
		tp_stack_ref *refs;

		if (a->state != TP_ACCOUNT_AVAILABLE)
			continue;
		refs = tp_xcalloc(a->n_stacks + 1, sizeof(*refs));
		for (k = 0; k < a->n_stacks; k++) {
			refs[k].name = a->stacks[k].name;
			refs[k].hash = a->stacks[k].hash;
		}
		tp_strlcpy(j->scores[j->nscores].id, a->id, sizeof(j->scores[0].id));
		j->scores[j->nscores++].score = (long)(tp_sched_lease_score(r->sched, refs, a->n_stacks) / 1000);
		free(refs);
	}
	tp_account_list_release(&j->list);
	j->list_first = 0;
	submit(r, j);
}

static void on_retry(void *ctx)
{
	run_state *r = ctx;

	r->lease_timer = 0;
	tp_sched_lease_retry(r->sched);
	tp_run_pump(r);
}

static size_t held(const run_state *r)
{
	size_t i, n = 0;

	for (i = 0; i < r->naccts; i++)
		n += r->accts[i] != NULL;
	return n;
}

/* ---- no account free --------------------------------------------------- */

/*
 * When the run holds no account and none is free: is any coming back by
 * itself (leased by another run, being cleaned, or released in the last
 * few minutes, which its runner is about to clean)? Then wait for it.
 * Otherwise (every account dirty for long, expired or quarantined: only
 * `tidepool sweep` frees them) fail at once rather than wait in vain.
 */
#define DIRTY_FRESH_S 300

typedef struct outlook_job {
	run_state *run;             /* done only */
	tp_pool *pool;
	int rc;
	int coming;                 /* accounts that will free up by themselves */
	char why[1024];             /* the EBUSY message */
} outlook_job;

static int coming_back(const tp_account *a, time_t now)
{
	switch (tp_account_state_at(a, now)) {
	case TP_ACCOUNT_AVAILABLE:  /* freed meanwhile */
	case TP_ACCOUNT_LEASED:
	case TP_ACCOUNT_CLEANING:
		return 1;
	case TP_ACCOUNT_DIRTY:
		return now - a->changed_at < DIRTY_FRESH_S;
	default:
		return 0;
	}
}

static void outlook_work(void *p)
{
	outlook_job *j = p;
	tp_account_list l = TP_ACCOUNT_LIST_INIT;
	time_t now = tp_store_now(tp_pool_store(j->pool));
	size_t i;

	j->rc = tp_store_list(tp_pool_store(j->pool), &l);
	for (i = 0; j->rc == 0 && i < l.n; i++)
		j->coming += !tp_pool_is_blocklisted(j->pool, l.items[i].id) &&
			     coming_back(&l.items[i], now);
	tp_account_list_release(&l);
	tp_error_clear();
}

static void arm_retry(run_state *r)
{
	if (!r->lease_timer && !r->interrupts)
		r->lease_timer = tp_loop_timer_add(r->loop, tp_now_ms() + LEASE_RETRY_MS +
						   (int64_t)(tp_random_unit() * 500), on_retry, r);
}

static void outlook_done(void *p)
{
	outlook_job *j = p;
	run_state *r = j->run;

	r->leases_out--;
	if (j->rc == 0 && j->coming == 0)
		tp_run_fail(r, "%s; none will free up by itself: `tidepool sweep` cleans dirty and "
			    "expired accounts, `tidepool status` shows them", j->why);
	else if (tp_now_ms() - r->lease_wait_since > LEASE_WAIT_MAX_MS)
		tp_run_fail(r, "%s (waited %d minutes)", j->why, LEASE_WAIT_MAX_MS / 60000);
	else
		arm_retry(r);
	free(j);
}

/* No account now: wait for one (others hold them) or give up. */
static void lease_busy(run_state *r, const tp_error *e)
{
	outlook_job *j;

	tp_sched_lease_failed(r->sched);
	if (held(r) > 0 || r->leases_out > 0) {
		arm_retry(r);          /* more would be nice; this run goes on meanwhile */
		return;
	}
	if (strstr(e->msg, "the pool is empty")) {
		tp_run_fail(r, "%s", e->msg);
		return;
	}
	if (!r->lease_wait_since) {
		r->lease_wait_since = tp_now_ms();
		run_event(r, "waiting for a free account (%s)", e->msg);
	}
	j = tp_xcalloc(1, sizeof(*j));
	j->run = r;
	j->pool = r->pool;
	tp_strlcpy(j->why, e->msg, sizeof(j->why));
	r->leases_out++;
	tp_jobs_submit(r->jobs, j, outlook_work, outlook_done);
}

static void heartbeat_arm(run_state *r, run_acct *a);

static void leased(run_state *r, lease_job *j)
{
	run_acct *a = tp_xcalloc(1, sizeof(*a));
	tp_stack_ref *refs = tp_xcalloc(j->rec.n_stacks + 1, sizeof(*refs));
	size_t k;

	a->run = r;
	a->handle = (int)r->naccts;
	tp_strlcpy(a->id, j->lease.account, sizeof(a->id));
	a->token = j->lease.token;
	a->report = tp_report_account_index(r->rep, a->id);
	r->rep->accounts[a->report].leased_ms = tp_report_now(r->rep);
	r->rep->accounts[a->report].released_ms = -1;
	a->lease_span = tp_report_span_open(r->rep, TP_SPAN_LEASE, a->report, -1, 0);
	for (k = 0; k < j->rec.n_stacks; k++) {
		refs[k].name = tp_xstrdup(j->rec.stacks[k].name);
		refs[k].hash = tp_xstrdup(j->rec.stacks[k].hash);
	}
	a->deployed = refs;
	a->ndeployed = j->rec.n_stacks;
	r->accts = tp_xrealloc(r->accts, (r->naccts + 1) * sizeof(*r->accts));
	r->accts[r->naccts++] = a;
	r->lease_wait_since = 0;
	run_event(r, "leased %s%s", a->id,
		  a->ndeployed ? " (stacks recorded there: reused when their hashes match)" : "");
	heartbeat_arm(r, a);
	tp_sched_account_leased(r->sched, a->handle, a->deployed, a->ndeployed);
}

static void lease_done(void *p)
{
	lease_job *j = p;
	run_state *r = j->run;

	r->leases_out--;
	if (j->rc == 0 && j->list_first) {
		score_and_acquire(r, j);
		return;
	}
	if (j->rc == 0)
		leased(r, j);
	else if (j->rc == TP_EBUSY)
		lease_busy(r, &j->err);
	else if (held(r) == 0 && r->leases_out == 0)
		tp_run_fail(r, "cannot lease an account from %s: %s", tp_store_url(tp_pool_store(r->pool)),
			    j->err.msg);
	else {
		run_event(r, "warning: cannot lease another account: %s", j->err.msg);
		lease_busy(r, &j->err);
	}
	free_job(j);
}

/* ---- heartbeats -------------------------------------------------------- */

typedef struct renew_job {
	run_state *run;
	tp_pool *pool;
	int handle;
	char id[13];
	int64_t token;
	long ttl;
	int rc;
	tp_error err;
} renew_job;

static void renew_work(void *p)
{
	renew_job *j = p;

	j->rc = tp_store_renew(tp_pool_store(j->pool), j->id, j->token, j->ttl, NULL);
	if (j->rc < 0)
		tp_error_save(&j->err);
}

/*
 * The lease is not ours any more (released by an operator, or expired and
 * taken by someone else): stop what runs there, never release or clean it,
 * and let the scheduler lease another in its place.
 */
static void lose(run_state *r, run_acct *a, const char *why)
{
	tp_report_account *ra = &r->rep->accounts[a->report];

	a->lost = 1;
	tp_loop_timer_cancel(r->loop, a->heartbeat);
	a->heartbeat = 0;
	ra->lease_lost = tp_xstrdup(why);
	run_event(r, "warning: the lease on %s was lost (%s): %sthis run neither releases nor "
		  "cleans it", a->id, why, a->busy ? "stopping its suite; " : "");
	tp_sched_account_lost(r->sched, a->handle);
	if (a->busy)
		tp_run_attempt_lost(a->busy);   /* forgotten when the attempt ends */
	else
		tp_run_forget(r, a);
	tp_run_pump(r);
}

static void renew_done(void *p)
{
	renew_job *j = p;
	run_state *r = j->run;
	run_acct *a = tp_run_acct(r, j->handle);

	if (a && !a->lost && j->rc == TP_ECONFLICT) {
		lose(r, a, j->err.msg);      /* may free a */
	} else if (a && !a->lost) {
		if (j->rc < 0)   /* a transport failure: the next beat tries again */
			run_event(r, "warning: heartbeat of %s: %s", j->id, j->err.msg);
		heartbeat_arm(r, a);
	}
	free(j);
}

static void on_heartbeat(void *ctx)
{
	run_acct *a = ctx;
	run_state *r = a->run;
	renew_job *j = tp_xcalloc(1, sizeof(*j));

	a->heartbeat = 0;
	j->run = r;
	j->pool = r->pool;
	j->handle = a->handle;
	tp_strlcpy(j->id, a->id, sizeof(j->id));
	j->token = a->token;
	j->ttl = r->cfg->pool.lease_ttl;
	tp_jobs_submit(r->jobs, j, renew_work, renew_done);
}

/* Renew at a third of the TTL, so two missed beats still leave the lease live. */
static void heartbeat_arm(run_state *r, run_acct *a)
{
	int64_t every = (int64_t)r->cfg->pool.lease_ttl * 1000 / 3;

	if (every < 1000)
		every = 1000;
	a->heartbeat = tp_loop_timer_add(r->loop, tp_now_ms() + every, on_heartbeat, a);
}

/* ---- release and clean ------------------------------------------------- */

typedef struct release_job {
	run_state *run;
	tp_pool *pool;
	const tp_config *cfg;
	tp_account_creds *creds;
	tp_aws_client *caller;
	const char *caller_account;
	char id[13];
	char session[TP_SESSION_NAME_MAX + 1];
	const char *region;
	int64_t token;
	int report;                 /* the report's account index */
	int clean;                  /* hand it to the cleaner */
	int rc;                     /* the release */
	tp_error err;
	int cleaned;                /* 1 cleaned, -1 failed, 0 not tried */
	char *clean_reason;
	int64_t clean_start, clean_end;   /* tp_now_ms */
} release_job;

/* The cleaner on one account: the sweeper restricted to it (clean_begin,
 * AssumeRole, safety checks, nuke in the configured mode, clean_end). */
static void clean(release_job *j)
{
	tp_sweep_opts o = TP_SWEEP_OPTS_INIT;
	tp_sweep_report rep = TP_SWEEP_REPORT_INIT;
	tp_filter f = TP_FILTER_INIT;
	const char *const *regions = (const char *const *)j->cfg->regions.items;

	tp_filter_from_config(&f, j->cfg);
	o.pool = j->pool;
	o.config = j->cfg;
	o.creds = j->creds;
	o.session = j->session;
	o.region = j->region;
	o.only = j->id;
	o.caller = j->caller;
	o.caller_account = j->caller_account;
	o.accounts_parallel = 1;
	o.nuke.regions = regions;
	o.nuke.n_regions = j->cfg->regions.n;
	o.nuke.filter = &f;
	o.nuke.dry_run = 0;
	o.nuke.parallel = RUN_CLEAN_PARALLEL;
	j->clean_start = tp_now_ms();
	if (tp_sweep_run(&rep, &o) < 0) {
		j->cleaned = -1;
		j->clean_reason = tp_xstrdup(tp_error_last()->msg);
	} else if (rep.n == 1 && rep.items[0].outcome == TP_SWEEP_CLEANED) {
		j->cleaned = 1;
	} else {
		j->cleaned = -1;
		j->clean_reason = tp_xstrdup(rep.n == 1 && rep.items[0].reason ? rep.items[0].reason
						: "the sweeper did not take the account");
	}
	j->clean_end = tp_now_ms();
	tp_sweep_report_release(&rep);
}

static void release_work(void *p)
{
	release_job *j = p;

	j->rc = tp_store_release(tp_pool_store(j->pool), j->id, j->token, TP_RELEASE_DIRTY);
	if (j->rc < 0)
		tp_error_save(&j->err);
}

static void clean_work(void *p)
{
	clean(p);
}

static void clean_done(void *p);

/* Released: on to the cleaner's own pool, a few accounts at a time. */
static void release_done(void *p)
{
	release_job *j = p;
	run_state *r = j->run;

	if (j->rc == 0 && j->clean) {
		tp_jobs_submit(r->clean_jobs, j, clean_work, clean_done);
		return;
	}
	clean_done(j);
}

static void clean_done(void *p)
{
	release_job *j = p;
	run_state *r = j->run;
	tp_report_account *ra = &r->rep->accounts[j->report];

	if (j->rc < 0) {
		run_event(r, "warning: release of %s: %s (its lease expires; `tidepool sweep` cleans it)",
			  j->id, j->err.msg);
	} else if (j->cleaned) {
		int sp = tp_report_span_open(r->rep, TP_SPAN_CLEAN, j->report, -1, 0);
		r->rep->spans[sp].start_ms = j->clean_start - r->rep->start_mono;
		r->rep->spans[sp].end_ms = j->clean_end - r->rep->start_mono;
		r->rep->spans[sp].ok = j->cleaned > 0;
		ra->clean = j->cleaned;
		if (j->cleaned > 0) {
			run_event(r, "cleaned %s (%.1f s): available again", j->id,
				  (double)(j->clean_end - j->clean_start) / 1000.0);
		} else {
			ra->clean_error = j->clean_reason;
			j->clean_reason = NULL;
			run_event(r, "warning: cleaning %s failed: %s (left dirty for `tidepool sweep`)",
				  j->id, ra->clean_error);
		}
	} else {
		run_event(r, "released %s (dirty: `tidepool sweep` cleans it)", j->id);
	}
	free(j->clean_reason);
	free(j);
}

static void acct_free(run_acct *a)
{
	size_t i;

	for (i = 0; i < a->ndeployed; i++) {
		free((char *)a->deployed[i].name);
		free((char *)a->deployed[i].hash);
	}
	free(a->deployed);
	tp_kv_list_release(&a->outputs);
	free(a);
}

/* The run is done with `a`: no more heartbeats, its lease span closed
 * (ok: released, not lost), the account freed. */
static void drop(run_state *r, run_acct *a, int ok)
{
	tp_loop_timer_cancel(r->loop, a->heartbeat);
	tp_report_span_close(r->rep, a->lease_span, ok);
	r->rep->accounts[a->report].released_ms = tp_report_now(r->rep);
	r->accts[a->handle] = NULL;
	acct_free(a);
}

void tp_run_forget(run_state *r, run_acct *a)
{
	drop(r, a, 0);
}

void tp_run_release(run_state *r, int handle)
{
	run_acct *a = tp_run_acct(r, handle);
	release_job *j;

	if (!a)
		return;
	j = tp_xcalloc(1, sizeof(*j));
	j->run = r;
	j->pool = r->pool;
	j->cfg = r->cfg;
	j->creds = r->creds;
	j->caller = r->caller;
	j->caller_account = r->caller_account;
	j->region = r->region;
	tp_strlcpy(j->id, a->id, sizeof(j->id));
	tp_account_session_name(j->session, r->run_id, "clean");
	j->token = a->token;
	j->report = a->report;
	j->clean = r->o->clean && !r->interrupts;   /* a lost lease is never released */
	if (j->clean)
		run_event(r, "released %s: cleaning", a->id);
	drop(r, a, 1);
	tp_jobs_submit(r->jobs, j, release_work, release_done);
}
