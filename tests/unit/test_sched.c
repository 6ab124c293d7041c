/*
 * The scheduler, driven in virtual time by a tiny simulated cloud: leases
 * succeed at once, a suite takes its duration plus the deploy time of the
 * stacks its account lacks, outcomes are scripted per attempt.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/util.h"
#include "runner/sched.h"

#define MAX_SUITES 256
#define MAX_ACCTS 32

typedef struct sim {
	int64_t now;
	tp_sched *s;
	int next_account;
	int pool_size;               /* leases beyond this fail */
	int leased_now, max_leased_seen;
	/* per suite: duration and scripted results per attempt */
	int64_t duration[MAX_SUITES];
	tp_sched_result script[MAX_SUITES][4];
	tp_stack_ref *needs[MAX_SUITES];
	size_t nneeds[MAX_SUITES];
	/* running: suite -> end time */
	int64_t ends[MAX_SUITES];
	int running[MAX_SUITES];
	/* log of runs: suite, account, attempt */
	int log_suite[1024], log_account[1024], log_attempt[1024];
	int64_t log_start[1024], log_end[1024];
	int nlog;
	int released[MAX_ACCTS * 8];
	int nreleased;
	int64_t stack_ms;
	tp_stack_ref initial[MAX_ACCTS][4];   /* what the store recorded per account */
	size_t ninitial[MAX_ACCTS];
} sim;

static int64_t sim_now(void *ctx)
{
	return ((sim *)ctx)->now;
}

static int64_t sim_stack_ms(void *ctx, const char *stack)
{
	(void)stack;
	return ((sim *)ctx)->stack_ms;
}

static void sim_init_with(sim *m, int max_accounts, int fail_fast, tp_sched_policy policy,
			  size_t (*deps)(void *, const char *, const char *const **))
{
	tp_sched_opts o = TP_SCHED_OPTS_INIT;

	memset(m, 0, sizeof(*m));
	m->pool_size = 1000;
	m->stack_ms = 60000;
	o.max_accounts = max_accounts;
	o.fail_fast = fail_fast;
	o.now_ms = sim_now;
	o.stack_deploy_ms = sim_stack_ms;
	o.ctx = m;
	o.policy = policy;
	o.stack_depends_on = deps;
	m->s = tp_sched_new(&o);
}

static void sim_init(sim *m, int max_accounts, int fail_fast)
{
	sim_init_with(m, max_accounts, fail_fast, TP_SCHED_POLICY_AFFINITY, NULL);
}

static int add(sim *m, const char *name, int64_t ms, int retries, const tp_stack_ref *needs, size_t n)
{
	tp_sched_suite su = { name, ms, needs, n, retries };
	int i = tp_sched_add_suite(m->s, &su);

	m->duration[i] = ms;
	m->needs[i] = (tp_stack_ref *)needs;
	m->nneeds[i] = n;
	return i;
}

/* Deploy time on `account` for suite i: stacks it lacks (tracked by the sim). */
static tp_stack_ref have[MAX_ACCTS * 8][8];
static size_t nhave[MAX_ACCTS * 8];

static int64_t deploy_time(sim *m, int account, int i)
{
	int64_t t = 0;
	size_t k, j;

	for (k = 0; k < m->nneeds[i]; k++) {
		int ok = 0;
		for (j = 0; j < nhave[account] && !ok; j++)
			ok = !strcmp(have[account][j].name, m->needs[i][k].name) &&
			     !strcmp(have[account][j].hash, m->needs[i][k].hash);
		if (!ok) {
			t += m->stack_ms;
			have[account][nhave[account]++] = m->needs[i][k];
		}
	}
	return t;
}

static void act(sim *m, const tp_sched_action *a)
{
	switch (a->kind) {
	case TP_SCHED_LEASE: {
		int acct = m->next_account;
		if (m->leased_now >= m->pool_size) {
			tp_sched_lease_failed(m->s);
			return;
		}
		m->next_account++;
		m->leased_now++;
		if (m->leased_now > m->max_leased_seen)
			m->max_leased_seen = m->leased_now;
		nhave[acct] = m->ninitial[acct];
		memcpy(have[acct], m->initial[acct], sizeof(m->initial[acct]));
		tp_sched_account_leased(m->s, acct, m->initial[acct], m->ninitial[acct]);
		return;
	}
	case TP_SCHED_RUN: {
		int64_t d = deploy_time(m, a->account, a->suite);
		m->running[a->suite] = 1;
		m->ends[a->suite] = m->now + d + m->duration[a->suite];
		tp_sched_stacks_deployed(m->s, a->account, m->needs[a->suite], m->nneeds[a->suite]);
		m->log_suite[m->nlog] = a->suite;
		m->log_account[m->nlog] = a->account;
		m->log_attempt[m->nlog] = a->attempt;
		m->log_start[m->nlog] = m->now;
		m->log_end[m->nlog] = m->ends[a->suite];
		m->nlog++;
		return;
	}
	case TP_SCHED_RELEASE:
		m->released[m->nreleased++] = a->account;
		m->leased_now--;
		return;
	default:
		return;
	}
}

/* Run to completion; returns the makespan. */
static int64_t sim_run(sim *m)
{
	tp_sched_action a;
	int guard = 0;

	for (;;) {
		int next = -1;
		size_t i;

		for (;;) {
			tp_sched_next(m->s, &a);
			if (a.kind == TP_SCHED_IDLE || a.kind == TP_SCHED_DONE)
				break;
			act(m, &a);
			assert_true(++guard < 100000);
		}
		if (a.kind == TP_SCHED_DONE)
			return m->now;
		for (i = 0; i < tp_sched_suite_count(m->s); i++)
			if (m->running[i] && (next < 0 || m->ends[i] < m->ends[next]))
				next = (int)i;
		if (next < 0)
			fail_msg("scheduler is idle with nothing running and not done");
		m->now = m->ends[next];
		m->running[next] = 0;
		{
			tp_sched_suite_state st;
			tp_sched_suite_get(m->s, next, &st);
			tp_sched_suite_done(m->s, next, m->script[next][st.attempts - 1]);
		}
	}
}

static void sim_free(sim *m)
{
	tp_sched_free(m->s);
}

static void test_sched__longest_first_on_one_account(void **state)
{
	sim m;

	(void)state;
	sim_init(&m, 1, 0);
	add(&m, "a", 10, 0, NULL, 0);
	add(&m, "b", 30, 0, NULL, 0);
	add(&m, "c", 20, 0, NULL, 0);
	assert_int_equal(sim_run(&m), 60);
	assert_int_equal(m.nlog, 3);
	assert_int_equal(m.log_suite[0], 1);
	assert_int_equal(m.log_suite[1], 2);
	assert_int_equal(m.log_suite[2], 0);
	sim_free(&m);
}

static void test_sched__never_more_accounts_than_j_or_suites(void **state)
{
	sim m;
	char name[16];
	int i;

	(void)state;
	sim_init(&m, 3, 0);
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		add(&m, name, 100 + i, 0, NULL, 0);
	}
	sim_run(&m);
	assert_int_equal(m.max_leased_seen, 3);
	assert_int_equal(m.leased_now, 0);         /* all released at the end */
	sim_free(&m);

	sim_init(&m, 8, 0);
	add(&m, "x", 5, 0, NULL, 0);
	add(&m, "y", 5, 0, NULL, 0);
	sim_run(&m);
	assert_int_equal(m.max_leased_seen, 2);
	sim_free(&m);
}

static void test_sched__one_suite_at_a_time_per_account(void **state)
{
	sim m;
	char name[16];
	int i, j;

	(void)state;
	sim_init(&m, 4, 0);
	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "s%d", i);
		add(&m, name, 7 + (i * 13) % 40, 0, NULL, 0);
	}
	sim_run(&m);
	for (i = 0; i < m.nlog; i++)
		for (j = 0; j < i; j++)
			if (m.log_account[i] == m.log_account[j])
				assert_true(m.log_start[i] >= m.log_end[j] || m.log_start[j] >= m.log_end[i]);
	sim_free(&m);
}

static const tp_stack_ref stack_a[] = { { "a", "h1" } };
static const tp_stack_ref stack_b[] = { { "b", "h2" } };

/*
 * Account 0 has a@h1, account 1 b@h2: each takes the suite that needs what
 * it has, though longest first alone would hand the longer needs-b to the
 * first account to ask (and deploy twice).
 */
static void test_sched__affinity_beats_a_slightly_longer_suite(void **state)
{
	sim m;
	int k;

	(void)state;
	sim_init(&m, 2, 0);
	m.initial[0][0] = stack_a[0];
	m.ninitial[0] = 1;
	m.initial[1][0] = stack_b[0];
	m.ninitial[1] = 1;
	add(&m, "needs-b", 55000, 0, stack_b, 1);
	add(&m, "needs-a", 50000, 0, stack_a, 1);
	assert_int_equal(sim_run(&m), 55000);       /* no deploy anywhere */
	for (k = 0; k < m.nlog; k++)
		assert_int_equal(m.log_account[k], m.log_suite[k] == 0 ? 1 : 0);
	sim_free(&m);
}

/* ...but a much longer suite still goes first (longest first wins). */
static void test_sched__longest_first_beats_small_affinity(void **state)
{
	sim m;

	(void)state;
	sim_init(&m, 1, 0);
	m.initial[0][0] = stack_a[0];
	m.ninitial[0] = 1;
	add(&m, "needs-b", 600000, 0, stack_b, 1);
	add(&m, "needs-a", 50000, 0, stack_a, 1);
	sim_run(&m);
	assert_int_equal(m.log_suite[0], 0);
	sim_free(&m);
}

static void test_sched__retry_goes_to_another_account_and_is_flaky(void **state)
{
	tp_sched_suite_state st;
	sim m;
	int i;

	(void)state;
	sim_init(&m, 2, 0);
	i = add(&m, "flaky", 10, 1, NULL, 0);
	add(&m, "other", 100, 0, NULL, 0);
	m.script[i][0] = TP_SCHED_FAILED;
	m.script[i][1] = TP_SCHED_PASSED;
	sim_run(&m);
	tp_sched_suite_get(m.s, i, &st);
	assert_int_equal(st.attempts, 2);
	assert_int_equal(st.result, TP_SCHED_PASSED);
	assert_true(st.flaky);
	{
		int first = -1, second = -1, k;
		for (k = 0; k < m.nlog; k++)
			if (m.log_suite[k] == i)
				*(first < 0 ? &first : &second) = m.log_account[k];
		assert_true(first >= 0 && second >= 0);
		assert_int_not_equal(first, second);
	}
	sim_free(&m);
}

static void test_sched__retry_on_the_same_account_when_it_is_the_only_one(void **state)
{
	tp_sched_suite_state st;
	sim m;
	int i;

	(void)state;
	sim_init(&m, 1, 0);
	i = add(&m, "flaky", 10, 2, NULL, 0);
	m.script[i][0] = TP_SCHED_FAILED;
	m.script[i][1] = TP_SCHED_FAILED;
	m.script[i][2] = TP_SCHED_FAILED;
	sim_run(&m);
	tp_sched_suite_get(m.s, i, &st);
	assert_int_equal(st.attempts, 3);
	assert_int_equal(st.result, TP_SCHED_FAILED);
	assert_true(st.final);
	assert_false(st.flaky);
	sim_free(&m);
}

static void test_sched__retry_leases_another_account_within_j(void **state)
{
	sim m;
	int i;

	(void)state;
	sim_init(&m, 2, 0);   /* one suite leases one account; its retry needs another */
	i = add(&m, "flaky", 10, 1, NULL, 0);
	m.script[i][0] = TP_SCHED_FAILED;
	m.script[i][1] = TP_SCHED_PASSED;
	sim_run(&m);
	assert_int_equal(m.nlog, 2);
	assert_int_not_equal(m.log_account[0], m.log_account[1]);
	assert_int_equal(m.max_leased_seen, 2);
	assert_int_equal(m.leased_now, 0);
	sim_free(&m);
}

static void test_sched__fail_fast_skips_the_rest(void **state)
{
	tp_sched_counts c;
	sim m;
	int i, k;

	(void)state;
	sim_init(&m, 1, 1);
	i = add(&m, "first", 100, 0, NULL, 0);
	for (k = 0; k < 5; k++)
		add(&m, "later", 10, 0, NULL, 0);
	m.script[i][0] = TP_SCHED_FAILED;
	sim_run(&m);
	tp_sched_counts_get(m.s, &c);
	assert_int_equal(c.failed, 1);
	assert_int_equal(c.skipped, 5);
	assert_int_equal(c.passed, 0);
	assert_int_equal(m.nlog, 1);
	sim_free(&m);
}

static void test_sched__pool_exhausted_still_finishes(void **state)
{
	tp_sched_counts c;
	char name[16];
	sim m;
	int k;

	(void)state;
	sim_init(&m, 8, 0);
	m.pool_size = 2;
	for (k = 0; k < 12; k++) {
		snprintf(name, sizeof(name), "s%d", k);
		add(&m, name, 10 + k, 0, NULL, 0);
	}
	sim_run(&m);
	tp_sched_counts_get(m.s, &c);
	assert_int_equal(c.passed, 12);
	assert_true(m.max_leased_seen <= 2);
	sim_free(&m);
}

static void test_sched__stop_skips_pending(void **state)
{
	tp_sched_action a;
	tp_sched_counts c;
	sim m;

	(void)state;
	sim_init(&m, 1, 0);
	add(&m, "a", 10, 0, NULL, 0);
	add(&m, "b", 10, 0, NULL, 0);
	tp_sched_next(m.s, &a);
	assert_int_equal(a.kind, TP_SCHED_LEASE);
	act(&m, &a);
	tp_sched_next(m.s, &a);
	assert_int_equal(a.kind, TP_SCHED_RUN);
	tp_sched_stop(m.s);
	tp_sched_suite_done(m.s, a.suite, TP_SCHED_SKIPPED);
	tp_sched_next(m.s, &a);
	assert_int_equal(a.kind, TP_SCHED_RELEASE);
	tp_sched_next(m.s, &a);
	assert_int_equal(a.kind, TP_SCHED_DONE);
	tp_sched_counts_get(m.s, &c);
	assert_int_equal(c.skipped, 2);
	sim_free(&m);
}

/* Random durations on 5 accounts: longest first stays within 10 % of the bound. */
static void test_sched__makespan_near_the_lower_bound(void **state)
{
	char name[16];
	int64_t total = 0, longest = 0, bound, span;
	sim m;
	int k;

	(void)state;
	sim_init(&m, 5, 0);
	for (k = 0; k < 60; k++) {
		int64_t d = 1000 + (int64_t)(tp_random_unit() * 20000);
		snprintf(name, sizeof(name), "s%d", k);
		add(&m, name, d, 0, NULL, 0);
		total += d;
		if (d > longest)
			longest = d;
	}
	span = sim_run(&m);
	bound = total / 5 > longest ? total / 5 : longest;
	assert_true(span * 100 <= bound * 110);
	sim_free(&m);
}

static void test_sched__lease_score_prefers_matching_stacks(void **state)
{
	static const tp_stack_ref wrong_hash[] = { { "a", "old" } };
	sim m;

	(void)state;
	sim_init(&m, 2, 0);
	add(&m, "x", 10, 0, stack_a, 1);
	add(&m, "y", 10, 0, stack_a, 1);
	assert_true(tp_sched_lease_score(m.s, stack_a, 1) > 0);
	assert_int_equal(tp_sched_lease_score(m.s, wrong_hash, 1), 0);
	assert_int_equal(tp_sched_lease_score(m.s, NULL, 0), 0);
	assert_int_equal(tp_sched_lease_score(m.s, stack_a, 1), 2 * 60000);
	sim_free(&m);
}

static void test_sched__fifo_runs_in_the_order_added(void **state)
{
	sim m;

	(void)state;
	sim_init_with(&m, 1, 0, TP_SCHED_POLICY_FIFO, NULL);
	add(&m, "a", 10, 0, NULL, 0);
	add(&m, "b", 30, 0, NULL, 0);
	add(&m, "c", 20, 0, NULL, 0);
	sim_run(&m);
	assert_int_equal(m.log_suite[0], 0);
	assert_int_equal(m.log_suite[1], 1);
	assert_int_equal(m.log_suite[2], 2);
	sim_free(&m);
}

/* The baselines ignore what accounts hold: the first account takes the longest. */
static void test_sched__longest_first_ignores_deploys(void **state)
{
	tp_sched_policy p;
	sim m;

	(void)state;
	for (p = TP_SCHED_POLICY_LONGEST; p <= TP_SCHED_POLICY_FIFO; p++) {
		sim_init_with(&m, 2, 0, p, NULL);
		m.initial[0][0] = stack_a[0];
		m.ninitial[0] = 1;
		m.initial[1][0] = stack_b[0];
		m.ninitial[1] = 1;
		add(&m, "needs-b", 55000, 0, stack_b, 1);
		add(&m, "needs-a", 50000, 0, stack_a, 1);
		assert_int_equal(tp_sched_lease_score(m.s, stack_a, 1), 0);
		assert_true(sim_run(&m) > 55000);        /* it deployed */
		assert_int_equal(m.log_suite[0], 0);
		assert_int_equal(m.log_account[0], 0);
		sim_free(&m);
	}
}

/* y depends on x: a deploy of x, y and z takes two stack times, not three. */
static const char *const y_deps[] = { "x" };

static size_t xyz_deps(void *ctx, const char *stack, const char *const **deps)
{
	(void)ctx;
	*deps = y_deps;
	return strcmp(stack, "y") == 0 ? 1 : 0;
}

static void test_sched__deploy_cost_follows_depends_on(void **state)
{
	static const tp_stack_ref xyz[] = { { "x", "1" }, { "y", "1" }, { "z", "1" } };
	static const tp_stack_ref w[] = { { "w", "1" } };
	int with;
	sim m;

	(void)state;
	/*
	 * One cold account, stacks 60 s each. P needs x, y, z and tests 100 s;
	 * Q needs w and tests 200 s. As lengths with their deploys: P is 220
	 * (the chain) against Q's 260, so Q goes first; costed as a sum P
	 * would be 280 and go first.
	 */
	for (with = 0; with <= 1; with++) {
		sim_init_with(&m, 1, 0, TP_SCHED_POLICY_AFFINITY, with ? xyz_deps : NULL);
		m.stack_ms = 60000;
		add(&m, "P", 100000, 0, xyz, 3);
		add(&m, "Q", 200000, 0, w, 1);
		sim_run(&m);
		assert_int_equal(m.log_suite[0], with ? 1 : 0);
		sim_free(&m);
	}
}

/* A suite without history is ordered with the longest; its expected time is the mean. */
static void test_sched__unknown_durations_start_early(void **state)
{
	tp_sched_action a;
	tp_sched_counts c;
	sim m;

	(void)state;
	sim_init(&m, 1, 0);
	add(&m, "a", 100, 0, NULL, 0);
	add(&m, "b", 80, 0, NULL, 0);
	add(&m, "c", 10, 0, NULL, 0);
	add(&m, "new", -1, 0, NULL, 0);
	tp_sched_next(m.s, &a);                     /* the groups are built on the first call */
	tp_sched_counts_get(m.s, &c);
	assert_int_equal(c.remaining_ms, 100 + 80 + 10 + 63);
	act(&m, &a);
	sim_run(&m);
	assert_int_equal(m.log_suite[0], 0);
	assert_int_equal(m.log_suite[1], 3);
	assert_int_equal(m.log_suite[2], 1);
	assert_int_equal(m.log_suite[3], 2);
	sim_free(&m);
}

/*
 * Endgame: account 0 has stack a, account 1 nothing, a deploys in 300 s.
 * L (100 s, no stacks) and S (50 s, needs a): rather than deploy a for S
 * on account 1 (done at 350 s), account 1 waits and account 0 runs L then
 * S (done at 150 s).
 */
static void test_sched__endgame_leaves_a_suite_to_the_account_with_its_stacks(void **state)
{
	int k, s_account = -1;
	sim m;

	(void)state;
	sim_init(&m, 2, 0);
	m.stack_ms = 300000;
	m.initial[0][0] = stack_a[0];
	m.ninitial[0] = 1;
	add(&m, "L", 100000, 0, NULL, 0);
	add(&m, "S", 50000, 0, stack_a, 1);
	assert_int_equal(sim_run(&m), 150000);
	for (k = 0; k < m.nlog; k++)
		if (m.log_suite[k] == 1)
			s_account = m.log_account[k];
	assert_int_equal(s_account, 0);
	sim_free(&m);
}

/*
 * B and C end at 10 s while A (100 s, one retry) runs: one idle account
 * is kept for A's retry (it fails), the other released; the retry starts
 * at once on the kept one, with no fourth lease.
 */
static void test_sched__an_idle_account_is_kept_for_a_retry(void **state)
{
	tp_sched_suite_state st;
	sim m;
	int i;

	(void)state;
	sim_init(&m, 3, 0);
	i = add(&m, "A", 100000, 1, NULL, 0);
	add(&m, "B", 10000, 0, NULL, 0);
	add(&m, "C", 10000, 0, NULL, 0);
	m.script[i][0] = TP_SCHED_FAILED;
	m.script[i][1] = TP_SCHED_PASSED;
	assert_int_equal(sim_run(&m), 200000);
	assert_int_equal(m.next_account, 3);        /* three leases in all */
	tp_sched_suite_get(m.s, i, &st);
	assert_int_equal(st.attempts, 2);
	assert_true(st.flaky);
	assert_int_equal(m.leased_now, 0);
	sim_free(&m);
}

static void test_sched__shards_are_balanced_and_partition(void **state)
{
	const char *names[] = { "a", "b", "c", "d", "e", "f" };
	const int64_t ms[] = { 10, 9, 8, 7, 6, 5 };
	int in0[6], in1[6], again[6];
	int64_t load0 = 0, load1 = 0;
	int i;

	(void)state;
	tp_sched_shard(names, ms, 6, 0, 2, in0);
	tp_sched_shard(names, ms, 6, 1, 2, in1);
	tp_sched_shard(names, ms, 6, 0, 2, again);
	for (i = 0; i < 6; i++) {
		assert_int_equal(in0[i] + in1[i], 1);
		assert_int_equal(in0[i], again[i]);
		load0 += in0[i] ? ms[i] : 0;
		load1 += in1[i] ? ms[i] : 0;
	}
	assert_true(llabs(load0 - load1) <= 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sched__longest_first_on_one_account),
		cmocka_unit_test(test_sched__never_more_accounts_than_j_or_suites),
		cmocka_unit_test(test_sched__one_suite_at_a_time_per_account),
		cmocka_unit_test(test_sched__affinity_beats_a_slightly_longer_suite),
		cmocka_unit_test(test_sched__longest_first_beats_small_affinity),
		cmocka_unit_test(test_sched__retry_goes_to_another_account_and_is_flaky),
		cmocka_unit_test(test_sched__retry_on_the_same_account_when_it_is_the_only_one),
		cmocka_unit_test(test_sched__retry_leases_another_account_within_j),
		cmocka_unit_test(test_sched__fail_fast_skips_the_rest),
		cmocka_unit_test(test_sched__pool_exhausted_still_finishes),
		cmocka_unit_test(test_sched__stop_skips_pending),
		cmocka_unit_test(test_sched__makespan_near_the_lower_bound),
		cmocka_unit_test(test_sched__lease_score_prefers_matching_stacks),
		cmocka_unit_test(test_sched__fifo_runs_in_the_order_added),
		cmocka_unit_test(test_sched__longest_first_ignores_deploys),
		cmocka_unit_test(test_sched__deploy_cost_follows_depends_on),
		cmocka_unit_test(test_sched__unknown_durations_start_early),
		cmocka_unit_test(test_sched__endgame_leaves_a_suite_to_the_account_with_its_stacks),
		cmocka_unit_test(test_sched__an_idle_account_is_kept_for_a_retry),
		cmocka_unit_test(test_sched__shards_are_balanced_and_partition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
