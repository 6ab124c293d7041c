/*
 * One suite attempt on one leased account: credentials (job), deploy
 * (run_deploy.c), the suite process (exec.h), then its result folded into
 * the report, the history and the scheduler. Runs on the loop thread; the
 * credentials job only calls AssumeRole.
 */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/run_internal.h"

#define TAIL_BYTES 8192
#define TAIL_LINES 60

static tp_report_attempt *rep_attempt(const run_attempt *a)
{
	return &a->run->rep->suites[a->suite->sched].attempts[a->report_attempt];
}

static void unlink_attempt(run_state *r, run_attempt *a)
{
	run_attempt **p;

	for (p = &r->attempts; *p; p = &(*p)->next) {
		if (*p == a) {
			*p = a->next;
			return;
		}
	}
}

/* Credentials are wiped, not just freed. */
static void wipe_creds(tp_creds *c)
{
	if (c->secret_access_key)
		memset(c->secret_access_key, 0, strlen(c->secret_access_key));
	if (c->session_token)
		memset(c->session_token, 0, strlen(c->session_token));
	tp_creds_release(c);
}

static void attempt_free(run_attempt *a)
{
	size_t i;

	for (i = 0; i < a->nextras; i++)
		free(a->extras[i]);
	free(a->extras);
	wipe_creds(&a->creds);
	free(a->log_path);
	free(a->junit_path);
	free(a->artifacts);
	free(a);
}

static const char *verdict(tp_sched_result res)
{
	switch (res) {
	case TP_SCHED_PASSED: return "PASS";
	case TP_SCHED_FAILED: return "FAIL";
	case TP_SCHED_ERROR: return "ERROR";
	case TP_SCHED_SKIPPED: return "STOP";
	}
	return "?";
}

static void announce(run_state *r, const run_attempt *a, tp_sched_result res,
		     const tp_sched_suite_state *st)
{
	const tp_report_attempt *ra = rep_attempt(a);
	char why[600] = "", nth[32] = "";
	double secs = ra->start_ms >= 0 && ra->end_ms >= ra->start_ms ?
		(double)(ra->end_ms - ra->start_ms) / 1000.0 : 0;

	if (ra->error)
		snprintf(why, sizeof(why), ": %s", ra->error);
	else if (ra->timed_out)
		snprintf(why, sizeof(why), ": timed out after %lds", a->suite->cfg->timeout);
	else if (ra->interrupted)
		snprintf(why, sizeof(why), ": interrupted");
	else if (res == TP_SCHED_FAILED)
		snprintf(why, sizeof(why), ": exit %d", ra->exit_code);
	if (a->number > 1)
		snprintf(nth, sizeof(nth), ", attempt %d", a->number);
	run_event(r, "%-5s %s on %s (%.1f s%s)%s%s", verdict(res), a->suite->cfg->name, a->acct->id,
		  secs, nth, why,
		  !st->final ? "; retrying on another account" : st->flaky ? "; flaky" : "");
}

/*
 * The attempt has its result: tell the report, the scheduler, move on. On
 * an account whose lease was lost, whatever happened is an error (someone
 * else may have used the account meanwhile) and the account is forgotten.
 */
static void finish(run_state *r, run_attempt *a, tp_sched_result res, const char *error)
{
	tp_report_attempt *ra = rep_attempt(a);
	tp_report_suite *rs = &r->rep->suites[a->suite->sched];
	tp_sched_suite_state st;
	char *lost = NULL;

	if (a->acct->lost) {
		res = TP_SCHED_ERROR;
		lost = tp_xasprintf("the lease on %s was lost (%s): stopped",
				    a->acct->id, r->rep->accounts[a->acct->report].lease_lost);
		error = lost;
		free(ra->error);
		ra->error = NULL;
	}
	a->pid = 0;
	ra->result = res;
	if (error && !ra->error)
		ra->error = tp_xstrdup(error);
	tp_report_span_close(r->rep, a->test_span, res == TP_SCHED_PASSED);
	tp_report_span_close(r->rep, a->deploy_span, 0);
	unlink_attempt(r, a);
	a->acct->busy = NULL;
	tp_sched_suite_done(r->sched, a->suite->sched, res);
	tp_sched_suite_get(r->sched, a->suite->sched, &st);
	rs->final = st.final;
	rs->flaky = st.flaky;
	if (st.final)
		rs->result = st.result;
	announce(r, a, res, &st);
	if (a->acct->lost)
		tp_run_forget(r, a->acct);
	attempt_free(a);
	free(lost);
	tp_run_pump(r);
}

void tp_run_attempt_lost(run_attempt *a)
{
	run_state *r = a->run;

	if (a->phase == PHASE_TEST && a->pid > 0)
		tp_exec_terminate(r->exec, a->pid);
	else if (a->phase == PHASE_DEPLOY)
		tp_run_deploy_cancel_one(r, a);
	/* in PHASE_CREDENTIALS, creds_done sees the loss and ends it */
}

/* ---- the suite process ------------------------------------------------- */

static void start_test(run_state *r, run_attempt *a)
{
	tp_exec_spec s = TP_EXEC_SPEC_INIT;
	tp_report_attempt *ra = rep_attempt(a);
	tp_env env = TP_ENV_INIT;
	char *marker[4];
	size_t running;
	int rc;

	if (r->interrupts || a->acct->lost) {
		finish(r, a, TP_SCHED_SKIPPED, NULL);
		return;
	}
	a->phase = PHASE_TEST;
	a->phase_start = tp_now_ms();
	tp_run_suite_env(&env, r, a);
	marker[0] = tp_xasprintf("TIDEPOOL_RUN_ID=%s", r->run_id);
	marker[1] = tp_xasprintf("TIDEPOOL_SUITE=%s", a->suite->cfg->name);
	marker[2] = tp_xasprintf("TIDEPOOL_ATTEMPT=%d", a->number);
	marker[3] = NULL;
	s.command = a->suite->cfg->command;
	s.cwd = r->cfg->dir;
	s.envp = tp_env_array(&env);
	s.log_path = a->log_path;
	s.timeout_ms = (int64_t)a->suite->cfg->timeout * 1000;
	s.grace_ms = r->o->grace_ms;
	s.marker = (const char *const *)marker;
	s.tag = a;
	ra->start_ms = tp_report_now(r->rep);
	rc = tp_exec_start(r->exec, &s, &a->pid);
	tp_env_release(&env);
	free(marker[0]);
	free(marker[1]);
	free(marker[2]);
	if (rc < 0) {
		ra->end_ms = ra->start_ms;
		finish(r, a, TP_SCHED_ERROR, tp_error_last()->msg);
		return;
	}
	a->test_span = tp_report_span_open(r->rep, TP_SPAN_TEST, a->acct->report, a->suite->sched,
					   a->number);
	running = tp_exec_running(r->exec);
	if ((int)running > r->rep->max_running)
		r->rep->max_running = (int)running;
	if (r->o->progress && a->number == 1)
		run_event(r, "start %s on %s", a->suite->cfg->name, a->acct->id);
	else if (r->o->progress)
		run_event(r, "start %s on %s (attempt %d)", a->suite->cfg->name, a->acct->id, a->number);
}

static void record_history(run_state *r, const run_attempt *a, const tp_exec_result *res, int passed)
{
	if (!r->history || res->timed_out || res->terminated)
		return;
	if (tp_history_record(r->history, r->cfg->project, a->suite->cfg->name,
			      res->end_ms - res->start_ms, passed, tp_time_now()) < 0)
		tp_error_clear();
}

void tp_run_attempt_exited(void *ctx, const tp_exec_result *res)
{
	run_state *r = ctx;
	run_attempt *a = res->tag;
	tp_report_attempt *ra = rep_attempt(a);
	const char *secrets[] = { a->creds.secret_access_key, a->creds.session_token,
				  a->creds.access_key_id, NULL };
	tp_sched_result result;
	int passed = res->exit_code == 0 && !res->timed_out && !res->terminated;

	ra->end_ms = ra->start_ms + (res->end_ms - res->start_ms);
	ra->exit_code = res->exit_code;
	ra->signal = res->signal;
	ra->timed_out = res->timed_out;
	ra->interrupted = res->terminated;
	ra->log_tail = tp_report_log_tail(a->log_path, TAIL_BYTES, TAIL_LINES, secrets);
	ra->junit_path = tp_xstrdup(a->junit_path);
	record_history(r, a, res, passed);
	result = passed ? TP_SCHED_PASSED : res->terminated ? TP_SCHED_SKIPPED : TP_SCHED_FAILED;
	finish(r, a, result, NULL);
}

/* ---- credentials ------------------------------------------------------- */

typedef struct creds_job {
	run_attempt *a;             /* done only */
	tp_account_creds *set;
	char account[13];
	char session[TP_SESSION_NAME_MAX + 1];
	tp_creds creds;
	int rc;
	tp_error err;
} creds_job;

static void creds_work(void *p)
{
	creds_job *j = p;

	j->rc = tp_account_creds_get(j->set, &j->creds, j->account, j->session, 0);
	if (j->rc < 0)
		tp_error_save(&j->err);
}

static void creds_done(void *p)
{
	creds_job *j = p;
	run_attempt *a = j->a;
	run_state *r = a->run;

	if (j->rc < 0) {
		char *msg = tp_xasprintf("credentials for %s: %s", j->account, j->err.msg);
		finish(r, a, TP_SCHED_ERROR, msg);
		free(msg);
	} else if (r->interrupts || a->acct->lost) {
		finish(r, a, TP_SCHED_SKIPPED, NULL);
	} else {
		a->creds = j->creds;
		memset(&j->creds, 0, sizeof(j->creds));
		if (a->suite->nstacks && !tp_run_deployed(a))
			tp_run_deploy(r, a);
		else
			start_test(r, a);
	}
	wipe_creds(&j->creds);
	free(j);
}

/* Called by run_deploy.c when the stacks are there (or could not be). */
void tp_run_attempt_deployed(run_attempt *a, const char *error)
{
	if (a->run->interrupts)
		finish(a->run, a, TP_SCHED_SKIPPED, NULL);
	else if (error)
		finish(a->run, a, TP_SCHED_ERROR, error);
	else
		start_test(a->run, a);
}

static void make_paths(run_state *r, run_attempt *a)
{
	const char *name = a->suite->cfg->name;

	a->log_path = tp_xasprintf("%s/logs/%s-%d.log", r->run_dir, name, a->number);
	a->junit_path = tp_xasprintf("%s/junit/%s-%d.xml", r->run_dir, name, a->number);
	a->artifacts = tp_xasprintf("%s/artifacts/%s-%d", r->run_dir, name, a->number);
	mkdir(a->artifacts, 0700);
	unlink(a->junit_path);   /* a stale file is not this attempt's */
}

/* Asked right after the RUN, as the scheduler wants; deployed with the suite's. */
static void ask_extras(run_state *r, run_attempt *a, int handle)
{
	tp_stack_ref ex[64];
	size_t n, i;

	if (!a->suite->nstacks)
		return;
	n = tp_sched_extra_stacks(r->sched, handle, ex, sizeof(ex) / sizeof(ex[0]));
	if (!n)
		return;
	a->extras = tp_xcalloc(n, sizeof(*a->extras));
	for (i = 0; i < n; i++)
		a->extras[a->nextras++] = tp_xstrdup(ex[i].name);
}

void tp_run_attempt_start(run_state *r, int suite, int handle, int attempt)
{
	run_attempt *a = tp_xcalloc(1, sizeof(*a));
	tp_report_attempt *ra;
	creds_job *j;

	a->run = r;
	a->suite = &r->suites[suite];
	a->acct = tp_run_acct(r, handle);
	a->number = attempt;
	a->deploy_span = a->test_span = -1;
	a->acct->busy = a;
	ask_extras(r, a, handle);
	ra = tp_report_attempt_new(r->rep, suite, a->acct->report);
	a->report_attempt = ra->number - 1;
	make_paths(r, a);
	ra->log_path = tp_xstrdup(a->log_path);
	r->rep->accounts[a->acct->report].suites_run++;
	a->next = r->attempts;
	r->attempts = a;
	a->phase = PHASE_CREDENTIALS;
	a->phase_start = tp_now_ms();
	j = tp_xcalloc(1, sizeof(*j));
	j->a = a;
	j->set = r->creds;
	tp_strlcpy(j->account, a->acct->id, sizeof(j->account));
	tp_account_session_name(j->session, r->run_id, a->suite->cfg->name);
	tp_jobs_submit(r->jobs, j, creds_work, creds_done);
}
