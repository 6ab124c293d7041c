/*
 * What every `tidepool` subcommand shares: the dispatch table, exit codes,
 * error printing, the common options (-C DIR, -c FILE, --json, --help).
 *
 * Library code returns TP_E* codes; only the CLI prints, and it maps codes
 * to exit codes in one place (tp_cli_exit_code).
 */
#ifndef TP_CLI_H
#define TP_CLI_H

#include <stdio.h>

enum {
	TP_EXIT_OK = 0,
	TP_EXIT_SUITE_FAILED = 1,
	TP_EXIT_USAGE = 2,
	TP_EXIT_INFRA = 3,
	TP_EXIT_INTERRUPTED = 130
};

typedef struct tp_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);   /* argv[0] is the subcommand name */
	const char *summary;
} tp_cmd;

/* The dispatch table (runner/commands.c), terminated by a NULL name. */
extern const tp_cmd tp_commands[];

/* TP_E* -> exit code: TP_EINVAL 2, TP_EINTR 130, everything else 3. */
int tp_cli_exit_code(int err);

/* Print "tidepool <cmd>: error: <last error>" to stderr; return its exit code. */
int tp_cli_fail(const char *cmd);

/* Print a usage error and the hint to run --help; returns TP_EXIT_USAGE. */
int tp_cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Write `help` to stdout and return TP_EXIT_OK (for --help). */
int tp_cli_help(const char *help);

#endif
