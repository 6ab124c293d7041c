/* tidepool extend: lengthen a lease. */
#include <getopt.h>
#include <stdio.h>

#include "accounts/pool.h"
#include "aws/error.h"
#include "aws/util.h"
#include "runner/cli.h"
#include "runner/commands.h"
#include "runner/lease_ref.h"
#include "runner/project.h"

static const char help[] =
	"usage: tidepool extend ACCOUNT --ttl D [--token N] [--owner NAME]\n"
	"                       [-C DIR | -c FILE]\n"
	"\n"
	"Lengthen a lease: it now ends D from now (90s, 15m, 2h, 3d). A lease\n"
	"whose TTL has already passed cannot be extended: the sweeper may be\n"
	"cleaning the account; claim one again.\n"
	"\n"
	"  --ttl D        the new remaining duration (required)\n"
	"  --token N      the lease's fencing token, as printed by claim; a token\n"
	"                 whose lease has ended fails with \"lease superseded\" and\n"
	"                 changes nothing\n"
	"  --owner NAME   without --token: extend the lease NAME holds (default:\n"
	"                 $USER@$HOSTNAME)\n"
	"  -C DIR         the project directory holding tidepool.yaml (default: .)\n"
	"  -c FILE        the configuration file\n"
	"  -h, --help     show this help\n";

struct args {
	tp_lease_ref ref;
	const char *ttl, *dir, *file;
};

static int parse(struct args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "ttl", required_argument, NULL, 'T' },
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
		case 'T': a->ttl = optarg; break;
		case 't': a->ref.token = optarg; break;
		case 'o': a->ref.owner = optarg; break;
		case 'C': a->dir = optarg; break;
		case 'c': a->file = optarg; break;
		case 'h': return tp_cli_help(help);
		default: return tp_cli_usage_error("extend", "unknown option");
		}
	}
	if (optind != argc - 1)
		return tp_cli_usage_error("extend", "expected one ACCOUNT");
	if (!a->ttl)
		return tp_cli_usage_error("extend", "--ttl is required");
	a->ref.account = argv[optind];
	return -1;
}

int cmd_extend(int argc, char **argv)
{
	struct args a = { TP_LEASE_REF_INIT, NULL, NULL, NULL };
	char when[32], rel[32];
	tp_project p;
	int64_t token;
	time_t expires;
	long ttl;
	int rc;

	if ((rc = parse(&a, argc, argv)) >= 0)
		return rc;
	if (tp_parse_duration(a.ttl, &ttl) < 0 || ttl <= 0)
		return tp_cli_usage_error("extend", "--ttl: '%s' is not a positive duration "
					  "(90s, 15m, 2h, 3d)", a.ttl);
	rc = tp_project_open(&p, a.dir, a.file);
	if (rc == 0)
		rc = tp_lease_ref_token(&token, p.pool, &a.ref);
	if (rc == 0)
		rc = tp_store_renew(tp_pool_store(p.pool), a.ref.account, token, ttl, &expires);
	if (rc == 0) {
		tp_time_iso8601(when, sizeof(when), expires);
		tp_format_duration(rel, sizeof(rel), ttl);
		printf("The lease of %s (token %lld) now ends %s (in %s).\n", a.ref.account,
		       (long long)token, when, rel);
	}
	rc = rc < 0 ? tp_cli_fail("extend") : TP_EXIT_OK;
	tp_project_release(&p);
	return rc;
}
