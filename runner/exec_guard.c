/*
 * The guard: a process forked when the executor starts that outlives the
 * runner just long enough to end its suites. The runner writes every
 * process group it starts (+pgid) and every group that is gone (-pgid) to a
 * pipe only it holds open for writing, and 0 when it stops normally. When
 * the pipe reaches end-of-file without that 0, the runner died, however it
 * died: the guard sends SIGTERM to every group still listed and to every
 * process whose environment holds the run marker, waits up to the grace
 * period for them to go, sends SIGKILL and exits.
 *
 * The marker scan catches what the list cannot: a suite the runner started
 * but had not yet listed when it died (the child runs before the parent
 * writes its pgid), and descendants that left their suite's group
 * (setsid). It signals those processes one by one, never their groups: a
 * process may have joined a group that is not ours.
 *
 * The guard makes raw system calls only, on static memory: it is forked
 * from a process that may have threads, and sanitizer runtimes intercept
 * libc calls with locks another thread may have held at the fork. It
 * blocks the terminal's signals (the runner decides what Ctrl-C means) and
 * holds no descriptor of the runner's (so nobody waits on a pipe it keeps
 * open).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "aws/error.h"
#include "runner/exec_internal.h"

#define GUARD_MAX 8192
#define GUARD_POLL_MS 100
#define GUARD_MARKER_MAX 512
#define GUARD_ENVIRON_MAX (256 * 1024)
#define GUARD_STOP 0            /* the message of a runner that stops normally */

static pid_t guard_groups[GUARD_MAX];
static size_t guard_n;
static char guard_marker[GUARD_MARKER_MAX];   /* "NAME=value", or empty */
static size_t guard_marker_len;
static char guard_env[GUARD_ENVIRON_MAX];
static long long guard_dents[2048];           /* aligned for struct dirent64 */

static long sys(long nr, long a, long b, long c, long d)
{
	return syscall(nr, a, b, c, d);
}

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
		n += sys(SYS_kill, -guard_groups[i], 0, 0, 0) == 0;
	return n;
}

static void guard_signal(int sig)
{
	size_t i;

	for (i = 0; i < guard_n; i++)
		sys(SYS_kill, -guard_groups[i], sig, 0, 0);
}

/* ---- the marker scan ------------------------------------------------------ */

static int same(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* "/proc/" NAME "/environ" into `path` (NAME all digits, short). */
static void environ_path(char *path, const char *name)
{
	static const char pre[] = "/proc/", post[] = "/environ";
	size_t n = 0, i;

	for (i = 0; pre[i]; i++)
		path[n++] = pre[i];
	for (i = 0; name[i]; i++)
		path[n++] = name[i];
	for (i = 0; post[i]; i++)
		path[n++] = post[i];
	path[n] = '\0';
}

/* Does the environment of /proc/NAME hold the marker as a whole entry? */
static int has_marker(const char *name)
{
	char path[64];
	size_t len = 0, i = 0;
	long fd, n;

	environ_path(path, name);
	fd = sys(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	while (len < sizeof(guard_env) &&
	       (n = sys(SYS_read, fd, (long)(guard_env + len), (long)(sizeof(guard_env) - len), 0)) > 0)
		len += (size_t)n;
	sys(SYS_close, fd, 0, 0, 0);
	while (i < len) {               /* entry by entry, each ended by NUL */
		size_t l = 0;
		while (i + l < len && guard_env[i + l])
			l++;
		if (l == guard_marker_len && same(guard_env + i, guard_marker, l))
			return 1;
		i += l + 1;
	}
	return 0;
}

static long parse_pid(const char *s)
{
	long v = 0;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > 1L << 40)
			return 0;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/* Send `sig` (0: only count) to every other process whose environment holds
 * the marker; how many there are. */
static int guard_scan(int sig)
{
	long self = sys(SYS_getpid, 0, 0, 0, 0), fd, n, off;
	int found = 0;

	if (!guard_marker_len)
		return 0;
	fd = sys(SYS_openat, AT_FDCWD, (long)"/proc", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	while ((n = sys(SYS_getdents64, fd, (long)guard_dents, sizeof(guard_dents), 0)) > 0) {
		for (off = 0; off < n;) {
			struct dirent64 *d = (struct dirent64 *)((char *)guard_dents + off);
			long pid = parse_pid(d->d_name);

			off += d->d_reclen;
			if (pid <= 0 || pid == self || !has_marker(d->d_name))
				continue;
			found++;
			if (sig)
				sys(SYS_kill, pid, sig, 0, 0);
		}
	}
	sys(SYS_close, fd, 0, 0, 0);
	return found;
}

/* ---- the guard process ---------------------------------------------------- */

static void guard_sleep(long ms)
{
	struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };

	sys(SYS_nanosleep, (long)&t, 0, 0, 0);
}

static void guard_setup(int rfd, const char *marker)
{
	uint64_t all = ~(uint64_t)0;
	long null, fd;
	size_t n = 0;

	sys(SYS_prctl, PR_SET_NAME, (long)"tidepool-guard", 0, 0);
	sys(SYS_rt_sigprocmask, SIG_SETMASK, (long)&all, 0, sizeof(all));
	while (marker && marker[n] && n + 1 < sizeof(guard_marker)) {
		guard_marker[n] = marker[n];
		n++;
	}
	guard_marker_len = marker && !marker[n] ? n : 0;    /* too long: no scan */
	null = sys(SYS_openat, AT_FDCWD, (long)"/dev/null", O_RDWR, 0);
	for (fd = 0; null >= 0 && fd < 3; fd++)
		if (fd != null)
			sys(SYS_dup3, null, fd, 0, 0);
	if (rfd != 3)
		sys(SYS_dup3, rfd, 3, 0, 0);
	if (sys(SYS_close_range, 4, ~0U, 0, 0) < 0)
		for (fd = 4; fd < 1024; fd++)
			sys(SYS_close, fd, 0, 0, 0);
}

static __attribute__((noreturn)) void guard_exit(void)
{
	for (;;)
		sys(SYS_exit_group, 0, 0, 0, 0);
}

static __attribute__((noreturn)) void guard_main(int rfd, const char *marker, int64_t grace_ms)
{
	int32_t msg;
	int64_t waited;
	int round;

	guard_setup(rfd, marker);
	for (;;) {
		long n = sys(SYS_read, 3, (long)&msg, sizeof(msg), 0);
		if (n == (long)sizeof(msg) && msg == GUARD_STOP)
			guard_exit();
		if (n == (long)sizeof(msg))
			guard_note(msg);
		else if (n < 0 && errno == EINTR)
			continue;
		else
			break;
	}
	/* The runner died. */
	guard_signal(SIGTERM);
	guard_scan(SIGTERM);
	for (waited = 0; waited < grace_ms && (guard_alive() || guard_scan(0)); waited += GUARD_POLL_MS)
		guard_sleep(GUARD_POLL_MS);
	/* Again until nothing is left: a process may fork while it is killed. */
	for (round = 0; round < 20; round++) {
		guard_signal(SIGKILL);
		if (!guard_scan(SIGKILL))
			break;
		guard_sleep(GUARD_POLL_MS / 2);
	}
	guard_exit();
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
		sys(SYS_close, fds[1], 0, 0, 0);
		guard_main(fds[0], x->o.run_marker, TP_EXEC_GRACE_MS);
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
	send_msg(x, GUARD_STOP);
	close(x->guard_fd);
	x->guard_fd = -1;
	while (waitpid(x->guard_pid, NULL, 0) < 0 && errno == EINTR)
		;
}
