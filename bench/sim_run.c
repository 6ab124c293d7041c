/*
 * One simulated run: the driver does with the scheduler's actions what
 * `tidepool run` does (runner/run*.c), in virtual time, against the
 * simulated cloud:
 *
 *   LEASE    score every free pool account with tp_sched_lease_score
 *            against what the store recorded there, lease the best (pool
 *            order breaks ties), tp_sched_account_leased;
 *   RUN      when the account already has every stack the suite needs at
 *            its hash (deployed earlier in this run), start the test at
 *            once; otherwise submit a deployment of the suite's stacks
 *            to the deployer engine (one engine for the whole run, as the
 *            runner has one deployer), and when it is done start the test
 *            (tp_sched_stacks_deployed first) or end the attempt ERROR;
 *   RELEASE  the account goes to the cleaner (not leased again);
 *   DONE     the makespan.
 *
 * The engine's jobs are CloudFormation requests answered by sim_cloud.c
 * after a network latency; a throttled request is retried the way
 * aws/client.c does (3 attempts, full-jitter backoff from 1 s) before the
 * state machine sees Throttling and backs off itself. The engine's timers
 * (polls, backoffs) wake the loop through one pending wake-up event.
 *
 * Test runs take the durations the workload drew for the suite's first
 * and second test run; their results are the drawn ones too, so every
 * policy meets the same failures.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "aws/error.h"
#include "aws/util.h"
#include "bench/sim.h"
#include "runner/deploy_engine.h"

#define CLIENT_MAX_ATTEMPTS 3          /* aws/retry.h: AWS_MAX_ATTEMPTS default */
#define CLIENT_RETRY_BASE_MS 1000      /* aws/client.c */
#define CLIENT_RETRY_CAP_MS 20000

enum { EV_CALL = 1, EV_CALL_DONE, EV_TEST_DONE, EV_WAKE, EV_SCHED_WAKE };

typedef struct call {
	tp_deploy_job job;
	tp_cfn_result res;
	int attempt;                       /* HTTP attempts so far */
} call;

typedef struct acct_rt {
	int leased, released;
	const char **known;                /* per stack: hash deployed in this run, or NULL */
	tp_stack_ref *recorded;            /* what the store says (warm pool) */
	size_t nrecorded;
} acct_rt;

typedef struct suite_rt {
	tp_stack_ref *refs;                /* its stacks, for the scheduler */
	int test_runs;
	int64_t run_at, test_at;           /* this attempt's RUN and test start (--timeline) */
	int64_t need_own, need_all;        /* its deployment's actual chain: own stacks, with extras */
} suite_rt;

typedef struct dep_rt {
	size_t suite, account;
	int64_t start;
	size_t *stacks;                    /* workload indices: the suite's [0, nown), then extras */
	size_t n, nown;
	tp_deploy_stack_spec *specs;       /* the request's, one per stack */
	size_t *depidx;                    /* specs' dependency lists, one block */
} dep_rt;

typedef struct run {
	const sim_workload *w;
	sim_run_opts o;
	sim_run_result *out;
	tp_sched *s;
	tp_deploy_engine *e;
	sim_cloud *c;
	sim_heap h;
	sim_rng rng;
	int64_t now, wake_at;
	int64_t sched_wake_at;             /* the pending EV_SCHED_WAKE, INT64_MAX none */
	acct_rt *accts;
	suite_rt *suites;
	dep_rt *deps;
	size_t ndeps, adeps;
	size_t *finished;                  /* deployments the engine finished, not yet handled */
	size_t nfinished, afinished;
	tp_dsm_opts *sm;                   /* per pool account */
	const char **dep_names;            /* per stack: its depends_on, SIM_MAX_DEPS each */
	int sched_dirty, done;
	double sched_cpu;
} run;

static double cpu_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Time a call into the scheduler. */
#define SCHED(r, stmt)                                  \
	do {                                            \
		double t0_ = cpu_now();                 \
		stmt;                                   \
		(r)->sched_cpu += cpu_now() - t0_;      \
	} while (0)

/* ---- callbacks --------------------------------------------------------------------- */

static int64_t sched_now(void *ctx)
{
	return ((run *)ctx)->now;
}

static int64_t stack_ms(void *ctx, const char *name)
{
	const run *r = ctx;
	size_t i = 0;

	for (name += 5; *name >= '0' && *name <= '9'; name++)
		i = i * 10 + (size_t)(*name - '0');
	return i < r->w->nstacks ? r->w->stacks[i].expected_ms : 60000;
}

static size_t depends_on(void *ctx, const char *name, const char *const **deps)
{
	const run *r = ctx;
	size_t i = 0;

	for (name += 5; *name >= '0' && *name <= '9'; name++)
		i = i * 10 + (size_t)(*name - '0');
	if (i >= r->w->nstacks)
		return 0;
	*deps = r->dep_names + i * SIM_MAX_DEPS;
	return r->w->stacks[i].ndeps;
}

static double jitter(void *ctx)
{
	return sim_rng_unit(&((run *)ctx)->rng);
}

static void on_done(void *ctx, size_t dep)
{
	run *r = ctx;

	if (r->nfinished == r->afinished) {
		r->afinished = r->afinished ? 2 * r->afinished : 64;
		r->finished = tp_xrealloc(r->finished, r->afinished * sizeof(*r->finished));
	}
	r->finished[r->nfinished++] = dep;
}

/* ---- tests ------------------------------------------------------------------------- */

static void start_test(run *r, size_t u)
{
	const sim_suite *su = &r->w->suites[u];
	int k = r->suites[u].test_runs++;

	if (k >= SIM_TEST_RUNS)
		k = SIM_TEST_RUNS - 1;
	r->suites[u].test_at = r->now;
	r->out->test_runs++;
	r->out->test_ms += su->run_ms[k];
	sim_heap_push(&r->h, r->now + su->run_ms[k], EV_TEST_DONE, u,
		      su->fails[k] ? TP_SCHED_FAILED : TP_SCHED_PASSED, NULL);
}

/* ---- deployments --------------------------------------------------------------------- */

/* The index of stack "stackNN" in the workload (nstacks when not one). */
static size_t stack_index(const sim_workload *w, const char *name)
{
	size_t i = 0;

	if (strncmp(name, "stack", 5) != 0)
		return w->nstacks;
	for (name += 5; *name >= '0' && *name <= '9'; name++)
		i = i * 10 + (size_t)(*name - '0');
	return i < w->nstacks ? i : w->nstacks;
}

/*
 * Deployment d's stacks: the suite's (ascending, so topological), then the
 * extras the scheduler asked for (dependencies first), with each stack's
 * dependencies among the earlier ones.
 */
static void build_specs(run *r, dep_rt *d, const tp_stack_ref *extra, size_t nextra)
{
	const sim_suite *su = &r->w->suites[d->suite];
	size_t i, k, j, nd = 0, n = su->nstacks + nextra;

	d->stacks = tp_xcalloc(n + 1, sizeof(*d->stacks));
	d->specs = tp_xcalloc(n + 1, sizeof(*d->specs));
	d->depidx = tp_xcalloc(n * SIM_MAX_DEPS + 1, sizeof(size_t));
	for (i = 0; i < su->nstacks; i++)
		d->stacks[d->n++] = su->stacks[i];
	d->nown = d->n;
	for (i = 0; i < nextra; i++) {
		size_t x = stack_index(r->w, extra[i].name);

		for (k = 0; k < d->n && x < r->w->nstacks; k++)
			if (d->stacks[k] == x)
				x = r->w->nstacks;           /* named twice: once is enough */
		if (x < r->w->nstacks && tp_streq(extra[i].hash, r->w->stacks[x].hash))
			d->stacks[d->n++] = x;
	}
	for (i = 0; i < d->n; i++) {
		const sim_stack *st = &r->w->stacks[d->stacks[i]];
		tp_deploy_stack_spec *sp = &d->specs[i];

		sp->stack.name = st->name;
		sp->stack.hash = st->hash;
		sp->stack.template_body = "{\"Resources\":{}}";
		sp->stack.template_len = strlen(sp->stack.template_body);
		sp->deps = d->depidx + nd;
		for (k = 0; k < st->ndeps; k++)
			for (j = 0; j < i; j++)
				if (d->stacks[j] == st->deps[k])
					d->depidx[nd + sp->ndeps++] = j;
		nd += sp->ndeps;
	}
}

static int all_known(const run *r, size_t u, size_t a)
{
	const sim_suite *su = &r->w->suites[u];
	size_t i;

	for (i = 0; i < su->nstacks; i++)
		if (r->accts[a].known[su->stacks[i]] != r->w->stacks[su->stacks[i]].hash)
			return 0;
	return 1;
}

/*
 * The actual longest chain of stacks[0..n) (dependencies first) on account
 * a as it is now: the lower bound's weights (sim_bound.c), 0 for a stack
 * deployed in this run.
 */
static int64_t chain(const run *r, const size_t *stacks, size_t n, size_t a)
{
	const sim_workload *w = r->w;
	int64_t *fin = tp_xcalloc(w->nstacks + 1, sizeof(*fin)), longest = 0;
	size_t i, k;

	for (i = 0; i < n; i++) {
		const sim_stack *st = &w->stacks[stacks[i]];
		int64_t ready = 0, own = 0;

		for (k = 0; k < st->ndeps; k++)
			if (fin[st->deps[k]] > ready)
				ready = fin[st->deps[k]];
		if (r->accts[a].known[stacks[i]] != st->hash) {
			switch (w->initial[a * w->nstacks + stacks[i]]) {
			case SIM_CURRENT: break;
			case SIM_STALE: own = sim_update_ms(w, a, stacks[i]); break;
			case SIM_ROLLED_BACK:
				own = sim_delete_ms(w, a, stacks[i]) + sim_create_ms(w, a, stacks[i]);
				break;
			case SIM_ABSENT: own = sim_create_ms(w, a, stacks[i]); break;
			}
		}
		fin[stacks[i]] = ready + own;
		if (fin[stacks[i]] > longest)
			longest = fin[stacks[i]];
	}
	free(fin);
	return longest;
}

static dep_rt *new_dep(run *r)
{
	if (r->ndeps == r->adeps) {
		r->adeps = r->adeps ? 2 * r->adeps : 256;
		r->deps = tp_xrealloc(r->deps, r->adeps * sizeof(*r->deps));
	}
	memset(&r->deps[r->ndeps], 0, sizeof(*r->deps));
	return &r->deps[r->ndeps++];
}

/* Deploy suite u's stacks on account a, and what the scheduler would add to them. */
static void submit(run *r, size_t u, size_t a)
{
	tp_stack_ref *extra = tp_xcalloc(r->w->nstacks + 1, sizeof(*extra));
	tp_deploy_request q;
	size_t nextra = 0;
	dep_rt *d = new_dep(r);

	if (!r->o.no_extras)
		SCHED(r, nextra = tp_sched_extra_stacks(r->s, (int)a, extra, r->w->nstacks));
	d->suite = u;
	d->account = a;
	d->start = r->now;
	build_specs(r, d, extra, nextra);
	free(extra);
	if (r->o.timeline) {
		r->suites[u].need_own = chain(r, d->stacks, d->nown, a);
		r->suites[u].need_all = chain(r, d->stacks, d->n, a);
	}
	memset(&q, 0, sizeof(q));
	q.stacks = d->specs;
	q.nstacks = d->n;
	q.account = sim_cloud_account(r->c, a);
	q.sm = r->sm[a];
	if (tp_deploy_engine_submit(r->e, &q, r->now) != r->ndeps - 1)
		abort();           /* the engine numbers deployments from 0, as submitted */
	r->out->deployments++;
	r->out->extra_stacks += (int)(d->n - d->nown);
}

/*
 * Count what a finished deployment did and list the stacks now there; 1
 * when every stack of the suite is (a failed extra only costs itself).
 */
static int tally(run *r, size_t dep, tp_stack_ref *landed, size_t *nlanded)
{
	dep_rt *d = &r->deps[dep];
	size_t i, n = tp_deploy_engine_stack_count(r->e, dep);
	int ok = 1;

	*nlanded = 0;
	for (i = 0; i < n; i++) {
		const tp_deploy_stack_result *res = tp_deploy_engine_result(r->e, dep, i);
		const sim_stack *st = &r->w->stacks[d->stacks[i]];
		int there = 0;

		r->out->sm_calls += res->calls;
		switch (res->outcome) {
		case TP_DEPLOY_CREATED: r->out->created++; there = 1; break;
		case TP_DEPLOY_UPDATED: r->out->updated++; there = 1; break;
		case TP_DEPLOY_SKIPPED:
			r->out->skipped++;
			r->out->sm_calls_skipped += res->calls;
			there = 1;
			break;
		case TP_DEPLOY_BLOCKED: r->out->blocked++; break;
		default:
			r->out->failed_stacks++;
			r->out->throttle_failed += tp_streq(res->aws_code, "Throttling");
			break;
		}
		if (!there) {
			ok &= i >= d->nown;
			continue;
		}
		landed[*nlanded].name = st->name;
		landed[(*nlanded)++].hash = st->hash;
	}
	return ok;
}

/*
 * An attempt of suite u ends now, with `result`: the first attempts' end,
 * and its line of --timeline: account, suite, attempt, RUN, test start
 * (-1: none), end, result.
 */
static void attempt_end(run *r, size_t u, int64_t test_at, int result)
{
	tp_sched_suite_state st;

	tp_sched_suite_get(r->s, (int)u, &st);
	if (st.attempts == 1 && r->now > r->out->first_end_ms)
		r->out->first_end_ms = r->now;
	if (!r->o.timeline)
		return;
	fprintf(r->o.timeline, "%s\t%s\t%llu\t%s\t%d\t%zu\t%d\t%lld\t%lld\t%lld\t%d\t%lld\t%zu"
		"\t%lld\t%lld\n",
		r->w->sc.label, r->w->sc.warm ? "warm" : "cold", (unsigned long long)r->w->sc.seed,
		sim_policy_name(r->o.policy), st.account, u, st.attempts,
		(long long)r->suites[u].run_at, (long long)test_at, (long long)r->now, result,
		(long long)r->w->suites[u].run_ms[0], r->w->suites[u].nstacks,
		(long long)r->suites[u].need_own, (long long)r->suites[u].need_all);
}

static void deployment_done(run *r, size_t dep)
{
	const dep_rt *d = &r->deps[dep];
	tp_stack_ref *landed = tp_xcalloc(d->n + 1, sizeof(*landed));
	size_t nlanded, i;
	int ok = tally(r, dep, landed, &nlanded);

	r->out->deploy_wait_ms += r->now - d->start;
	r->sched_dirty = 1;
	if (!ok) {                 /* as runner/run_deploy.c: nothing recorded, the attempt ends */
		free(landed);
		r->out->errors++;
		attempt_end(r, d->suite, -1, TP_SCHED_ERROR);
		SCHED(r, tp_sched_suite_done(r->s, (int)d->suite, TP_SCHED_ERROR));
		return;
	}
	for (i = 0; i < nlanded; i++)
		r->accts[d->account].known[stack_index(r->w, landed[i].name)] = landed[i].hash;
	SCHED(r, tp_sched_stacks_deployed(r->s, (int)d->account, landed, nlanded));
	free(landed);
	start_test(r, d->suite);
}

/* ---- CloudFormation requests ----------------------------------------------------------- */

/* One HTTP attempt of c, answered as of now. */
static void attempt(run *r, call *c)
{
	int64_t lat = sim_cloud_latency(r->c);

	tp_cfn_result_release(&c->res);
	sim_cloud_set_now(r->c, r->now);
	tp_cfn_ops_call(sim_cloud_ops(), c->job.account, c->job.req, &c->res);
	if (c->res.rc == TP_ETHROTTLED && c->attempt < CLIENT_MAX_ATTEMPTS) {
		int64_t ceiling = CLIENT_RETRY_BASE_MS << (c->attempt - 1);

		if (ceiling > CLIENT_RETRY_CAP_MS)
			ceiling = CLIENT_RETRY_CAP_MS;
		c->attempt++;
		sim_heap_push(&r->h, r->now + lat + (int64_t)(sim_rng_unit(&r->rng) * (double)ceiling),
			      EV_CALL, 0, 0, c);
		return;
	}
	sim_heap_push(&r->h, r->now + lat, EV_CALL_DONE, 0, 0, c);
}

static void pump_engine(run *r)
{
	tp_deploy_job job;
	int64_t wake;
	size_t i;

	while (tp_deploy_engine_next(r->e, r->now, &job)) {
		call *c = tp_xcalloc(1, sizeof(*c));

		c->job = job;
		c->attempt = 1;
		attempt(r, c);
	}
	for (i = 0; i < r->nfinished; i++)
		deployment_done(r, r->finished[i]);
	r->nfinished = 0;
	wake = tp_deploy_engine_wakeup(r->e, r->now);
	if (wake != INT64_MAX && wake < r->wake_at) {
		if (wake <= r->now)
			wake = r->now + 1;
		r->wake_at = wake;
		sim_heap_push(&r->h, wake, EV_WAKE, 0, 0, NULL);
	}
}

/* ---- the scheduler's actions ------------------------------------------------------------- */

static void lease(run *r)
{
	size_t a, best = (size_t)-1;
	int64_t best_score = 0;
	double t0 = cpu_now();

	for (a = 0; a < r->w->npool; a++) {
		int64_t sc;

		if (r->accts[a].leased || r->accts[a].released)
			continue;
		sc = tp_sched_lease_score(r->s, r->accts[a].recorded, r->accts[a].nrecorded);
		if (best == (size_t)-1 || sc > best_score) {
			best = a;
			best_score = sc;
		}
	}
	r->sched_cpu += cpu_now() - t0;
	if (best == (size_t)-1) {
		SCHED(r, tp_sched_lease_failed(r->s));
		return;
	}
	r->accts[best].leased = 1;
	r->out->accounts_used++;
	SCHED(r, tp_sched_account_leased(r->s, (int)best, r->accts[best].recorded,
					 r->accts[best].nrecorded));
}

static void act(run *r, const tp_sched_action *a)
{
	switch (a->kind) {
	case TP_SCHED_LEASE:
		lease(r);
		break;
	case TP_SCHED_RUN:
		r->out->attempts++;
		r->suites[a->suite].run_at = r->now;
		r->suites[a->suite].need_own = r->suites[a->suite].need_all = 0;
		if (all_known(r, (size_t)a->suite, (size_t)a->account)) {
			r->out->no_deploy++;
			start_test(r, (size_t)a->suite);
		} else {
			submit(r, (size_t)a->suite, (size_t)a->account);
		}
		break;
	case TP_SCHED_RELEASE:
		r->accts[a->account].leased = 0;
		r->accts[a->account].released = 1;
		break;
	case TP_SCHED_DONE:
		r->done = 1;
		r->out->makespan_ms = r->now;
		break;
	case TP_SCHED_IDLE:
		break;
	}
}

static void pump_sched(run *r)
{
	tp_sched_action a;

	while (r->sched_dirty && !r->done) {
		r->sched_dirty = 0;
		for (;;) {
			SCHED(r, tp_sched_next(r->s, &a));
			if (a.kind == TP_SCHED_IDLE)
				break;
			act(r, &a);
			if (a.kind == TP_SCHED_DONE)
				break;
		}
		pump_engine(r);   /* submitted deployments start; finished ones dirty the scheduler */
	}
	if (!r->done) {
		int64_t wake;

		SCHED(r, wake = tp_sched_wake_at(r->s));
		if (wake != INT64_MAX && wake < r->sched_wake_at) {
			r->sched_wake_at = wake > r->now ? wake : r->now + 1;
			sim_heap_push(&r->h, r->sched_wake_at, EV_SCHED_WAKE, 0, 0, NULL);
		}
	}
}

static void dispatch(run *r, const sim_event *ev)
{
	call *c = ev->p;

	switch (ev->kind) {
	case EV_CALL:
		attempt(r, c);
		break;
	case EV_CALL_DONE:
		tp_deploy_engine_complete(r->e, r->now, &c->job, &c->res);
		tp_cfn_result_release(&c->res);
		free(c);
		break;
	case EV_TEST_DONE:
		attempt_end(r, ev->a, r->suites[ev->a].test_at, (int)ev->b);
		SCHED(r, tp_sched_suite_done(r->s, (int)ev->a, (tp_sched_result)ev->b));
		r->sched_dirty = 1;
		break;
	case EV_WAKE:
		if (ev->at == r->wake_at)
			r->wake_at = INT64_MAX;
		break;
	case EV_SCHED_WAKE:
		if (ev->at == r->sched_wake_at)
			r->sched_wake_at = INT64_MAX;
		r->sched_dirty = 1;
		break;
	}
}

/* ---- setting up and tearing down ---------------------------------------------------------- */

/* The scheduler with every suite, as `tidepool run` sets it up (plus the stacks' depends_on). */
static void setup_sched(run *r)
{
	const sim_workload *w = r->w;
	tp_sched_opts so = TP_SCHED_OPTS_INIT;
	size_t u, i, k;

	so.max_accounts = w->sc.naccounts;
	so.stack_deploy_ms = stack_ms;
	so.now_ms = sched_now;
	so.ctx = r;
	so.policy = r->o.policy;
	so.stack_depends_on = depends_on;
	so.deploy_extras = !r->o.no_extras;
	r->dep_names = tp_xcalloc(w->nstacks * SIM_MAX_DEPS, sizeof(char *));
	for (i = 0; i < w->nstacks; i++)
		for (k = 0; k < w->stacks[i].ndeps; k++)
			r->dep_names[i * SIM_MAX_DEPS + k] = w->stacks[w->stacks[i].deps[k]].name;
	r->s = tp_sched_new(&so);
	r->suites = tp_xcalloc(w->nsuites, sizeof(*r->suites));
	for (u = 0; u < w->nsuites; u++) {
		const sim_suite *su = &w->suites[u];
		tp_sched_suite ss;

		r->suites[u].refs = tp_xcalloc(su->nstacks, sizeof(tp_stack_ref));
		for (i = 0; i < su->nstacks; i++) {
			r->suites[u].refs[i].name = w->stacks[su->stacks[i]].name;
			r->suites[u].refs[i].hash = w->stacks[su->stacks[i]].hash;
		}
		ss.name = su->name;
		ss.expected_ms = su->unknown ? -1 : su->expected_ms;
		ss.stacks = r->suites[u].refs;
		ss.nstacks = su->nstacks;
		ss.retries = su->retries;
		tp_sched_add_suite(r->s, &ss);
	}
}

/* The pool as the store records it, and each account's state machine options. */
static void setup_accounts(run *r)
{
	const sim_workload *w = r->w;
	size_t a;

	r->accts = tp_xcalloc(w->npool, sizeof(*r->accts));
	r->sm = tp_xcalloc(w->npool, sizeof(*r->sm));
	for (a = 0; a < w->npool; a++) {
		tp_dsm_opts sm = TP_DSM_OPTS_INIT;

		r->accts[a].known = tp_xcalloc(w->nstacks, sizeof(char *));
		r->accts[a].recorded = tp_xcalloc(w->nstacks + 1, sizeof(tp_stack_ref));
		r->accts[a].nrecorded = sim_recorded(w, a, r->accts[a].recorded);
		sm.account = sim_cloud_account_id(r->c, a);
		sm.region = "us-east-1";
		sm.project = "sim";
		sm.run_id = "sim";
		sm.jitter = jitter;
		sm.jitter_ctx = r;
		r->sm[a] = sm;
	}
}

static void setup(run *r, const sim_workload *w, const sim_run_opts *o, sim_run_result *out)
{
	tp_deploy_engine_opts eo = TP_DEPLOY_ENGINE_OPTS_INIT;

	memset(r, 0, sizeof(*r));
	r->w = w;
	r->o = *o;
	r->out = out;
	r->wake_at = INT64_MAX;
	r->sched_wake_at = INT64_MAX;
	sim_rng_seed(&r->rng, sim_seed_mix(w->sc.seed, 100 + (uint64_t)o->policy));
	r->c = sim_cloud_new(w, &o->cloud, sim_seed_mix(w->sc.seed, 200 + (uint64_t)o->policy));
	eo.max_active = o->engine_max_active;
	eo.rate = o->engine_rate;
	eo.on_done = on_done;
	eo.ctx = r;
	r->e = tp_deploy_engine_new(&eo);
	setup_accounts(r);
	setup_sched(r);
}

/* The suites whose last attempt ended in the run's last 10 minutes: where a tail comes from. */
static void trace_tail(const run *r)
{
	size_t u;

	fprintf(stderr, "-- %s %s %s: makespan %.1f min; suites ending in the last 10 min:\n",
		r->w->sc.label, r->w->sc.warm ? "warm" : "cold", sim_policy_name(r->o.policy),
		(double)r->now / 60000.0);
	for (u = 0; u < r->w->nsuites; u++) {
		const sim_suite *su = &r->w->suites[u];
		tp_sched_suite_state st;

		tp_sched_suite_get(r->s, (int)u, &st);
		if (st.ended_ms <= r->now - 10 * 60000)
			continue;
		fprintf(stderr, "  %s: account %d, %.1f-%.1f min, attempt %d, expected %.1f%s, "
			"test runs %.1f/%.1f min, %zu stacks\n", su->name, st.account,
			(double)st.started_ms / 60000.0, (double)st.ended_ms / 60000.0, st.attempts,
			(double)su->expected_ms / 60000.0, su->unknown ? " (new)" : "",
			(double)su->run_ms[0] / 60000.0, (double)su->run_ms[1] / 60000.0, su->nstacks);
	}
}

static void collect(run *r)
{
	sim_run_result *out = r->out;
	size_t u;
	int i;

	out->test_runs_of = tp_xcalloc(r->w->nsuites, sizeof(int));
	for (u = 0; u < r->w->nsuites; u++) {
		tp_sched_suite_state st;

		tp_sched_suite_get(r->s, (int)u, &st);
		out->test_runs_of[u] = r->suites[u].test_runs;
		out->flaky += st.flaky;
		if (st.result == TP_SCHED_PASSED)
			out->passed++;
		else
			out->failed++;
	}
	if (r->o.trace)
		trace_tail(r);
	out->cloud = *sim_cloud_counts_get(r->c);
	for (i = 0; i < 8; i++)
		out->http_calls += out->cloud.by_op[i];
	out->http_calls += out->cloud.throttled;
	out->recreated = (int)out->cloud.by_op[TP_CFN_DELETE_STACK];
	out->sched_cpu_s = r->sched_cpu;
}

static void teardown(run *r)
{
	sim_event ev;
	size_t a, u;

	while (sim_heap_pop(&r->h, &ev))
		if (ev.kind == EV_CALL || ev.kind == EV_CALL_DONE) {
			tp_cfn_result_release(&((call *)ev.p)->res);
			free(ev.p);
		}
	sim_heap_release(&r->h);
	tp_deploy_engine_free(r->e);
	tp_sched_free(r->s);
	sim_cloud_free(r->c);
	for (a = 0; a < r->w->npool; a++) {
		free(r->accts[a].known);
		free(r->accts[a].recorded);
	}
	for (u = 0; u < r->w->nsuites; u++) {
		free(r->suites[u].refs);
	}
	for (u = 0; u < r->ndeps; u++) {
		free(r->deps[u].stacks);
		free(r->deps[u].specs);
		free(r->deps[u].depidx);
	}
	free(r->accts);
	free(r->suites);
	free(r->deps);
	free(r->finished);
	free(r->sm);
	free(r->dep_names);
}

void sim_run(sim_run_result *out, const sim_workload *w, const sim_run_opts *o)
{
	double t0 = cpu_now();
	sim_event ev;
	run r;

	memset(out, 0, sizeof(*out));
	setup(&r, w, o, out);
	r.sched_dirty = 1;
	while (!r.done) {
		pump_sched(&r);
		if (r.done)
			break;
		if (!sim_heap_pop(&r.h, &ev)) {
			fprintf(stderr, "sim: nothing left to happen but the run is not done "
				"(a driver or scheduler bug)\n");
			abort();
		}
		r.now = ev.at;
		dispatch(&r, &ev);
		pump_engine(&r);
	}
	collect(&r);
	teardown(&r);
	out->cpu_s = cpu_now() - t0;
}

void sim_run_result_release(sim_run_result *r)
{
	free(r->test_runs_of);
	r->test_runs_of = NULL;
}
