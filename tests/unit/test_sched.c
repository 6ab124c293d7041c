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
	int wakes;                   /* times tp_sched_wake_at brought the clock forward */
	size_t (*deps)(void *, const char *, const char *const **);   /* as the scheduler's */
	int extras;                  /* ask tp_sched_extra_stacks at each RUN and deploy them */
	tp_stack_ref extra_log[MAX_SUITES][8];   /* per suite: the extras of its last RUN */
	size_t nextra[MAX_SUITES];
	tp_stack_ref initial[MAX_ACCTS][4];   /* what the store recorded per account */
	size_t ninitial[MAX_ACCTS];
	int64_t lose_at;             /* > 0: then the lease of lose_suite's account is lost */
	int lose_suite;
	int lost_account;            /* the handle lost, -1 none */
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

static void sim_init_opts(sim *m, int max_accounts, int fail_fast, tp_sched_policy policy,
			  size_t (*deps)(void *, const char *, const char *const **), int extras)
{
	tp_sched_opts o = TP_SCHED_OPTS_INIT;

	memset(m, 0, sizeof(*m));
	m->lost_account = -1;
	m->pool_size = 1000;
	m->stack_ms = 60000;
	o.max_accounts = max_accounts;
	o.fail_fast = fail_fast;
	o.now_ms = sim_now;
	o.stack_deploy_ms = sim_stack_ms;
	o.ctx = m;
	o.policy = policy;
	o.stack_depends_on = deps;
	o.deploy_extras = extras;
	m->deps = deps;
	m->extras = extras;
	m->s = tp_sched_new(&o);
}

static void sim_init_with(sim *m, int max_accounts, int fail_fast, tp_sched_policy policy,
			  size_t (*deps)(void *, const char *, const char *const **))
{
	sim_init_opts(m, max_accounts, fail_fast, policy, deps, 0);
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

/* Stacks on the longest depends_on chain ending at `stack` (deployed from scratch). */
static int64_t depth(sim *m, const char *stack)
{
	const char *const *deps = NULL;
	size_t n = m->deps ? m->deps(m, stack, &deps) : 0, k;
	int64_t most = 0;

	for (k = 0; k < n; k++) {
		int64_t d = depth(m, deps[k]);

		if (d > most)
			most = d;
	}
	return 1 + most;
}

/*
 * The extras the scheduler asks for with suite i's deploy on `account`
 * (remembered in extra_log, recorded there, the sim's deploy time d grown
 * to the longest extra's chain when that is longer).
 */
static int64_t deploy_extras(sim *m, int account, int i, int64_t d)
{
	size_t k, n = tp_sched_extra_stacks(m->s, account, m->extra_log[i], 8);
	int64_t longest = 0;

	m->nextra[i] = n;
	for (k = 0; k < n; k++) {
		int64_t chain = m->stack_ms * depth(m, m->extra_log[i][k].name);

		if (chain > longest)
			longest = chain;
		have[account][nhave[account]++] = m->extra_log[i][k];
	}
	if (n)
		tp_sched_stacks_deployed(m->s, account, m->extra_log[i], n);
	return longest > d ? longest : d;
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
		if (m->extras)
			d = deploy_extras(m, a->account, a->suite, d);
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
		if (m->lose_at > 0 && m->lose_at <= m->ends[next]) {
			/* The lease is superseded: the driver stops the suite (5 s) and
			 * reports it as an error. */
			tp_sched_suite_state st;
			tp_sched_suite_get(m->s, m->lose_suite, &st);
			assert_true(m->running[m->lose_suite]);
			m->now = m->lose_at;
			m->lose_at = 0;
			m->lost_account = st.account;
			m->leased_now--;
			tp_sched_account_lost(m->s, st.account);
			m->ends[m->lose_suite] = m->now + 5000;
			m->script[m->lose_suite][st.attempts - 1] = TP_SCHED_ERROR;
			continue;
		}
		if (tp_sched_wake_at(m->s) < m->ends[next]) {   /* asked again before */
			assert_true(tp_sched_wake_at(m->s) > m->now);
			m->now = tp_sched_wake_at(m->s);
			m->wakes++;
			continue;
		}
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

/* The store recorded `stack` on account `acct` before the run. */
static void holds(sim *m, int acct, const tp_stack_ref *stack)
{
	m->initial[acct][m->ninitial[acct]++] = *stack;
}

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
	holds(&m, 0, stack_a);
	holds(&m, 1, stack_b);
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
	holds(&m, 0, stack_a);
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
		holds(&m, 0, stack_a);
		holds(&m, 1, stack_b);
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
	holds(&m, 0, stack_a);
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

/*
 * A lease lost under a running suite: the account is forgotten at once (no
 * RELEASE for it, ever; another may be leased in its place), and the suite,
 * stopped and reported as an error, is retried on another account.
 */
static void test_sched__a_lost_lease_is_never_released_and_its_suite_moves(void **state)
{
	tp_sched_suite_state st;
	sim m;
	int i, k, n = 0;

	(void)state;
	sim_init(&m, 2, 0);
	i = add(&m, "long", 100000, 1, NULL, 0);
	add(&m, "short", 10000, 0, NULL, 0);
	add(&m, "later", 10000, 0, NULL, 0);
	m.script[i][1] = TP_SCHED_PASSED;
	m.lose_at = 30000;
	m.lose_suite = i;
	sim_run(&m);
	assert_true(m.lost_account >= 0);
	for (k = 0; k < m.nreleased; k++)
		assert_int_not_equal(m.released[k], m.lost_account);
	tp_sched_suite_get(m.s, i, &st);
	assert_int_equal(st.attempts, 2);
	assert_int_equal(st.result, TP_SCHED_PASSED);
	assert_true(st.flaky);
	for (k = 0; k < m.nlog; k++) {
		if (m.log_suite[k] != i)
			continue;
		if (n++ == 0)
			assert_int_equal(m.log_account[k], m.lost_account);
		else
			assert_int_not_equal(m.log_account[k], m.lost_account);
	}
	assert_int_equal(n, 2);
	assert_int_equal(m.next_account, 2);          /* the account kept for a retry took it */
	assert_int_equal(m.leased_now, 0);            /* every other account released */
	sim_free(&m);

	/* Without retries the suite ends as an error; the run still finishes. */
	sim_init(&m, 1, 0);
	i = add(&m, "only", 100000, 0, NULL, 0);
	add(&m, "next", 10000, 0, NULL, 0);
	m.lose_at = 1000;
	m.lose_suite = i;
	sim_run(&m);
	tp_sched_suite_get(m.s, i, &st);
	assert_true(st.final);
	assert_int_equal(st.result, TP_SCHED_ERROR);
	tp_sched_suite_get(m.s, 1, &st);
	assert_int_equal(st.result, TP_SCHED_PASSED);
	assert_int_not_equal(st.account, m.lost_account);
	assert_int_equal(m.next_account, 2);          /* a new lease replaced the lost one */
	for (k = 0; k < m.nreleased; k++)
		assert_int_not_equal(m.released[k], m.lost_account);
	assert_int_equal(m.leased_now, 0);
	sim_free(&m);
}

/* The stacks of the extras tests: r <- x <- y <- w, r <- q, z, and a, d1-d3 alone. */
static size_t dag_deps(void *ctx, const char *stack, const char *const **deps)
{
	static const char *const r[] = { "r" }, *const x[] = { "x" }, *const y[] = { "y" };

	(void)ctx;
	*deps = !strcmp(stack, "x") || !strcmp(stack, "q") ? r : !strcmp(stack, "y") ? x : y;
	return !strcmp(stack, "x") || !strcmp(stack, "q") || !strcmp(stack, "y") ||
	       !strcmp(stack, "w");
}

static int has_stack(const tp_stack_ref *refs, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(refs[i].name, name))
			return 1;
	return 0;
}

/*
 * One cold account, 60 s a stack. P (1000 s) needs r, x, y: a 180 s chain.
 * q (after r) and z end within it, so they ride along; w (after y) would
 * end at 240 s and does not. Q and R then start without a deploy. Under
 * longest-first, or without depends_on, nothing rides along.
 */
static void test_sched__extras_ride_along_within_the_suites_deploy(void **state)
{
	static const tp_stack_ref p[] = { { "r", "1" }, { "x", "1" }, { "y", "1" } };
	static const tp_stack_ref q[] = { { "r", "1" }, { "q", "1" } };
	static const tp_stack_ref z[] = { { "z", "1" } };
	static const tp_stack_ref s[] = { { "r", "1" }, { "x", "1" }, { "y", "1" }, { "w", "1" } };
	int policy;
	sim m;

	(void)state;
	sim_init_opts(&m, 1, 0, TP_SCHED_POLICY_AFFINITY, dag_deps, 1);
	add(&m, "P", 1000000, 0, p, 3);
	add(&m, "Q", 500000, 0, q, 2);
	add(&m, "R", 400000, 0, z, 1);
	add(&m, "S", 300000, 0, s, 4);
	/* P 180 + 1000, Q 500 and R 400 with nothing to deploy, S deploys w: 60 + 300 */
	assert_int_equal(sim_run(&m), 2440000);
	assert_int_equal(m.log_suite[0], 0);
	assert_int_equal(m.nextra[0], 2);
	assert_true(has_stack(m.extra_log[0], 2, "q") && has_stack(m.extra_log[0], 2, "z"));
	assert_true(strcmp(m.extra_log[0][0].name, "z") == 0);   /* dependencies first: z, then q */
	assert_int_equal(m.nextra[1] + m.nextra[2], 0);         /* no deploy, nothing rides */
	sim_free(&m);
	for (policy = 0; policy <= 1; policy++) {
		sim_init_opts(&m, 1, 0, policy ? TP_SCHED_POLICY_LONGEST : TP_SCHED_POLICY_AFFINITY,
			      policy ? dag_deps : NULL, 1);
		add(&m, "P", 1000000, 0, p, 3);
		add(&m, "Q", 500000, 0, q, 2);
		sim_run(&m);
		assert_int_equal(m.nextra[0], 0);
		sim_free(&m);
	}
}

/*
 * One cold account: P (1000 s) needs a; S1-S3 (300 s each) need d1, d2,
 * d3, all apart, 60 s each. None ends within 90 % of P's deploy, but the
 * plan has the account deploy each of them later (180 s in all) and
 * deploying them with a costs nothing more: they go with a, once.
 */
static void test_sched__a_broad_first_deploy_saves_the_later_ones(void **state)
{
	static const tp_stack_ref a[] = { { "a", "1" } }, d1[] = { { "d1", "1" } };
	static const tp_stack_ref d2[] = { { "d2", "1" } }, d3[] = { { "d3", "1" } };
	sim m;

	(void)state;
	sim_init_opts(&m, 1, 0, TP_SCHED_POLICY_AFFINITY, dag_deps, 1);
	add(&m, "P", 1000000, 0, a, 1);
	add(&m, "S1", 300000, 0, d1, 1);
	add(&m, "S2", 300000, 0, d2, 1);
	add(&m, "S3", 300000, 0, d3, 1);
	assert_int_equal(sim_run(&m), 60000 + 1000000 + 3 * 300000);
	assert_int_equal(m.nextra[0], 3);
	sim_free(&m);
}

/*
 * Two accounts free at the start: 0 holds a and b, 1 only a; a stack
 * deploys in 300 s. A (100 s, needs a) could start on either: the plan
 * gives it account 1, which fewer suites can use, and B (90 s, needs b)
 * account 0, so nothing is deployed; the first to ask taking A would
 * leave B a deploy or a wait.
 */
static void test_sched__the_plan_keeps_the_account_more_suites_fit(void **state)
{
	int k;
	sim m;

	(void)state;
	sim_init(&m, 2, 0);
	m.stack_ms = 300000;
	holds(&m, 0, stack_a);
	holds(&m, 0, stack_b);
	holds(&m, 1, stack_a);
	add(&m, "A", 100000, 0, stack_a, 1);
	add(&m, "B", 90000, 0, stack_b, 1);
	add(&m, "C", 10000, 0, NULL, 0);
	add(&m, "D", 10000, 0, NULL, 0);
	assert_int_equal(sim_run(&m), 110000);
	for (k = 0; k < m.nlog; k++)
		if (m.log_suite[k] <= 1)
			assert_int_equal(m.log_account[k], 1 - m.log_suite[k]);
	sim_free(&m);
}

/*
 * Account 0 holds a, account 1 nothing; a deploys in 300 s. U (needs a)
 * is expected to take 100 s but runs 10,000; V (needs a, 90 s) is planned
 * after it on account 0, and account 1, done with W, waits. Past U's
 * expected end the scheduler asks to be woken (tp_sched_wake_at) and
 * counts U as running half as long again as it has: once waiting for
 * account 0 no longer pays, V deploys on account 1, long before U ends.
 */
static void test_sched__a_suite_past_its_time_does_not_hold_the_others(void **state)
{
	int k, u;
	sim m;

	(void)state;
	sim_init(&m, 2, 0);
	m.stack_ms = 300000;
	holds(&m, 0, stack_a);
	u = add(&m, "U", 100000, 0, stack_a, 1);
	add(&m, "V", 90000, 0, stack_a, 1);
	add(&m, "W", 50000, 0, NULL, 0);
	m.duration[u] = 10000000;
	assert_int_equal(sim_run(&m), 10000000);
	assert_true(m.wakes > 0);
	for (k = 0; k < m.nlog; k++)
		if (m.log_suite[k] == 1) {
			assert_int_equal(m.log_account[k], 1);
			assert_true(m.log_end[k] < 2000000);
		}
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
		cmocka_unit_test(test_sched__a_lost_lease_is_never_released_and_its_suite_moves),
		cmocka_unit_test(test_sched__extras_ride_along_within_the_suites_deploy),
		cmocka_unit_test(test_sched__a_broad_first_deploy_saves_the_later_ones),
		cmocka_unit_test(test_sched__the_plan_keeps_the_account_more_suites_fit),
		cmocka_unit_test(test_sched__a_suite_past_its_time_does_not_hold_the_others),
		cmocka_unit_test(test_sched__shards_are_balanced_and_partition),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
