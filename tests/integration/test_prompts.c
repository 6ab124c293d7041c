/*
 * The confirmation prompts of `tidepool nuke` and `tidepool sweep` on a real
 * terminal (a pseudo-terminal from forkpty), against moto: --no-dry-run
 * without --yes asks for the account id (nuke) or the number of accounts
 * (sweep) and deletes nothing unless exactly that is typed; a wrong answer
 * or end of input aborts with status 2. A marker queue in each account
 * shows what was deleted. Without --no-dry-run a terminal gets no prompt
 * and a dry run. (Without a terminal and without --yes, both refuse before
 * any AWS call: test_nuke_refusals.)
 */
#include <errno.h>
#include <poll.h>
#include <pty.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "accounts/pool.h"
#include "aws/buf.h"
#include "aws/client.h"
#include "aws/error.h"
#include "aws/local.h"
#include "aws/util.h"
#include "tests/integration/test_run_support.h"
#include "tests/support/moto.h"
#include "tests/support/testutil.h"

#define ROLE "OrganizationAccountAccessRole"
#define WAIT_MS 60000

static tp_local *moto;
static const char *m1, *m2;
static char *dir;

typedef struct pty_result {
	int rc;
	char *out;         /* everything the terminal showed: stdout, stderr, the echo */
} pty_result;

/* Read what the terminal shows into b for up to ms; 0 at the end of output. */
static int pump(int fd, tp_buf *b, int ms)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char chunk[4096];
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return 1;
	n = read(fd, chunk, sizeof(chunk));
	if (n <= 0)
		return errno == EINTR && n < 0;   /* EIO: the child's side closed */
	tp_buf_add(b, chunk, (size_t)n);
	return 1;
}

/*
 * tidepool ARGS on a terminal, moto's keys in the environment; when the
 * output shows `prompt`, type `answer` (NULL: send end of input). Fails
 * the test when the prompt does not come or tidepool does not end.
 */
static pty_result on_terminal(const char *const *args, const char *prompt, const char *answer)
{
	tp_buf b = TP_BUF_INIT;
	pty_result r = { -1, NULL };
	int64_t until = tp_now_ms() + WAIT_MS;
	int fd, st, asked = prompt == NULL;
	char *env[9] = { NULL };
	pid_t pid;

	run_env_moto(env, moto);
	env[6] = tp_xstrdup("AWS_CONFIG_FILE=/nonexistent/tidepool-test");
	env[7] = tp_xstrdup("AWS_SHARED_CREDENTIALS_FILE=/nonexistent/tidepool-test");
	pid = forkpty(&fd, NULL, NULL, NULL);

	if (pid < 0)
		fail_msg("forkpty: %s", strerror(errno));
	if (pid == 0) {
		const char *argv[16] = { tp_test_tidepool_bin() };
		size_t i;

		for (i = 0; args[i] && i < 14; i++)
			argv[i + 1] = args[i];
		tp_test_apply_env(env);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	while (tp_now_ms() < until && pump(fd, &b, 200)) {
		if (!asked && strstr(tp_buf_cstr(&b), prompt) && strstr(tp_buf_cstr(&b), "> ")) {
			const char *in = answer ? answer : "\x04";   /* VEOF at the start of a line */

			if (write(fd, in, strlen(in)) != (ssize_t)strlen(in))
				fail_msg("write to the terminal: %s", strerror(errno));
			asked = 1;
		}
	}
	if (tp_now_ms() >= until) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		fail_msg("tidepool %s did not end within %d s (%s):\n%s", args[0], WAIT_MS / 1000,
			 asked ? "answered" : "no prompt", tp_buf_cstr(&b));
	}
	close(fd);
	run_env_free(env);
	if (waitpid(pid, &st, 0) != pid)
		fail_msg("waitpid: %s", strerror(errno));
	r.rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	r.out = tp_buf_detach(&b);
	if (!asked)
		fail_msg("tidepool %s never showed the prompt '%s' (exit %d):\n%s", args[0], prompt,
			 r.rc, r.out);
	return r;
}

static void expect(pty_result r, int rc, const char *needle)
{
	if (r.rc != rc || !strstr(r.out, needle))
		fail_msg("exit %d (expected %d), the terminal lacks '%s':\n%s", r.rc, rc, needle,
			 r.out);
}

static int setup(void **state)
{
	char *yaml;

	(void)state;
	moto = tp_test_moto_start(0, 2);
	m1 = tp_local_account(moto, 0);
	m2 = tp_local_account(moto, 1);
	dir = tp_test_tmpdir("prompts");
	yaml = tp_xasprintf("regions: [us-east-1]\npool:\n  store: sqlite:pool.db\n  role: %s\n"
			    "  accounts: [\"%s\", \"%s\"]\ncleaner:\n  mode: full\n", ROLE, m1, m2);
	free(tp_test_write_file(dir, "tidepool.yaml", yaml));
	free(yaml);
	tp_test_marker_queue(moto, m1, 1);
	tp_test_marker_queue(moto, m2, 1);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tp_local_stop(moto);
	tp_test_rmtree(dir);
	free(dir);
	return 0;
}

static void test_prompts__nuke_deletes_only_when_the_account_id_is_typed(void **state)
{
	const char *dry[] = { "nuke", "-C", dir, m1, NULL };
	const char *real[] = { "nuke", "-C", dir, m1, "--no-dry-run", NULL };
	char want[128];
	pty_result r;

	(void)state;
	/* the default on a terminal too: a dry run, no question */
	r = on_terminal(dry, NULL, NULL);
	expect(r, 0, "dry run");
	assert_null(strstr(r.out, "Enter account ID"));
	assert_non_null(strstr(r.out, "tidepool-marker"));
	free(r.out);
	assert_true(tp_test_marker_queue(moto, m1, 0));

	snprintf(want, sizeof(want), "aborted: '210987654321' is not %s; nothing was deleted", m1);
	r = on_terminal(real, "Enter account ID to continue", "210987654321\n");
	expect(r, 2, want);
	snprintf(want, sizeof(want), "nuke the account with the ID %s", m1);
	expect(r, 2, want);
	free(r.out);
	assert_true(tp_test_marker_queue(moto, m1, 0));

	snprintf(want, sizeof(want), "aborted: '' is not %s; nothing was deleted", m1);
	r = on_terminal(real, "Enter account ID to continue", NULL);
	expect(r, 2, want);
	free(r.out);
	assert_true(tp_test_marker_queue(moto, m1, 0));

	snprintf(want, sizeof(want), "%s\n", m1);
	r = on_terminal(real, "Enter account ID to continue", want);
	expect(r, 0, "Nuke complete: 0 failed");
	free(r.out);
	assert_false(tp_test_marker_queue(moto, m1, 0));
	assert_true(tp_test_marker_queue(moto, m2, 0));      /* only the account named */
}

/* m2 leased and released dirty, as a run that ended would leave it. */
static void make_dirty(const char *id)
{
	tp_pool_opts o = TP_POOL_OPTS_INIT;
	tp_acquire_opts a = TP_ACQUIRE_OPTS_INIT;
	const char *ids[] = { m1, m2 };
	tp_pool *p = NULL;
	tp_lease l;

	o.store_url = "sqlite:pool.db";
	o.accounts = ids;
	o.n_accounts = 2;
	o.store.base_dir = dir;
	if (tp_pool_open(&p, &o) < 0 || tp_pool_sync(p, NULL) < 0)
		fail_msg("pool: %s", tp_error_last()->msg);
	a.holder = "prompt-test";
	a.ttl = 3600;
	a.account = id;
	assert_int_equal(tp_store_acquire(tp_pool_store(p), &l, &a), 0);
	assert_int_equal(tp_store_release(tp_pool_store(p), id, l.token, TP_RELEASE_DIRTY), 0);
	tp_pool_free(p);
}

static void test_prompts__sweep_deletes_only_when_the_count_is_typed(void **state)
{
	const char *real[] = { "sweep", "-C", dir, "--no-dry-run", NULL };
	char want[128];
	pty_result r;

	(void)state;
	make_dirty(m2);
	r = on_terminal(real, "Enter the number of accounts (1) to continue", "2\n");
	expect(r, 2, "aborted: '2' is not 1; nothing was deleted");
	snprintf(want, sizeof(want), "  %s (dirty)", m2);
	expect(r, 2, want);
	free(r.out);
	assert_true(tp_test_marker_queue(moto, m2, 0));

	r = on_terminal(real, "Enter the number of accounts (1) to continue", NULL);
	expect(r, 2, "aborted: '' is not 1; nothing was deleted");
	free(r.out);
	assert_true(tp_test_marker_queue(moto, m2, 0));

	r = on_terminal(real, "Enter the number of accounts (1) to continue", "1\n");
	expect(r, 0, "Sweep complete: 1 cleaned, 0 failed");
	free(r.out);
	assert_false(tp_test_marker_queue(moto, m2, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prompts__nuke_deletes_only_when_the_account_id_is_typed),
		cmocka_unit_test(test_prompts__sweep_deletes_only_when_the_count_is_typed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
