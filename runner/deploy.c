/*
 * The deployer's threads (runner/deploy.h).
 *
 * DESIGN
 *
 * Who owns what:
 *   - One coordinator thread owns the engine (runner/deploy_engine.h) and
 *     with it every state machine, timer and queue. Nothing else touches
 *     the engine, so the engine has no lock. It applies messages from its
 *     inbox (a new deployment, a finished call, a cancel), asks the engine
 *     for the jobs that may go now, hands them out, then sleeps on `wake`
 *     until the next message or the engine's next wakeup (its earliest
 *     timer, or when the rate limiter has a token for a waiting call).
 *     Waits of hundreds of stacks are entries in the engine's timer heap:
 *     no thread sleeps per stack.
 *   - `workers` threads make API calls: each takes a job from the job
 *     queue, calls the ops table (blocking HTTP, with the client's own
 *     retries), and posts the result to the inbox. A job carries a
 *     pointer to its machine's request, which stays valid because the
 *     machine is only touched again when the result has been applied.
 *   - A command stack's command may run for minutes, so it gets its own
 *     thread (started by the coordinator, joined when its result is
 *     applied) instead of holding a worker.
 *   - The caller's threads submit, cancel and wait: submit and cancel are
 *     messages; wait sleeps on `finished` until the deployment's results
 *     are published.
 *
 * `lock` protects the inbox, the job queue, the published results, the
 * counters of calls and commands out, and the flags. It is never held while
 * the engine runs, a call is made or a callback is called, so callbacks may
 * submit and cancel.
 *
 * Results: when the engine reports a deployment finished, the coordinator
 * publishes pointers to its results (stable: the engine never moves or
 * changes a finished deployment) under `lock`; readers only read published
 * ones.
 */
#include "runner/deploy.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/deploy_cfn.h"
#include "runner/deploy_command.h"

typedef enum msg_kind { M_SUBMIT, M_RESULT, M_CANCEL, M_CANCEL_ALL } msg_kind;

typedef struct msg {
	msg_kind kind;
	size_t dep;                   /* SUBMIT (its number), CANCEL */
	tp_deploy_request req;        /* SUBMIT */
	tp_deploy_job job;            /* RESULT */
	tp_cfn_result res;            /* RESULT */
	pthread_t thread;             /* RESULT of a command: its thread, to join */
	int has_thread;
	struct msg *next;
} msg;

typedef struct job_node {
	tp_deploy_job job;
	struct job_node *next;
} job_node;

typedef struct published {
	int done;
	size_t n;
	const tp_deploy_stack_result **res;
} published;

struct tp_deployer {
	tp_deployer_opts o;
	tp_deploy_engine *engine;     /* the coordinator's alone */
	pthread_t coordinator;
	pthread_t *workers;
	int nworkers;

	pthread_mutex_t lock;
	pthread_cond_t wake;          /* the coordinator: inbox or quitting */
	pthread_cond_t work;          /* workers: jobs or quitting */
	pthread_cond_t finished;      /* waiters: a deployment was published */
	msg *inbox, *inbox_tail;
	job_node *jobs, *jobs_tail;
	published *pub;
	size_t npub, apub;
	size_t submitted;
	size_t out;                   /* jobs handed out, results not yet applied */
	int quitting;                 /* free(): cancel, finish, exit */
	int workers_quit;
};

/* ---- messages ------------------------------------------------------------------- */

static void post(tp_deployer *d, msg *m)   /* lock held */
{
	m->next = NULL;
	if (d->inbox_tail)
		d->inbox_tail->next = m;
	else
		d->inbox = m;
	d->inbox_tail = m;
	pthread_cond_signal(&d->wake);
}

static void post_result(tp_deployer *d, msg *m)
{
	pthread_mutex_lock(&d->lock);
	post(d, m);
	pthread_mutex_unlock(&d->lock);
}

/* ---- workers and command threads ---------------------------------------------------- */

static msg *perform(tp_deployer *d, const tp_deploy_job *job)
{
	msg *m = tp_xcalloc(1, sizeof(*m));

	m->kind = M_RESULT;
	m->job = *job;
	tp_cfn_ops_call(d->o.ops, job->account, job->req, &m->res);
	return m;
}

static void *worker(void *arg)
{
	tp_deployer *d = arg;
	job_node *n;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		while (!d->jobs && !d->workers_quit)
			pthread_cond_wait(&d->work, &d->lock);
		if (!d->jobs)
			break;
		n = d->jobs;
		d->jobs = n->next;
		if (!d->jobs)
			d->jobs_tail = NULL;
		pthread_mutex_unlock(&d->lock);
		post_result(d, perform(d, &n->job));
		free(n);
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

typedef struct cmd_arg {
	tp_deployer *d;
	tp_deploy_job job;
} cmd_arg;

static void *command_thread(void *arg)
{
	cmd_arg *a = arg;
	msg *m = perform(a->d, &a->job);

	m->thread = pthread_self();
	m->has_thread = 1;
	post_result(a->d, m);
	free(a);
	return NULL;
}

/* A command in a thread of its own; 0, or -1 when no thread could be started. */
static int start_command(tp_deployer *d, const tp_deploy_job *job)
{
	cmd_arg *a = tp_xcalloc(1, sizeof(*a));
	pthread_t t;

	a->d = d;
	a->job = *job;
	if (pthread_create(&t, NULL, command_thread, a) == 0)
		return 0;
	free(a);
	return -1;
}

/* Hand out `job` (lock not held): a command gets a thread, a call the job queue. */
static void dispatch(tp_deployer *d, const tp_deploy_job *job)
{
	job_node *n;

	if (job->req->op == TP_CFN_RUN_COMMAND && start_command(d, job) == 0)
		return;   /* else run it on a worker rather than not at all */
	n = tp_xcalloc(1, sizeof(*n));
	n->job = *job;
	pthread_mutex_lock(&d->lock);
	if (d->jobs_tail)
		d->jobs_tail->next = n;
	else
		d->jobs = n;
	d->jobs_tail = n;
	pthread_cond_signal(&d->work);
	pthread_mutex_unlock(&d->lock);
}

/* ---- the engine's callbacks (coordinator thread, no lock held) ------------------------- */

static void engine_on_stack(void *ctx, size_t dep, size_t i, const tp_deploy_stack_result *r)
{
	tp_deployer *d = ctx;

	if (d->o.on_stack)
		d->o.on_stack(d->o.ctx, dep, i, r);
}

static void publish(tp_deployer *d, size_t dep)
{
	size_t n = tp_deploy_engine_stack_count(d->engine, dep), i;
	const tp_deploy_stack_result **res = tp_xcalloc(n + 1, sizeof(*res));

	for (i = 0; i < n; i++)
		res[i] = tp_deploy_engine_result(d->engine, dep, i);
	pthread_mutex_lock(&d->lock);
	while (d->npub <= dep) {
		if (d->npub == d->apub) {
			d->apub = d->apub ? 2 * d->apub : 16;
			d->pub = tp_xrealloc(d->pub, d->apub * sizeof(*d->pub));
		}
		memset(&d->pub[d->npub++], 0, sizeof(*d->pub));
	}
	d->pub[dep].res = res;
	d->pub[dep].n = n;
	d->pub[dep].done = 1;
	pthread_cond_broadcast(&d->finished);
	pthread_mutex_unlock(&d->lock);
}

static void engine_on_done(void *ctx, size_t dep)
{
	tp_deployer *d = ctx;

	publish(d, dep);
	if (d->o.on_done)
		d->o.on_done(d->o.ctx, dep);
}

/* ---- the coordinator ------------------------------------------------------------------ */

static void apply(tp_deployer *d, msg *m, int64_t now)
{
	size_t i;

	switch (m->kind) {
	case M_SUBMIT:
		tp_deploy_engine_submit(d->engine, &m->req, now);
		break;
	case M_RESULT:
		tp_deploy_engine_complete(d->engine, now, &m->job, &m->res);
		tp_cfn_result_release(&m->res);
		if (m->has_thread)
			pthread_join(m->thread, NULL);
		pthread_mutex_lock(&d->lock);
		d->out--;
		pthread_mutex_unlock(&d->lock);
		break;
	case M_CANCEL:
		tp_deploy_engine_cancel(d->engine, m->dep, now);
		break;
	case M_CANCEL_ALL:
		for (i = 0; i < m->dep; i++)
			if (!tp_deploy_engine_finished(d->engine, i))
				tp_deploy_engine_cancel(d->engine, i, now);
		break;
	}
	free(m);
}

static void hand_out_jobs(tp_deployer *d, int64_t now)
{
	tp_deploy_job job;

	while (tp_deploy_engine_next(d->engine, now, &job)) {
		pthread_mutex_lock(&d->lock);
		d->out++;
		pthread_mutex_unlock(&d->lock);
		dispatch(d, &job);
	}
}

static void deadline_of(struct timespec *ts, int64_t wake_ms, int64_t now_ms)
{
	int64_t delta = wake_ms - now_ms;

	clock_gettime(CLOCK_MONOTONIC, ts);
	if (delta > 3600 * 1000)
		delta = 3600 * 1000;
	ts->tv_sec += (time_t)(delta / 1000);
	ts->tv_nsec += (long)(delta % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static void *coordinator(void *arg)
{
	tp_deployer *d = arg;
	msg *batch;
	int64_t now, wake;
	struct timespec ts;

	pthread_mutex_lock(&d->lock);
	for (;;) {
		batch = d->inbox;
		d->inbox = d->inbox_tail = NULL;
		pthread_mutex_unlock(&d->lock);
		now = tp_now_ms();
		while (batch) {
			msg *next = batch->next;

			apply(d, batch, now);
			batch = next;
		}
		hand_out_jobs(d, now);
		wake = tp_deploy_engine_wakeup(d->engine, tp_now_ms());
		pthread_mutex_lock(&d->lock);
		if (d->inbox)
			continue;
		if (d->quitting && d->out == 0 && !tp_deploy_engine_busy(d->engine))
			break;
		if (wake == INT64_MAX) {
			pthread_cond_wait(&d->wake, &d->lock);
		} else if (wake > tp_now_ms()) {
			deadline_of(&ts, wake, tp_now_ms());
			pthread_cond_timedwait(&d->wake, &d->lock, &ts);
		}
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* ---- the interface ---------------------------------------------------------------------- */

static int start_threads(tp_deployer *d)
{
	int i, rc;

	d->workers = tp_xcalloc((size_t)d->nworkers, sizeof(*d->workers));
	for (i = 0; i < d->nworkers; i++) {
		rc = pthread_create(&d->workers[i], NULL, worker, d);
		if (rc != 0) {
			d->nworkers = i;
			return tp_error_set(TP_ERROR, "cannot start a deploy worker: %s", strerror(rc));
		}
	}
	rc = pthread_create(&d->coordinator, NULL, coordinator, d);
	if (rc != 0)
		return tp_error_set(TP_ERROR, "cannot start the deploy coordinator: %s", strerror(rc));
	return 0;
}

static void init_sync(tp_deployer *d)
{
	pthread_condattr_t ca;

	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->wake, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&d->work, NULL);
	pthread_cond_init(&d->finished, NULL);
}

static void stop_workers(tp_deployer *d)
{
	int i;

	pthread_mutex_lock(&d->lock);
	d->workers_quit = 1;
	pthread_cond_broadcast(&d->work);
	pthread_mutex_unlock(&d->lock);
	for (i = 0; i < d->nworkers; i++)
		pthread_join(d->workers[i], NULL);
}

static void destroy(tp_deployer *d)
{
	size_t i;

	tp_deploy_engine_free(d->engine);
	for (i = 0; i < d->npub; i++)
		free(d->pub[i].res);
	free(d->pub);
	free(d->workers);
	pthread_cond_destroy(&d->wake);
	pthread_cond_destroy(&d->work);
	pthread_cond_destroy(&d->finished);
	pthread_mutex_destroy(&d->lock);
	free(d);
}

int tp_deployer_new(tp_deployer **out, const tp_deployer_opts *opts)
{
	tp_deployer *d = tp_xcalloc(1, sizeof(*d));
	tp_deploy_engine_opts eo = TP_DEPLOY_ENGINE_OPTS_INIT;
	int rc;

	*out = NULL;
	d->o = *opts;
	if (!d->o.ops)
		d->o.ops = &tp_cfn_aws_ops;
	d->nworkers = d->o.workers > 0 ? d->o.workers : 8;
	eo.max_active = d->o.max_active;
	eo.rate = d->o.rate;
	eo.burst = d->o.burst;
	eo.global_rate = d->o.global_rate;
	eo.global_burst = d->o.global_burst;
	eo.on_stack = engine_on_stack;
	eo.on_done = engine_on_done;
	eo.ctx = d;
	d->engine = tp_deploy_engine_new(&eo);
	init_sync(d);
	rc = start_threads(d);
	if (rc < 0) {
		stop_workers(d);
		destroy(d);
		return rc;
	}
	*out = d;
	return 0;
}

void tp_deployer_free(tp_deployer *d)
{
	msg *m;

	if (!d)
		return;
	m = tp_xcalloc(1, sizeof(*m));
	pthread_mutex_lock(&d->lock);
	d->quitting = 1;
	m->kind = M_CANCEL_ALL;
	m->dep = d->submitted;
	post(d, m);
	pthread_mutex_unlock(&d->lock);
	tp_deploy_command_terminate_all();
	pthread_join(d->coordinator, NULL);
	stop_workers(d);
	destroy(d);
}

size_t tp_deployer_submit(tp_deployer *d, const tp_deploy_request *req)
{
	msg *m = tp_xcalloc(1, sizeof(*m));
	size_t id;

	m->kind = M_SUBMIT;
	m->req = *req;
	pthread_mutex_lock(&d->lock);
	id = m->dep = d->submitted++;
	post(d, m);
	pthread_mutex_unlock(&d->lock);
	return id;
}

static int is_done(const tp_deployer *d, size_t dep)   /* lock held */
{
	return dep < d->npub && d->pub[dep].done;
}

int tp_deployer_wait(tp_deployer *d, size_t dep, int64_t timeout_ms)
{
	struct timespec ts;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (timeout_ms >= 0) {
		ts.tv_sec += (time_t)(timeout_ms / 1000);
		ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&d->lock);
	while (!is_done(d, dep) && rc != ETIMEDOUT)
		rc = timeout_ms < 0 ? pthread_cond_wait(&d->finished, &d->lock) :
				      pthread_cond_timedwait(&d->finished, &d->lock, &ts);
	rc = is_done(d, dep) ? 0 : TP_ETIMEOUT;
	pthread_mutex_unlock(&d->lock);
	return rc;
}

void tp_deployer_wait_all(tp_deployer *d)
{
	size_t i, n;

	pthread_mutex_lock(&d->lock);
	n = d->submitted;
	pthread_mutex_unlock(&d->lock);
	for (i = 0; i < n; i++)
		tp_deployer_wait(d, i, -1);
}

void tp_deployer_cancel(tp_deployer *d, size_t dep)
{
	msg *m = tp_xcalloc(1, sizeof(*m));

	m->kind = M_CANCEL;
	m->dep = dep;
	pthread_mutex_lock(&d->lock);
	post(d, m);
	pthread_mutex_unlock(&d->lock);
}

void tp_deployer_cancel_all(tp_deployer *d)
{
	msg *m = tp_xcalloc(1, sizeof(*m));

	m->kind = M_CANCEL_ALL;
	pthread_mutex_lock(&d->lock);
	m->dep = d->submitted;
	post(d, m);
	pthread_mutex_unlock(&d->lock);
	tp_deploy_command_terminate_all();
}

size_t tp_deployer_stack_count(tp_deployer *d, size_t dep)
{
	size_t n;

	pthread_mutex_lock(&d->lock);
	n = is_done(d, dep) ? d->pub[dep].n : 0;
	pthread_mutex_unlock(&d->lock);
	return n;
}

const tp_deploy_stack_result *tp_deployer_result(tp_deployer *d, size_t dep, size_t i)
{
	const tp_deploy_stack_result *r = NULL;

	pthread_mutex_lock(&d->lock);
	if (is_done(d, dep) && i < d->pub[dep].n)
		r = d->pub[dep].res[i];
	pthread_mutex_unlock(&d->lock);
	return r;
}
