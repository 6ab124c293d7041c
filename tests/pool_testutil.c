/* Helpers of the account-pool integration tests (see pool_testutil.h). */
#include "tests/pool_testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "aws/error.h"
#include "aws/util.h"
#include "tests/support/moto.h"
#include "tests/support/testutil.h"

#define MAX_ARGS 32

char *tp_pool_test_project(const char *tag, const char *yaml)
{
	char *dir = tp_test_tmpdir(tag);

	free(tp_test_write_file(dir, "tidepool.yaml", yaml));
	return dir;
}

static void build_argv(char **argv, const char *dir, char *const args[])
{
	size_t n = 0, i;

	argv[n++] = (char *)tp_test_tidepool_bin();
	for (i = 0; args[i] && n < MAX_ARGS - 3; i++)
		argv[n++] = args[i];
	argv[n++] = "-C";
	argv[n++] = (char *)dir;
	argv[n] = NULL;
}

int tp_pool_test_cli(char **out, char **err, char *const env[], const char *dir, ...)
{
	char *args[MAX_ARGS], *argv[MAX_ARGS + 1], *o = NULL, *e = NULL;
	size_t n = 0;
	va_list ap;
	int rc;

	va_start(ap, dir);
	while (n < MAX_ARGS - 1 && (args[n] = va_arg(ap, char *)) != NULL)
		n++;
	va_end(ap);
	args[n] = NULL;
	build_argv(argv, dir, args);
	rc = tp_test_run(argv, env, &o, &e);
	if (out)
		*out = o;
	else
		free(o);
	if (err)
		*err = e;
	else
		free(e);
	return rc;
}

pid_t tp_pool_test_exec(char *const argv[], char *const env[], const char *out_path,
			const char *err_path)
{
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	dup2(open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 1);
	dup2(open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600), 2);
	dup2(open("/dev/null", O_RDONLY), 0);
	tp_test_apply_env(env);
	execv(argv[0], argv);
	_exit(127);
}

pid_t tp_pool_test_spawn(char *const env[], const char *out_path, const char *err_path,
			 const char *dir, char *const args[])
{
	char *argv[MAX_ARGS + 1];

	build_argv(argv, dir, args);
	return tp_pool_test_exec(argv, env, out_path, err_path);
}

int tp_pool_test_wait(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

json_t *tp_pool_test_status(const char *dir, char *const env[])
{
	char *out = NULL, *err = NULL;
	json_error_t jerr;
	json_t *doc;
	int rc = tp_pool_test_cli(&out, &err, env, dir, "status", "--json", NULL);

	if (rc != 0)
		fail_msg("tidepool status --json exited %d: %s", rc, err);
	doc = json_loads(out, 0, &jerr);
	if (!doc)
		fail_msg("status --json is not JSON (%s): %s", jerr.text, out);
	free(out);
	free(err);
	return doc;
}

json_t *tp_pool_test_account(json_t *status, const char *account)
{
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(status, "accounts"), i, a)
		if (tp_streq(json_string_value(json_object_get(a, "account")), account))
			return a;
	return NULL;
}

tp_store *tp_pool_test_store(const char *dir)
{
	tp_store_opts o = TP_STORE_OPTS_INIT;
	tp_store *s = NULL;

	o.base_dir = dir;
	if (tp_store_open(&s, "sqlite:.tidepool/pool.db", &o) < 0)
		fail_msg("open the store of %s: %s", dir, tp_error_last()->msg);
	return s;
}

void tp_pool_test_clean(tp_store *s, const char *account)
{
	tp_clean_outcome ok = { 1, NULL, 0, 0 };
	tp_account a;
	int64_t v;

	if (tp_store_get(s, &a, account) < 0 || tp_store_clean_begin(s, account, a.version, &v) < 0 ||
	    tp_store_clean_end(s, account, v, &ok, NULL) < 0)
		fail_msg("simulated clean of %s: %s", account, tp_error_last()->msg);
	tp_account_release(&a);
}

char *tp_pool_test_slurp(const char *path)
{
	char *data = NULL;
	size_t len;

	if (tp_read_file(path, &data, &len) < 0) {
		tp_error_clear();
		return tp_xstrdup("");
	}
	return data;
}

/* Is `name` an executable in a PATH directory? */
static int on_path(const char *name)
{
	const char *p = getenv("PATH");

	while (p && *p) {
		size_t n = strcspn(p, ":");
		char *cand = tp_xasprintf("%.*s/%s", (int)n, p, name);
		int found = n > 0 && access(cand, X_OK) == 0;

		free(cand);
		if (found)
			return 1;
		p += n + (p[n] == ':');
	}
	return 0;
}

tp_local *tp_pool_test_moto_serial(int accounts)
{
	char *path = tp_xstrdup(getenv("PATH")), *serial;
	tp_local *l;

	if (!on_path("moto_server"))
		return tp_test_moto_start(0, accounts);     /* fails with the install hint */
	serial = tp_xasprintf("%s/tests/moto-serial:%s", TP_SOURCE_DIR, path ? path : "");
	setenv("PATH", serial, 1);
	l = tp_test_moto_start(0, accounts);
	setenv("PATH", path ? path : "", 1);
	free(serial);
	free(path);
	return l;
}
