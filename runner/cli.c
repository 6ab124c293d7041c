#include "runner/cli.h"

#include <stdarg.h>

#include "aws/error.h"

int tp_cli_exit_code(int err)
{
	switch (err) {
	case TP_OK:
		return TP_EXIT_OK;
	case TP_EINVAL:
		return TP_EXIT_USAGE;
	case TP_EINTR:
		return TP_EXIT_INTERRUPTED;
	default:
		return TP_EXIT_INFRA;
	}
}

int tp_cli_fail(const char *cmd)
{
	const tp_error *e = tp_error_last();
	char msg[sizeof(e->msg) + 512];

	fprintf(stderr, "tidepool %s: error: %s\n", cmd, tp_error_format(e, msg, sizeof(msg)));
	return tp_cli_exit_code(e->code == TP_OK ? TP_ERROR : e->code);
}

int tp_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tidepool %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'tidepool %s --help' for usage.\n", cmd);
	return TP_EXIT_USAGE;
}

int tp_cli_help(const char *help)
{
	fputs(help, stdout);
	return TP_EXIT_OK;
}
