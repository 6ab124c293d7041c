/*
 * Suite processes (see exec.h): posix_spawn (vfork-like, cheap even with
 * hundreds running) of /bin/sh -c in a new process group, a pidfd per
 * leader on the loop, timers for timeouts and grace periods. Only specific
 * pids and groups are ever waited for, so children of other code in the
 * process (the moto launcher, credential_process) are never reaped here.
 */
#include "runner/exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/exec_internal.h"

#define REAP_RETRY_MS 50
#define DEFAULT_SCAN_MS 2000
#define FREE_WAIT_MS 2000

static void arm_scan(tp_exec *x);

int tp_exec_new(tp_exec **out, const tp_exec_opts *opts)
{
	tp_exec *x = tp_xcalloc(1, sizeof(*x));

	*out = NULL;
	x->o = *opts;
	if (!x->o.scan_ms)
		x->o.scan_ms = DEFAULT_SCAN_MS;
	x->self = getpid();
	x->guard_fd = -1;
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) {
		free(x);
		return tp_error_set(TP_ERROR, "prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
	}
	if (x->o.guard && tp_exec_guard_start(x) < 0) {
		free(x);
		return -1;
	}
	*out = x;
	return 0;
}

static char **copy_marker(const char *const *m)
{
	size_t n = 0, i;
	char **c;

	if (!m || !m[0])
		return NULL;
	while (m[n])
		n++;
	c = tp_xcalloc(n + 1, sizeof(*c));
	for (i = 0; i < n; i++)
		c[i] = tp_xstrdup(m[i]);
	return c;
}

static void proc_free(tp_exec_proc *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; p->marker && p->marker[i]; i++)
		free(p->marker[i]);
	free(p->marker);
	if (p->pidfd >= 0)
		close(p->pidfd);
	free(p);
}

static void proc_remove(tp_exec *x, tp_exec_proc *p)
{
	size_t i;

	for (i = 0; i < x->nprocs; i++) {
		if (x->procs[i] == p) {
			x->procs[i] = x->procs[--x->nprocs];
			return;
		}
	}
}

/* ---- ending ------------------------------------------------------------ */

static void on_reap_retry(void *ctx)
{
	tp_exec *x = ctx;
	size_t i = 0;

	x->reap_timer = 0;
	while (i < x->ngroups) {
		if (tp_exec_reap_group(x->groups[i])) {
			i++;
			continue;
		}
		tp_exec_guard_remove(x, x->groups[i]);
		x->groups[i] = x->groups[--x->ngroups];
	}
	if (x->ngroups > 0)
		x->reap_timer = tp_loop_timer_add(x->o.loop, tp_now_ms() + REAP_RETRY_MS,
						  on_reap_retry, x);
}

static void add_group(tp_exec *x, pid_t pgid)
{
	if (x->ngroups == x->groups_alloc) {
		x->groups_alloc = x->groups_alloc ? 2 * x->groups_alloc : 16;
		x->groups = tp_xrealloc(x->groups, x->groups_alloc * sizeof(*x->groups));
	}
	x->groups[x->ngroups++] = pgid;
}

/* The leader exited and was reaped: reap what is left of its group (already
 * SIGKILLed), retrying on a timer while members are still dying. */
static void finish_group(tp_exec *x, pid_t pgid)
{
	if (!tp_exec_reap_group(pgid)) {
		tp_exec_guard_remove(x, pgid);
		return;
	}
	add_group(x, pgid);
	if (!x->reap_timer)
		x->reap_timer = tp_loop_timer_add(x->o.loop, tp_now_ms() + REAP_RETRY_MS,
						  on_reap_retry, x);
}

static void on_exit_fd(void *ctx, int fd, unsigned events)
{
	tp_exec_proc *p = ctx;
	tp_exec *x = p->owner;
	tp_exec_result r;
	int status = 0;
	pid_t got;

	(void)fd;
	(void)events;
	/* Kill the rest of the group before reaping: the zombie leader keeps
	 * the group id from being reused. */
	kill(-p->pid, SIGKILL);
	do
		got = waitpid(p->pid, &status, WNOHANG);
	while (got < 0 && errno == EINTR);
	if (got == 0)
		return;      /* spurious wake-up */
	memset(&r, 0, sizeof(r));
	r.tag = p->tag;
	r.pid = p->pid;
	r.timed_out = p->timed_out;
	r.terminated = p->terminated;
	r.start_ms = p->start_ms;
	r.end_ms = tp_now_ms();
	if (got > 0 && WIFSIGNALED(status)) {
		r.signal = WTERMSIG(status);
		r.exit_code = 128 + r.signal;
	} else {
		r.exit_code = got > 0 ? WEXITSTATUS(status) : 127;
	}
	tp_loop_del_fd(x->o.loop, p->pidfd);
	tp_loop_timer_cancel(x->o.loop, p->timer);
	proc_remove(x, p);
	finish_group(x, p->pid);
	proc_free(p);
	if (x->nprocs == 0)
		tp_exec_orphans_scan(x);
	x->o.done(x->o.ctx, &r);
}

/* ---- timeouts and termination ----------------------------------------- */

static void on_kill_timer(void *ctx)
{
	tp_exec_proc *p = ctx;

	p->timer = 0;
	kill(-p->pid, SIGKILL);
}

static void send_term(tp_exec_proc *p)
{
	if (p->term_sent)
		return;
	p->term_sent = 1;
	kill(-p->pid, SIGTERM);
	tp_loop_timer_cancel(p->owner->o.loop, p->timer);
	p->timer = tp_loop_timer_add(p->owner->o.loop, tp_now_ms() + p->grace_ms,
				     on_kill_timer, p);
}

static void on_timeout(void *ctx)
{
	tp_exec_proc *p = ctx;

	p->timer = 0;
	p->timed_out = 1;
	send_term(p);
}

/* SIGTERM now, SIGKILL after the grace; reported terminated unless it timed out. */
static void terminate(tp_exec_proc *p)
{
	if (!p->timed_out)
		p->terminated = 1;
	send_term(p);
}

void tp_exec_terminate_all(tp_exec *x)
{
	size_t i;

	for (i = 0; i < x->nprocs; i++)
		terminate(x->procs[i]);
}

int tp_exec_terminate(tp_exec *x, int pid)
{
	size_t i;

	for (i = 0; i < x->nprocs; i++) {
		if (x->procs[i]->pid == pid) {
			terminate(x->procs[i]);
			return 0;
		}
	}
	return TP_ENOTFOUND;
}

void tp_exec_kill_all(tp_exec *x)
{
	size_t i;

	for (i = 0; i < x->nprocs; i++)
		kill(-x->procs[i]->pid, SIGKILL);
}

size_t tp_exec_running(const tp_exec *x)
{
	return x->nprocs;
}

/* ---- starting ---------------------------------------------------------- */

static int setup_spawn(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at, int logfd,
		       const char *cwd)
{
	sigset_t none, dfl;

	posix_spawn_file_actions_init(fa);
	posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(fa, logfd, 1);
	posix_spawn_file_actions_adddup2(fa, logfd, 2);
	if (cwd)
		posix_spawn_file_actions_addchdir_np(fa, cwd);
	posix_spawnattr_init(at);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGQUIT);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGCHLD);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(at, &none);
	posix_spawnattr_setsigdefault(at, &dfl);
	posix_spawnattr_setpgroup(at, 0);
	return posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					    POSIX_SPAWN_SETSIGDEF);
}

static int spawn(pid_t *pid, const tp_exec_spec *spec, int logfd)
{
	char *argv[] = { "sh", "-c", (char *)spec->command, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	int rc;

	setup_spawn(&fa, &at, logfd, spec->cwd);
	rc = posix_spawn(pid, "/bin/sh", &fa, &at, argv, spec->envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0)
		return tp_error_set(TP_ERROR, "cannot start /bin/sh -c %s%s: %s",
				    spec->cwd ? "in " : "", spec->cwd ? spec->cwd : "", strerror(rc));
	return 0;
}

static int watch(tp_exec *x, tp_exec_proc *p, const tp_exec_spec *spec)
{
	p->pidfd = tp_exec_pidfd_open(p->pid);
	if (p->pidfd < 0 || tp_loop_add_fd(x->o.loop, p->pidfd, on_exit_fd, p) < 0) {
		kill(-p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
		return tp_error_set(TP_ERROR, "cannot watch process %d: %s", (int)p->pid,
				    strerror(errno));
	}
	if (spec->timeout_ms > 0)
		p->timer = tp_loop_timer_add(x->o.loop, p->start_ms + spec->timeout_ms,
					     on_timeout, p);
	return 0;
}

int tp_exec_start(tp_exec *x, const tp_exec_spec *spec, int *pid)
{
	tp_exec_proc *p = NULL;
	int logfd, rc = -1;

	logfd = open(spec->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (logfd < 0)
		return tp_error_set(TP_ERROR, "cannot open the log %s: %s", spec->log_path,
				    strerror(errno));
	p = tp_xcalloc(1, sizeof(*p));
	p->pidfd = -1;
	p->owner = x;
	p->tag = spec->tag;
	p->grace_ms = spec->grace_ms > 0 ? spec->grace_ms : TP_EXEC_GRACE_MS;
	p->marker = copy_marker(spec->marker);
	p->start_ms = tp_now_ms();
	if (spawn(&p->pid, spec, logfd) < 0)
		goto done;
	tp_exec_guard_add(x, p->pid);
	if (watch(x, p, spec) < 0) {
		tp_exec_guard_remove(x, p->pid);
		goto done;
	}
	if (x->nprocs == x->procs_alloc) {
		x->procs_alloc = x->procs_alloc ? 2 * x->procs_alloc : 32;
		x->procs = tp_xrealloc(x->procs, x->procs_alloc * sizeof(*x->procs));
	}
	x->procs[x->nprocs++] = p;
	if (pid)
		*pid = p->pid;
	p = NULL;
	arm_scan(x);
	rc = 0;
done:
	close(logfd);
	proc_free(p);
	return rc;
}

/* ---- the periodic orphan scan ----------------------------------------- */

static void on_scan(void *ctx)
{
	tp_exec *x = ctx;

	x->scan_timer = 0;
	tp_exec_orphans_scan(x);
	arm_scan(x);
}

static void arm_scan(tp_exec *x)
{
	if (!x->scan_timer && x->nprocs > 0 && x->o.run_marker)
		x->scan_timer = tp_loop_timer_add(x->o.loop, tp_now_ms() + x->o.scan_ms, on_scan, x);
}

int tp_exec_scan_orphans(tp_exec *x)
{
	return tp_exec_orphans_scan(x);
}

/* Reap every dying group, waiting up to FREE_WAIT_MS for SIGKILLed members. */
static void drain_groups(tp_exec *x)
{
	int64_t until = tp_now_ms() + FREE_WAIT_MS;
	size_t i;

	while (x->ngroups > 0) {
		for (i = 0; i < x->ngroups;) {
			if (tp_exec_reap_group(x->groups[i]) && tp_now_ms() < until) {
				i++;
				continue;
			}
			tp_exec_guard_remove(x, x->groups[i]);
			x->groups[i] = x->groups[--x->ngroups];
		}
		if (x->ngroups > 0)
			tp_sleep_ms(5);
	}
}

void tp_exec_free(tp_exec *x)
{
	size_t i;

	if (!x)
		return;
	for (i = 0; i < x->nprocs; i++) {
		tp_exec_proc *p = x->procs[i];
		kill(-p->pid, SIGKILL);
		while (waitpid(p->pid, NULL, 0) < 0 && errno == EINTR)
			;
		tp_loop_del_fd(x->o.loop, p->pidfd);
		tp_loop_timer_cancel(x->o.loop, p->timer);
		add_group(x, p->pid);
		proc_free(p);
	}
	for (i = 0; i < x->ngroups; i++)
		kill(-x->groups[i], SIGKILL);
	drain_groups(x);
	tp_loop_timer_cancel(x->o.loop, x->scan_timer);
	tp_loop_timer_cancel(x->o.loop, x->reap_timer);
	tp_exec_orphans_scan(x);
	tp_exec_orphans_release(x);
	tp_exec_guard_stop(x);
	free(x->procs);
	free(x->groups);
	free(x);
}
