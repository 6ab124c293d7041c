/* tidepool sweep: clean every dirty or expired pool account, several at once. */
#include <getopt.h>
#include <pthread.h>
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
#include "cleaner/safety.h"
#include "cleaner/sweep.h"
#include "runner/cli.h"
#include "runner/commands.h"
#include "runner/json_out.h"
#include "runner/project.h"

static const char help[] =
	"usage: tidepool sweep [--no-dry-run] [--yes] [--accounts N] [--parallel N] [--json]\n"
	"                      [-C DIR | -c FILE]\n"
	"\n"
	"Clean every pool account that is dirty (released) or whose lease expired\n"
	"without a heartbeat (leaked), several accounts at once. Each is marked\n"
	"cleaning, nuked as `tidepool nuke` would (same filters and safety checks),\n"
	"and becomes available when nothing nukeable is left. A clean that fails\n"
	"leaves the account dirty for the next sweep; the third failure in a row\n"
	"quarantines it, with the reason shown by `tidepool status`. `tidepool\n"
	"release` hands an account to this path by marking it dirty.\n"
	"\n"
	"Without --no-dry-run nothing is deleted and no account changes state.\n"
	"On a terminal, --no-dry-run asks for the number of accounts to be typed\n"
	"unless --yes; without a terminal it needs --yes.\n"
	"\n"
	"Output: ACCOUNT: REGION - TYPE - ID - STATE per resource, each account's\n"
	"outcome, then \"Sweep complete: ...\". Exit status: 0 every account cleaned\n"
	"(or, in a dry run, listed), 2 usage or configuration, 3 an account failed\n"
	"or was quarantined, 130 interrupted.\n"
	"\n"
	"  --no-dry-run   delete for real\n"
	"  --yes          do not ask\n"
	"  --accounts N   accounts cleaned at once (default 4)\n"
	"  --parallel N   AWS calls in flight per account (default 12)\n"
	"  --json         one JSON document on stdout\n"
	"  -C DIR         the project directory holding tidepool.yaml (default: .)\n"
	"  -c FILE        the configuration file\n"
	"  -h, --help     show this help\n";

struct args {
	int no_dry_run, yes, json, parallel, accounts;
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
	sa.sa_flags = (int)SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int parse_count(const char *opt, const char *s, int max, int *out)
{
	long v;

	if (tp_parse_long(s, &v) < 0 || v < 1 || v > max)
		return tp_cli_usage_error("sweep", "%s: expected 1..%d, got '%s'", opt, max, s);
	*out = (int)v;
	return -1;
}

static int parse(struct args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-dry-run", no_argument, NULL, 'N' },
		{ "yes", no_argument, NULL, 'y' },
		{ "accounts", required_argument, NULL, 'a' },
		{ "parallel", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "directory", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c, rc = -1;

	optind = 1;
	while (rc < 0 && (c = getopt_long(argc, argv, "C:c:hy", opts, NULL)) != -1) {
		switch (c) {
		case 'N': a->no_dry_run = 1; break;
		case 'y': a->yes = 1; break;
		case 'a': rc = parse_count("--accounts", optarg, 64, &a->accounts); break;
		case 'p': rc = parse_count("--parallel", optarg, TP_WORKQ_MAX_THREADS, &a->parallel);
			break;
		case 'j': a->json = 1; break;
		case 'C': a->dir = optarg; break;
		case 'c': a->file = optarg; break;
		case 'h': return tp_cli_help(help);
		default: return tp_cli_usage_error("sweep", "unknown option");
		}
	}
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return tp_cli_usage_error("sweep", "unexpected argument '%s'", argv[optind]);
	if (a->no_dry_run && !a->yes && !isatty(STDIN_FILENO))
		return tp_cli_usage_error("sweep", "refusing to delete without confirmation: "
					  "--no-dry-run needs --yes when stdin is not a terminal");
	return -1;
}

/* ---- output (events come from several sweep threads) ----------------------- */

typedef struct printer {
	pthread_mutex_t lock;    /* one line at a time */
	int json;
} printer;

static void on_event(void *ctx, const tp_nuke_event *ev)
{
	printer *p = ctx;
	tp_buf line = TP_BUF_INIT;
	int has = tp_nuke_format_event(&line, ev);

	pthread_mutex_lock(&p->lock);
	if (has && ev->kind == TP_NUKE_EV_ITEM && !p->json)
		printf("%s: %s\n", ev->account, tp_buf_cstr(&line));
	else if (has && ev->kind != TP_NUKE_EV_ITEM)
		fprintf(stderr, "tidepool sweep: %s: %s\n", ev->account, tp_buf_cstr(&line));
	if (ev->kind == TP_NUKE_EV_SCANNED && !p->json) {
		tp_buf_reset(&line);
		tp_nuke_format_scan_summary(&line, ev->summary);
		printf("%s: %s\n", ev->account, tp_buf_cstr(&line));
	}
	fflush(stdout);
	pthread_mutex_unlock(&p->lock);
	tp_buf_release(&line);
}

static void print_outcome(const tp_sweep_item *it)
{
	tp_buf line = TP_BUF_INIT;

	if (it->report.account[0] && !it->report.summary.dry_run) {
		tp_nuke_format_nuke_summary(&line, &it->report.summary);
		printf("%s: %s\n", it->account, tp_buf_cstr(&line));
	}
	switch (it->outcome) {
	case TP_SWEEP_CLEANED:
		printf("%s: cleaned (was %s), now available\n", it->account,
		       tp_account_state_name(it->before));
		break;
	case TP_SWEEP_FAILED:
		printf("%s: clean failed (%d of %d in a row), still dirty: %s\n", it->account,
		       it->failed_cleans, TP_QUARANTINE_AFTER, it->reason ? it->reason : "");
		break;
	case TP_SWEEP_QUARANTINED:
		printf("%s: quarantined after %d failed cleans: %s\n", it->account,
		       it->failed_cleans, it->reason ? it->reason : "");
		break;
	case TP_SWEEP_SKIPPED:
		printf("%s: skipped: %s\n", it->account, it->reason ? it->reason : "");
		break;
	case TP_SWEEP_WOULD_CLEAN:
		printf("%s: would clean (%s): %zu nukeable, %zu filtered%s%s\n", it->account,
		       tp_account_state_name(it->before), it->report.summary.nukeable,
		       it->report.summary.filtered, it->reason ? "; " : "",
		       it->reason ? it->reason : "");
		break;
	}
	tp_buf_release(&line);
}

static void print_report(const tp_sweep_report *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		print_outcome(&r->items[i]);
	if (r->dry_run)
		printf("Sweep dry run: %zu account%s would be cleaned. Provide --no-dry-run to "
		       "actually destroy resources.\n", r->n, r->n == 1 ? "" : "s");
	else
		printf("Sweep complete: %zu cleaned, %zu failed, %zu quarantined, %zu skipped.\n",
		       r->cleaned, r->failed, r->quarantined, r->skipped);
}

/* Exit 3 when an account was left unclean (a dry run: could not be listed). */
static int unclean(const tp_sweep_report *r)
{
	size_t i;

	if (r->failed || r->quarantined)
		return 1;
	for (i = 0; r->dry_run && i < r->n; i++)
		if (r->items[i].reason)
			return 1;
	return 0;
}

/* ---- the command -------------------------------------------------------------- */

typedef struct sweep_cmd {
	struct args *a;
	tp_project p;
	tp_filter filter;
	tp_cred_provider *base;
	tp_aws_client *caller;
	char caller_account[16];
	tp_account_creds *creds;
	printer out;
} sweep_cmd;

static int setup(sweep_cmd *s)
{
	tp_aws_client_opts co = TP_AWS_CLIENT_OPTS_INIT;
	int rc;

	if ((rc = tp_project_open(&s->p, s->a->dir, s->a->file)) < 0 ||
	    (rc = tp_filter_validate(s->p.config, tp_resource_types())) < 0)
		return rc;
	tp_filter_from_config(&s->filter, s->p.config);
	co.region = tp_project_region(&s->p);
	if ((rc = tp_aws_client_new(&s->caller, &co)) < 0 ||
	    (rc = tp_safety_caller_account(s->caller, s->caller_account)) < 0)
		return rc;
	s->base = tp_creds_default_chain();
	s->creds = tp_account_creds_new(s->base, tp_project_region(&s->p), s->p.config->pool.role);
	return 0;
}

static void teardown(sweep_cmd *s)
{
	tp_account_creds_free(s->creds);
	tp_cred_provider_free(s->base);
	tp_aws_client_free(s->caller);
	tp_project_release(&s->p);
}

/* On a terminal, without --yes: name the accounts and have their number typed. */
static int confirm(sweep_cmd *s)
{
	tp_account_list l = TP_ACCOUNT_LIST_INIT;
	char line[32], want[32];
	size_t i;
	int rc;

	if ((rc = tp_sweep_candidates(s->p.pool, NULL, &l)) < 0)
		return rc;
	fprintf(stderr, "tidepool sweep will delete everything the filters do not keep in:\n");
	for (i = 0; i < l.n; i++)
		fprintf(stderr, "  %s (%s)\n", l.items[i].id,
			tp_account_state_name(tp_account_state_at(&l.items[i],
								  tp_store_now(tp_pool_store(s->p.pool)))));
	snprintf(want, sizeof(want), "%zu", l.n);
	tp_account_list_release(&l);
	fprintf(stderr, "Enter the number of accounts (%s) to continue.\n> ", want);
	fflush(stderr);
	if (!fgets(line, sizeof(line), stdin))
		line[0] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, want) == 0)
		return 0;
	return tp_error_set(TP_EINVAL, "aborted: '%s' is not %s; nothing was deleted", line, want);
}

static int sweep(sweep_cmd *s, tp_sweep_report *r)
{
	tp_sweep_opts o = TP_SWEEP_OPTS_INIT;
	const tp_config *c = s->p.config;

	o.pool = s->p.pool;
	o.config = c;
	o.creds = s->creds;
	o.region = tp_project_region(&s->p);
	o.caller = s->caller;
	o.caller_account = s->caller_account;
	o.accounts_parallel = s->a->accounts;
	o.nuke.regions = (const char *const *)c->regions.items;
	o.nuke.n_regions = c->regions.n;
	o.nuke.filter = &s->filter;
	o.nuke.dry_run = !s->a->no_dry_run;
	o.nuke.parallel = s->a->parallel;
	o.nuke.on_event = on_event;
	o.nuke.event_ctx = &s->out;
	o.nuke.progress_ms = isatty(STDERR_FILENO) ? 2000 : 10000;
	o.nuke.interrupted = &interrupted;
	return tp_sweep_run(r, &o);
}

int cmd_sweep(int argc, char **argv)
{
	struct args a;
	sweep_cmd s;
	tp_sweep_report r = TP_SWEEP_REPORT_INIT;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&s, 0, sizeof(s));
	if ((rc = parse(&a, argc, argv)) >= 0)
		return rc;
	s.a = &a;
	s.out.json = a.json;
	pthread_mutex_init(&s.out.lock, NULL);
	catch_interrupts();
	rc = setup(&s);
	if (rc == 0 && a.no_dry_run && !a.yes)
		rc = confirm(&s);
	if (rc == 0)
		rc = sweep(&s, &r);
	if (rc == 0 && interrupted)
		rc = tp_error_set(TP_EINTR, "interrupted");
	if (rc == 0 && a.json)
		tp_json_print(tp_sweep_report_json(&r));
	else if (rc == 0)
		print_report(&r);
	if (rc < 0)
		rc = tp_cli_fail("sweep");
	else
		rc = unclean(&r) ? TP_EXIT_INFRA : TP_EXIT_OK;
	tp_sweep_report_release(&r);
	teardown(&s);
	pthread_mutex_destroy(&s.out.lock);
	return rc;
}
