/* claim --deploy (runner/deploy_claim.h). */
#include "runner/deploy_claim.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aws/error.h"
#include "aws/util.h"
#include "runner/deploy_leased.h"
#include "runner/deploy_report.h"
#include "runner/deploy_set.h"

static volatile sig_atomic_t interrupted;

static void on_signal(int sig)
{
	(void)sig;
	interrupted = 1;
}

int tp_deploy_claim_check(const tp_config *c)
{
	tp_deploy_set *s = NULL;
	int rc = tp_deploy_set_new(&s, c, NULL, 0);

	tp_deploy_set_free(s);
	return rc;
}

static int failed_count(const tp_deploy_summary *s)
{
	tp_deploy_counts n;

	tp_deploy_count(&n, s);
	return (int)n.failed;
}

static int run(const tp_config *c, tp_store *store, tp_deploy_target *t, long ttl,
	       tp_deploy_set *set)
{
	tp_deploy_leased_opts o;
	tp_deploy_leased *l = NULL;
	tp_deploy_summary sum;
	char run_id[17], *log_dir = tp_xasprintf("%s/.tidepool/logs/deploy", c->dir);
	const char *ids[1] = { t->account };
	unsigned char rnd[8];
	int rc;

	if (tp_random_bytes(rnd, sizeof(rnd)) < 0)
		memset(rnd, 0, sizeof(rnd));
	tp_hex(run_id, rnd, sizeof(rnd));
	memset(&o, 0, sizeof(o));
	o.config = c;
	o.store = store;
	o.lease_ttl = ttl;
	o.set = set;
	o.run_id = run_id;
	o.log_dir = log_dir;
	o.interrupted = &interrupted;
	o.progress = tp_deploy_progress_new(stderr, isatty(2) && !getenv("CI"),
					    ids, 1, set->n);
	rc = tp_deploy_leased_run(&l, t, 1, &o);
	tp_deploy_progress_free(o.progress);
	tp_deploy_leased_summary(l, 0, &sum);
	tp_deploy_report_table(stderr, &sum, 1);
	if (rc == TP_ERROR)
		rc = tp_error_set(TP_ERROR, "%d of %zu stacks not deployed into %s",
				  t->error ? (int)set->n : failed_count(&sum), set->n, t->account);
	tp_deploy_leased_free(l);
	free(log_dir);
	return rc;
}

int tp_deploy_claimed(const tp_config *c, tp_store *store, const char *account, int64_t token,
		      long ttl)
{
	struct sigaction sa, old_int, old_term;
	tp_deploy_set *set = NULL;
	tp_deploy_target t;
	int rc;

	if (tp_deploy_set_new(&set, c, NULL, 0) < 0)
		return TP_EINVAL;
	memset(&t, 0, sizeof(t));
	tp_strlcpy(t.account, account, sizeof(t.account));
	t.token = token;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	rc = set->n ? run(c, store, &t, ttl, set) : 0;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	free(t.error);
	tp_deploy_set_free(set);
	return rc;
}
