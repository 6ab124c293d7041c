/* tidepool claim: lease a pool account as a personal environment. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts/pool.h"
#include "aws/error.h"
#include "aws/util.h"
#include "runner/aws_profile.h"
#include "runner/cli.h"
#include "runner/commands.h"
#include "runner/deploy_claim.h"
#include "runner/deploy_leased.h"
#include "runner/json_out.h"
#include "runner/project.h"

static const char help[] =
	"usage: tidepool claim [--owner NAME] [--ttl D] [--wait D] [--deploy] [--profile NAME]\n"
	"                      [--json] [-C DIR | -c FILE]\n"
	"\n"
	"Lease an account of the pool as a personal environment. Fails at once\n"
	"(exit 3, \"no account available\") when none is free, unless --wait.\n"
	"\n"
	"The lease ends with `tidepool release`, or when its TTL passes without\n"
	"`tidepool extend`. claim prints the lease's fencing token: release,\n"
	"extend and credentials take it as --token N (a token whose lease has\n"
	"ended fails with \"lease superseded\" and changes nothing); without\n"
	"--token they act on the lease the owner holds on the account.\n"
	"\n"
	"  --owner NAME     who holds the lease (default: $USER@$HOSTNAME)\n"
	"  --ttl D          how long it lasts: 90s, 15m, 2h, 3d (default: pool.lease_ttl)\n"
	"  --wait D         wait up to D for an account to become free\n"
	"  --deploy         then deploy every stack into it (as `tidepool deploy`;\n"
	"                   progress and table on stderr). A failed stack is exit 3\n"
	"                   and the lease stays yours\n"
	"  --profile NAME   write AWS CLI profile NAME into AWS_CONFIG_FILE (default\n"
	"                   ~/.aws/config), with the pool's region and a\n"
	"                   credential_process of `tidepool credentials ACCOUNT\n"
	"                   --token N`: it works exactly as long as this lease.\n"
	"                   No keys are written; other profiles are kept as they are\n"
	"  --json           print one JSON document on stdout\n"
	"  -C DIR           the project directory holding tidepool.yaml (default: .)\n"
	"  -c FILE          the configuration file\n"
	"  -h, --help       show this help\n"
	"\n"
	"Exit codes: 0 leased; 2 usage or configuration error; 3 no account\n"
	"available, the lease store failed, or --deploy failed.\n";

struct args {
	const char *owner, *ttl, *wait, *profile, *dir, *file;
	int json, deploy;
};

/* -1 when parsed; else the exit code (help, usage error). */
static int parse(struct args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "owner", required_argument, NULL, 'o' },
		{ "ttl", required_argument, NULL, 't' },
		{ "wait", required_argument, NULL, 'w' },
		{ "profile", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "deploy", no_argument, NULL, 'd' },
		{ "directory", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "C:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': a->owner = optarg; break;
		case 't': a->ttl = optarg; break;
		case 'w': a->wait = optarg; break;
		case 'p': a->profile = optarg; break;
		case 'j': a->json = 1; break;
		case 'd': a->deploy = 1; break;
		case 'C': a->dir = optarg; break;
		case 'c': a->file = optarg; break;
		case 'h': return tp_cli_help(help);
		default: return tp_cli_usage_error("claim", "unknown option");
		}
	}
	if (optind < argc)
		return tp_cli_usage_error("claim", "unexpected argument '%s'", argv[optind]);
	if (a->owner && !*a->owner)
		return tp_cli_usage_error("claim", "--owner must not be empty");
	return -1;
}

/* A duration option into *out (`fallback` when absent); -1 or the usage exit code. */
static int duration(const char *opt, const char *text, long fallback, int positive, long *out)
{
	*out = fallback;
	if (!text)
		return -1;
	if (tp_parse_duration(text, out) < 0)
		return tp_cli_usage_error("claim", "%s: %s", opt, tp_error_last()->msg);
	if (positive && *out <= 0)
		return tp_cli_usage_error("claim", "%s must be longer than 0s", opt);
	return -1;
}

/* The command the profile runs: this binary, by absolute path. Caller frees. */
static char *credential_process(const tp_project *p, const tp_lease *l)
{
	char exe[PATH_MAX], *quoted, *locator, *out;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	exe[n > 0 ? n : 0] = '\0';
	quoted = tp_shell_quote(n > 0 ? exe : "tidepool");
	locator = tp_project_locator(p);
	out = tp_xasprintf("%s credentials %s --token %lld %s", quoted, l->account,
			   (long long)l->token, locator);
	free(quoted);
	free(locator);
	return out;
}

static int write_profile(const tp_project *p, const tp_lease *l, const char *profile)
{
	char *cmd = credential_process(p, l), *path = tp_aws_config_path();
	tp_profile_setting settings[] = {
		{ "credential_process", cmd },
		{ "region", tp_project_region(p) },
	};
	int rc = tp_aws_profile_write(path, profile, settings, TP_ARRAY_SIZE(settings));

	if (rc < 0)
		tp_error_prefix("profile %s: ", profile);
	free(cmd);
	free(path);
	return rc;
}

/* An empty pool with an OU configured: say how to fill it. */
static void hint_import(const tp_project *p)
{
	const char *ou = p->config->pool.organizational_unit;
	tp_error e;

	if (!ou || !strstr(tp_error_last()->msg, "the pool is empty"))
		return;
	tp_error_save(&e);
	tp_error_set(TP_EBUSY, "%s; run 'tidepool pool import' to add the accounts of %s", e.msg,
		     ou);
}

static int print(const tp_project *p, const tp_lease *l, const char *owner, long ttl,
		 const char *profile, int json)
{
	char when[32], rel[32];

	if (json)
		return tp_json_print(json_pack("{s:s, s:I, s:s, s:o, s:i, s:o, s:s}",
					       "account", l->account, "token", (json_int_t)l->token,
					       "holder", owner, "expires_at", tp_json_time(l->expires_at),
					       "ttl_seconds", (int)ttl,
					       "profile", tp_json_string_or_null(profile),
					       "store", tp_store_url(tp_pool_store(p->pool))));
	tp_time_iso8601(when, sizeof(when), l->expires_at);
	tp_format_duration(rel, sizeof(rel), ttl);
	printf("Leased %s to %s until %s (in %s); lease token %lld.\n", l->account, owner, when,
	       rel, (long long)l->token);
	if (profile) {
		char *q = tp_shell_quote(profile);
		printf("AWS CLI profile '%s' works while the lease lasts: aws --profile %s ...\n",
		       profile, q);
		free(q);
	}
	printf("Release it with: tidepool release %s --token %lld\n", l->account,
	       (long long)l->token);
	return TP_EXIT_OK;
}

static int claim(const struct args *a, const char *owner, long ttl, long wait)
{
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	tp_project p;
	tp_lease l;
	int rc;

	if (tp_project_open(&p, a->dir, a->file) < 0)
		return tp_cli_fail("claim");
	/* bad input, and an AWS that does not answer: before leasing */
	if (a->deploy && (tp_deploy_claim_check(p.config) < 0 || tp_deploy_preflight(p.config) < 0)) {
		tp_project_release(&p);
		return tp_cli_fail("claim");
	}
	o.holder = owner;
	o.ttl = ttl ? ttl : p.config->pool.lease_ttl;
	rc = tp_pool_sync(p.pool, NULL);
	if (rc == 0 && (rc = tp_pool_acquire(p.pool, &l, &o, wait)) == TP_EBUSY)
		hint_import(&p);
	if (rc == 0 && a->profile && (rc = write_profile(&p, &l, a->profile)) < 0) {
		tp_error e;
		tp_error_save(&e);   /* nothing ran in it: give it back as it was */
		tp_store_release(tp_pool_store(p.pool), l.account, l.token, TP_RELEASE_AVAILABLE);
		tp_error_restore(&e);
	}
	rc = rc < 0 ? tp_cli_fail("claim") : print(&p, &l, owner, o.ttl, a->profile, a->json);
	if (rc == TP_EXIT_OK && a->deploy &&
	    tp_deploy_claimed(p.config, tp_pool_store(p.pool), l.account, l.token, o.ttl) < 0)
		rc = tp_cli_fail("claim");
	tp_project_release(&p);
	return rc;
}

int cmd_claim(int argc, char **argv)
{
	struct args a = { 0 };
	long ttl, wait;
	char *owner;
	int rc;

	if ((rc = parse(&a, argc, argv)) >= 0 ||
	    (rc = duration("--ttl", a.ttl, 0, 1, &ttl)) >= 0 ||
	    (rc = duration("--wait", a.wait, 0, 0, &wait)) >= 0)
		return rc;
	owner = a.owner ? tp_xstrdup(a.owner) : tp_project_default_owner();
	rc = claim(&a, owner, ttl, wait);
	free(owner);
	return rc;
}
