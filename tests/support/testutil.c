#include "tests/support/testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aws/buf.h"
#include "aws/util.h"

char *tp_test_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char *path = tp_xasprintf("%s/tp-%s-XXXXXX", base && *base ? base : "/tmp", tag);

	if (!mkdtemp(path)) {
		fprintf(stderr, "mkdtemp %s: %s\n", path, strerror(errno));
		abort();
	}
	return path;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tp_test_rmtree(const char *path)
{
	if (path)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void mkparents(char *path)
{
	char *p;

	for (p = path + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
}

char *tp_test_write_file(const char *dir, const char *name, const char *data)
{
	char *path = tp_xasprintf("%s/%s", dir, name);
	FILE *f;

	mkparents(path);
	f = fopen(path, "w");
	if (!f) {
		fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
		abort();
	}
	fputs(data, f);
	fclose(f);
	return path;
}

char *tp_test_source_path(const char *rel)
{
	return tp_xasprintf("%s/%s", TP_SOURCE_DIR, rel);
}

const char *tp_test_tidepool_bin(void)
{
	static char path[1024];
	const char *env = getenv("TIDEPOOL");

	if (env && *env)
		return env;
	snprintf(path, sizeof(path), "%s/tidepool", TP_BINARY_DIR);
	return path;
}

void tp_test_apply_env(char *const envp_add[])
{
	size_t i;

	for (i = 0; envp_add && envp_add[i]; i++) {
		const char *eq = strchr(envp_add[i], '=');
		char *name;

		if (!eq)
			continue;
		name = tp_xstrndup(envp_add[i], (size_t)(eq - envp_add[i]));
		if (eq[1])
			setenv(name, eq + 1, 1);
		else
			unsetenv(name);
		free(name);
	}
}

static void drain(int fds[2], tp_buf *bufs[2])
{
	struct pollfd p[2];
	char chunk[8192];
	int open_fds = 2, i;

	for (i = 0; i < 2; i++) {
		p[i].fd = fds[i];
		p[i].events = POLLIN;
	}
	while (open_fds > 0) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			ssize_t n;
			if (p[i].fd < 0 || !(p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			n = read(p[i].fd, chunk, sizeof(chunk));
			if (n > 0) {
				tp_buf_add(bufs[i], chunk, (size_t)n);
			} else if (n == 0 || errno != EINTR) {
				close(p[i].fd);
				p[i].fd = -1;
				open_fds--;
			}
		}
	}
}

int tp_test_run(char *const argv[], char *const envp_add[], char **out, char **err)
{
	int po[2], pe[2], fds[2], status;
	tp_buf bo = TP_BUF_INIT, be = TP_BUF_INIT;
	tp_buf *bufs[2] = { &bo, &be };
	pid_t pid;

	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int devnull = open("/dev/null", O_RDONLY);
		dup2(devnull, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		tp_test_apply_env(envp_add);
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	fds[0] = po[0];
	fds[1] = pe[0];
	drain(fds, bufs);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (out)
		*out = tp_buf_detach(&bo);
	if (err)
		*err = tp_buf_detach(&be);
	tp_buf_release(&bo);
	tp_buf_release(&be);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
