/*
 * Adopted orphans (see exec.h). As a child subreaper the runner inherits
 * every descendant of a suite whose parent died. Those still in the suite's
 * process group are killed with the group and reaped here by group id.
 * Those that left the group are found by scanning /proc for processes whose
 * parent is the runner and that the executor did not start, and recognised
 * by the run marker in their environment; the environment of a zombie is
 * unreadable, so only live ones are judged. A recognised orphan whose suite
 * is not running any more is killed (with its own group, when it leads
 * one) and reaped when its pidfd says it exited.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/buf.h"
#include "aws/util.h"
#include "runner/exec_internal.h"

#define ENVIRON_MAX (256 * 1024)

int tp_exec_pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

int tp_exec_reap_group(pid_t pgid)
{
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof(si));
		if (waitid(P_PGID, (id_t)pgid, &si, WEXITED | WNOHANG) < 0) {
			if (errno == EINTR)
				continue;
			break;           /* ECHILD: no child of ours in that group */
		}
		if (si.si_pid == 0)
			break;           /* members left, none exited yet */
	}
	return kill(-pgid, 0) == 0;
}

/* ---- reading /proc ----------------------------------------------------- */

typedef struct procinfo {
	pid_t pid, ppid, pgrp;
	char state;
} procinfo;

/* Parse /proc/PID/stat: "pid (comm) S ppid pgrp ...". 0, or -1. */
static int read_stat(pid_t pid, procinfo *out)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;
	long ppid, pgrp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');     /* comm may hold spaces and parentheses */
	if (!p || sscanf(p + 1, " %c %ld %ld", &out->state, &ppid, &pgrp) != 3)
		return -1;
	out->pid = pid;
	out->ppid = (pid_t)ppid;
	out->pgrp = (pid_t)pgrp;
	return 0;
}

/* The NUL-separated environment of `pid` (caller frees), or NULL. */
static char *read_environ(pid_t pid, size_t *len)
{
	char path[64];
	tp_buf b = TP_BUF_INIT;
	char chunk[8192];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && b.len < ENVIRON_MAX)
		tp_buf_add(&b, chunk, (size_t)n);
	close(fd);
	*len = b.len;
	if (!b.len) {
		tp_buf_release(&b);
		return NULL;
	}
	return tp_buf_detach(&b);
}

static int env_has(const char *env, size_t len, const char *entry)
{
	size_t i = 0, n = strlen(entry);

	while (i < len) {
		size_t l = strnlen(env + i, len - i);
		if (l == n && memcmp(env + i, entry, n) == 0)
			return 1;
		i += l + 1;
	}
	return 0;
}

static int env_has_all(const char *env, size_t len, char *const *marker)
{
	size_t i;

	for (i = 0; marker[i]; i++)
		if (!env_has(env, len, marker[i]))
			return 0;
	return 1;
}

/* ---- judging ----------------------------------------------------------- */

static int known(const tp_exec *x, pid_t pid)
{
	size_t i;

	for (i = 0; i < x->nprocs; i++)
		if (x->procs[i]->pid == pid)
			return 1;
	for (i = 0; i < x->norphans; i++)
		if (x->orphans[i]->pid == pid)
			return 1;
	return 0;
}

/* Does a running process of ours claim this environment? */
static int claimed(const tp_exec *x, const char *env, size_t len)
{
	size_t i;

	for (i = 0; i < x->nprocs; i++)
		if (x->procs[i]->marker && env_has_all(env, len, x->procs[i]->marker))
			return 1;
	return 0;
}

/* Ours and no longer wanted? */
static int doomed(const tp_exec *x, const procinfo *pi)
{
	size_t len = 0;
	char *env;
	int r;

	if (pi->state == 'Z' || known(x, pi->pid))
		return 0;
	env = read_environ(pi->pid, &len);
	if (!env)
		return 0;
	r = env_has(env, len, x->o.run_marker) && !claimed(x, env, len);
	free(env);
	return r;
}

static void remove_orphan(tp_exec *x, tp_exec_orphan *o)
{
	size_t i;

	for (i = 0; i < x->norphans; i++) {
		if (x->orphans[i] == o) {
			x->orphans[i] = x->orphans[--x->norphans];
			break;
		}
	}
	tp_loop_del_fd(x->o.loop, o->pidfd);
	close(o->pidfd);
	free(o);
}

static void on_orphan_exit(void *ctx, int fd, unsigned events)
{
	tp_exec_orphan *o = ctx;
	pid_t got;

	(void)fd;
	(void)events;
	do
		got = waitpid(o->pid, NULL, WNOHANG);
	while (got < 0 && errno == EINTR);
	if (got != 0)
		remove_orphan(o->owner, o);
}

static void track(tp_exec *x, pid_t pid)
{
	tp_exec_orphan *o;
	int fd = tp_exec_pidfd_open(pid);

	if (fd < 0)
		return;
	o = tp_xcalloc(1, sizeof(*o));
	o->pid = pid;
	o->pidfd = fd;
	o->owner = x;
	if (tp_loop_add_fd(x->o.loop, fd, on_orphan_exit, o) < 0) {
		close(fd);
		free(o);
		return;
	}
	if (x->norphans == x->orphans_alloc) {
		x->orphans_alloc = x->orphans_alloc ? 2 * x->orphans_alloc : 8;
		x->orphans = tp_xrealloc(x->orphans, x->orphans_alloc * sizeof(*x->orphans));
	}
	x->orphans[x->norphans++] = o;
}

int tp_exec_orphans_scan(tp_exec *x)
{
	struct dirent *d;
	DIR *dir;
	int killed = 0;

	if (!x->o.run_marker || !(dir = opendir("/proc")))
		return 0;
	while ((d = readdir(dir)) != NULL) {
		procinfo pi;
		long pid;

		if (!isdigit((unsigned char)d->d_name[0]) || tp_parse_long(d->d_name, &pid) < 0)
			continue;
		if (read_stat((pid_t)pid, &pi) < 0 || pi.ppid != x->self || !doomed(x, &pi))
			continue;
		if (pi.pgrp == pi.pid)
			kill(-pi.pid, SIGKILL);
		kill(pi.pid, SIGKILL);
		track(x, pi.pid);
		killed++;
	}
	closedir(dir);
	return killed;
}

void tp_exec_orphans_release(tp_exec *x)
{
	while (x->norphans > 0) {
		tp_exec_orphan *o = x->orphans[0];
		kill(o->pid, SIGKILL);
		while (waitpid(o->pid, NULL, 0) < 0 && errno == EINTR)
			;
		remove_orphan(x, o);
	}
	free(x->orphans);
	x->orphans = NULL;
	x->orphans_alloc = 0;
}
