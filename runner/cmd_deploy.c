/* tidepool deploy: deploy or refresh stacks in pool accounts (warm the pool). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts/pool.h"
#include "aws/error.h"
#include "aws/util.h"
#include "runner/cli.h"
#include "runner/commands.h"
#include "runner/deploy_calls.h"
#include "runner/deploy_leased.h"
#include "runner/deploy_report.h"
#include "runner/deploy_set.h"
#include "runner/json_out.h"
#include "runner/project.h"

static const char help[] =
	"usage: tidepool deploy (--account ID... | --all) [--stack NAME]... [--force] [--json]\n"
	"                       [-C DIR | -c FILE]\n"
	"\n"
	"Deploy the project's stacks into pool accounts, or bring them up to date: warm\n"
	"the pool so that runs find their stacks already there. Each account is leased\n"
	"while it is deployed, then released as available (not dirty: nothing ran in it).\n"
	"\n"
	"A stack whose tidepool:hash tag already equals its content hash (template,\n"
	"parameters, capabilities, tags, watched files) and whose status is\n"
	"CREATE_COMPLETE or UPDATE_COMPLETE is skipped after one DescribeStacks. Stacks\n"
	"start as soon as the stacks they depend on are done in that account; all the\n"
	"accounts deploy at once. Templates, parameters and depends_on are checked\n"
	"before any AWS call (exit 2 naming file:line:column).\n"
	"\n"
	"  --account ID   deploy into this pool account (repeatable)\n"
	"  --all          deploy into every available pool account\n"
	"  --stack NAME   deploy only this stack and what it depends on (repeatable;\n"
	"                 default: every stack)\n"
	"  --force        deploy even the stacks whose hash matches\n"
	"  --json         print one JSON document on stdout: per account per stack the\n"
	"                 result, and the AWS API calls made, by operation\n"
	"  -C DIR         the project directory holding tidepool.yaml (default: .)\n"
	"  -c FILE        the configuration file\n"
	"  -h, --help     show this help\n"
	"\n"
	"Progress goes to stderr, the closing table to stdout. Command stacks' output is\n"
	"kept in .tidepool/logs/deploy/ACCOUNT/STACK.log under the project directory.\n"
	"TIDEPOOL_API_LOG=FILE writes every AWS call (one JSON object per line).\n"
	"\n"
	"Exit codes: 0 every stack deployed; 2 usage or configuration error; 3 a stack\n"
	"or an account failed (the others still finish); 130 interrupted (SIGINT or\n"
	"SIGTERM: what is deploying is abandoned, the leases are released).\n";

struct args {
	const char **accounts, **stacks;
	size_t naccounts, nstacks;
	const char *dir, *file;
	int all, force, json;
};

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
	(void)sig;
	interrupted = 1;
}

static void push(const char ***v, size_t *n, const char *s)
{
	*v = tp_xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = s;
}

/* -1 when parsed; else the exit code (help, usage error). */
static int parse(struct args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "account", required_argument, NULL, 'a' },
		{ "all", no_argument, NULL, 'A' },
		{ "stack", required_argument, NULL, 's' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "directory", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	size_t i;
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "C:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a': push(&a->accounts, &a->naccounts, optarg); break;
		case 'A': a->all = 1; break;
		case 's': push(&a->stacks, &a->nstacks, optarg); break;
		case 'f': a->force = 1; break;
		case 'j': a->json = 1; break;
		case 'C': a->dir = optarg; break;
		case 'c': a->file = optarg; break;
		case 'h': return tp_cli_help(help);
		default: return tp_cli_usage_error("deploy", "unknown option");
		}
	}
	if (optind < argc)
		return tp_cli_usage_error("deploy", "unexpected argument '%s'", argv[optind]);
	if (!a->all && !a->naccounts)
		return tp_cli_usage_error("deploy", "say where: --account ID (repeatable) or --all");
	if (a->all && a->naccounts)
		return tp_cli_usage_error("deploy", "--all and --account exclude each other");
	for (i = 0; i < a->naccounts; i++)
		if (!tp_is_account_id(a->accounts[i]))
			return tp_cli_usage_error("deploy", "--account %s: not an AWS account id "
						  "(12 digits)", a->accounts[i]);
	return -1;
}

/* ---- which accounts ------------------------------------------------------------------- */

typedef struct run {
	struct args *a;
	tp_config *config;            /* validated first, before any AWS call */
	tp_deploy_set *set;
	tp_project p;
	tp_deploy_target *t;
	size_t n;
	int *leased;
	char run_id[17];
	char *holder;
} run;

static void add_target(run *r, const char *account)
{
	r->t = tp_xrealloc(r->t, (r->n + 1) * sizeof(*r->t));
	memset(&r->t[r->n], 0, sizeof(*r->t));
	tp_strlcpy(r->t[r->n].account, account, sizeof(r->t[r->n].account));
	r->n++;
}

/* --all: every available account, others named on stderr. */
static int all_available(run *r)
{
	tp_account_list l = TP_ACCOUNT_LIST_INIT;
	size_t i;
	time_t now;

	if (tp_store_list(tp_pool_store(r->p.pool), &l) < 0)
		return -1;
	now = tp_store_now(tp_pool_store(r->p.pool));
	for (i = 0; i < l.n; i++) {
		const tp_account *a = &l.items[i];

		if (tp_pool_is_blocklisted(r->p.pool, a->id))
			continue;
		if (a->state == TP_ACCOUNT_AVAILABLE)
			add_target(r, a->id);
		else
			fprintf(stderr, "tidepool deploy: skipping %s: %s%s%s\n", a->id,
				tp_account_state_name(tp_account_state_at(a, now)),
				a->holder ? " by " : "", a->holder ? a->holder : "");
	}
	tp_account_list_release(&l);
	if (r->n == 0)
		return tp_error_set(TP_EBUSY, "no account available to deploy into (%zu in the pool)",
				    l.n);
	return 0;
}

/* --account: each must be a pool member (a usage error otherwise, before leasing any). */
static int named(run *r)
{
	tp_account a = TP_ACCOUNT_INIT;
	size_t i;
	int rc;

	for (i = 0; i < r->a->naccounts; i++) {
		const char *id = r->a->accounts[i];

		if (tp_pool_check_id(r->p.pool, id) < 0)
			return -1;
		rc = tp_store_get(tp_pool_store(r->p.pool), &a, id);
		tp_account_release(&a);
		if (rc == TP_ENOTFOUND)
			return tp_error_set(TP_EINVAL, "--account %s: not in the pool (tidepool pool "
					    "add %s)", id, id);
		if (rc < 0)
			return rc;
		add_target(r, id);
	}
	return 0;
}

static void lease_all(run *r)
{
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	tp_lease l;
	size_t i;

	r->leased = tp_xcalloc(r->n + 1, sizeof(int));
	o.holder = r->holder;
	o.run_id = r->run_id;
	o.ttl = r->config->pool.lease_ttl;
	for (i = 0; i < r->n; i++) {
		o.account = r->t[i].account;
		if (tp_pool_acquire(r->p.pool, &l, &o, 0) < 0) {
			r->t[i].error = tp_xasprintf("cannot lease it: %s", tp_error_last()->msg);
			continue;
		}
		r->t[i].token = l.token;
		r->leased[i] = 1;
	}
}

static void release_all(run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (r->leased[i] && tp_store_release(tp_pool_store(r->p.pool), r->t[i].account,
						      r->t[i].token, TP_RELEASE_AVAILABLE) < 0)
			fprintf(stderr, "tidepool deploy: releasing %s: %s\n", r->t[i].account,
				tp_error_last()->msg);
}

/* ---- deploying ------------------------------------------------------------------------ */

static int report(run *r, tp_deploy_leased *l, tp_deploy_calls *calls)
{
	tp_deploy_summary *s = tp_xcalloc(r->n + 1, sizeof(*s));
	size_t i;

	for (i = 0; i < r->n; i++)
		tp_deploy_leased_summary(l, i, &s[i]);
	if (r->a->json)
		tp_json_print(tp_deploy_report_json(s, r->n, tp_deploy_calls_json(calls)));
	else
		tp_deploy_report_table(stdout, s, r->n);
	fflush(stdout);
	free(s);
	return 0;
}

static int deploy(run *r)
{
	tp_deploy_leased_opts o;
	tp_deploy_leased *l = NULL;
	tp_deploy_calls *calls = NULL;
	const char **ids = tp_xcalloc(r->n + 1, sizeof(char *));
	char *log_dir = tp_xasprintf("%s/.tidepool/logs/deploy", r->config->dir);
	size_t i;
	int rc;

	if (tp_deploy_calls_new(&calls, getenv("TIDEPOOL_API_LOG")) < 0) {
		free(ids);
		free(log_dir);
		return -1;
	}
	for (i = 0; i < r->n; i++)
		ids[i] = r->t[i].account;
	memset(&o, 0, sizeof(o));
	o.config = r->config;
	o.store = tp_pool_store(r->p.pool);
	o.lease_ttl = r->config->pool.lease_ttl;
	o.set = r->set;
	o.force = r->a->force;
	o.run_id = r->run_id;
	o.log_dir = log_dir;
	o.calls = calls;
	o.interrupted = &interrupted;
	o.progress = tp_deploy_progress_new(stderr, isatty(2) && !getenv("CI"), ids, r->n, r->set->n);
	for (i = 0; i < r->n; i++)
		if (r->t[i].error)
			tp_deploy_progress_account(o.progress, i, r->t[i].error);
	rc = tp_deploy_leased_run(&l, r->t, r->n, &o);
	tp_deploy_progress_free(o.progress);
	report(r, l, calls);
	tp_deploy_leased_free(l);
	tp_deploy_calls_free(calls);
	free(ids);
	free(log_dir);
	return rc;
}

static int load_config(run *r)
{
	if (r->a->file)
		return tp_config_load(&r->config, r->a->file);
	return tp_config_load_dir(&r->config, r->a->dir ? r->a->dir : ".");
}

static void new_run_id(char out[17])
{
	unsigned char b[8];

	if (tp_random_bytes(b, sizeof(b)) < 0)
		memset(b, 0, sizeof(b));
	tp_hex(out, b, sizeof(b));
}

/* Checks that need no AWS, then the pool, the leases and the deploy. */
static int go(run *r)
{
	int rc;

	if (load_config(r) < 0 ||
	    tp_deploy_set_new(&r->set, r->config, r->a->stacks, r->a->nstacks) < 0)
		return tp_cli_fail("deploy");
	if (r->set->n == 0) {
		fprintf(stderr, "tidepool deploy: the project has no stacks\n");
		return TP_EXIT_OK;
	}
	if (tp_project_open(&r->p, r->a->dir, r->a->file) < 0 || tp_pool_sync(r->p.pool, NULL) < 0 ||
	    (r->a->all ? all_available(r) : named(r)) < 0 || tp_deploy_preflight(r->config) < 0)
		return tp_cli_fail("deploy");
	lease_all(r);
	rc = deploy(r);
	release_all(r);
	if (rc == TP_EINTR)
		return TP_EXIT_INTERRUPTED;
	return rc < 0 ? TP_EXIT_INFRA : TP_EXIT_OK;
}

static void run_release(run *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->t[i].error);
	free(r->t);
	free(r->leased);
	free(r->holder);
	tp_deploy_set_free(r->set);
	tp_project_release(&r->p);
	tp_config_free(r->config);
	free(r->a->accounts);
	free(r->a->stacks);
}

int cmd_deploy(int argc, char **argv)
{
	struct args a;
	struct sigaction sa, old_int, old_term;
	run r;
	char *owner;
	int rc;

	memset(&a, 0, sizeof(a));
	memset(&r, 0, sizeof(r));
	r.a = &a;
	if ((rc = parse(&a, argc, argv)) >= 0) {
		free(a.accounts);
		free(a.stacks);
		return rc;
	}
	new_run_id(r.run_id);
	owner = tp_project_default_owner();
	r.holder = tp_xasprintf("tidepool deploy (%s)", owner);
	free(owner);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = go(&r);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	run_release(&r);
	return rc;
}
