/*
 * bench/sim's pieces and small scenarios of it: the event heap, the
 * simulated cloud's rate limit and stack lifecycle, determinism, the lower
 * bound never above a makespan, and the direction of the targets (affinity
 * beats longest-first and FIFO, warm beats cold, near the bound). Ratios
 * only: nothing here is timed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "aws/error.h"
#include "aws/util.h"
#include "bench/sim.h"

static sim_scenario small(int warm, uint64_t seed)
{
	sim_scenario sc = { "200/20/12", 200, 20, 12, warm, seed, SIM_FAIL_RATE,
			    SIM_HISTORY_SIGMA, SIM_NEW_RATE };

	return sc;
}

static void run_with(sim_run_result *out, const sim_workload *w, tp_sched_policy p, int no_extras)
{
	sim_run_opts o = { p, w->sc.naccounts * w->sc.nstacks, -1, SIM_CLOUD_OPTS_INIT, 0, NULL,
			   no_extras };

	sim_run(out, w, &o);
}

static void run_policy(sim_run_result *out, const sim_workload *w, tp_sched_policy p)
{
	run_with(out, w, p, 0);
}

static double over_bound(const sim_workload *w, const sim_run_result *r)
{
	sim_needs n;
	sim_bound b;

	sim_needs_init(&n, w);
	sim_bound_compute(&b, w, &n, r->test_runs_of);
	sim_needs_release(&n);
	assert_true(b.work_ms >= b.plain_ms);           /* the placement term only adds */
	return (double)r->makespan_ms / (double)b.lb_ms;
}

static void test_sim__heap_pops_in_time_then_push_order(void **state)
{
	static const int64_t at[] = { 50, 10, 30, 10, 40, 10, 20 };
	sim_heap h = { 0 };
	sim_event e;
	int64_t last = -1;
	size_t i, last_b = 0;

	(void)state;
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++)
		sim_heap_push(&h, at[i], 1, 0, i, NULL);
	for (i = 0; sim_heap_pop(&h, &e); i++) {
		assert_true(e.at >= last);
		if (e.at == last)
			assert_true(e.b > last_b);      /* ties: in the order pushed */
		last = e.at;
		last_b = e.b;
	}
	assert_int_equal(i, 7);
	assert_null(sim_heap_top(&h));
	sim_heap_release(&h);
}

/* CloudFormation answers every request of one account through its bucket. */
static void test_sim__cloud_throttles_per_account(void **state)
{
	sim_scenario sc = small(0, 7);
	sim_cloud_opts co = SIM_CLOUD_OPTS_INIT;
	tp_cfn_request q;
	sim_workload w;
	sim_cloud *c;
	int i, ok = 0, throttled = 0;

	(void)state;
	sim_workload_init(&w, &sc);
	co.rate = 2;
	co.burst = 4;
	c = sim_cloud_new(&w, &co, 1);
	memset(&q, 0, sizeof(q));
	q.op = TP_CFN_DESCRIBE_STACKS;
	q.stack = q.stack_name = w.stacks[0].name;
	for (i = 0; i < 10; i++) {          /* ten at once: the burst passes */
		tp_cfn_result r = TP_CFN_RESULT_INIT;

		tp_cfn_ops_call(sim_cloud_ops(), sim_cloud_account(c, 0), &q, &r);
		ok += r.rc == TP_ENOTFOUND;
		throttled += r.rc == TP_ETHROTTLED && tp_streq(r.aws_code, "Throttling");
		tp_cfn_result_release(&r);
	}
	assert_int_equal(ok, 4);
	assert_int_equal(throttled, 6);
	{
		tp_cfn_result r = TP_CFN_RESULT_INIT;   /* another account has its own bucket */

		tp_cfn_ops_call(sim_cloud_ops(), sim_cloud_account(c, 1), &q, &r);
		assert_int_equal(r.rc, TP_ENOTFOUND);
		tp_cfn_result_release(&r);
	}
	sim_cloud_set_now(c, 1000);             /* a second later: two more */
	for (ok = 0, i = 0; i < 5; i++) {
		tp_cfn_result r = TP_CFN_RESULT_INIT;

		tp_cfn_ops_call(sim_cloud_ops(), sim_cloud_account(c, 0), &q, &r);
		ok += r.rc == TP_ENOTFOUND;
		tp_cfn_result_release(&r);
	}
	assert_int_equal(ok, 2);
	assert_int_equal(sim_cloud_counts_get(c)->throttled, 9);
	sim_cloud_free(c);
	sim_workload_release(&w);
}

/* A created stack is CREATE_IN_PROGRESS for its duration, then complete with its hash. */
static void test_sim__cloud_stack_lifecycle(void **state)
{
	sim_scenario sc = small(0, 7);
	sim_cloud_opts co = SIM_CLOUD_OPTS_INIT;
	tp_kv tag = { "tidepool:hash", NULL };
	tp_cfn_result r = TP_CFN_RESULT_INIT;
	tp_cfn_request q;
	sim_workload w;
	sim_cloud *c;
	int64_t d;

	(void)state;
	sim_workload_init(&w, &sc);
	co.create_fail = 0;
	c = sim_cloud_new(&w, &co, 1);
	d = sim_create_ms(&w, 3, 0);
	assert_true(d >= 30000 && d <= 360000);
	memset(&q, 0, sizeof(q));
	tag.value = w.stacks[0].hash;
	q.op = TP_CFN_CREATE_STACK;
	q.stack = q.stack_name = w.stacks[0].name;
	q.tags = &tag;
	q.ntags = 1;
	assert_int_equal(tp_cfn_ops_call(sim_cloud_ops(), sim_cloud_account(c, 3), &q, &r), 0);
	assert_non_null(r.stack_id);
	tp_cfn_result_release(&r);
	q.op = TP_CFN_DESCRIBE_STACKS;
	sim_cloud_set_now(c, d - 1);
	tp_cfn_ops_call(sim_cloud_ops(), sim_cloud_account(c, 3), &q, &r);
	assert_string_equal(r.stack.status, "CREATE_IN_PROGRESS");
	tp_cfn_result_release(&r);
	sim_cloud_set_now(c, d);
	tp_cfn_ops_call(sim_cloud_ops(), sim_cloud_account(c, 3), &q, &r);
	assert_string_equal(r.stack.status, "CREATE_COMPLETE");
	assert_string_equal(tp_kv_list_get(&r.stack.tags, "tidepool:hash"), w.stacks[0].hash);
	tp_cfn_result_release(&r);
	sim_cloud_free(c);
	sim_workload_release(&w);
}

/* Suites need their stacks' dependencies; warm pools hold stacks, cold ones none. */
static void test_sim__workload_is_closed_and_deterministic(void **state)
{
	sim_scenario cold = small(0, 11), warm = small(1, 11);
	sim_workload a, b, c;
	size_t i, k, j, held = 0;

	(void)state;
	sim_workload_init(&a, &cold);
	sim_workload_init(&b, &cold);
	sim_workload_init(&c, &warm);
	for (i = 0; i < a.nsuites; i++) {
		const sim_suite *u = &a.suites[i];

		assert_int_equal(u->run_ms[0], b.suites[i].run_ms[0]);
		assert_int_equal(u->run_ms[0], c.suites[i].run_ms[0]);   /* same suites */
		assert_true(u->run_ms[0] >= 60000 && u->run_ms[0] <= 1500000);
		for (k = 0; k < u->nstacks; k++) {
			const sim_stack *st = &a.stacks[u->stacks[k]];
			for (j = 0; j < st->ndeps; j++) {
				size_t d = st->deps[j], x;
				int found = 0;
				for (x = 0; x < u->nstacks; x++)
					found |= u->stacks[x] == d;
				assert_true(found);
			}
		}
	}
	for (i = 0; i < a.npool * a.nstacks; i++) {
		assert_int_equal(a.initial[i], SIM_ABSENT);
		held += c.initial[i] == SIM_CURRENT;
	}
	assert_true(held > a.npool);
	sim_workload_release(&a);
	sim_workload_release(&b);
	sim_workload_release(&c);
}

/* The same seed gives the same run; every suite ends with a result. */
static void test_sim__runs_are_deterministic_and_complete(void **state)
{
	sim_scenario sc = small(1, 3);
	sim_run_result x, y;
	sim_workload w;

	(void)state;
	sim_workload_init(&w, &sc);
	run_policy(&x, &w, TP_SCHED_POLICY_AFFINITY);
	run_policy(&y, &w, TP_SCHED_POLICY_AFFINITY);
	assert_int_equal(x.makespan_ms, y.makespan_ms);
	assert_int_equal(x.sm_calls, y.sm_calls);
	assert_int_equal(x.passed + x.failed, 200);
	assert_true(x.attempts >= 200);
	assert_true(x.flaky > 0 || x.failed > 0);      /* the failures of the workload happened */
	assert_true(x.skipped > 0);                    /* and warm stacks were found at their hash */
	sim_run_result_release(&x);
	sim_run_result_release(&y);
	sim_workload_release(&w);
}

/*
 * first_end_ms, the end of the last first attempt: the run's end when no
 * suite fails; when every first run fails, the retries run on past it.
 */
static void test_sim__first_attempts_end_before_the_retries(void **state)
{
	double rates[] = { 0.0, 1.0 };
	size_t i;

	(void)state;
	for (i = 0; i < TP_ARRAY_SIZE(rates); i++) {
		sim_scenario sc = small(1, 4);
		sim_run_result r;
		sim_workload w;

		sc.fail_rate = rates[i];
		sim_workload_init(&w, &sc);
		run_policy(&r, &w, TP_SCHED_POLICY_AFFINITY);
		assert_true(r.first_end_ms > 0);
		if (rates[i] == 0.0) {
			assert_int_equal(r.attempts, 200);
			assert_int_equal(r.first_end_ms, r.makespan_ms);
		} else {
			assert_true(r.attempts > 200);
			assert_true(r.first_end_ms < r.makespan_ms);
		}
		sim_run_result_release(&r);
		sim_workload_release(&w);
	}
}

/*
 * No run finishes before its lower bound, whatever the policy (affinity
 * with and without extras) and pool, over five workloads, one of them with
 * many failures and a noisy history.
 */
static void test_sim__bound_is_below_every_makespan(void **state)
{
	uint64_t seed;
	int warm, p;

	(void)state;
	for (seed = 1; seed <= 5; seed++) {
		for (warm = 0; warm <= 1; warm++) {
			sim_scenario sc = small(warm, seed);
			sim_workload w;

			if (seed == 5) {
				sc.fail_rate = 0.3;
				sc.history_sigma = 0.8;
			}
			sim_workload_init(&w, &sc);
			for (p = 0; p < 4; p++) {
				sim_run_result r;

				run_with(&r, &w, p < 3 ? (tp_sched_policy)p : TP_SCHED_POLICY_AFFINITY,
					 p == 3);
				assert_true(over_bound(&w, &r) >= 1.0);
				sim_run_result_release(&r);
			}
			sim_workload_release(&w);
		}
	}
}

/*
 * The placement term on two accounts, M = 200 s: group 0 (150 s of tests)
 * runs only on account 0 without a deploy; group 1 (150 s) there too, or
 * on account 1 after a 50 s deploy. Below 50 s of waiting, account 0 holds
 * at most 200 s of the 300: some account waits 50 s (counted in 10 s
 * steps), and then account 1 has 150 s left, enough. The plain term sees
 * every suite at D = 0 and counts nothing.
 */
static void test_sim__placement_counts_what_warm_accounts_cannot_hold(void **state)
{
	const int64_t need[] = { 0, 1000000000, 0, 50000 };
	const int64_t supply[] = { 150000, 150000 };
	sim_flow *f = sim_flow_new(2, 2, need);

	(void)state;
	assert_int_equal(sim_flow_waits(f, supply, 200000), 50000);
	assert_int_equal(sim_flow_waits(f, supply, 400000), 0);     /* account 0 holds it all */
	sim_flow_free(f);
}

/*
 * The targets' direction on 200/20/12 over three seeds: affinity ahead of
 * longest-first and of FIFO, warm ahead of cold, and close to the bound
 * (the full targets, 1.05 warm and 1.10 cold, are bench/sim's to report).
 */
static void test_sim__affinity_beats_the_baselines(void **state)
{
	double aff[2] = { 0, 0 }, lf[2] = { 0, 0 }, fifo[2] = { 0, 0 };
	int created[2] = { 0, 0 };
	uint64_t seed;
	int warm;

	(void)state;
	for (seed = 1; seed <= 3; seed++) {
		for (warm = 0; warm <= 1; warm++) {
			sim_scenario sc = small(warm, seed);
			sim_run_result a, l, f;
			sim_workload w;

			sim_workload_init(&w, &sc);
			run_policy(&a, &w, TP_SCHED_POLICY_AFFINITY);
			run_policy(&l, &w, TP_SCHED_POLICY_LONGEST);
			run_policy(&f, &w, TP_SCHED_POLICY_FIFO);
			aff[warm] += over_bound(&w, &a) / 3;
			lf[warm] += over_bound(&w, &l) / 3;
			fifo[warm] += over_bound(&w, &f) / 3;
			created[warm] += a.created;
			sim_run_result_release(&a);
			sim_run_result_release(&l);
			sim_run_result_release(&f);
			sim_workload_release(&w);
		}
	}
	for (warm = 0; warm <= 1; warm++) {
		assert_true(aff[warm] < lf[warm]);
		assert_true(aff[warm] * 1.05 < fifo[warm]);
	}
	print_message("200/20/12 over 3 seeds: affinity %.3f / %.3f, longest %.3f / %.3f, fifo %.3f / %.3f (cold / warm)\n", aff[0], aff[1], lf[0], lf[1], fifo[0], fifo[1]);
	assert_true(aff[1] <= 1.10);
	assert_true(aff[0] <= 1.12);
	assert_true(created[1] * 2 < created[0]);       /* warm reuses what is there */
}

/* On a cold pool, deploying what rides along (and broad first deploys) beats deploying each suite's own stacks. */
static void test_sim__extras_shorten_cold_pools(void **state)
{
	double with = 0, without = 0;
	uint64_t seed;

	(void)state;
	for (seed = 1; seed <= 3; seed++) {
		sim_scenario sc = small(0, seed);
		sim_run_result a, b;
		sim_workload w;

		sim_workload_init(&w, &sc);
		run_with(&a, &w, TP_SCHED_POLICY_AFFINITY, 0);
		run_with(&b, &w, TP_SCHED_POLICY_AFFINITY, 1);
		assert_true(a.extra_stacks > 0);
		assert_int_equal(b.extra_stacks, 0);
		with += (double)a.makespan_ms;
		without += (double)b.makespan_ms;
		sim_run_result_release(&a);
		sim_run_result_release(&b);
		sim_workload_release(&w);
	}
	assert_true(with < without);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sim__heap_pops_in_time_then_push_order),
		cmocka_unit_test(test_sim__cloud_throttles_per_account),
		cmocka_unit_test(test_sim__cloud_stack_lifecycle),
		cmocka_unit_test(test_sim__workload_is_closed_and_deterministic),
		cmocka_unit_test(test_sim__runs_are_deterministic_and_complete),
		cmocka_unit_test(test_sim__first_attempts_end_before_the_retries),
		cmocka_unit_test(test_sim__bound_is_below_every_makespan),
		cmocka_unit_test(test_sim__placement_counts_what_warm_accounts_cannot_hold),
		cmocka_unit_test(test_sim__extras_shorten_cold_pools),
		cmocka_unit_test(test_sim__affinity_beats_the_baselines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
