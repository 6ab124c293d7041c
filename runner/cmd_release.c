/* tidepool release: end a lease. */
#include <getopt.h>
#include <stdio.h>

#include "accounts/pool.h"
#include "aws/error.h"
#include "runner/cli.h"
#include "runner/commands.h"
#include "runner/lease_ref.h"
#include "runner/project.h"

static const char help[] =
	"usage: tidepool release ACCOUNT [--dirty] [--token N] [--owner NAME]\n"
	"                        [-C DIR | -c FILE]\n"
	"\n"
	"End a lease. The account goes to the cleaner: it becomes dirty, and\n"
	"`tidepool sweep` cleans it and returns it to the pool (or quarantines it\n"
	"after three failed cleans in a row); it is not leased again before. A\n"
	"profile written by `claim --profile` stops working at once.\n"
	"\n"
	"  --dirty        leave the account dirty for `tidepool sweep`. That is what\n"
	"                 every release does (release itself never cleans); the\n"
	"                 flag is accepted so scripts can say so\n"
	"  --token N      the lease's fencing token, as printed by claim; a token\n"
	"                 whose lease has ended fails with \"lease superseded\" and\n"
	"                 changes nothing\n"
	"  --owner NAME   without --token: release the lease NAME holds (default:\n"
	"                 $USER@$HOSTNAME)\n"
	"  -C DIR         the project directory holding tidepool.yaml (default: .)\n"
	"  -c FILE        the configuration file\n"
	"  -h, --help     show this help\n";

struct args {
	tp_lease_ref ref;
	const char *dir, *file;
};

static int parse(struct args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dirty", no_argument, NULL, 'd' },
		{ "token", required_argument, NULL, 't' },
		{ "owner", required_argument, NULL, 'o' },
		{ "directory", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "C:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd': break;   /* every release leaves the account dirty */
		case 't': a->ref.token = optarg; break;
		case 'o': a->ref.owner = optarg; break;
		case 'C': a->dir = optarg; break;
		case 'c': a->file = optarg; break;
		case 'h': return tp_cli_help(help);
		default: return tp_cli_usage_error("release", "unknown option");
		}
	}
	if (optind != argc - 1)
		return tp_cli_usage_error("release", "expected one ACCOUNT");
	a->ref.account = argv[optind];
	return -1;
}

int cmd_release(int argc, char **argv)
{
	struct args a = { TP_LEASE_REF_INIT, NULL, NULL };
	tp_project p;
	int64_t token;
	int rc;

	if ((rc = parse(&a, argc, argv)) >= 0)
		return rc;
	rc = tp_project_open(&p, a.dir, a.file);
	if (rc == 0)
		rc = tp_lease_ref_token(&token, p.pool, &a.ref);
	if (rc == 0)
		rc = tp_store_release(tp_pool_store(p.pool), a.ref.account, token, TP_RELEASE_DIRTY);
	if (rc == 0)
		printf("Released %s (lease token %lld); it is dirty until `tidepool sweep` has "
		       "cleaned it.\n", a.ref.account, (long long)token);
	rc = rc < 0 ? tp_cli_fail("release") : TP_EXIT_OK;
	tp_project_release(&p);
	return rc;
}
