/* tidepool credentials: a leased account's credentials for the AWS CLI's credential_process. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts/creds.h"
#include "accounts/pool.h"
#include "aws/error.h"
#include "aws/util.h"
#include "runner/cli.h"
#include "runner/commands.h"
#include "runner/json_out.h"
#include "runner/lease_ref.h"
#include "runner/project.h"

/* Set while this command resolves its own credentials (see guard()). */
#define GUARD_VAR "TIDEPOOL_IN_CREDENTIAL_PROCESS"

/* STS's shortest and our longest session. */
#define MIN_SESSION_S 900
#define MAX_SESSION_S 3600

static const char help[] =
	"usage: tidepool credentials ACCOUNT [--token N] [--owner NAME] [-C DIR | -c FILE]\n"
	"\n"
	"Temporary credentials of a leased pool account, printed as the JSON the\n"
	"AWS CLI's credential_process reads (Version 1, AccessKeyId,\n"
	"SecretAccessKey, SessionToken, Expiration). `tidepool claim --profile`\n"
	"writes a profile that runs this command.\n"
	"\n"
	"The credentials come from STS AssumeRole of pool.role in ACCOUNT, signed\n"
	"with tidepool's own credentials (the standard chain), session name\n"
	"tidepool-claim-<holder>. They are never written to disk. The command\n"
	"refuses (exit 3) unless the lease is live, so a profile stops working\n"
	"when its lease ends; Expiration is never later than the lease's end.\n"
	"\n"
	"  --token N      the lease's fencing token, as printed by claim; a token\n"
	"                 whose lease has ended fails with \"lease superseded\"\n"
	"  --owner NAME   without --token: the lease NAME holds (default:\n"
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
		case 't': a->ref.token = optarg; break;
		case 'o': a->ref.owner = optarg; break;
		case 'C': a->dir = optarg; break;
		case 'c': a->file = optarg; break;
		case 'h': return tp_cli_help(help);
		default: return tp_cli_usage_error("credentials", "unknown option");
		}
	}
	if (optind != argc - 1)
		return tp_cli_usage_error("credentials", "expected one ACCOUNT");
	a->ref.account = argv[optind];
	return -1;
}

/*
 * When the base credentials resolve through a profile whose
 * credential_process is this command, it would run itself forever: the
 * variable set here marks the nested run, which refuses.
 */
static int guard(void)
{
	if (getenv(GUARD_VAR))
		return tp_error_set(TP_EINVAL, "tidepool credentials is running inside its own "
				    "credential_process: tidepool's base credentials resolve to a "
				    "profile written by `tidepool claim --profile`; set AWS_PROFILE "
				    "(or the AWS_* key variables) to the credentials tidepool itself "
				    "should use");
	setenv(GUARD_VAR, "1", 1);
	return 0;
}

static int print(const tp_creds *c, time_t lease_end)
{
	time_t exp = c->expiration && c->expiration < lease_end ? c->expiration : lease_end;

	return tp_json_print(json_pack("{s:i, s:s, s:s, s:s, s:o}", "Version", 1,
				       "AccessKeyId", c->access_key_id,
				       "SecretAccessKey", c->secret_access_key,
				       "SessionToken", c->session_token ? c->session_token : "",
				       "Expiration", tp_json_time(exp)));
}

static int assume(const tp_project *p, const tp_account *a, tp_creds *out)
{
	tp_cred_provider *base = tp_creds_default_chain();
	tp_account_creds *ac = tp_account_creds_new(base, tp_project_region(p),
						    p->config->pool.role);
	char session[TP_SESSION_NAME_MAX + 1];
	long left = (long)(a->expires_at - tp_store_now(tp_pool_store(p->pool)));
	int rc;

	tp_account_session_name(session, "claim", a->holder);
	rc = tp_account_creds_get(ac, out, a->id, session,
				  (int)(left < MIN_SESSION_S ? MIN_SESSION_S
					: left > MAX_SESSION_S ? MAX_SESSION_S : left));
	tp_account_creds_free(ac);
	tp_cred_provider_free(base);
	return rc;
}

int cmd_credentials(int argc, char **argv)
{
	struct args a = { TP_LEASE_REF_INIT, NULL, NULL };
	tp_project p = TP_PROJECT_INIT;
	tp_account acct = TP_ACCOUNT_INIT;
	tp_creds creds = TP_CREDS_INIT;
	int64_t token;
	int rc;

	if ((rc = parse(&a, argc, argv)) >= 0)
		return rc;
	rc = guard();
	if (rc == 0)
		rc = tp_project_open(&p, a.dir, a.file);
	if (rc == 0)
		rc = tp_lease_ref_token(&token, p.pool, &a.ref);
	if (rc == 0)
		rc = tp_pool_live_lease(p.pool, &acct, a.ref.account, token);
	if (rc == 0)
		rc = assume(&p, &acct, &creds);
	rc = rc < 0 ? tp_cli_fail("credentials") : print(&creds, acct.expires_at);
	tp_creds_release(&creds);
	tp_account_release(&acct);
	tp_project_release(&p);
	return rc;
}
