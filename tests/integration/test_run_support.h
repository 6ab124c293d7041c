/*
 * Helpers shared by the `tidepool run` integration tests (test_run_*.c):
 * starting the binary in the background as a terminal would (its own
 * process group, so Ctrl-C can be sent to the group), waiting for it with
 * a deadline, reading JSON files, checking process groups.
 *
 * Header-only (static inline) so each test stays one source file.
 */
#ifndef TP_TEST_RUN_SUPPORT_H
#define TP_TEST_RUN_SUPPORT_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/local.h"
#include "aws/util.h"
#include "tests/support/testutil.h"

/* Start argv with `env_add` ("NAME=value"; "NAME=" unsets) in a new process
 * group, stdout and stderr to files, stdin from /dev/null. */
static inline pid_t run_bg(char *const argv[], char *const env_add[], const char *out_path,
			   const char *err_path)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	setpgid(0, 0);
	{
		int in = open("/dev/null", O_RDONLY);
		int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(in, 0);
		dup2(out, 1);
		dup2(err, 2);
		tp_test_apply_env(env_add);
		execvp(argv[0], argv);
		_exit(127);
	}
}

/* The environment of a command against local AWS `l` (its endpoint and
 * keys, a region, no profile or session token) into env[0..5]; env[6]
 * stays NULL. run_env_free releases it. */
static inline void run_env_moto(char **env, const tp_local *l)
{
	env[0] = tp_xasprintf("AWS_ENDPOINT_URL=%s", tp_local_endpoint(l));
	env[1] = tp_xasprintf("AWS_ACCESS_KEY_ID=%s", tp_local_access_key(l));
	env[2] = tp_xasprintf("AWS_SECRET_ACCESS_KEY=%s", tp_local_secret_key(l));
	env[3] = tp_xstrdup("AWS_REGION=us-east-1");
	env[4] = tp_xstrdup("AWS_PROFILE=");
	env[5] = tp_xstrdup("AWS_SESSION_TOKEN=");
}

static inline void run_env_free(char **env)
{
	size_t i;

	for (i = 0; env[i]; i++) {
		free(env[i]);
		env[i] = NULL;
	}
}

/* The exit code (128+signal when killed) of `pid`, or -1 after `ms`. */
static inline int wait_exit(pid_t pid, int64_t ms)
{
	int64_t until = tp_now_ms() + ms;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
		if (r < 0 && errno != EINTR)
			return -1;
		if (tp_now_ms() > until)
			return -1;
		tp_sleep_ms(50);
	}
}

static inline char *slurp_file(const char *path)
{
	char *data = NULL;
	size_t len;

	if (tp_read_file(path, &data, &len) < 0) {
		tp_error_clear();
		return tp_xstrdup("");
	}
	return data;
}

static inline json_t *load_json(const char *path)
{
	json_error_t err;
	json_t *j = json_load_file(path, 0, &err);

	if (!j)
		fail_msg("%s: %s (line %d)", path, err.text, err.line);
	return j;
}

/* Does some process of group `pgid` still exist? */
static inline int group_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0;
}

/* Wait until every pid listed (one per file, "PID\n") has a dead group; fails after `ms`. */
static inline void assert_groups_gone(pid_t *groups, size_t n, int64_t ms)
{
	int64_t until = tp_now_ms() + ms;
	size_t i;

	for (i = 0; i < n; i++) {
		while (group_alive(groups[i])) {
			if (tp_now_ms() > until)
				fail_msg("process group %d of a suite still has processes", (int)groups[i]);
			tp_sleep_ms(50);
		}
	}
}

/* The pid written in `path`, waiting up to `ms` for it to appear; 0 on timeout. */
static inline pid_t wait_pid_file(const char *path, int64_t ms)
{
	int64_t until = tp_now_ms() + ms;
	long pid;

	for (;;) {
		char *s = slurp_file(path);
		s[strcspn(s, "\n")] = '\0';
		if (tp_parse_long(s, &pid) == 0 && pid > 0) {
			free(s);
			return (pid_t)pid;
		}
		free(s);
		if (tp_now_ms() > until)
			return 0;
		tp_sleep_ms(50);
	}
}

/* Does `hay` (a file's contents) contain `needle`? */
static inline int file_contains(const char *path, const char *needle)
{
	char *s = slurp_file(path);
	int hit = strstr(s, needle) != NULL;

	free(s);
	return hit;
}

#endif
