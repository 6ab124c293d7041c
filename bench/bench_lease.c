/*
 * bench_lease: lease throughput of a store, claim + release cycles by
 * several processes at once on an 8-account pool.
 *
 *   bench_lease sqlite PROCS CYCLES      a fresh SQLite store in a temp dir
 *   bench_lease dynamodb PROCS CYCLES    a fresh table on a local moto
 *
 * The driver makes the store and its accounts, then starts PROCS copies of
 * itself as workers (exec'd, so each has its own connection or HTTP state),
 * each doing CYCLES acquire -> release-to-available cycles with no hold in
 * between (an acquire that finds every account taken is retried). The
 * clock runs from the first worker's start to the last one's exit.
 * Prints: "store=... procs=N cycles=M seconds=S cycles_per_s=R".
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "accounts/store.h"
#include "aws/error.h"
#include "aws/http.h"
#include "aws/local.h"
#include "aws/util.h"

#define ACCOUNTS 8

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int worker(const char *url, const char *dir, long cycles)
{
	tp_store_opts o = TP_STORE_OPTS_INIT;
	tp_acquire_opts a = TP_ACQUIRE_OPTS_INIT;
	tp_store *s = NULL;
	tp_lease l;
	long i;
	int rc = 0;

	o.base_dir = dir;
	a.holder = "bench";
	a.ttl = 600;
	if (tp_store_open(&s, url, &o) < 0)
		rc = -1;
	for (i = 0; rc == 0 && i < cycles; i++) {
		while ((rc = tp_store_acquire(s, &l, &a)) == TP_EBUSY)
			;
		if (rc == 0)
			rc = tp_store_release(s, l.account, l.token, TP_RELEASE_AVAILABLE);
	}
	if (rc < 0)
		fprintf(stderr, "bench_lease worker: %s\n", tp_error_last()->msg);
	tp_store_free(s);
	return rc < 0;
}

static int prepare(const char *url, const char *dir)
{
	tp_store_opts o = TP_STORE_OPTS_INIT;
	tp_store *s = NULL;
	char id[13];
	int i, rc;

	o.base_dir = dir;
	if ((rc = tp_store_open(&s, url, &o)) < 0)
		return rc;
	for (i = 0; rc >= 0 && i < ACCOUNTS; i++) {
		snprintf(id, sizeof(id), "9000000000%02d", i);
		rc = tp_store_add(s, id);
	}
	tp_store_free(s);
	return rc < 0 ? rc : 0;
}

static double run(const char *url, const char *dir, long procs, const char *cycles)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int64_t t0 = tp_now_ns();
	long i, failed = 0;
	int status;

	exe[n > 0 ? n : 0] = '\0';
	for (i = 0; i < procs; i++) {
		if (fork() == 0) {
			execl(exe, exe, "--worker", url, dir, cycles, (char *)NULL);
			_exit(127);
		}
	}
	for (i = 0; i < procs; i++)
		if (wait(&status) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	return failed ? -1 : (double)(tp_now_ns() - t0) / 1e9;
}

/* A local moto for the DynamoDB store; its endpoint and keys go to the workers' environment. */
static tp_local *start_moto(void)
{
	tp_local *l = NULL;

	if (tp_local_start(&l, NULL) < 0)
		return NULL;
	setenv("AWS_ENDPOINT_URL", tp_local_endpoint(l), 1);
	setenv("AWS_ACCESS_KEY_ID", tp_local_access_key(l), 1);
	setenv("AWS_SECRET_ACCESS_KEY", tp_local_secret_key(l), 1);
	setenv("AWS_REGION", "us-east-1", 1);
	setenv("AWS_CONFIG_FILE", "/dev/null", 1);
	setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null", 1);
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_PROFILE");
	return l;
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/bench-lease-XXXXXX", *dir;
	long procs, cycles;
	tp_local *moto = NULL;
	const char *url;
	double secs = -1;

	tp_http_global_init();
	if (argc == 5 && strcmp(argv[1], "--worker") == 0 && tp_parse_long(argv[4], &cycles) == 0)
		return worker(argv[2], argv[3], cycles);
	if (argc != 4 || tp_parse_long(argv[2], &procs) < 0 || tp_parse_long(argv[3], &cycles) < 0 ||
	    (strcmp(argv[1], "sqlite") != 0 && strcmp(argv[1], "dynamodb") != 0)) {
		fprintf(stderr, "usage: bench_lease sqlite|dynamodb PROCS CYCLES\n");
		return 2;
	}
	dir = mkdtemp(tmpl);
	url = strcmp(argv[1], "sqlite") == 0 ? "sqlite:pool.db" : "dynamodb:bench-leases";
	if (strcmp(argv[1], "dynamodb") == 0 && !(moto = start_moto()))
		fprintf(stderr, "bench_lease: %s\n", tp_error_last()->msg);
	else if (prepare(url, dir) < 0)
		fprintf(stderr, "bench_lease: %s\n", tp_error_last()->msg);
	else
		secs = run(url, dir, procs, argv[3]);
	tp_local_stop(moto);
	if (secs > 0)
		printf("store=%s procs=%ld cycles=%ld seconds=%.3f cycles_per_s=%.1f\n", argv[1],
		       procs, procs * cycles, secs, (double)(procs * cycles) / secs);
	if (dir)
		nftw(dir, remove_one, 8, FTW_DEPTH | FTW_PHYS);
	return secs > 0 ? 0 : 1;
}
