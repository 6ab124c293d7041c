/*
 * The orchestrator of `tidepool run` (see run.h for the design): setting
 * up, the loop, driving the scheduler, signals, and tearing down.
 */
#include "runner/run.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/safety.h"
#include "runner/cli.h"
#include "runner/junit.h"
#include "runner/project.h"
#include "runner/report_json.h"
#include "runner/run_internal.h"
#include "runner/timeline.h"

#define DEFAULT_SUITE_MS 60000
#define DRAW_LIVE_MS 250
#define DRAW_PLAIN_MS 1000

extern char **environ;

/* ---- small helpers ----------------------------------------------------- */

void tp_run_fail(run_state *r, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->infra_errors++;
	if (!r->rep->error)
		r->rep->error = tp_xstrdup(msg);
	run_event(r, "error: %s", msg);
	tp_sched_stop(r->sched);
}

static int64_t sched_now(void *ctx)
{
	return tp_report_now(((run_state *)ctx)->rep);
}

static int64_t thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* "20260101-120000-a1b2c3": sortable, unique enough across machines. */
static void make_run_id(char *out, size_t size)
{
	unsigned char rnd[3];
	time_t now = time(NULL);
	struct tm tm;
	char when[32];

	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y%m%d-%H%M%S", &tm);
	if (tp_random_bytes(rnd, sizeof(rnd)) < 0)
		memset(rnd, 0, sizeof(rnd));
	snprintf(out, size, "%s-%02x%02x%02x", when, rnd[0], rnd[1], rnd[2]);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char *d = tp_xstrdup(path), *p;
	int rc = 0;

	for (p = d + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(d, mode);
		*p = '/';
	}
	if (mkdir(d, mode) < 0 && errno != EEXIST)
		rc = tp_error_set(TP_ERROR, "cannot create %s: %s", d, strerror(errno));
	free(d);
	return rc;
}

/* ---- the scheduler ----------------------------------------------------- */

static void on_wake(void *ctx)
{
	run_state *r = ctx;

	r->wake_timer = 0;
	tp_run_pump(r);
}

/*
 * An idle account may be waiting on a busy one the scheduler expects free
 * by a time (tp_sched_wake_at); if no event comes by then, ask again. At
 * least WAKE_MIN_MS ahead, so a time already past cannot spin the loop.
 */
#define WAKE_MIN_MS 50

static void arm_wake(run_state *r)
{
	int64_t at = tp_sched_wake_at(r->sched), now = tp_report_now(r->rep);

	tp_loop_timer_cancel(r->loop, r->wake_timer);
	r->wake_timer = 0;
	if (at == INT64_MAX || r->sched_done)
		return;
	if (at < now + WAKE_MIN_MS)
		at = now + WAKE_MIN_MS;
	r->wake_timer = tp_loop_timer_add(r->loop, r->rep->start_mono + at, on_wake, r);
}

void tp_run_pump(run_state *r)
{
	tp_sched_action a;

	if (r->pumping) {
		r->pump_again = 1;
		return;
	}
	r->pumping = 1;
	do {
		r->pump_again = 0;
		while (tp_sched_next(r->sched, &a) == 0 && a.kind != TP_SCHED_IDLE) {
			if (a.kind == TP_SCHED_LEASE)
				tp_run_lease(r);
			else if (a.kind == TP_SCHED_RUN)
				tp_run_attempt_start(r, a.suite, a.account, a.attempt);
			else if (a.kind == TP_SCHED_RELEASE)
				tp_run_release(r, a.account);
			else if (a.kind == TP_SCHED_DONE)
				r->sched_done = 1;
		}
	} while (r->pump_again);
	r->pumping = 0;
	arm_wake(r);
}

/* The scheduler costs a deploy by its longest depends_on chain. */
static size_t stack_deps(void *ctx, const char *stack, const char *const **deps)
{
	const tp_config_stack *st = tp_config_find_stack(((run_state *)ctx)->cfg, stack);

	*deps = st ? (const char *const *)st->depends_on.items : NULL;
	return st ? st->depends_on.n : 0;
}

/* Deploy time of a stack for the scheduler: its history, else 60 s. */
static int64_t stack_ms(void *ctx, const char *stack)
{
	run_state *r = ctx;
	char *project = tp_xasprintf("%s#stacks", r->cfg->project);
	int64_t ms = 60000;

	if (r->history && tp_history_expected(r->history, project, stack, &ms) < 0) {
		ms = 60000;
		tp_error_clear();
	}
	free(project);
	return ms;
}

/* ---- progress ---------------------------------------------------------- */

static const char *phase_name(run_phase p)
{
	static const char *const n[] = { "credentials", "deploy", "test", "done" };

	return n[p];
}

static void draw(run_state *r)
{
	tp_progress_row rows[64];
	tp_progress_view v;
	tp_sched_counts c;
	run_attempt *a;
	int64_t now = tp_now_ms(), running_left = 0, longest = 0;
	size_t n = 0;

	tp_sched_counts_get(r->sched, &c);
	for (a = r->attempts; a; a = a->next) {
		int64_t left = r->rep->suites[a->suite->sched].expected_ms;
		if (a->phase == PHASE_TEST)
			left -= now - a->phase_start;
		if (left < 0)
			left = 0;
		running_left += left;
		if (left > longest)
			longest = left;
		if (n < TP_ARRAY_SIZE(rows)) {
			rows[n].suite = a->suite->cfg->name;
			rows[n].account = a->acct->id;
			rows[n].phase = phase_name(a->phase);
			rows[n].attempt = a->number;
			rows[n].elapsed_ms = now - a->phase_start;
			n++;
		}
	}
	memset(&v, 0, sizeof(v));
	v.running = c.running;
	v.passed = c.passed;
	v.failed = c.failed;
	v.queued = c.pending;
	v.skipped = c.skipped;
	v.accounts = c.accounts;
	v.elapsed_ms = tp_report_now(r->rep);
	v.eta_ms = (c.remaining_ms + running_left) / (r->o->jobs > 0 ? r->o->jobs : 1);
	if (v.eta_ms < longest)
		v.eta_ms = longest;
	v.rows = rows;
	v.nrows = n;
	tp_progress_draw(r->o->progress, &v);
}

static void on_draw(void *ctx)
{
	run_state *r = ctx;

	draw(r);
	r->draw_timer = tp_loop_timer_add(r->loop, tp_now_ms() + DRAW_LIVE_MS, on_draw, r);
}

/* ---- signals ----------------------------------------------------------- */

static void interrupt(run_state *r)
{
	r->rep->interrupted = 1;
	run_event(r, "interrupted: stopping (suites get SIGTERM; Ctrl-C again to quit at once)");
	tp_sched_stop(r->sched);
	tp_exec_terminate_all(r->exec);
	tp_run_deploy_cancel(r);
	tp_loop_timer_cancel(r->loop, r->lease_timer);
	r->lease_timer = 0;
	tp_run_pump(r);
}

static void on_signal(void *ctx, int fd, unsigned events)
{
	struct signalfd_siginfo si;
	run_state *r = ctx;

	(void)events;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (++r->interrupts == 1) {
			interrupt(r);
			continue;
		}
		/* The second one: now. Leases expire; `tidepool sweep` cleans. */
		tp_exec_kill_all(r->exec);
		tp_progress_clear(r->o->progress);
		if (r->o->interrupted_twice)
			r->o->interrupted_twice(r->o->ctx);
	}
}

static int block_signals(run_state *r, sigset_t *old)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	if (pthread_sigmask(SIG_BLOCK, &set, old) != 0)
		return tp_error_set(TP_ERROR, "cannot block signals");
	r->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (r->sigfd < 0)
		return tp_error_set(TP_ERROR, "signalfd: %s", strerror(errno));
	return tp_loop_add_fd(r->loop, r->sigfd, on_signal, r);
}

/* ---- setting up -------------------------------------------------------- */

/* The selected suites and their deploy sets: every template and parameter
 * checked before anything starts (TP_EINVAL, exit 2). */
static int prepare_suites(run_state *r, const int *idx, size_t n)
{
	size_t i;

	r->suites = tp_xcalloc(n, sizeof(*r->suites));
	for (i = 0; i < n; i++) {
		run_suite *rs = &r->suites[i];

		rs->cfg = &r->cfg->suites[idx[i]];
		rs->retries = r->o->retries >= 0 ? r->o->retries : rs->cfg->retries;
		r->nsuites++;
		if (tp_run_deploy_prepare(r, rs) < 0)
			return TP_EINVAL;
	}
	return 0;
}

/* Hand them to the scheduler and the report (same indices in both). */
static void schedule_suites(run_state *r, const int *idx, const int64_t *expected)
{
	size_t i;

	for (i = 0; i < r->nsuites; i++) {
		run_suite *rs = &r->suites[i];
		tp_sched_suite ss;

		ss.name = rs->cfg->name;
		ss.expected_ms = expected[idx[i]];
		ss.stacks = rs->stacks;
		ss.nstacks = rs->nstacks;
		ss.retries = rs->retries;
		rs->sched = tp_sched_add_suite(r->sched, &ss);
		tp_report_add_suite(r->rep, rs->cfg->name, ss.expected_ms);
	}
}

static int64_t *estimates(run_state *r)
{
	const tp_config *c = r->cfg;
	const char **names = tp_xcalloc(c->n_suites + 1, sizeof(*names));
	int64_t *ms = tp_xcalloc(c->n_suites + 1, sizeof(*ms));
	size_t i;

	for (i = 0; i < c->n_suites; i++)
		names[i] = c->suites[i].name;
	tp_history_estimate(r->history, c->project, names, c->n_suites, DEFAULT_SUITE_MS, ms);
	free(names);
	return ms;
}

static int open_history(run_state *r)
{
	char *path = r->o->history_path ? tp_xstrdup(r->o->history_path)
					: tp_xasprintf("%s/.tidepool/history.db", r->cfg->dir);
	int rc = tp_history_open(&r->history, path);

	free(path);
	if (rc < 0) {
		run_event(r, "warning: %s (durations will not be remembered)", tp_error_last()->msg);
		tp_error_clear();
		r->history = NULL;
	}
	return 0;
}

static int make_dirs(run_state *r)
{
	static const char *const sub[] = { "logs", "junit", "artifacts" };
	size_t i;

	r->run_dir = r->o->report_dir ? tp_xstrdup(r->o->report_dir)
				      : tp_xasprintf("%s/.tidepool/runs/%s", r->cfg->dir, r->run_id);
	if (mkdir_p(r->run_dir, 0700) < 0)
		return -1;
	{
		/* Suites run in the project directory: every path they get is absolute. */
		char *abs = realpath(r->run_dir, NULL);
		if (!abs)
			return tp_error_set(TP_ERROR, "%s: %s", r->run_dir, strerror(errno));
		free(r->run_dir);
		r->run_dir = abs;
	}
	for (i = 0; i < TP_ARRAY_SIZE(sub); i++) {
		char *d = tp_xasprintf("%s/%s", r->run_dir, sub[i]);
		int rc = mkdir_p(d, 0700);
		free(d);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* The runner's own identity: the cleaner never touches that account. This is
 * also the first AWS call, so broken credentials stop the run before any lease. */
static int open_caller(run_state *r)
{
	tp_aws_client_opts co = TP_AWS_CLIENT_OPTS_INIT;

	co.region = r->region;
	co.creds = r->local ? tp_local_pool_creds(r->local) : tp_creds_default_chain();
	if (tp_aws_client_new(&r->caller, &co) < 0 ||
	    tp_safety_caller_account(r->caller, r->caller_account) < 0)
		return tp_error_prefix("the runner's own credentials: ");
	return 0;
}

/* The pool, the runner's credentials and where AWS is. */
static int open_aws(run_state *r)
{
	tp_pool_opts po = TP_POOL_OPTS_INIT;
	const tp_config_pool *c = &r->cfg->pool;
	const char *ep;

	if (r->local) {
		r->pool = tp_local_pool_pool(r->local);
		r->base = tp_creds_cached(tp_local_pool_creds(r->local));
		r->endpoint = tp_xstrdup(tp_local_pool_endpoint(r->local));
	} else {
		po.store_url = c->store;
		po.accounts = (const char *const *)c->accounts.items;
		po.n_accounts = c->accounts.n;
		po.blocklist = (const char *const *)c->blocklist.items;
		po.n_blocklist = c->blocklist.n;
		po.store.base_dir = r->cfg->dir;
		po.store.region = r->region;
		if (tp_pool_open(&r->pool, &po) < 0 || tp_pool_sync(r->pool, NULL) < 0)
			return -1;
		r->base = tp_creds_default_chain();
		ep = getenv("AWS_ENDPOINT_URL");
		r->endpoint = ep && *ep ? tp_xstrdup(ep) : NULL;
	}
	r->creds = tp_account_creds_new(r->base, r->region, c->role);
	r->holder = tp_project_default_owner();
	return r->o->clean ? open_caller(r) : 0;
}

static int start_local(run_state *r)
{
	if (!r->o->local)
		return 0;
	if (tp_local_pool_start(&r->local, r->o->jobs) < 0)
		return -1;
	/* Every AWS call of this process goes to moto: set before any thread starts. */
	setenv("AWS_ENDPOINT_URL", tp_local_pool_endpoint(r->local), 1);
	r->rep->local = 1;
	run_event(r, "local AWS (moto) at %s with %zu accounts", tp_local_pool_endpoint(r->local),
		  tp_local_pool_count(r->local));
	return 0;
}

static int start_machinery(run_state *r, sigset_t *oldmask)
{
	tp_exec_opts xo = TP_EXEC_OPTS_INIT;
	tp_sched_opts so = TP_SCHED_OPTS_INIT;
	char *marker = tp_xasprintf("TIDEPOOL_RUN_ID=%s", r->run_id);
	int rc;

	so.max_accounts = r->o->jobs;
	so.fail_fast = r->o->fail_fast;
	so.stack_deploy_ms = stack_ms;
	so.stack_depends_on = stack_deps;
	so.deploy_extras = 1;
	so.now_ms = sched_now;
	so.ctx = r;
	r->sched = tp_sched_new(&so);
	if (tp_loop_new(&r->loop) < 0 || block_signals(r, oldmask) < 0) {
		free(marker);
		return -1;
	}
	xo.loop = r->loop;
	xo.done = tp_run_attempt_exited;
	xo.ctx = r;
	xo.run_marker = marker;
	xo.guard = 1;
	r->marker = marker;
	signal(SIGPIPE, SIG_IGN);
	rc = tp_exec_new(&r->exec, &xo);
	if (rc < 0)
		return -1;
	if (tp_jobs_new(&r->clean_jobs, r->loop, RUN_CLEAN_ACCOUNTS) < 0)
		return -1;
	return tp_jobs_new(&r->jobs, r->loop,
			   r->o->jobs * 2 + 2 > RUN_MAX_WORKERS ? RUN_MAX_WORKERS : r->o->jobs * 2 + 2);
}

/* ---- the end ----------------------------------------------------------- */

static int exit_code(const run_state *r)
{
	tp_report_counts c;

	tp_report_counts_get(r->rep, &c);
	if (r->rep->interrupted)
		return TP_EXIT_INTERRUPTED;
	if (r->infra_errors || c.errors)
		return 3;
	if (c.failed)
		return 1;
	return 0;
}

static void write_reports(run_state *r)
{
	char *p;

	if (r->o->report_dir) {
		p = tp_xasprintf("%s/results.json", r->o->report_dir);
		if (tp_report_json_write(r->rep, p) < 0)
			run_event(r, "error: %s", tp_error_last()->msg);
		free(p);
		p = tp_xasprintf("%s/timeline.html", r->o->report_dir);
		if (tp_timeline_write(r->rep, p) < 0)
			run_event(r, "error: %s", tp_error_last()->msg);
		free(p);
	}
	if (r->o->junit_path && tp_junit_write(r->rep, r->o->junit_path) < 0)
		run_event(r, "error: %s", tp_error_last()->msg);
}

static void stats(run_state *r)
{
	struct rusage ru;
	tp_aws_stats now;

	r->rep->loop_cpu_ms = thread_cpu_ms() - r->loop_cpu_start_ms;
	tp_aws_stats_process(&now);
	tp_aws_stats_sub(&r->rep->aws, &now, &r->aws_start);
	if (getrusage(RUSAGE_SELF, &ru) == 0) {
		r->rep->process_cpu_ms = (int64_t)ru.ru_utime.tv_sec * 1000 + ru.ru_utime.tv_usec / 1000 +
					 (int64_t)ru.ru_stime.tv_sec * 1000 + ru.ru_stime.tv_usec / 1000;
		r->rep->peak_rss_kb = ru.ru_maxrss;
	}
}

static void teardown(run_state *r, const sigset_t *oldmask)
{
	size_t i;

	tp_jobs_free(r->jobs);
	tp_jobs_free(r->clean_jobs);
	tp_run_deploy_release(r);
	tp_exec_free(r->exec);
	tp_aws_client_free(r->caller);
	tp_loop_timer_cancel(r->loop, r->draw_timer);
	tp_loop_timer_cancel(r->loop, r->wake_timer);
	r->wake_timer = 0;
	if (r->sigfd >= 0) {
		tp_loop_del_fd(r->loop, r->sigfd);
		close(r->sigfd);
	}
	if (oldmask)
		pthread_sigmask(SIG_SETMASK, oldmask, NULL);
	tp_loop_free(r->loop);
	tp_sched_free(r->sched);
	tp_history_close(r->history);
	tp_account_creds_free(r->creds);
	tp_cred_provider_free(r->base);
	if (r->local) {
		tp_local_pool_stop(r->local);
		unsetenv("AWS_ENDPOINT_URL");
	} else {
		tp_pool_free(r->pool);
	}
	for (i = 0; i < r->nsuites; i++)
		free(r->suites[i].stacks);
	free(r->suites);
	free(r->accts);
	free(r->holder);
	free(r->marker);
	free(r->run_dir);
	free(r->endpoint);
}

static int setup_error(run_state *r, int code)
{
	if (!r->rep->error)
		r->rep->error = tp_xstrdup(tp_error_last()->msg);
	return code;
}

static int finished(const run_state *r)
{
	return r->sched_done && tp_jobs_outstanding(r->jobs) == 0 &&
	       tp_jobs_outstanding(r->clean_jobs) == 0 && tp_exec_running(r->exec) == 0;
}

/* What prepare_suites made, when the run stops before its machinery. */
static void early_release(run_state *r)
{
	size_t i;

	tp_run_deploy_release(r);
	for (i = 0; i < r->nsuites; i++)
		free(r->suites[i].stacks);
	free(r->suites);
	r->suites = NULL;
	r->nsuites = 0;
}

/* Loop until the scheduler is done and nothing is in flight. */
static void drive(run_state *r)
{
	size_t n = r->nsuites;

	run_event(r, "run %s: %zu suite%s of %s on up to %d account%s", r->run_id, n,
		  n == 1 ? "" : "s", r->cfg->project, r->o->jobs, r->o->jobs == 1 ? "" : "s");
	if (r->o->progress)
		r->draw_timer = tp_loop_timer_add(r->loop, tp_now_ms() + DRAW_PLAIN_MS, on_draw, r);
	tp_run_pump(r);
	while (!finished(r)) {
		if (tp_loop_run_once(r->loop, -1) < 0) {
			tp_run_fail(r, "%s", tp_error_last()->msg);
			break;
		}
		tp_run_pump(r);
	}
}

/* Everything up to the first lease; 0, or an exit code (the run is torn down). */
static int start(run_state *r, const int *idx, size_t n, const int64_t *expected,
		 sigset_t *oldmask)
{
	if (prepare_suites(r, idx, n) < 0 || start_local(r) < 0) {
		int code = setup_error(r, tp_error_last()->code == TP_EINVAL ? 2 : 3);
		tp_local_pool_stop(r->local);
		r->local = NULL;
		unsetenv("AWS_ENDPOINT_URL");
		early_release(r);
		return code;
	}
	if (start_machinery(r, oldmask) < 0)
		goto fail;
	schedule_suites(r, idx, expected);
	if (make_dirs(r) < 0 || open_aws(r) < 0)
		goto fail;
	return 0;
fail:
	{
		int code = setup_error(r, tp_error_last()->code == TP_EINVAL ? 2 : 3);
		teardown(r, oldmask);
		return code;
	}
}

/* Which suites: 0 with *n of them, or exit code 2. */
static int select_suites(run_state *r, int **idx, size_t *n, const int64_t *expected)
{
	if (r->o->jobs < 1) {
		tp_error_set(TP_EINVAL, "-j must be at least 1");
		return setup_error(r, 2);
	}
	if (tp_run_select(idx, n, r->o, expected) < 0)
		return setup_error(r, 2);
	if (*n == 0)
		run_event(r, "shard %d/%d has no suites: nothing to run", r->o->shard_index,
			  r->o->shard_count);
	return 0;
}

int tp_run(tp_report *out, const tp_run_opts *opts)
{
	run_state run, *r = &run;
	sigset_t oldmask;
	int64_t *expected;
	int *idx = NULL, code;
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	r->o = opts;
	r->cfg = opts->config;
	r->rep = out;
	r->sigfd = -1;
	r->region = r->cfg->regions.n ? r->cfg->regions.items[0] : "us-east-1";
	make_run_id(r->run_id, sizeof(r->run_id));
	tp_report_init(out, r->cfg->project, r->run_id);
	out->max_accounts = opts->jobs;
	r->loop_cpu_start_ms = thread_cpu_ms();
	tp_aws_stats_process(&r->aws_start);
	open_history(r);
	expected = estimates(r);
	code = select_suites(r, &idx, &n, expected);
	if (code == 0 && n > 0 && (code = start(r, idx, n, expected, &oldmask)) == 0) {
		drive(r);
		out->duration_ms = tp_report_now(out);
		teardown(r, &oldmask);
		stats(r);
		code = out->exit_code = exit_code(r);
		write_reports(r);
	} else if (!r->loop) {
		tp_history_close(r->history);   /* teardown did not run */
	}
	if (!out->duration_ms)
		out->duration_ms = tp_report_now(out);
	out->exit_code = code;
	free(idx);
	free(expected);
	return code;
}
