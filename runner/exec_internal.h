/* The executor's parts (internal to runner/exec*.c). */
#ifndef TP_EXEC_INTERNAL_H
#define TP_EXEC_INTERNAL_H

#include <sys/types.h>

#include "runner/exec.h"

/* A running process group (its leader is pid = pgid). */
typedef struct tp_exec_proc {
	pid_t pid;
	int pidfd;
	void *tag;
	int64_t start_ms, grace_ms;
	uint64_t timer;             /* timeout, then the SIGKILL after the grace */
	int timed_out, terminated, term_sent;
	char **marker;              /* NULL-terminated copies, or NULL */
	tp_exec *owner;
} tp_exec_proc;

/* An adopted orphan being killed: reaped when its pidfd says it exited. */
typedef struct tp_exec_orphan {
	pid_t pid;
	int pidfd;
	tp_exec *owner;
} tp_exec_orphan;

struct tp_exec {
	tp_exec_opts o;
	tp_exec_proc **procs;
	size_t nprocs, procs_alloc;
	tp_exec_orphan **orphans;
	size_t norphans, orphans_alloc;
	pid_t *groups;              /* ended groups whose members are still dying */
	size_t ngroups, groups_alloc;
	uint64_t scan_timer, reap_timer;
	pid_t self;
	int guard_fd;               /* write end of the guard's pipe, or -1 */
	pid_t guard_pid;
};

/* ---- exec_guard.c ------------------------------------------------------ */

/* Fork the guard; sets x->guard_fd / guard_pid. 0, or -1 (TP_ERROR). */
int tp_exec_guard_start(tp_exec *x);

/* Tell the guard a group started (pgid > 0) or is gone. */
void tp_exec_guard_add(tp_exec *x, pid_t pgid);
void tp_exec_guard_remove(tp_exec *x, pid_t pgid);

/* Tell the guard the runner stops normally, close the pipe, wait for the guard. */
void tp_exec_guard_stop(tp_exec *x);

/* ---- exec_orphans.c ---------------------------------------------------- */

/*
 * Reap what has died of group `pgid` (adopted members, already killed).
 * Returns 1 while members remain, 0 when the group is empty.
 */
int tp_exec_reap_group(pid_t pgid);

/* Kill and track adopted orphans carrying the run marker (see exec.h). */
int tp_exec_orphans_scan(tp_exec *x);

/* Stop tracking every orphan (SIGKILL and reap; at free). */
void tp_exec_orphans_release(tp_exec *x);

/* pidfd_open(2) with O_CLOEXEC semantics (pidfds are close-on-exec). -1 on error. */
int tp_exec_pidfd_open(pid_t pid);

#endif
