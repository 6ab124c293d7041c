/* tidepool history: the per-suite duration history `run` schedules by. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/cli.h"
#include "runner/commands.h"
#include "runner/history.h"
#include "runner/json_out.h"
#include "suites/config.h"

static const char help[] =
	"usage: tidepool history [--json] [-C DIR | -c FILE]\n"
	"\n"
	"Show what `tidepool run` remembers of each suite of the project, from\n"
	".tidepool/history.db: how many runs finished, the expected duration (an\n"
	"exponentially weighted average, newest run weighing 30%), the last\n"
	"duration and result, and when it last ran; then the deploy times of the\n"
	"stacks. `run` schedules the longest expected suites first; a suite that\n"
	"never ran is expected to take the mean of the others.\n"
	"\n"
	"  --json        print one JSON document on stdout\n"
	"  -C DIR        the project directory (default: .)\n"
	"  -c FILE       the configuration file (instead of DIR/tidepool.yaml)\n"
	"  -h, --help    show this help\n";

static json_t *rows_json(const tp_history_row *rows, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:I, s:f, s:f, s:b, s:o}", "name", rows[i].suite,
						   "runs", (json_int_t)rows[i].runs,
						   "expected_s", (double)rows[i].expected_ms / 1000.0,
						   "last_s", (double)rows[i].last_ms / 1000.0,
						   "last_passed", rows[i].last_passed,
						   "last_run", tp_json_time(rows[i].last_run)));
	return a;
}

static void print_rows(const char *title, const tp_history_row *rows, size_t n, int results)
{
	size_t i;

	printf("%-32s %6s %10s %10s %-7s %s\n", title, "RUNS", "EXPECTED s", "LAST s",
	       results ? "LAST" : "", "LAST RUN");
	for (i = 0; i < n; i++) {
		char when[32];
		tp_time_iso8601(when, sizeof(when), rows[i].last_run);
		printf("%-32s %6lld %10.1f %10.1f %-7s %s\n", rows[i].suite, (long long)rows[i].runs,
		       (double)rows[i].expected_ms / 1000.0, (double)rows[i].last_ms / 1000.0,
		       results ? (rows[i].last_passed ? "passed" : "failed") : "", when);
	}
}

static int show(const tp_config *c, int json)
{
	tp_history_row *rows = NULL, *stacks = NULL;
	size_t n = 0, ns = 0;
	tp_history *h = NULL;
	char *path = tp_xasprintf("%s/.tidepool/history.db", c->dir);
	char *sp = tp_xasprintf("%s#stacks", c->project);
	int rc = tp_history_open(&h, path);

	if (rc == 0)
		rc = tp_history_list(h, c->project, &rows, &n);
	if (rc == 0)
		rc = tp_history_list(h, sp, &stacks, &ns);
	if (rc < 0) {
		rc = tp_cli_fail("history");
	} else if (json) {
		rc = tp_json_print(json_pack("{s:s, s:s, s:o, s:o}", "project", c->project, "file", path,
					     "suites", rows_json(rows, n), "stacks", rows_json(stacks, ns)));
	} else if (n == 0 && ns == 0) {
		printf("no history yet for %s (%s): `tidepool run` records every finished suite\n",
		       c->project, path);
	} else {
		print_rows("SUITE", rows, n, 1);
		if (ns) {
			putchar('\n');
			print_rows("STACK (deploy)", stacks, ns, 0);
		}
	}
	tp_history_rows_free(rows, n);
	tp_history_rows_free(stacks, ns);
	tp_history_close(h);
	free(path);
	free(sp);
	return rc;
}

int cmd_history(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = ".", *file = NULL;
	tp_config *c = NULL;
	int json = 0, ch, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "C:c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'j': json = 1; break;
		case 'C': dir = optarg; break;
		case 'c': file = optarg; break;
		case 'h': return tp_cli_help(help);
		default: return tp_cli_usage_error("history", "unknown option");
		}
	}
	if (optind < argc)
		return tp_cli_usage_error("history", "unexpected argument '%s'", argv[optind]);
	if ((file ? tp_config_load(&c, file) : tp_config_load_dir(&c, dir)) < 0) {
		fprintf(stderr, "tidepool history: error: %s\n", tp_error_last()->msg);
		return TP_EXIT_USAGE;
	}
	rc = show(c, json);
	tp_config_free(c);
	return rc;
}
