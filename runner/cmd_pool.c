/* tidepool pool add|remove|import|list: manage which accounts make up the pool. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "accounts/pool.h"
#include "aws/client.h"
#include "aws/error.h"
#include "runner/cli.h"
#include "runner/commands.h"
#include "runner/project.h"

static const char help[] =
	"usage: tidepool pool add ID... [-C DIR | -c FILE]\n"
	"       tidepool pool remove [--force] ID... [-C DIR | -c FILE]\n"
	"       tidepool pool import [--ou OU] [-C DIR | -c FILE]\n"
	"       tidepool pool list [-C DIR | -c FILE]\n"
	"\n"
	"The pool is kept in the lease store (pool.store). The accounts listed in\n"
	"pool.accounts are added to it whenever a command uses the pool; these\n"
	"commands change it by hand.\n"
	"\n"
	"  add ID...      add accounts (12-digit ids) as available. Every id is\n"
	"                 checked first: one that is malformed or in pool.blocklist\n"
	"                 fails the command (exit 2) and nothing is added\n"
	"  remove ID...   take accounts out of the pool. A leased account, or one\n"
	"                 being cleaned, is refused (exit 3) unless --force, which\n"
	"                 leaves whatever runs in it uncleaned; nothing is removed\n"
	"                 when any id is refused\n"
	"  import         add the ACTIVE accounts under an organizational unit,\n"
	"                 found through AWS Organizations: those directly in the OU\n"
	"                 and in every OU below it, never the organization's\n"
	"                 management account nor a blocklisted one. --ou OU (an\n"
	"                 ou-... or r-... id) defaults to pool.organizational_unit.\n"
	"                 Needs credentials allowed to list the organization\n"
	"  list           the pool's accounts and their states (see also status)\n"
	"\n"
	"  -C DIR         the project directory holding tidepool.yaml (default: .)\n"
	"  -c FILE        the configuration file\n"
	"  -h, --help     show this help\n";

struct args {
	const char *dir, *file, *ou;
	int force;
	const char *const *ids;
	size_t n;
};

static int parse(struct args *a, const char *sub, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "ou", required_argument, NULL, 'u' },
		{ "directory", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "C:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f': a->force = 1; break;
		case 'u': a->ou = optarg; break;
		case 'C': a->dir = optarg; break;
		case 'c': a->file = optarg; break;
		case 'h': return tp_cli_help(help);
		default: return tp_cli_usage_error("pool", "unknown option");
		}
	}
	if (a->force && strcmp(sub, "remove") != 0)
		return tp_cli_usage_error("pool", "--force is an option of 'pool remove'");
	if (a->ou && strcmp(sub, "import") != 0)
		return tp_cli_usage_error("pool", "--ou is an option of 'pool import'");
	a->ids = (const char *const *)argv + optind;
	a->n = (size_t)(argc - optind);
	return -1;
}

static int need_ids(const struct args *a, const char *sub, int want)
{
	if (want && a->n == 0)
		return tp_cli_usage_error("pool", "'pool %s' needs at least one account id", sub);
	if (!want && a->n > 0)
		return tp_cli_usage_error("pool", "unexpected argument '%s'", a->ids[0]);
	return -1;
}

static int pool_add(tp_project *p, const struct args *a)
{
	size_t added = 0;

	if (tp_pool_add(p->pool, a->ids, a->n, &added) < 0)
		return tp_cli_fail("pool add");
	printf("Added %zu account%s to the pool", added, added == 1 ? "" : "s");
	if (a->n > added)
		printf(" (%zu already in it)", a->n - added);
	printf(".\n");
	return TP_EXIT_OK;
}

static int pool_remove(tp_project *p, const struct args *a)
{
	if (tp_pool_remove(p->pool, a->ids, a->n, a->force) < 0)
		return tp_cli_fail("pool remove");
	printf("Removed %zu account%s from the pool.\n", a->n, a->n == 1 ? "" : "s");
	return TP_EXIT_OK;
}

static void print_import(const tp_pool_import_result *r, const char *ou)
{
	size_t i;

	printf("%s: %zu active account%s; added %zu, %zu already in the pool.\n", ou, r->found.n,
	       r->found.n == 1 ? "" : "s", r->n_added, r->n_present);
	for (i = 0; i < r->n_added; i++)
		printf("  added    %s\n", r->added[i]);
	for (i = 0; i < r->n_blocked; i++)
		printf("  skipped  %s (in pool.blocklist)\n", r->blocked[i]);
	for (i = 0; i < r->found.n_skipped; i++)
		printf("  skipped  %s\n", r->found.skipped[i]);
}

static int pool_import(tp_project *p, const struct args *a)
{
	tp_aws_client_opts co = TP_AWS_CLIENT_OPTS_INIT;
	tp_pool_import_result r = TP_POOL_IMPORT_RESULT_INIT;
	const char *ou = a->ou ? a->ou : p->config->pool.organizational_unit;
	tp_aws_client *org = NULL;
	int rc;

	if (!ou)
		return tp_cli_usage_error("pool", "'pool import' needs --ou OU, or "
					  "pool.organizational_unit in %s", p->config->path);
	co.region = tp_project_region(p);
	rc = tp_aws_client_new(&org, &co);
	if (rc == 0)
		rc = tp_pool_import(p->pool, &r, org, ou);
	if (rc == 0)
		print_import(&r, ou);
	tp_pool_import_release(&r);
	tp_aws_client_free(org);
	return rc < 0 ? tp_cli_fail("pool import") : TP_EXIT_OK;
}

static int pool_list(tp_project *p, const struct args *a)
{
	tp_account_list l;
	time_t now = tp_store_now(tp_pool_store(p->pool));
	size_t i;

	(void)a;
	if (tp_pool_sync(p->pool, NULL) < 0 || tp_store_list(tp_pool_store(p->pool), &l) < 0)
		return tp_cli_fail("pool list");
	for (i = 0; i < l.n; i++)
		printf("%s  %s%s\n", l.items[i].id,
		       tp_account_state_name(tp_account_state_at(&l.items[i], now)),
		       tp_pool_is_blocklisted(p->pool, l.items[i].id) ? "  (blocklisted)" : "");
	tp_account_list_release(&l);
	return TP_EXIT_OK;
}

static const struct {
	const char *name;
	int (*fn)(tp_project *p, const struct args *a);
	int takes_ids;
} subcommands[] = {
	{ "add", pool_add, 1 },
	{ "remove", pool_remove, 1 },
	{ "import", pool_import, 0 },
	{ "list", pool_list, 0 },
};

int cmd_pool(int argc, char **argv)
{
	struct args a = { 0 };
	tp_project p;
	size_t i;
	int rc;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return tp_cli_help(help);
	for (i = 0; argc >= 2 && i < sizeof(subcommands) / sizeof(subcommands[0]); i++) {
		if (strcmp(argv[1], subcommands[i].name) != 0)
			continue;
		if ((rc = parse(&a, argv[1], argc - 1, argv + 1)) >= 0 ||
		    (rc = need_ids(&a, argv[1], subcommands[i].takes_ids)) >= 0)
			return rc;
		if (tp_project_open(&p, a.dir, a.file) < 0)
			return tp_cli_fail("pool");
		rc = subcommands[i].fn(&p, &a);
		tp_project_release(&p);
		return rc;
	}
	if (argc < 2)
		return tp_cli_usage_error("pool", "expected add, remove, import or list");
	return tp_cli_usage_error("pool", "unknown subcommand '%s' (add, remove, import, list)",
				  argv[1]);
}
