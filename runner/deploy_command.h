/*
 * Command stacks: their command run with /bin/sh -c in the project
 * directory, in its own process group, stdin from /dev/null, stdout and
 * stderr to a log, with the environment of a process acting in a pool
 * account (runner/child_env.h: the runner's credentials and profiles
 * removed, the account's temporary credentials, AWS_REGION and
 * AWS_DEFAULT_REGION, AWS_ENDPOINT_URL when overridden) plus
 *
 *   TIDEPOOL_STACK_NAME    the CloudFormation stack the command must deploy
 *   TIDEPOOL_STACK_HASH    the value of its tidepool:hash tag
 *   TIDEPOOL_PROJECT       the value of its tidepool:project tag
 *   TIDEPOOL_ACCOUNT_ID
 *   TIDEPOOL_OUTPUT_<STACK>_<KEY>   outputs of the stacks it depends on
 *
 * Thread safety: any number of commands may run at once, each waited for
 * by the thread that started it. Running commands are registered (one
 * mutex) so tp_deploy_command_terminate_all can reach them.
 */
#ifndef TP_DEPLOY_COMMAND_H
#define TP_DEPLOY_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "aws/creds.h"
#include "runner/child_env.h"
#include "runner/deploy_ops.h"

typedef struct tp_deploy_command {
	const char *command;
	const char *stack;
	const char *hash;
	const char *account;
	const char *region;
	const char *project;
	const char *endpoint_url;     /* NULL when none is in force */
	const char *cwd;              /* NULL = the current directory */
	const char *log_path;         /* created with its directory; NULL = /dev/null */
	const tp_creds *creds;
	const tp_kv *env;             /* more variables (already named) */
	size_t nenv;
	int64_t timeout_ms;           /* 0 = none; else SIGTERM to the group, SIGKILL 10 s later */
} tp_deploy_command;

#define TP_DEPLOY_COMMAND_INIT { 0 }

/* The command's environment, built from `base` (e.g. environ). */
void tp_deploy_command_env(tp_env *out, const tp_deploy_command *c, char *const *base);

/*
 * Run it and wait. Returns 0 with *exit_status (the shell's convention:
 * 128+N when killed by signal N; 124 after the timeout), or <0 when it
 * could not be started (log not writable, fork failed) with the error set.
 */
int tp_deploy_command_run(const tp_deploy_command *c, int *exit_status);

/* SIGTERM every running command's process group (interrupts). */
void tp_deploy_command_terminate_all(void);

#endif
