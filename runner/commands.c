/* The subcommand table: one row per cmd_<name>.c. */
#include "runner/cli.h"
#include "runner/commands.h"

const tp_cmd tp_commands[] = {
	{ "run", cmd_run, "run the suites concurrently, each in its own leased account" },
	{ "deploy", cmd_deploy, "deploy or refresh stacks in pool accounts (warm the pool)" },
	{ "history", cmd_history, "per-suite duration history" },
	{ "claim", cmd_claim, "lease a pool account as a personal environment" },
	{ "credentials", cmd_credentials, "temporary credentials of a leased account (credential_process)" },
	{ "release", cmd_release, "end a lease" },
	{ "extend", cmd_extend, "lengthen a lease" },
	{ "status", cmd_status, "every pool account: state, holder, expiry, stacks" },
	{ "pool", cmd_pool, "manage the pool: add, remove, import, list" },
	{ "nuke", cmd_nuke, "clean pool accounts (dry run unless --no-dry-run)" },
	{ "sweep", cmd_sweep, "clean expired and dirty accounts, quarantine repeat failures" },
	{ "whoami", cmd_whoami, "show the caller identity through the credential chain" },
	{ NULL, NULL, NULL }
};
