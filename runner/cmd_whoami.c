/* tidepool whoami: the caller identity through the credential chain. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "aws/client.h"
#include "aws/error.h"
#include "aws/sts.h"
#include "runner/cli.h"
#include "runner/commands.h"

static const char help[] =
	"usage: tidepool whoami [--json] [--region R]\n"
	"\n"
	"Show the AWS identity tidepool runs as: the account and ARN returned by\n"
	"STS GetCallerIdentity with the credentials of the standard chain\n"
	"(environment, AWS_PROFILE and the shared files, web identity, container,\n"
	"instance metadata). Honours AWS_ENDPOINT_URL and AWS_ENDPOINT_URL_STS.\n"
	"\n"
	"  --json        print one JSON document on stdout\n"
	"  --region R    STS region (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)\n"
	"  -h, --help    show this help\n";

static int print(const tp_identity *id, int json)
{
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:s}", "account", id->account, "arn", id->arn,
				      "user_id", id->user_id);
		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
	} else {
		printf("account  %s\narn      %s\n", id->account, id->arn);
	}
	return TP_EXIT_OK;
}

int cmd_whoami(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "region", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	tp_aws_client_opts co = TP_AWS_CLIENT_OPTS_INIT;
	tp_aws_client *client = NULL;
	tp_identity id;
	int json = 0, c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'r': co.region = optarg; break;
		case 'h': return tp_cli_help(help);
		default: return tp_cli_usage_error("whoami", "unknown option");
		}
	}
	if (optind < argc)
		return tp_cli_usage_error("whoami", "unexpected argument '%s'", argv[optind]);
	if (tp_aws_client_new(&client, &co) < 0)
		return tp_cli_fail("whoami");
	rc = tp_sts_get_caller_identity(client, &id);
	tp_aws_client_free(client);
	if (rc < 0)
		return tp_cli_fail("whoami");
	return print(&id, json);
}
