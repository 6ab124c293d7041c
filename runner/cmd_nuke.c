/* tidepool nuke: clean pool accounts (dry run unless --no-dry-run). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "accounts/creds.h"
#include "aws/client.h"
#include "aws/error.h"
#include "aws/util.h"
#include "cleaner/account_client.h"
#include "cleaner/nuke.h"
#include "cleaner/safety.h"
#include "runner/cli.h"
#include "runner/commands.h"
#include "runner/json_out.h"
#include "runner/project.h"

static const char help[] =
	"usage: tidepool nuke ACCOUNT... [--no-dry-run] [--yes] [--region R]... [--parallel N]\n"
	"                     [--json] [-C DIR | -c FILE]\n"
	"\n"
	"Delete everything in pool accounts that the filters do not keep. Without\n"
	"--no-dry-run nothing is deleted: every resource is listed as \"would remove\"\n"
	"or \"filtered\" with the reason.\n"
	"\n"
	"Kept: the access role (pool.role); cleaner.protect rules; in keep-stacks mode\n"
	"(cleaner.mode, the default) every stack tagged tidepool:managed=true, what\n"
	"such a stack owns, and tidepool's artifacts buckets; whatever AWS manages.\n"
	"CloudFormation stacks go first (and are waited for), then every other type\n"
	"in dependency order, in passes until nothing is left or a pass removes\n"
	"nothing.\n"
	"\n"
	"Refused, before anything is deleted: an id that is not 12 digits, an\n"
	"account not in the pool, a blocklisted account, an account with a live\n"
	"lease, the caller's own account, an account whose alias contains \"prod\"\n"
	"(unless cleaner.allow_prod_alias: true), the organization's management\n"
	"account. On a terminal, --no-dry-run asks for the account id to be typed\n"
	"unless --yes; without a terminal it needs --yes.\n"
	"\n"
	"Output: REGION - TYPE - ID - STATE per resource, then\n"
	"\"Scan complete: N total, N nukeable, N filtered.\" and\n"
	"\"Nuke complete: N failed, N skipped, N finished.\"; progress on stderr.\n"
	"Exit status: 0 done (a dry run that could list everything), 2 usage,\n"
	"configuration or refusal, 3 resources left or a listing failed, 130\n"
	"interrupted.\n"
	"\n"
	"  --no-dry-run   delete for real\n"
	"  --yes          do not ask for the account id\n"
	"  --region R     clean region R (repeatable; default: tidepool.yaml regions)\n"
	"  --parallel N   AWS calls in flight per account (default 12)\n"
	"  --json         one JSON document on stdout: every resource and the summary\n"
	"  -C DIR         the project directory holding tidepool.yaml (default: .)\n"
	"  -c FILE        the configuration file\n"
	"  -h, --help     show this help\n";

struct args {
	char **accounts;
	size_t n_accounts;
	const char **regions;
	size_t n_regions;
	int no_dry_run, yes, json, parallel;
	const char *dir, *file;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void catch_interrupts(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sa.sa_flags = (int)SA_RESETHAND;   /* a second ^C ends it at once */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int parse_parallel(const char *s, int *out)
{
	long v;

	if (tp_parse_long(s, &v) < 0 || v < 1 || v > TP_WORKQ_MAX_THREADS)
		return tp_cli_usage_error("nuke", "--parallel: expected 1..%d, got '%s'",
					  TP_WORKQ_MAX_THREADS, s);
	*out = (int)v;
	return -1;
}

/* -1: go on; otherwise the exit code. */
static int parse(struct args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-dry-run", no_argument, NULL, 'N' },
		{ "yes", no_argument, NULL, 'y' },
		{ "region", required_argument, NULL, 'r' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "directory", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, rc;

	optind = 1;
	while ((c = getopt_long(argc, argv, "C:c:hy", opts, NULL)) != -1) {
		switch (c) {
		case 'N': a->no_dry_run = 1; break;
		case 'y': a->yes = 1; break;
		case 'r':
			a->regions = tp_xrealloc(a->regions, (a->n_regions + 1) * sizeof(*a->regions));
			a->regions[a->n_regions++] = optarg;
			break;
		case 'p':
			if ((rc = parse_parallel(optarg, &a->parallel)) >= 0)
				return rc;
			break;
		case 'j': a->json = 1; break;
		case 'C': a->dir = optarg; break;
		case 'c': a->file = optarg; break;
		case 'h': return tp_cli_help(help);
		default: return tp_cli_usage_error("nuke", "unknown option");
		}
	}
	if (optind >= argc)
		return tp_cli_usage_error("nuke", "expected at least one ACCOUNT");
	a->accounts = argv + optind;
	a->n_accounts = (size_t)(argc - optind);
	return -1;
}

/* What needs no AWS call and no configuration: ids, and consent without a terminal. */
static int check_args(const struct args *a)
{
	size_t i;

	for (i = 0; i < a->n_accounts; i++)
		if (!tp_is_account_id(a->accounts[i]))
			return tp_cli_usage_error("nuke", "'%s' is not an AWS account id (12 digits)",
						  a->accounts[i]);
	if (a->no_dry_run && !a->yes && !isatty(STDIN_FILENO))
		return tp_cli_usage_error("nuke", "refusing to delete without confirmation: "
					  "--no-dry-run needs --yes when stdin is not a terminal");
	return -1;
}

/* ---- output ------------------------------------------------------------------ */

typedef struct printer {
	int json;
	int progress_tty;
} printer;

static void on_event(void *ctx, const tp_nuke_event *ev)
{
	printer *p = ctx;
	tp_buf line = TP_BUF_INIT;
	FILE *to = ev->kind == TP_NUKE_EV_ITEM ? stdout : stderr;

	if (p->json && ev->kind == TP_NUKE_EV_ITEM)
		return;
	if (tp_nuke_format_event(&line, ev)) {
		if (ev->kind == TP_NUKE_EV_PROGRESS)
			fprintf(to, "tidepool nuke: %s: %s\n", ev->account, tp_buf_cstr(&line));
		else
			fprintf(to, "%s\n", tp_buf_cstr(&line));
		fflush(to);
	}
	if (ev->kind == TP_NUKE_EV_SCANNED && !p->json) {
		tp_buf_reset(&line);
		tp_nuke_format_scan_summary(&line, ev->summary);
		printf("%s\n", tp_buf_cstr(&line));
		fflush(stdout);
	}
	tp_buf_release(&line);
}

static void print_end(const tp_nuke_report *r)
{
	tp_buf line = TP_BUF_INIT;

	if (r->summary.dry_run) {
		printf("The above resources would be deleted with the supplied configuration. "
		       "Provide --no-dry-run to actually destroy resources.\n");
	} else {
		tp_nuke_format_nuke_summary(&line, &r->summary);
		printf("%s\n", tp_buf_cstr(&line));
	}
	tp_buf_release(&line);
	fflush(stdout);
}

/* ---- one account ---------------------------------------------------------------- */

typedef struct nuke_cmd {
	struct args *a;
	tp_project p;
	tp_filter filter;
	const char *const *regions;
	size_t n_regions;
	tp_cred_provider *base;
	tp_aws_client *caller;
	char caller_account[16];
	tp_account_creds *creds;
	printer out;
	json_t *reports;
	int unclean;
} nuke_cmd;

static int confirm(const char *account, const char *alias)
{
	char line[64];

	fprintf(stderr, "Do you really want to nuke the account with the ID %s and the alias '%s'?\n"
		"Do you want to continue? Enter account ID to continue.\n> ", account,
		*alias ? alias : "(none)");
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, account) == 0)
		return 0;
	return tp_error_set(TP_EINVAL, "aborted: '%s' is not %s; nothing was deleted", line,
			    account);
}

static void base_opts(nuke_cmd *n, tp_nuke_opts *o)
{
	o->regions = n->regions;
	o->n_regions = n->n_regions;
	o->filter = &n->filter;
	o->dry_run = !n->a->no_dry_run;
	o->parallel = n->a->parallel;
	o->on_event = on_event;
	o->event_ctx = &n->out;
	o->progress_ms = n->out.progress_tty ? 1000 : 10000;
	o->interrupted = &interrupted;
}

/* A client in `account` once every safety check passed; its alias into alias[256]. */
static int reach(nuke_cmd *n, const char *account, tp_aws_client **target, char *alias)
{
	tp_safety_opts so = TP_SAFETY_OPTS_INIT;
	char session[TP_SESSION_NAME_MAX + 1];
	int rc;

	so.account = account;
	so.config = n->p.config;
	so.pool = n->p.pool;
	so.caller_account = n->caller_account;
	so.caller = n->caller;
	tp_account_session_name(session, "nuke", NULL);
	if ((rc = tp_safety_check_pool(&so)) < 0 ||
	    (rc = tp_account_client_new(target, n->creds, account, session, n->regions[0])) < 0)
		return rc;
	so.target = *target;
	return tp_safety_check_account(&so, alias, 256);
}

static int run(nuke_cmd *n, tp_aws_client *target, const char *account, const char *alias)
{
	tp_nuke_opts o = TP_NUKE_OPTS_INIT;
	tp_nuke_report rep = TP_NUKE_REPORT_INIT;
	int rc;

	fprintf(stderr, "tidepool nuke: account %s%s%s%s, %zu region%s, %s\n", account,
		*alias ? " (alias " : "", alias, *alias ? ")" : "", n->n_regions,
		n->n_regions == 1 ? "" : "s", n->a->no_dry_run ? "deleting" : "dry run");
	base_opts(n, &o);
	o.client = target;
	o.account = account;
	rc = tp_nuke_run(&rep, &o);
	if (rc == 0 || rc == TP_EINTR) {
		if (!n->out.json)
			print_end(&rep);
		json_array_append_new(n->reports, tp_nuke_report_json(&rep));
		n->unclean |= n->a->no_dry_run ? !tp_nuke_report_clean(&rep) : rep.n_errors > 0;
	}
	tp_nuke_report_release(&rep);
	return rc;
}

static int nuke_one(nuke_cmd *n, const char *account)
{
	tp_aws_client *target = NULL;
	char alias[256] = "";
	int rc;

	rc = reach(n, account, &target, alias);
	if (rc == 0 && n->a->no_dry_run && !n->a->yes)
		rc = confirm(account, alias);
	if (rc == 0)
		rc = run(n, target, account, alias);
	tp_aws_client_free(target);
	return rc;
}

/* ---- setup ---------------------------------------------------------------------- */

static int setup(nuke_cmd *n)
{
	tp_aws_client_opts co = TP_AWS_CLIENT_OPTS_INIT;
	const tp_config *c;
	size_t i;
	int rc;

	if ((rc = tp_project_open(&n->p, n->a->dir, n->a->file)) < 0)
		return rc;
	c = n->p.config;
	if ((rc = tp_filter_validate(c, tp_resource_types())) < 0)
		return rc;
	tp_filter_from_config(&n->filter, c);
	n->regions = n->a->n_regions ? n->a->regions : (const char *const *)c->regions.items;
	n->n_regions = n->a->n_regions ? n->a->n_regions : c->regions.n;
	for (i = 0; i < n->a->n_accounts; i++) {   /* refuse all we can before any AWS call */
		tp_safety_opts so = TP_SAFETY_OPTS_INIT;

		so.account = n->a->accounts[i];
		so.config = c;
		so.pool = n->p.pool;
		if ((rc = tp_safety_check_pool(&so)) < 0)
			return rc;
	}
	co.region = tp_project_region(&n->p);
	if ((rc = tp_aws_client_new(&n->caller, &co)) < 0 ||
	    (rc = tp_safety_caller_account(n->caller, n->caller_account)) < 0)
		return rc;
	n->base = tp_creds_default_chain();
	n->creds = tp_account_creds_new(n->base, tp_project_region(&n->p), c->pool.role);
	return 0;
}

static void teardown(nuke_cmd *n)
{
	tp_account_creds_free(n->creds);
	tp_cred_provider_free(n->base);
	tp_aws_client_free(n->caller);
	tp_project_release(&n->p);
	json_decref(n->reports);
}

static int print_json(nuke_cmd *n)
{
	json_t *doc = json_pack("{s:b, s:O, s:b}", "dry_run", !n->a->no_dry_run,
				"accounts", n->reports, "clean", !n->unclean);

	return tp_json_print(doc);
}

int cmd_nuke(int argc, char **argv)
{
	struct args a;
	nuke_cmd n;
	size_t i;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&n, 0, sizeof(n));
	if ((rc = parse(&a, argc, argv)) >= 0 || (rc = check_args(&a)) >= 0) {
		free(a.regions);
		return rc;
	}
	n.a = &a;
	n.out.json = a.json;
	n.out.progress_tty = isatty(STDERR_FILENO);
	n.reports = json_array();
	catch_interrupts();
	rc = setup(&n);
	for (i = 0; rc == 0 && i < a.n_accounts && !interrupted; i++)
		rc = nuke_one(&n, a.accounts[i]);
	if (rc == 0 && interrupted)
		rc = tp_error_set(TP_EINTR, "interrupted");
	if (a.json && (rc == 0 || rc == TP_EINTR))
		print_json(&n);
	if (rc < 0)
		rc = tp_cli_fail("nuke");
	else
		rc = n.unclean ? TP_EXIT_INFRA : TP_EXIT_OK;
	teardown(&n);
	free(a.regions);
	return rc;
}
