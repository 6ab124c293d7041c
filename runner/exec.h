/*
 * Suite processes: spawn, watch, time out, terminate, and leave nothing
 * behind (DESIGN.md, "What a suite process gets").
 *
 * Each process is `/bin/sh -c COMMAND` in its own process group, with the
 * environment and working directory it is given, stdin from /dev/null and
 * stdout + stderr appended to its log (created 0600). It ends when the
 * group leader exits; whatever the group still holds is then killed and
 * reaped. A timeout sends SIGTERM to the group and SIGKILL after the grace
 * period.
 *
 * No orphan survives:
 *   - the runner is a child subreaper, so descendants whose parents die
 *     become its children; those that stayed in the group are killed with
 *     it and reaped by group (waitid P_PGID); those that left the group
 *     (setsid, setpgid) are found by a periodic scan of the runner's
 *     children and recognised by the `marker` entries in their
 *     environment: killed unless their own suite is still running;
 *   - with opts.guard, a small guard process forked at tp_exec_new learns
 *     of every live group through a pipe; when the runner dies, even by
 *     SIGKILL, the pipe closes and the guard terminates every group still
 *     listed and every process carrying the run marker (SIGTERM, grace,
 *     SIGKILL): a suite started just before the runner died, and one that
 *     left its group, die too.
 *
 * DESIGN (threads): none of its own. Everything runs on the thread of the
 * tp_loop it is given: pidfds of group leaders wake the loop when they
 * exit, timers drive timeouts and grace periods. The done callback runs on
 * that thread. Not thread-safe. Call tp_exec_new before starting threads
 * (it may fork the guard).
 */
#ifndef TP_EXEC_H
#define TP_EXEC_H

#include <stddef.h>
#include <stdint.h>

#include "runner/run_loop.h"

/* SIGTERM to SIGKILL (DESIGN.md). */
#define TP_EXEC_GRACE_MS 10000

typedef struct tp_exec tp_exec;

typedef struct tp_exec_result {
	void *tag;                  /* from the spec */
	int pid;                    /* the group leader (= the process group id) */
	int exit_code;              /* exit status, or 128 + signal */
	int signal;                 /* the signal that ended it, or 0 */
	int timed_out;              /* ended after its timeout fired */
	int terminated;             /* ended after tp_exec_terminate_all */
	int64_t start_ms, end_ms;   /* monotonic (tp_now_ms) */
} tp_exec_result;

/* Runs on the loop thread when a process ended; `r` is valid during the call. */
typedef void (*tp_exec_done_fn)(void *ctx, const tp_exec_result *r);

typedef struct tp_exec_opts {
	tp_loop *loop;              /* required; borrowed */
	tp_exec_done_fn done;       /* required */
	void *ctx;
	/* "NAME=value" that every descendant of every process of this executor
	 * has in its environment (e.g. TIDEPOOL_RUN_ID=...): an adopted orphan
	 * carrying it is ours. NULL: adopted orphans are only killed by group. */
	const char *run_marker;
	int guard;                  /* fork the guard (see above) */
	int64_t scan_ms;            /* orphan scan period while processes run; 0 = 2000 */
} tp_exec_opts;

#define TP_EXEC_OPTS_INIT { NULL, NULL, NULL, NULL, 0, 0 }

typedef struct tp_exec_spec {
	const char *command;        /* run with /bin/sh -c */
	const char *cwd;            /* NULL = the runner's */
	char *const *envp;          /* the whole environment, NULL-terminated */
	const char *log_path;       /* stdout + stderr (appended; created 0600) */
	int64_t timeout_ms;         /* 0 = none */
	int64_t grace_ms;           /* 0 = TP_EXEC_GRACE_MS */
	/* "NAME=value" entries (NULL-terminated, may be NULL) that identify this
	 * process's descendants: an adopted orphan with all of them is left
	 * alone while this process runs. Copied. */
	const char *const *marker;
	void *tag;
} tp_exec_spec;

#define TP_EXEC_SPEC_INIT { NULL, NULL, NULL, NULL, 0, 0, NULL, NULL }

/*
 * A new executor; makes the calling process a child subreaper. Returns 0,
 * or -1 (TP_ERROR) naming what failed.
 */
int tp_exec_new(tp_exec **out, const tp_exec_opts *opts);

/*
 * Start one process. *pid (may be NULL) is its pid. Returns 0, or -1
 * (TP_ERROR naming the log or the spawn failure); nothing runs then.
 */
int tp_exec_start(tp_exec *x, const tp_exec_spec *spec, int *pid);

/* SIGTERM to every running group (Ctrl-C), SIGKILL after each one's grace. */
void tp_exec_terminate_all(tp_exec *x);

/*
 * SIGTERM to the group of `pid` (a process of this executor), SIGKILL after
 * its grace; its result says terminated. Returns 0, or TP_ENOTFOUND when it
 * is not running (its done callback has run).
 */
int tp_exec_terminate(tp_exec *x, int pid);

/* SIGKILL to every running group now (second Ctrl-C); no callbacks. */
void tp_exec_kill_all(tp_exec *x);

/* Processes started whose done callback has not run. */
size_t tp_exec_running(const tp_exec *x);

/*
 * Look for adopted orphans now (also done periodically): kill those of
 * this executor whose process has ended. Returns how many were killed.
 */
int tp_exec_scan_orphans(tp_exec *x);

/*
 * Kill whatever still runs (SIGKILL, no callbacks), reap it, close the
 * guard's pipe and wait for the guard. NULL is a no-op.
 */
void tp_exec_free(tp_exec *x);

#endif
