/*
 * lease_worker: one holder of the multi-process lease tests.
 *
 *   lease_worker STORE_URL BASE_DIR CYCLES HOLDER LOG HOLD_MAX_MS
 *
 * Does CYCLES claim -> hold -> release cycles on the store (a DynamoDB
 * store reaches moto through AWS_ENDPOINT_URL and the AWS_* key variables).
 * A claim that finds no free account is retried after a short random pause.
 * Each cycle appends one line to LOG, in one write(2) on an O_APPEND
 * descriptor, so lines of concurrent workers never interleave:
 *
 *   ACCOUNT TOKEN START_NS END_NS HOLDER
 *
 * where START is taken after acquire returned and END before release is
 * called, both on CLOCK_MONOTONIC (one clock for every process): the
 * interval lies inside the lease. Holds last a random 0..HOLD_MAX_MS ms.
 * Releases go straight to available (the test stands in for the cleaner).
 * Exits 0, or 1 with the error on stderr.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts/store.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/util.h"

static int fail(const char *holder, const char *what)
{
	fprintf(stderr, "lease_worker %s: %s: %s\n", holder, what, tp_error_last()->msg);
	return 1;
}

static int acquire(tp_store *s, tp_lease *l, const char *holder)
{
	tp_acquire_opts o = TP_ACQUIRE_OPTS_INIT;
	int rc;

	o.holder = holder;
	o.run_id = "lease-safety";
	o.ttl = 300;
	while ((rc = tp_store_acquire(s, l, &o)) == TP_EBUSY)
		tp_sleep_ms(1 + (int64_t)(tp_random_unit() * 3));
	return rc;
}

static int cycle(tp_store *s, int log, const char *holder, long hold_max_ms)
{
	char line[160];
	int64_t start, end;
	tp_lease l;
	int n;

	if (acquire(s, &l, holder) < 0)
		return fail(holder, "acquire");
	start = tp_now_ns();
	if (hold_max_ms > 0)
		tp_sleep_ms((int64_t)(tp_random_unit() * (double)(hold_max_ms + 1)));
	end = tp_now_ns();
	n = snprintf(line, sizeof(line), "%s %" PRId64 " %" PRId64 " %" PRId64 " %s\n", l.account,
		     l.token, start, end, holder);
	if (write(log, line, (size_t)n) != n) {
		tp_error_set(TP_ERROR, "cannot append to the log");
		return fail(holder, "log");
	}
	if (tp_store_release(s, l.account, l.token, TP_RELEASE_AVAILABLE) < 0)
		return fail(holder, "release");
	return 0;
}

int main(int argc, char **argv)
{
	tp_store_opts o = TP_STORE_OPTS_INIT;
	tp_store *s = NULL;
	long cycles, hold;
	int log, i, rc = 0;

	if (argc != 7 || tp_parse_long(argv[3], &cycles) < 0 || tp_parse_long(argv[6], &hold) < 0) {
		fprintf(stderr, "usage: lease_worker STORE_URL BASE_DIR CYCLES HOLDER LOG "
				"HOLD_MAX_MS\n");
		return 2;
	}
	tp_http_global_init();
	o.base_dir = argv[2];
	if (tp_store_open(&s, argv[1], &o) < 0)
		return fail(argv[4], "open");
	log = open(argv[5], O_WRONLY | O_APPEND | O_CREAT, 0600);
	for (i = 0; log >= 0 && i < cycles && rc == 0; i++)
		rc = cycle(s, log, argv[4], hold);
	if (log < 0)
		rc = fprintf(stderr, "lease_worker: cannot open %s\n", argv[5]) > 0;
	else
		close(log);
	tp_store_free(s);
	tp_http_global_cleanup();
	return rc;
}
