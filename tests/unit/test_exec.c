/*
 * Suite processes: environment, working directory and log; exit codes;
 * timeouts with SIGTERM then SIGKILL after the grace; termination; and no
 * survivor: background members of the group, processes that left the
 * group (setsid), and the groups of a runner killed with SIGKILL (guard),
 * with what the guard was never told of (the run marker).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/exec.h"
#include "runner/run_loop.h"
#include "tests/support/testutil.h"

#define MARKER "TIDEPOOL_RUN_ID=test-exec"

typedef struct fixture {
	tp_loop *loop;
	tp_exec *x;
	char *dir;
	tp_exec_result results[8];
	int ndone;
} fixture;

static void on_done(void *ctx, const tp_exec_result *r)
{
	fixture *f = ctx;

	f->results[f->ndone++] = *r;
}

static int setup(void **state)
{
	fixture *f = tp_xcalloc(1, sizeof(*f));
	tp_exec_opts o = TP_EXEC_OPTS_INIT;

	assert_int_equal(tp_loop_new(&f->loop), 0);
	o.loop = f->loop;
	o.done = on_done;
	o.ctx = f;
	o.run_marker = MARKER;
	o.scan_ms = 100;
	assert_int_equal(tp_exec_new(&f->x, &o), 0);
	f->dir = tp_test_tmpdir("exec");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;

	tp_exec_free(f->x);
	tp_loop_free(f->loop);
	tp_test_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* Run the loop until `n` processes ended (fails after `ms`). */
static void wait_done(fixture *f, int n, int64_t ms)
{
	int64_t until = tp_now_ms() + ms;

	while (f->ndone < n) {
		if (tp_now_ms() > until)
			fail_msg("only %d of %d processes ended within %lld ms", f->ndone, n,
				 (long long)ms);
		tp_loop_run_once(f->loop, 50);
	}
}

static char *slurp(const char *path)
{
	char *data = NULL;
	size_t len;

	if (tp_read_file(path, &data, &len) < 0)
		return tp_xstrdup("");
	return data;
}

/* Wait until no process of group `pgid` exists; fails after `ms`. */
static void assert_group_gone(pid_t pgid, int64_t ms)
{
	int64_t until = tp_now_ms() + ms;

	while (kill(-pgid, 0) == 0) {
		siginfo_t si;
		/* members adopted by this (subreaper) test process */
		while (waitid(P_PGID, (id_t)pgid, &si, WEXITED | WNOHANG) == 0 && si.si_pid)
			;
		if (tp_now_ms() > until)
			fail_msg("process group %d still has members", (int)pgid);
		tp_sleep_ms(20);
	}
	assert_int_equal(errno, ESRCH);
}

static pid_t read_pid(const char *path, int64_t ms)
{
	int64_t until = tp_now_ms() + ms;
	long pid = 0;

	for (;;) {
		char *s = slurp(path);
		s[strcspn(s, "\n")] = '\0';
		if (tp_parse_long(s, &pid) == 0 && pid > 0) {
			free(s);
			return (pid_t)pid;
		}
		free(s);
		if (tp_now_ms() > until)
			fail_msg("no pid in %s", path);
		tp_sleep_ms(20);
	}
}

static void test_exec__env_cwd_log_and_exit_code(void **state)
{
	fixture *f = *state;
	char *env[] = { "PATH=/usr/bin:/bin", "SUITE_WORD=hello", MARKER, NULL };
	char *log = tp_xasprintf("%s/a.log", f->dir), *data;
	tp_exec_spec s = TP_EXEC_SPEC_INIT;
	int pid = 0;

	s.command = "echo out $SUITE_WORD; echo err >&2; pwd; read x || echo stdin-empty; exit 3";
	s.cwd = f->dir;
	s.envp = env;
	s.log_path = log;
	s.tag = f;
	assert_int_equal(tp_exec_start(f->x, &s, &pid), 0);
	assert_true(pid > 0);
	assert_int_equal(tp_exec_running(f->x), 1);
	wait_done(f, 1, 10000);
	assert_int_equal(f->results[0].exit_code, 3);
	assert_int_equal(f->results[0].signal, 0);
	assert_int_equal(f->results[0].timed_out, 0);
	assert_ptr_equal(f->results[0].tag, f);
	assert_int_equal(f->results[0].pid, pid);
	assert_int_equal(tp_exec_running(f->x), 0);
	data = slurp(log);
	assert_non_null(strstr(data, "out hello\n"));
	assert_non_null(strstr(data, "err\n"));
	assert_non_null(strstr(data, f->dir));
	assert_non_null(strstr(data, "stdin-empty"));
	free(data);
	free(log);
}

/* The group leader ignores SIGTERM: SIGKILL after the grace; its background
 * child is gone too. */
static void test_exec__timeout_term_then_kill(void **state)
{
	fixture *f = *state;
	char *env[] = { "PATH=/usr/bin:/bin", MARKER, NULL };
	char *log = tp_xasprintf("%s/t.log", f->dir);
	tp_exec_spec s = TP_EXEC_SPEC_INIT;
	int64_t t0 = tp_now_ms(), took;
	int pid = 0;

	s.command = "trap '' TERM; sleep 300 & echo started; while :; do sleep 0.05; done";
	s.envp = env;
	s.log_path = log;
	s.timeout_ms = 300;
	s.grace_ms = 400;
	assert_int_equal(tp_exec_start(f->x, &s, &pid), 0);
	wait_done(f, 1, 10000);
	took = tp_now_ms() - t0;
	assert_int_equal(f->results[0].timed_out, 1);
	assert_int_equal(f->results[0].signal, SIGKILL);
	assert_int_equal(f->results[0].exit_code, 128 + SIGKILL);
	assert_true(took >= 700);
	assert_true(took < 5000);
	assert_group_gone(pid, 3000);
	free(log);
}

/* Two `sleep 300` in groups of their own, logging to DIR/NAME (returned, to free). */
static char *start_two_sleepers(fixture *f, const char *name, int pids[2])
{
	char *env[] = { "PATH=/usr/bin:/bin", MARKER, NULL };
	char *log = tp_xasprintf("%s/%s", f->dir, name);
	tp_exec_spec s = TP_EXEC_SPEC_INIT;
	int i;

	s.command = "sleep 300";
	s.envp = env;
	s.log_path = log;
	for (i = 0; i < 2; i++)
		assert_int_equal(tp_exec_start(f->x, &s, &pids[i]), 0);
	tp_sleep_ms(100);
	return log;
}

/* A leader that honours SIGTERM ends within the grace. */
static void test_exec__terminate_all(void **state)
{
	fixture *f = *state;
	int pids[2], i;
	char *log = start_two_sleepers(f, "i.log", pids);

	tp_exec_terminate_all(f->x);
	wait_done(f, 2, 5000);
	for (i = 0; i < 2; i++) {
		assert_int_equal(f->results[i].terminated, 1);
		assert_int_equal(f->results[i].signal, SIGTERM);
		assert_group_gone(pids[i], 3000);
	}
	free(log);
}

/* One group is stopped (a lost lease); the other runs on. */
static void test_exec__terminate_one(void **state)
{
	fixture *f = *state;
	int pids[2];
	char *log = start_two_sleepers(f, "t.log", pids);

	assert_int_equal(tp_exec_terminate(f->x, pids[0]), 0);
	wait_done(f, 1, 5000);
	assert_int_equal(f->results[0].pid, pids[0]);
	assert_int_equal(f->results[0].terminated, 1);
	assert_int_equal(f->results[0].signal, SIGTERM);
	assert_group_gone(pids[0], 3000);
	tp_loop_run_once(f->loop, 300);
	assert_int_equal(f->ndone, 1);               /* the other still runs */
	assert_int_equal(kill(pids[1], 0), 0);
	assert_int_equal(tp_exec_running(f->x), 1);
	assert_int_equal(tp_exec_terminate(f->x, pids[0]), TP_ENOTFOUND);   /* already ended */
	free(log);
}

/* A grandchild that left the group (setsid) is adopted, recognised by the
 * run marker, and killed once its suite ended; one of a suite still running
 * is left alone. */
static void test_exec__escaped_orphan_killed(void **state)
{
	fixture *f = *state;
	char *env_a[] = { "PATH=/usr/bin:/bin", MARKER, "TIDEPOOL_SUITE=a", NULL };
	char *env_b[] = { "PATH=/usr/bin:/bin", MARKER, "TIDEPOOL_SUITE=b", NULL };
	const char *mark_a[] = { MARKER, "TIDEPOOL_SUITE=a", NULL };
	const char *mark_b[] = { MARKER, "TIDEPOOL_SUITE=b", NULL };
	char *pidfile = tp_xasprintf("%s/escaped.pid", f->dir);
	char *cmd = tp_xasprintf("setsid sleep 300 & echo $! > %s; exit 0", pidfile);
	char *log = tp_xasprintf("%s/o.log", f->dir);
	tp_exec_spec a = TP_EXEC_SPEC_INIT, b = TP_EXEC_SPEC_INIT;
	pid_t escaped;
	int pid_b;

	b.command = "sleep 300";
	b.envp = env_b;
	b.log_path = log;
	b.marker = mark_b;
	assert_int_equal(tp_exec_start(f->x, &b, &pid_b), 0);
	a.command = cmd;
	a.envp = env_a;
	a.log_path = log;
	a.marker = mark_a;
	assert_int_equal(tp_exec_start(f->x, &a, NULL), 0);
	wait_done(f, 1, 5000);
	escaped = read_pid(pidfile, 2000);
	/* the periodic scan (100 ms here) finds and kills it */
	{
		int64_t until = tp_now_ms() + 5000;
		while (kill(escaped, 0) == 0 && tp_now_ms() < until)
			tp_loop_run_once(f->loop, 50);
	}
	assert_int_equal(kill(escaped, 0), -1);
	assert_int_equal(kill(-pid_b, 0), 0);      /* b still runs */
	tp_exec_kill_all(f->x);
	wait_done(f, 2, 5000);
	free(pidfile);
	free(cmd);
	free(log);
}

/* In a forked child, a runner with a guard: runs `cmd` through the executor
 * and, when `unlisted` is given, that command in a group of its own that the
 * executor (and so the guard) never hears of; writes the suite's pid to
 * `ready` once tp_exec_start returned (so the guard has been told of its
 * group); then loops until killed. */
static __attribute__((noreturn)) void guarded_runner(fixture *f, const char *marker, char **env,
						     char *cmd, char *unlisted, int ready)
{
	tp_exec_opts o = TP_EXEC_OPTS_INIT;
	tp_exec_spec s = TP_EXEC_SPEC_INIT;
	tp_loop *loop = NULL;
	tp_exec *x = NULL;
	int pid = 0;

	tp_loop_new(&loop);
	o.loop = loop;
	o.done = on_done;
	o.ctx = f;
	o.guard = 1;
	o.run_marker = marker;
	if (tp_exec_new(&x, &o) < 0)
		_exit(2);
	s.command = cmd;
	s.envp = env;
	s.log_path = tp_xasprintf("%s/g.log", f->dir);
	if (tp_exec_start(x, &s, &pid) < 0)
		_exit(3);
	if (unlisted && fork() == 0) {
		setpgid(0, 0);
		execle("/bin/sh", "sh", "-c", unlisted, (char *)NULL, env);
		_exit(127);
	}
	if (write(ready, &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		_exit(4);
	for (;;)
		tp_loop_run_once(loop, 1000);
}

/* Fork a guarded_runner; returns its pid and sets *suite to the pid (and
 * group) of the suite it started, once the runner has told its guard. */
static pid_t fork_guarded_runner(fixture *f, const char *marker, char **env, char *cmd,
				 char *unlisted, pid_t *suite)
{
	int fds[2], pid = 0;
	pid_t runner;

	assert_int_equal(pipe(fds), 0);
	runner = fork();
	assert_true(runner >= 0);
	if (runner == 0) {
		close(fds[0]);
		guarded_runner(f, marker, env, cmd, unlisted, fds[1]);
	}
	close(fds[1]);
	if (read(fds[0], &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		fail_msg("the guarded runner ended before it started its suite");
	close(fds[0]);
	*suite = (pid_t)pid;
	return runner;
}

/* The runner dies by SIGKILL: the guard ends its suites' groups. Without a
 * run marker only the list can find them, so the runner is killed after it
 * told the guard (a real run always has a marker, which also finds a group
 * not yet listed: the next test). */
static void test_exec__guard_after_sigkill(void **state)
{
	fixture *f = *state;
	char *pidfile = tp_xasprintf("%s/guarded.pid", f->dir);
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	char *cmd = tp_xasprintf("echo $$ > %s; sleep 300", pidfile);
	pid_t runner, group;
	int status;

	runner = fork_guarded_runner(f, NULL, env, cmd, NULL, &group);
	assert_int_equal(read_pid(pidfile, 5000), group);
	assert_int_equal(kill(-group, 0), 0);
	kill(runner, SIGKILL);
	assert_int_equal(waitpid(runner, &status, 0), runner);
	assert_group_gone(group, 5000);
	free(cmd);
	free(pidfile);
}

/* `pid` exited and, if this (subreaper) process adopted it, was reaped. */
static void assert_pid_gone(pid_t pid, int64_t ms)
{
	int64_t until = tp_now_ms() + ms;

	while (kill(pid, 0) == 0) {
		waitpid(pid, NULL, WNOHANG);
		if (tp_now_ms() > until)
			fail_msg("process %d is still there", (int)pid);
		tp_sleep_ms(20);
	}
	assert_int_equal(errno, ESRCH);
}

/* The runner dies by SIGKILL before it could tell the guard of a group it
 * started, and a suite's child has left its group: the guard finds both by
 * the run marker in their environment. */
static void test_exec__guard_finds_the_unlisted_by_marker(void **state)
{
	fixture *f = *state;
	char *unlisted = tp_xasprintf("%s/unlisted.pid", f->dir);
	char *escaped = tp_xasprintf("%s/escaped.pid", f->dir);
	char *listed = tp_xasprintf("%s/listed.pid", f->dir);
	char *marker = tp_xasprintf("TIDEPOOL_RUN_ID=guard-%d", (int)getpid());
	char *env[] = { "PATH=/usr/bin:/bin", marker, NULL };
	char *cmd = tp_xasprintf("setsid sleep 300 & echo $! > %s; echo $$ > %s; exec sleep 300",
				 escaped, listed);
	char *other = tp_xasprintf("echo $$ > %s; exec sleep 300", unlisted);
	pid_t runner, pids[3], suite;
	int status, i;

	runner = fork_guarded_runner(f, marker, env, cmd, other, &suite);
	pids[0] = read_pid(listed, 5000);
	assert_int_equal(pids[0], suite);
	pids[1] = read_pid(escaped, 5000);
	pids[2] = read_pid(unlisted, 5000);
	for (i = 0; i < 3; i++)
		assert_int_equal(kill(pids[i], 0), 0);
	kill(runner, SIGKILL);
	assert_int_equal(waitpid(runner, &status, 0), runner);
	for (i = 0; i < 3; i++)
		assert_pid_gone(pids[i], 5000);
	free(cmd);
	free(other);
	free(unlisted);
	free(escaped);
	free(listed);
	free(marker);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exec__env_cwd_log_and_exit_code, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec__timeout_term_then_kill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec__terminate_all, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec__terminate_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec__escaped_orphan_killed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec__guard_after_sigkill, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec__guard_finds_the_unlisted_by_marker, setup,
						teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
