/*
 * Running a command stack's command (runner/deploy_command.h). Everything
 * the child needs (environment array, argv, the log's file descriptor) is
 * prepared before fork, so the child only calls async-signal-safe
 * functions: setpgid, chdir, dup2, execve, _exit.
 */
#include "runner/deploy_command.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/buf.h"
#include "aws/error.h"
#include "aws/util.h"

extern char **environ;

#define MAX_RUNNING 1024

static pthread_mutex_t running_lock = PTHREAD_MUTEX_INITIALIZER;   /* protects running[] */
static pid_t running[MAX_RUNNING];

static void track(pid_t pid, int add)
{
	size_t i;

	pthread_mutex_lock(&running_lock);
	for (i = 0; i < MAX_RUNNING; i++)
		if (running[i] == (add ? 0 : pid)) {
			running[i] = add ? pid : 0;
			break;
		}
	pthread_mutex_unlock(&running_lock);
}

void tp_deploy_command_terminate_all(void)
{
	size_t i;

	pthread_mutex_lock(&running_lock);
	for (i = 0; i < MAX_RUNNING; i++)
		if (running[i] > 0)
			kill(-running[i], SIGTERM);
	pthread_mutex_unlock(&running_lock);
}

void tp_deploy_command_env(tp_env *out, const tp_deploy_command *c, char *const *base)
{
	size_t i;

	tp_env_init_scrubbed(out, base);
	tp_env_set_account(out, c->creds, c->region, c->endpoint_url);
	tp_env_set(out, "TIDEPOOL_STACK_NAME", c->stack);
	tp_env_set(out, "TIDEPOOL_STACK_HASH", c->hash);
	tp_env_set(out, "TIDEPOOL_PROJECT", c->project ? c->project : "");
	tp_env_set(out, "TIDEPOOL_ACCOUNT_ID", c->account);
	for (i = 0; i < c->nenv; i++)
		tp_env_set(out, c->env[i].key, c->env[i].value);
}

/* mkdir -p of the directory part of `path`. */
static int make_parent(const char *path)
{
	char *dir = tp_xstrdup(path), *p;
	int rc = 0;

	for (p = dir + 1; *p && rc == 0; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			rc = tp_error_set(TP_ERROR, "cannot create %s: %s", dir, strerror(errno));
		*p = '/';
	}
	free(dir);
	return rc;
}

static int open_log(const char *path)
{
	int fd;

	if (!path)
		return open("/dev/null", O_WRONLY | O_CLOEXEC);
	if (make_parent(path) < 0)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		tp_error_set(TP_ERROR, "cannot write the command's log %s: %s", path,
			     strerror(errno));
	return fd;
}

static void child(const tp_deploy_command *c, int log_fd, int null_fd, char *const *envp)
{
	char *const argv[] = { "sh", "-c", (char *)c->command, NULL };

	setpgid(0, 0);
	if (c->cwd && chdir(c->cwd) < 0)
		_exit(126);
	if (dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		_exit(126);
	execve("/bin/sh", argv, envp);
	_exit(127);
}

static int status_of(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return 255;
}

/* Wait for pid; past the deadline SIGTERM the group, 10 s later SIGKILL. */
static int wait_child(pid_t pid, int64_t timeout_ms, int *exit_status)
{
	int64_t deadline = timeout_ms > 0 ? tp_now_ms() + timeout_ms : 0, kill_at = 0;
	int st = 0, timed_out = 0;
	pid_t r;

	for (;;) {
		r = waitpid(pid, &st, deadline ? WNOHANG : 0);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR)
			return tp_error_set(TP_ERROR, "waitpid: %s", strerror(errno));
		if (deadline && tp_now_ms() > deadline && !timed_out) {
			timed_out = 1;
			kill(-pid, SIGTERM);
			kill_at = tp_now_ms() + 10000;
		}
		if (timed_out && tp_now_ms() > kill_at)
			kill(-pid, SIGKILL);
		if (deadline)
			tp_sleep_ms(100);
	}
	*exit_status = timed_out ? 124 : status_of(st);
	return 0;
}

int tp_deploy_command_run(const tp_deploy_command *c, int *exit_status)
{
	tp_env env = TP_ENV_INIT;
	int log_fd = open_log(c->log_path), null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int rc = 0;
	pid_t pid;

	if (log_fd < 0 || null_fd < 0) {
		rc = log_fd < 0 ? -1 : tp_error_set(TP_ERROR, "/dev/null: %s", strerror(errno));
		goto done;
	}
	tp_deploy_command_env(&env, c, environ);
	pid = fork();
	if (pid < 0) {
		rc = tp_error_set(TP_ERROR, "fork: %s", strerror(errno));
		goto done;
	}
	if (pid == 0)
		child(c, log_fd, null_fd, tp_env_array(&env));
	setpgid(pid, pid);   /* also in the parent: no race with terminate_all */
	track(pid, 1);
	rc = wait_child(pid, c->timeout_ms, exit_status);
	track(pid, 0);
done:
	if (log_fd >= 0)
		close(log_fd);
	if (null_fd >= 0)
		close(null_fd);
	tp_env_release(&env);
	return rc;
}
