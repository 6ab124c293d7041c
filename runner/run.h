/*
 * `tidepool run`: lease accounts, deploy what each suite needs, run the
 * suites concurrently, record their durations, release every account to
 * the cleaner, and report (DESIGN.md, "The scheduler", "What a suite
 * process gets", "Reports", "Local mode").
 *
 *   tp_run_opts o = TP_RUN_OPTS_INIT;
 *   tp_report r;
 *   o.config = config; o.jobs = 8;
 *   int code = tp_run(&r, &o);       // DESIGN.md's exit code
 *   ... print r (runner/report_table.h), tp_report_release(&r);
 *
 * DESIGN (threads and flow). One thread, the caller's, owns the run: an
 * event loop (run_loop.h) over a signalfd (SIGINT, SIGTERM, SIGHUP), the
 * pidfds of suite processes (exec.h), the mailbox of the worker pool
 * (run_jobs.h) and timers (heartbeats, lease retries, progress). It alone
 * touches the scheduler, the report, the executor and the progress
 * display. Everything that blocks on AWS (acquire, renew, release,
 * AssumeRole, deploys, cleaning) is a job with its own copies of what it
 * needs, run on a worker and folded back on the loop thread by its `done`
 * function. Suite processes cost no thread.
 *
 * A suite attempt goes: credentials (job) -> deploy (job, skipped when
 * the account already has the stacks at the right hashes from earlier in
 * this run) -> test (process) -> result (history, scheduler). A leased
 * account runs one suite at a time and takes the next that fits it; when
 * the scheduler has nothing left for it, it is released dirty and handed
 * to the cleaner (job), unless the run was interrupted (then the sweeper
 * cleans it later).
 *
 * Ctrl-C: stop launching, SIGTERM every suite group (SIGKILL after the
 * grace), release the accounts dirty, write the reports, 130. A second
 * Ctrl-C: SIGKILL every suite group and call opts->interrupted_twice, with
 * which `tidepool run` exits at once (leases then expire; `sweep` recovers
 * them).
 */
#ifndef TP_RUN_H
#define TP_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "runner/progress.h"
#include "runner/report.h"
#include "suites/config.h"

typedef struct tp_run_opts {
	const tp_config *config;        /* the project (borrowed) */
	int jobs;                       /* -j: accounts at once; local: accounts created */
	int local;                      /* --local */
	const char *const *suites;      /* --suite GLOB... (fnmatch) */
	size_t n_suites;
	const char *const *tags;        /* --tag T... (a suite with any of them) */
	size_t n_tags;
	int shard_index;                /* --shard I/N: I (1-based); 0 = no sharding */
	int shard_count;
	int retries;                    /* --retries N; -1 = each suite's own */
	int fail_fast;
	const char *report_dir;         /* --report DIR, or NULL */
	const char *junit_path;         /* --junit FILE, or NULL */
	tp_progress *progress;          /* borrowed; NULL = silent */
	const char *history_path;       /* NULL = <project>/.tidepool/history.db */
	int64_t grace_ms;               /* SIGTERM -> SIGKILL; 0 = 10 s */
	int clean;                      /* hand released accounts to the cleaner; default 1 */
	/* A second Ctrl-C: every suite group has been sent SIGKILL; the caller
	 * exits at once (it does not return). NULL: the run goes on stopping as
	 * after the first. */
	void (*interrupted_twice)(void *ctx);
	void *ctx;
} tp_run_opts;

#define TP_RUN_OPTS_INIT { NULL, 4, 0, NULL, 0, NULL, 0, 0, 0, -1, 0, NULL, NULL, NULL, NULL, 0, 1, \
			   NULL, NULL }

/*
 * Run. `out` is initialised here (release it even on error) and holds
 * what happened. Returns the exit code: 0 all passed, 1 a suite failed,
 * 2 bad selection or configuration (nothing leased; the message is in
 * tp_error_last() and out->error), 3 infrastructure (out->error), 130
 * interrupted. Reports named in `opts` are written before it returns,
 * whatever the code (except 2).
 */
int tp_run(tp_report *out, const tp_run_opts *opts);

/*
 * The suites `opts` selects from `opts->config` (--suite, --tag, --shard),
 * as indices into config->suites in file order, with their expected
 * durations from `expected_ms` (per config suite; used by --shard). Returns
 * 0 with *idx (caller frees) and *n; *n is 0 only for an empty shard.
 * TP_EINVAL with an actionable message when a --suite or --tag matches
 * nothing ("did you mean"), or nothing is selected.
 */
int tp_run_select(int **idx, size_t *n, const tp_run_opts *opts, const int64_t *expected_ms);

#endif
