/*
 * tidepool: run cloud integration-test suites in parallel, each in its own
 * sandbox AWS account leased from a pool. This file only dispatches.
 */
#include <stdio.h>
#include <string.h>

#include <libxml/parser.h>

#include "aws/http.h"
#include "runner/cli.h"

static int usage(FILE *out)
{
	const tp_cmd *c;

	fprintf(out, "usage: tidepool [--version] [--help] <command> [<args>]\n\n"
		     "Commands:\n");
	for (c = tp_commands; c->name; c++)
		fprintf(out, "  %-12s %s\n", c->name, c->summary);
	fprintf(out, "\nRun 'tidepool <command> --help' for a command's options.\n"
		     "Exit codes: 0 success, 1 a suite failed, 2 usage or configuration error,\n"
		     "3 infrastructure error, 130 interrupted.\n");
	return out == stdout ? TP_EXIT_OK : TP_EXIT_USAGE;
}

static const tp_cmd *find(const char *name)
{
	const tp_cmd *c;

	for (c = tp_commands; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int main(int argc, char **argv)
{
	const tp_cmd *cmd;
	int rc;

	if (argc < 2)
		return usage(stderr);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
		printf("tidepool %s\n", TIDEPOOL_VERSION);
		return TP_EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0)
		return usage(stdout);
	cmd = find(argv[1]);
	if (!cmd) {
		fprintf(stderr, "tidepool: '%s' is not a tidepool command. See 'tidepool --help'.\n",
			argv[1]);
		return TP_EXIT_USAGE;
	}
	xmlInitParser();
	if (tp_http_global_init() < 0) {
		fprintf(stderr, "tidepool: cannot initialise libcurl\n");
		return TP_EXIT_INFRA;
	}
	rc = cmd->fn(argc - 1, argv + 1);
	tp_http_global_cleanup();
	xmlCleanupParser();
	return rc;
}
