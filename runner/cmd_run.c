/* tidepool run: lease, deploy, run suites concurrently, release to the cleaner. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/cli.h"
#include "runner/commands.h"
#include "runner/report_json.h"
#include "runner/report_table.h"
#include "runner/run.h"

static const char help[] =
	"usage: tidepool run [-j N] [--local] [--suite GLOB]... [--tag T]... [--shard I/N]\n"
	"                    [--retries N] [--junit FILE] [--report DIR] [--json] [--fail-fast]\n"
	"                    [-C DIR | -c FILE]\n"
	"\n"
	"Run the project's suites concurrently, each in its own pool account: lease\n"
	"accounts (preferring those that already have the stacks a suite needs),\n"
	"deploy the stacks each suite needs (skipping those whose content hash\n"
	"matches), run the suites longest first, and release every account to the\n"
	"cleaner at the end. A leased account runs one suite at a time and takes the\n"
	"next one that fits it. Suite durations are remembered in\n"
	".tidepool/history.db (see `tidepool history`).\n"
	"\n"
	"A suite process runs in the project directory, in its own process group,\n"
	"with the temporary credentials of its account only, AWS_REGION, and\n"
	"TIDEPOOL_ACCOUNT_ID, TIDEPOOL_SUITE, TIDEPOOL_RUN_ID, TIDEPOOL_ATTEMPT,\n"
	"TIDEPOOL_JUNIT (where it may write JUnit XML), TIDEPOOL_ARTIFACTS and\n"
	"TIDEPOOL_OUTPUT_<STACK>_<KEY> for the outputs of its stacks.\n"
	"\n"
	"  -j, --jobs N      accounts at once (default 4; with --local, the accounts created)\n"
	"      --local       run against a local AWS (moto) with a temporary pool\n"
	"      --suite GLOB  only suites whose name matches (repeatable)\n"
	"      --tag T       only suites with this tag (repeatable: any of them)\n"
	"      --shard I/N   only the I-th of N shards, balanced by expected duration (the\n"
	"                    shards partition the suites when every machine has the same\n"
	"                    .tidepool/history.db, e.g. restored from one CI cache)\n"
	"      --retries N   retries of a failed suite, on another account (default: the\n"
	"                    suite's `retries`)\n"
	"      --junit FILE  write JUnit XML: one <testsuite> per suite\n"
	"      --report DIR  write DIR/results.json, DIR/timeline.html and the suites' logs\n"
	"      --json        print the results as one JSON document on stdout\n"
	"      --fail-fast   stop starting suites after the first final failure\n"
	"  -C DIR            the project directory (default: .)\n"
	"  -c FILE           the configuration file (instead of DIR/tidepool.yaml)\n"
	"  -h, --help        show this help\n"
	"\n"
	"Ctrl-C stops starting suites, terminates the running ones (SIGTERM, SIGKILL\n"
	"10 s later), releases their accounts dirty, writes the reports and exits 130;\n"
	"a second Ctrl-C exits at once.\n"
	"\n"
	"Exit codes: 0 every suite passed, 1 a suite failed, 2 usage or configuration\n"
	"error (nothing leased), 3 infrastructure error, 130 interrupted.\n";

struct args {
	tp_run_opts o;
	const char *dir, *file;
	const char **suites, **tags;
	size_t nsuites, ntags;
	int json;
};

static void push(const char ***list, size_t *n, const char *v)
{
	*list = tp_xrealloc(*list, (*n + 1) * sizeof(**list));
	(*list)[(*n)++] = v;
}

static int parse_int(const char *opt, const char *text, long min, int *out)
{
	long v;

	if (tp_parse_long(text, &v) < 0 || v < min || v > 100000)
		return tp_cli_usage_error("run", "%s: '%s' is not a number of at least %ld", opt, text,
					  min);
	*out = (int)v;
	return 0;
}

/* "I/N" with 1 <= I <= N. */
static int parse_shard(const char *text, int *index, int *count)
{
	const char *slash = strchr(text, '/');
	char *i_text;
	long i, n;
	int bad;

	if (!slash)
		return tp_cli_usage_error("run", "--shard '%s': expected I/N, e.g. --shard 2/4", text);
	i_text = tp_xstrndup(text, (size_t)(slash - text));
	bad = tp_parse_long(i_text, &i) < 0 || tp_parse_long(slash + 1, &n) < 0;
	free(i_text);
	if (bad || n < 1 || i < 1 || i > n || n > 10000)
		return tp_cli_usage_error("run", "--shard '%s': expected I/N with 1 <= I <= N, e.g. "
					  "--shard 2/4", text);
	*index = (int)i;
	*count = (int)n;
	return 0;
}

static int parse(struct args *a, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "local", no_argument, NULL, 'L' },
		{ "suite", required_argument, NULL, 's' },
		{ "tag", required_argument, NULL, 't' },
		{ "shard", required_argument, NULL, 'S' },
		{ "retries", required_argument, NULL, 'r' },
		{ "junit", required_argument, NULL, 'J' },
		{ "report", required_argument, NULL, 'R' },
		{ "json", no_argument, NULL, 'O' },
		{ "fail-fast", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "j:C:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': if (parse_int("-j", optarg, 1, &a->o.jobs)) return TP_EXIT_USAGE; break;
		case 'L': a->o.local = 1; break;
		case 's': push(&a->suites, &a->nsuites, optarg); break;
		case 't': push(&a->tags, &a->ntags, optarg); break;
		case 'S':
			if (parse_shard(optarg, &a->o.shard_index, &a->o.shard_count))
				return TP_EXIT_USAGE;
			break;
		case 'r': if (parse_int("--retries", optarg, 0, &a->o.retries)) return TP_EXIT_USAGE; break;
		case 'J': a->o.junit_path = optarg; break;
		case 'R': a->o.report_dir = optarg; break;
		case 'O': a->json = 1; break;
		case 'F': a->o.fail_fast = 1; break;
		case 'C': a->dir = optarg; break;
		case 'c': a->file = optarg; break;
		case 'h': tp_cli_help(help); return -1;
		default: return tp_cli_usage_error("run", "unknown option");
		}
	}
	if (optind < argc)
		return tp_cli_usage_error("run", "unexpected argument '%s'", argv[optind]);
	return 0;
}

static int load(tp_config **c, const struct args *a)
{
	int rc = a->file ? tp_config_load(c, a->file) : tp_config_load_dir(c, a->dir ? a->dir : ".");

	if (rc < 0) {
		fprintf(stderr, "tidepool run: error: %s\n", tp_error_last()->msg);
		return TP_EXIT_USAGE;
	}
	return 0;
}

/* The second Ctrl-C: the suites were killed; leave the leases to expire. */
static void exit_now(void *ctx)
{
	(void)ctx;
	fprintf(stderr, "tidepool run: interrupted twice: exiting now; the leased accounts stay "
			"leased until their TTL passes, then `tidepool sweep` cleans them\n");
	_exit(TP_EXIT_INTERRUPTED);
}

static void print_results(const tp_report *r, const struct args *a)
{
	FILE *out = a->json ? stderr : stdout;
	tp_report_counts c;

	tp_report_counts_get(r, &c);
	if (r->nsuites && (c.attempts || !r->error))   /* not when nothing could start */
		tp_report_table(out, r);
	if (a->o.report_dir)
		fprintf(out, "report: %s/timeline.html (results.json, logs/)\n", a->o.report_dir);
	if (a->o.junit_path)
		fprintf(out, "junit: %s\n", a->o.junit_path);
	if (r->error && r->exit_code != TP_EXIT_USAGE)
		fprintf(stderr, "tidepool run: error: %s\n", r->error);
	if (a->json) {
		json_t *j = tp_report_json(r);
		json_dumpf(j, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(j);
	}
	fflush(stdout);
}

int cmd_run(int argc, char **argv)
{
	struct args a;
	tp_run_opts init = TP_RUN_OPTS_INIT;
	tp_config *cfg = NULL;
	tp_report r;
	int rc;

	memset(&a, 0, sizeof(a));
	a.o = init;
	rc = parse(&a, argc, argv);
	if (rc == 0)
		rc = load(&cfg, &a);
	if (rc != 0) {
		free(a.suites);
		free(a.tags);
		return rc < 0 ? TP_EXIT_OK : rc;
	}
	a.o.config = cfg;
	a.o.suites = a.suites;
	a.o.n_suites = a.nsuites;
	a.o.tags = a.tags;
	a.o.n_tags = a.ntags;
	a.o.progress = tp_progress_new(stderr, isatty(STDERR_FILENO));
	a.o.interrupted_twice = exit_now;
	rc = tp_run(&r, &a.o);
	tp_progress_free(a.o.progress);
	if (rc == TP_EXIT_USAGE)
		fprintf(stderr, "tidepool run: error: %s\n", r.error ? r.error : tp_error_last()->msg);
	else
		print_results(&r, &a);
	tp_report_release(&r);
	tp_config_free(cfg);
	free(a.suites);
	free(a.tags);
	return rc;
}
