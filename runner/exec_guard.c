/*
 * The guard: a process forked when the executor starts that outlives the
 * runner just long enough to end its suites. The runner writes every
 * process group it starts (+pgid) and every group that is gone (-pgid) to a
 * pipe only it holds open for writing. When the pipe reaches end-of-file
 * the runner is gone, however it died: the guard sends SIGTERM to every
 * group still listed, waits up to the grace period for them to go, sends
 * SIGKILL and exits.
 *
 * The guard runs nothing but async-signal-safe calls on static memory (it
 * is forked from a process that may have threads), ignores the terminal's
 * signals (the runner decides what Ctrl-C means) and holds no descriptor
 * of the runner's (so nobody waits on a pipe it keeps open).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aws/error.h"
#include "runner/exec_internal.h"

#define GUARD_MAX 8192
#define GUARD_POLL_MS 100

static pid_t guard_groups[GUARD_MAX];
static size_t guard_n;

static void guard_note(int32_t msg)
{
	size_t i;

	if (msg > 0) {
		if (guard_n < GUARD_MAX)
			guard_groups[guard_n++] = (pid_t)msg;
		return;
	}
	for (i = 0; i < guard_n; i++) {
		if (guard_groups[i] == (pid_t)-msg) {
			guard_groups[i] = guard_groups[--guard_n];
			return;
		}
	}
}

static int guard_alive(void)
{
	size_t i;
	int n = 0;

	for (i = 0; i < guard_n; i++)
		n += kill(-guard_groups[i], 0) == 0;
	return n;
}

static void guard_signal(int sig)
{
	size_t i;

	for (i = 0; i < guard_n; i++)
		kill(-guard_groups[i], sig);
}

static void guard_setup(int rfd)
{
	struct sigaction ign;
	sigset_t none;
	int null = open("/dev/null", O_RDWR);

	prctl(PR_SET_NAME, "tidepool-guard");
	memset(&ign, 0, sizeof(ign));
	ign.sa_handler = SIG_IGN;
	sigaction(SIGINT, &ign, NULL);
	sigaction(SIGTERM, &ign, NULL);
	sigaction(SIGHUP, &ign, NULL);
	sigaction(SIGQUIT, &ign, NULL);
	sigaction(SIGPIPE, &ign, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	dup2(rfd, 3);
	close_range(4, ~0U, 0);
}

static __attribute__((noreturn)) void guard_main(int rfd, int64_t grace_ms)
{
	struct timespec tick = { 0, GUARD_POLL_MS * 1000000L };
	int32_t msg;
	int64_t waited;

	guard_setup(rfd);
	for (;;) {
		ssize_t n = read(3, &msg, sizeof(msg));
		if (n == (ssize_t)sizeof(msg))
			guard_note(msg);
		else if (n < 0 && errno == EINTR)
			continue;
		else
			break;
	}
	if (guard_n == 0)
		_exit(0);
	guard_signal(SIGTERM);
	for (waited = 0; waited < grace_ms && guard_alive(); waited += GUARD_POLL_MS)
		nanosleep(&tick, NULL);
	guard_signal(SIGKILL);
	_exit(0);
}

int tp_exec_guard_start(tp_exec *x)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return tp_error_set(TP_ERROR, "guard: pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return tp_error_set(TP_ERROR, "guard: fork: %s", strerror(errno));
	}
	if (pid == 0) {
		close(fds[1]);
		guard_main(fds[0], TP_EXEC_GRACE_MS);
	}
	close(fds[0]);
	x->guard_fd = fds[1];
	x->guard_pid = pid;
	return 0;
}

static void send_msg(tp_exec *x, int32_t msg)
{
	ssize_t n;

	if (x->guard_fd < 0)
		return;
	do
		n = write(x->guard_fd, &msg, sizeof(msg));
	while (n < 0 && errno == EINTR);
}

void tp_exec_guard_add(tp_exec *x, pid_t pgid)
{
	send_msg(x, (int32_t)pgid);
}

void tp_exec_guard_remove(tp_exec *x, pid_t pgid)
{
	send_msg(x, -(int32_t)pgid);
}

void tp_exec_guard_stop(tp_exec *x)
{
	if (x->guard_fd < 0)
		return;
	close(x->guard_fd);
	x->guard_fd = -1;
	while (waitpid(x->guard_pid, NULL, 0) < 0 && errno == EINTR)
		;
}
