/* The subcommand table: one row per cmd_<name>.c. */
#include "runner/cli.h"
#include "runner/commands.h"

const tp_cmd tp_commands[] = {
	{ "whoami", cmd_whoami, "show the caller identity through the credential chain" },
	{ NULL, NULL, NULL }
};
