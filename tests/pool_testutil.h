/*
 * Helpers of the account-pool integration tests (test_lease_*, test_claim,
 * test_pool_*): a project directory with a tidepool.yaml, running the
 * tidepool binary on it (one at a time or many at once), its status as
 * JSON, and the sweeper's part played in-process (a simulated clean).
 */
#ifndef TP_POOL_TESTUTIL_H
#define TP_POOL_TESTUTIL_H

#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include "accounts/store.h"
#include "aws/local.h"

/* A fresh directory with tidepool.yaml = `yaml` (caller frees; tp_test_rmtree it). */
char *tp_pool_test_project(const char *tag, const char *yaml);

/*
 * Run `tidepool ARGS... -C dir` (args NULL-terminated) with `env` additions
 * (as tp_test_run; may be NULL). Returns the exit status; *out and *err
 * (may be NULL) are the captured streams (caller frees).
 */
int tp_pool_test_cli(char **out, char **err, char *const env[], const char *dir, ...)
	__attribute__((sentinel));

/* fork + exec argv[0] (a path) with `env` applied and stdout/stderr into files; returns the pid. */
pid_t tp_pool_test_exec(char *const argv[], char *const env[], const char *out_path,
			const char *err_path);

/* Start the same without waiting: stdout/stderr go to files named by the caller. */
pid_t tp_pool_test_spawn(char *const env[], const char *out_path, const char *err_path,
			 const char *dir, char *const args[]);

/* Wait for `pid`; its exit status (128+signal when killed). */
int tp_pool_test_wait(pid_t pid);

/* `tidepool status --json` parsed (fails the test unless it exits 0). */
json_t *tp_pool_test_status(const char *dir, char *const env[]);

/* The status entry of `account` (borrowed from `status`), or NULL. */
json_t *tp_pool_test_account(json_t *status, const char *account);

/* The project's SQLite store (.tidepool/pool.db), opened in this process. */
tp_store *tp_pool_test_store(const char *dir);

/* The sweeper's part: dirty or expired -> cleaning -> available (fails the test otherwise). */
void tp_pool_test_clean(tp_store *s, const char *account);

/*
 * moto for tests where processes race on DynamoDB conditional writes:
 * started through tests/moto-serial/moto_server (requests served one at a
 * time, which makes moto's conditional writes atomic as DynamoDB's are;
 * the script says why). When moto is not installed this fails the test
 * with the install hint, as tp_test_moto_start does.
 */
tp_local *tp_pool_test_moto_serial(int accounts);

/* Read a whole file (caller frees); "" when it does not exist. */
char *tp_pool_test_slurp(const char *path);

#endif
