/* tidepool status: every pool account, its lease and its stacks. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "accounts/pool.h"
#include "aws/error.h"
#include "aws/util.h"
#include "runner/cli.h"
#include "runner/commands.h"
#include "runner/json_out.h"
#include "runner/project.h"

#define SHORT_HASH 12

static const char help[] =
	"usage: tidepool status [--json] [-C DIR | -c FILE]\n"
	"\n"
	"Every account of the pool: its state (available, leased, expired, dirty,\n"
	"cleaning, quarantined), who holds it and for which run, when the lease\n"
	"ends (relative to now), the lease token, the stacks deployed there with\n"
	"their content hashes, and why a quarantined account failed its cleans.\n"
	"An expired lease is one whose TTL passed without `tidepool extend`: the\n"
	"account is not leased again before the sweeper has cleaned it.\n"
	"\n"
	"  --json       print one JSON document on stdout (full hashes, times in\n"
	"               ISO 8601 and seconds)\n"
	"  -C DIR       the project directory holding tidepool.yaml (default: .)\n"
	"  -c FILE      the configuration file\n"
	"  -h, --help   show this help\n";

static json_t *stacks_json(const tp_account *a)
{
	json_t *o = json_object();
	size_t i;

	for (i = 0; i < a->n_stacks; i++)
		json_object_set_new(o, a->stacks[i].name, json_string(a->stacks[i].hash));
	return o;
}

static json_t *account_json(const tp_pool *pool, const tp_account *a, time_t now)
{
	tp_account_state st = tp_account_state_at(a, now);
	int leased = a->state == TP_ACCOUNT_LEASED;

	return json_pack("{s:s, s:s, s:I, s:o, s:o, s:o, s:o, s:o, s:i, s:o, s:b, s:o}",
			 "account", a->id, "state", tp_account_state_name(st),
			 "version", (json_int_t)a->version,
			 "holder", tp_json_string_or_null(a->holder),
			 "run_id", tp_json_string_or_null(a->run_id),
			 "leased_at", tp_json_time(a->leased_at),
			 "expires_at", tp_json_time(a->expires_at),
			 "expires_in_seconds",
			 leased ? json_integer((json_int_t)(a->expires_at - now)) : json_null(),
			 "failed_cleans", a->failed_cleans,
			 "reason", tp_json_string_or_null(a->reason),
			 "blocklisted", tp_pool_is_blocklisted(pool, a->id),
			 "stacks", stacks_json(a));
}

static int print_json(const tp_project *p, const tp_account_list *l, time_t now)
{
	json_t *accounts = json_array(), *counts = json_object();
	size_t i;

	for (i = 0; i < l->n; i++) {
		const char *st = tp_account_state_name(tp_account_state_at(&l->items[i], now));
		json_array_append_new(accounts, account_json(p->pool, &l->items[i], now));
		json_object_set_new(counts, st,
				    json_integer(json_integer_value(json_object_get(counts, st)) + 1));
	}
	return tp_json_print(json_pack("{s:s, s:o, s:o, s:o}", "store",
				       tp_store_url(tp_pool_store(p->pool)), "now", tp_json_time(now),
				       "counts", counts, "accounts", accounts));
}

/* "in 1h 5m" / "5m 2s ago" / "-". */
static const char *expiry(char *buf, size_t size, const tp_account *a, time_t now)
{
	char d[32];

	if (a->state != TP_ACCOUNT_LEASED)
		return "-";
	tp_format_duration(d, sizeof(d), (long)(a->expires_at > now ? a->expires_at - now
								     : now - a->expires_at));
	snprintf(buf, size, a->expires_at > now ? "in %s" : "%s ago", d);
	return buf;
}

static void print_details(const tp_pool *pool, const tp_account *a)
{
	size_t i;

	if (a->n_stacks) {
		printf("%14sstacks:", "");
		for (i = 0; i < a->n_stacks; i++)
			printf("%s %s %.*s", i ? "," : "", a->stacks[i].name, SHORT_HASH,
			       a->stacks[i].hash);
		putchar('\n');
	}
	if (a->reason)
		printf("%14s%s: %s (%d failed clean%s in a row)\n", "",
		       a->state == TP_ACCOUNT_QUARANTINED ? "quarantined" : "last clean failed",
		       a->reason, a->failed_cleans, a->failed_cleans == 1 ? "" : "s");
	if (tp_pool_is_blocklisted(pool, a->id))
		printf("%14sblocklisted: never leased, never cleaned\n", "");
}

static int print_table(const tp_project *p, const tp_account_list *l, time_t now)
{
	size_t count[TP_ACCOUNT_EXPIRED + 1] = { 0 }, i;
	const char *sep = ": ";
	char exp[48];

	printf("%-13s %-12s %-24s %-14s %s\n", "ACCOUNT", "STATE", "HOLDER", "EXPIRES", "TOKEN");
	for (i = 0; i < l->n; i++) {
		const tp_account *a = &l->items[i];
		tp_account_state st = tp_account_state_at(a, now);
		count[st]++;
		printf("%-13s %-12s %-24s %-14s %lld\n", a->id, tp_account_state_name(st),
		       a->holder ? a->holder : "-", expiry(exp, sizeof(exp), a, now),
		       (long long)a->version);
		print_details(p->pool, a);
	}
	printf("%zu account%s", l->n, l->n == 1 ? "" : "s");
	for (i = 0; i <= TP_ACCOUNT_EXPIRED; i++) {
		if (count[i])
			printf("%s%zu %s", sep, count[i], tp_account_state_name((tp_account_state)i));
		sep = count[i] ? ", " : sep;
	}
	printf(" (store %s)\n", tp_store_url(tp_pool_store(p->pool)));
	return TP_EXIT_OK;
}

static int parse(int argc, char **argv, int *json, const char **dir, const char **file)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "directory", required_argument, NULL, 'C' },
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "C:c:h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': *json = 1; break;
		case 'C': *dir = optarg; break;
		case 'c': *file = optarg; break;
		case 'h': return tp_cli_help(help);
		default: return tp_cli_usage_error("status", "unknown option");
		}
	}
	if (optind < argc)
		return tp_cli_usage_error("status", "unexpected argument '%s'", argv[optind]);
	return -1;
}

int cmd_status(int argc, char **argv)
{
	const char *dir = NULL, *file = NULL;
	tp_account_list l = TP_ACCOUNT_LIST_INIT;
	tp_project p;
	int json = 0, rc;
	time_t now;

	if ((rc = parse(argc, argv, &json, &dir, &file)) >= 0)
		return rc;
	rc = tp_project_open(&p, dir, file);
	if (rc == 0)
		rc = tp_pool_sync(p.pool, NULL);
	if (rc == 0)
		rc = tp_store_list(tp_pool_store(p.pool), &l);
	if (rc == 0) {
		now = tp_store_now(tp_pool_store(p.pool));
		rc = json ? print_json(&p, &l, now) : print_table(&p, &l, now);
	} else {
		rc = tp_cli_fail("status");
	}
	tp_account_list_release(&l);
	tp_project_release(&p);
	return rc;
}
