/*
 * Lease safety under contention (issue 3, must-show 2): 16 processes
 * (tests/lease_worker) each do claim -> hold a random few ms -> release
 * cycles on an 8-account pool and log (account, token, start, end) of
 * every hold. Then:
 *   - every cycle is in the log (none lost, none doubled);
 *   - on each account the holds never overlap, and their tokens rise in
 *     the order of the holds;
 *   - `tidepool status --json` shows 8 available accounts whose versions
 *     add up to exactly two transitions per cycle (no lost update);
 * on the SQLite store (16 x 50 cycles) and on the DynamoDB store against
 * moto (16 x 15 cycles). For DynamoDB, moto is started through
 * tests/moto-serial: moto's threaded server does not make a conditional
 * UpdateItem atomic (two can win the same version; DynamoDB never lets
 * them), so it serves requests one at a time there. Fewer cycles because
 * that moto serves a few hundred requests a second and, with 16 processes
 * on 8 accounts, every acquire scans the table and many lose conditional
 * updates: 240 cycles take about 8 s on two cores while every process
 * still waits for accounts the others hold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/http.h"
#include "aws/util.h"
#include "tests/pool_testutil.h"
#include "tests/support/moto.h"
#include "tests/support/testutil.h"

#define PROCS 16
#define ACCOUNTS 8
#define HOLD_MAX_MS 4

struct hold {
	char account[13];
	int64_t token, start, end;
};

static const char *const ids[ACCOUNTS] = {
	"100000000001", "100000000002", "100000000003", "100000000004",
	"100000000005", "100000000006", "100000000007", "100000000008",
};

static const char pool_accounts[] =
	"  accounts: [\"100000000001\", \"100000000002\", \"100000000003\", \"100000000004\",\n"
	"             \"100000000005\", \"100000000006\", \"100000000007\", \"100000000008\"]\n";

/* Run PROCS workers of `cycles` each and wait for them all. */
static void run_workers(const char *url, const char *dir, const char *log, int cycles,
			char *const env[])
{
	char worker[1024], ncycles[16], holder[32], hold[16], out[1200], err[1200];
	pid_t pids[PROCS];
	int i;

	snprintf(worker, sizeof(worker), "%s/tests/lease_worker", TP_BINARY_DIR);
	snprintf(ncycles, sizeof(ncycles), "%d", cycles);
	snprintf(hold, sizeof(hold), "%d", HOLD_MAX_MS);
	for (i = 0; i < PROCS; i++) {
		char *argv[] = { worker, (char *)url, (char *)dir, ncycles, holder, (char *)log,
				 hold, NULL };
		snprintf(holder, sizeof(holder), "worker-%d", i);
		snprintf(out, sizeof(out), "%s/worker-%d.out", dir, i);
		snprintf(err, sizeof(err), "%s/worker-%d.err", dir, i);
		pids[i] = tp_pool_test_exec(argv, env, out, err);
	}
	for (i = 0; i < PROCS; i++) {
		int rc = tp_pool_test_wait(pids[i]);
		if (rc != 0) {
			snprintf(err, sizeof(err), "%s/worker-%d.err", dir, i);
			fail_msg("worker %d exited %d: %s", i, rc, tp_pool_test_slurp(err));
		}
	}
}

static int by_account_then_start(const void *pa, const void *pb)
{
	const struct hold *a = pa, *b = pb;
	int c = strcmp(a->account, b->account);

	return c ? c : (a->start > b->start) - (a->start < b->start);
}

/* Parse the log; returns the holds (caller frees) and their count in *n. */
static struct hold *read_log(const char *path, size_t *n)
{
	char *text = tp_pool_test_slurp(path), *line = text, *nl;
	struct hold *h = tp_xcalloc(PROCS * 64, sizeof(*h));

	*n = 0;
	while (*line && *n < PROCS * 64) {
		struct hold *x = &h[*n];
		if (sscanf(line, "%12s %" SCNd64 " %" SCNd64 " %" SCNd64, x->account, &x->token,
			   &x->start, &x->end) != 4)
			fail_msg("bad log line: %.80s", line);
		(*n)++;
		nl = strchr(line, '\n');
		line = nl ? nl + 1 : line + strlen(line);
	}
	free(text);
	return h;
}

/* No two holds of one account overlap; tokens rise with time and never repeat. */
static void check_holds(struct hold *h, size_t n, size_t expected)
{
	size_t i, used = 0;

	assert_int_equal(n, expected);
	qsort(h, n, sizeof(*h), by_account_then_start);
	for (i = 0; i < n; i++) {
		assert_true(h[i].start <= h[i].end);
		if (i == 0 || strcmp(h[i].account, h[i - 1].account) != 0) {
			used++;
			continue;
		}
		if (h[i].start <= h[i - 1].end)
			fail_msg("account %s: hold with token %" PRId64 " starts before the hold "
				 "with token %" PRId64 " ended", h[i].account, h[i].token,
				 h[i - 1].token);
		assert_true(h[i].token > h[i - 1].token);
	}
	assert_int_equal(used, ACCOUNTS);    /* every account was used */
}

/* status --json: all available, versions = 1 + 2 per cycle. */
static void check_status(const char *dir, char *const env[], int cycles)
{
	json_t *st = tp_pool_test_status(dir, env), *a;
	json_int_t versions = 0;
	size_t i;

	assert_int_equal(json_array_size(json_object_get(st, "accounts")), ACCOUNTS);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(st, "counts"),
							    "available")), ACCOUNTS);
	json_array_foreach(json_object_get(st, "accounts"), i, a) {
		assert_string_equal(json_string_value(json_object_get(a, "account")), ids[i]);
		versions += json_integer_value(json_object_get(a, "version"));
	}
	assert_int_equal(versions, ACCOUNTS + 2 * PROCS * cycles);
	json_decref(st);
}

static void safety(const char *yaml, const char *url, int cycles, char *const env[])
{
	char *dir = tp_pool_test_project("lease-safety", yaml);
	char *log = tp_xasprintf("%s/holds.log", dir);
	struct hold *h;
	size_t n;
	int64_t t0;

	json_decref(tp_pool_test_status(dir, env));     /* adds pool.accounts to the store */
	t0 = tp_now_ms();
	run_workers(url, dir, log, cycles, env);
	print_message("%s: %d cycles in %.1f s\n", url, PROCS * cycles,
		      (double)(tp_now_ms() - t0) / 1000);
	h = read_log(log, &n);
	check_holds(h, n, (size_t)PROCS * (size_t)cycles);
	check_status(dir, env, cycles);
	free(h);
	free(log);
	tp_test_rmtree(dir);
	free(dir);
}

static void test_lease_safety__sqlite(void **state)
{
	char yaml[1024];

	(void)state;
	snprintf(yaml, sizeof(yaml), "pool:\n  store: sqlite:.tidepool/pool.db\n%s", pool_accounts);
	safety(yaml, "sqlite:.tidepool/pool.db", 50, NULL);
}

static void test_lease_safety__dynamodb(void **state)
{
	tp_local *moto = tp_pool_test_moto_serial(0);
	char yaml[1024], *endpoint = tp_xasprintf("AWS_ENDPOINT_URL=%s", tp_local_endpoint(moto));
	char *key = tp_xasprintf("AWS_ACCESS_KEY_ID=%s", tp_local_access_key(moto));
	char *secret = tp_xasprintf("AWS_SECRET_ACCESS_KEY=%s", tp_local_secret_key(moto));
	char *env[] = { endpoint, key, secret, "AWS_SESSION_TOKEN=", "AWS_PROFILE=",
			"AWS_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null",
			"AWS_SHARED_CREDENTIALS_FILE=/dev/null", NULL };

	(void)state;
	snprintf(yaml, sizeof(yaml), "pool:\n  store: dynamodb:tidepool-leases\n%s", pool_accounts);
	safety(yaml, "dynamodb:tidepool-leases", 15, env);
	tp_local_stop(moto);
	free(endpoint);
	free(key);
	free(secret);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lease_safety__sqlite),
		cmocka_unit_test(test_lease_safety__dynamodb),
	};

	tp_http_global_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
