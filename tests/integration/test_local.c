/*
 * The local-AWS launcher: it starts, answers, creates an organization, and
 * leaves no server behind: not after stop, and not when the process that
 * started it is killed.
 */
#include <errno.h>
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

#include "aws/client.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/local.h"
#include "aws/util.h"
#include "tests/support/moto.h"

static int alive(pid_t pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

static int gone_within(pid_t pid, int ms)
{
	int64_t end = tp_now_ms() + ms;

	while (tp_now_ms() < end) {
		if (!alive(pid))
			return 1;
		tp_sleep_ms(50);
	}
	return 0;
}

static void test_local__stop_leaves_no_server(void **state)
{
	tp_local *l = tp_test_moto_start(0, 0);
	pid_t pid = tp_local_pid(l);

	(void)state;
	assert_true(pid > 0);
	assert_true(alive(pid));
	tp_local_stop(l);
	assert_false(alive(pid));
}

static void test_local__organization_with_members(void **state)
{
	tp_local *l = tp_test_moto_start(0, 3);
	tp_aws_client *c = tp_test_moto_client(l, 1);
	json_t *resp = NULL, *accts;
	size_t i, j;

	(void)state;
	assert_int_equal(tp_local_account_count(l), 3);
	assert_true(tp_starts_with(tp_local_root_id(l), "r-"));
	for (i = 0; i < 3; i++) {
		assert_true(tp_is_account_id(tp_local_account(l, i)));
		assert_string_not_equal(tp_local_account(l, i), tp_local_management_account(l));
		for (j = 0; j < i; j++)
			assert_string_not_equal(tp_local_account(l, i), tp_local_account(l, j));
	}
	assert_int_equal(tp_aws_json(c, &resp, "organizations", NULL, "ListAccounts", NULL), 0);
	accts = json_object_get(resp, "Accounts");
	assert_int_equal(json_array_size(accts), 4);   /* management + 3 */
	json_decref(resp);
	tp_aws_client_free(c);
	tp_local_stop(l);
}

/* A process that started moto is SIGKILLed: the server dies with it. */
static void test_local__no_orphan_when_the_starter_is_killed(void **state)
{
	int fds[2], status;
	pid_t child, moto_pid = 0;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	child = fork();
	if (child == 0) {
		tp_local *l = NULL;
		int pid;

		close(fds[0]);
		tp_http_global_init();
		if (tp_local_start(&l, NULL) < 0)
			_exit(1);
		pid = tp_local_pid(l);
		if (write(fds[1], &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		pause();
		_exit(0);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &moto_pid, sizeof(moto_pid)), sizeof(moto_pid));
	close(fds[0]);
	assert_true(alive(moto_pid));
	kill(child, SIGKILL);
	waitpid(child, &status, 0);
	assert_true(gone_within(moto_pid, 5000));
}

static void test_local__missing_moto_says_how_to_install(void **state)
{
	char *path = tp_xstrdup(getenv("PATH"));
	tp_local *l = NULL;

	(void)state;
	setenv("PATH", "/nonexistent", 1);
	assert_int_equal(tp_local_start(&l, NULL), TP_ENOTFOUND);
	setenv("PATH", path, 1);
	free(path);
	assert_null(l);
	assert_non_null(strstr(tp_error_last()->msg, "pip install 'moto[server]'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_local__stop_leaves_no_server),
		cmocka_unit_test(test_local__organization_with_members),
		cmocka_unit_test(test_local__no_orphan_when_the_starter_is_killed),
		cmocka_unit_test(test_local__missing_moto_says_how_to_install),
	};

	tp_http_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
