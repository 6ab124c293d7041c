/*
 * The simulation's output: a table per scenario (one row per policy), the
 * CloudFormation calls per stack, CPU, and the bench lines of DESIGN.md.
 */
#include <math.h>
#include <stdio.h>

#include "bench/sim.h"

const char *sim_policy_name(tp_sched_policy p)
{
	switch (p) {
	case TP_SCHED_POLICY_FIFO: return "fifo";
	case TP_SCHED_POLICY_LONGEST: return "longest-first";
	case TP_SCHED_POLICY_AFFINITY: return "longest+affinity";
	}
	return "?";
}

void sim_report_legend(void)
{
	printf("lower bound (LB, bench/sim_bound.c), from the actual durations, true for any schedule "
	       "of the run's test runs with one suite at a time per account and at most -j accounts:\n"
	       "  need(i,a) = longest depends_on chain of suite i's stacks not yet right on pool "
	       "account a (create, update or delete+create time);\n"
	       "  D(i) = min over the pool of need(i,a); c(a) = min over suites of need(i,a); T(i) = "
	       "suite i's test runs executed; W = sum T(i);\n"
	       "  A = max over suites of D(i) + T(i);\n"
	       "  B = least M with W + max(S(k), E(M), E'(M)) <= k*M for some k <= -j, S(k) = sum of the k "
	       "smallest c(a), E(M) = integral over tau in [0,M) of ceil(W(tau)/(M-tau)),\n"
	       "      W(tau) = sum of T(i) with D(i) >= tau (accounts that wait tau for deploys have "
	       "M-tau left for tests);\n"
	       "      E'(M) = the same with W - F(tau,M) for W(tau), F = the most test time accounts "
	       "waiting < tau can hold (a max flow over the pairs with need(i,a) < tau, M - c(a) an "
	       "account);\n"
	       "  LB = max(A, B), the least over the scenario's runs.\n"
	       "columns: test / deploy = suite time and time waiting for deploys summed over attempts; "
	       "deps = deployments; crea/upd/skip/fail/rec = stacks created, updated, found at their "
	       "hash, failed, deleted and re-created; sm-calls = CloudFormation calls the state "
	       "machines made; requests = with the client's retries of throttled ones; thrott = "
	       "requests answered Throttling; cpu-s = the run's CPU seconds; sched = of which in "
	       "tp_sched_*.\n"
	       "affinity,deployer-dflt = longest+affinity with the deployer's default limits (1,024 "
	       "stack operations; 5 CloudFormation calls/s per account, 100/s over all accounts); the "
	       "other rows leave the limiting to each account's CloudFormation.\n");
}

void sim_format_ms(char *buf, size_t size, int64_t ms)
{
	int64_t s = (ms + 500) / 1000;

	if (s >= 3600)
		snprintf(buf, size, "%lldh%02lldm%02llds", (long long)(s / 3600),
			 (long long)(s / 60 % 60), (long long)(s % 60));
	else
		snprintf(buf, size, "%lldm%02llds", (long long)(s / 60), (long long)(s % 60));
}

static double ratio(int64_t a, int64_t b)
{
	return b > 0 ? (double)a / (double)b : 0;
}

static void header(const sim_scenario_result *r)
{
	const sim_workload *w = r->w;
	char lb[32], a[32], b[32], plain[32];

	sim_format_ms(lb, sizeof(lb), r->bound.lb_ms);
	sim_format_ms(a, sizeof(a), r->bound.chain_ms);
	sim_format_ms(b, sizeof(b), r->bound.work_ms);
	sim_format_ms(plain, sizeof(plain), r->bound.plain_ms);
	printf("\n== %s: %zu suites / %d accounts / %zu stacks, %s pool (seed %llu; pool of %zu "
	       "accounts) ==\n", w->sc.label, w->nsuites, w->sc.naccounts, w->nstacks,
	       w->sc.warm ? "warm" : "cold", (unsigned long long)w->sc.seed, w->npool);
	printf("lower bound %s = max(A longest suite chain %s [%s], B work over accounts %s; "
	       "%s without the placement term E')\n", lb, a,
	       r->bound.chain_suite >= 0 ? w->suites[r->bound.chain_suite].name : "-", b, plain);
	printf("%-22s %10s %6s %10s %10s %6s %5s %5s %5s %5s %4s %8s %8s %7s %6s %6s\n", "policy",
	       "makespan", "/LB", "test", "deploy", "deps", "crea", "upd", "skip", "fail", "rec",
	       "sm-calls", "requests", "thrott", "cpu-s", "sched");
}

static void row(const char *name, const sim_run_result *x, int64_t lb)
{
	char mk[32], t[32], d[32];

	sim_format_ms(mk, sizeof(mk), x->makespan_ms);
	sim_format_ms(t, sizeof(t), x->test_ms);
	sim_format_ms(d, sizeof(d), x->deploy_wait_ms);
	printf("%-22s %10s %6.3f %10s %10s %6d %5d %5d %5d %5d %4d %8llu %8llu %7llu %6.2f %6.2f\n",
	       name, mk, ratio(x->makespan_ms, lb), t, d, x->deployments, x->created, x->updated,
	       x->skipped, x->failed_stacks, x->recreated, (unsigned long long)x->sm_calls,
	       (unsigned long long)x->http_calls, (unsigned long long)x->cloud.throttled, x->cpu_s,
	       x->sched_cpu_s);
}

static void calls_per_stack(const sim_run_result *x)
{
	int changed = x->created + x->updated + x->failed_stacks;
	double all = x->created + x->updated + x->skipped + x->failed_stacks;

	printf("  CloudFormation calls per stack (longest+affinity): %.2f per stack deployed "
	       "(%.2f per created/updated/failed stack, %.2f per skipped one); %.2f requests per stack "
	       "with the client's retries of %llu throttled requests; %d stacks failed by throttling\n",
	       all > 0 ? (double)x->sm_calls / all : 0,
	       changed ? (double)(x->sm_calls - x->sm_calls_skipped) / changed : 0,
	       x->skipped ? (double)x->sm_calls_skipped / x->skipped : 0,
	       all > 0 ? (double)x->http_calls / all : 0, (unsigned long long)x->cloud.throttled,
	       x->throttle_failed);
}

void sim_report_scenario(const sim_scenario_result *r)
{
	const sim_run_result *aff = &r->runs[TP_SCHED_POLICY_AFFINITY];
	static const tp_sched_policy order[] = {
		TP_SCHED_POLICY_FIFO, TP_SCHED_POLICY_LONGEST, TP_SCHED_POLICY_AFFINITY,
	};
	double cpu = 0;
	size_t i;

	header(r);
	for (i = 0; i < 3; i++) {
		row(sim_policy_name(order[i]), &r->runs[order[i]], r->bound.lb_ms);
		cpu += r->runs[order[i]].cpu_s;
	}
	if (r->has_defaults)
		row("affinity,deployer-dflt", &r->defaults, r->bound.lb_ms);
	calls_per_stack(aff);
	{
		int64_t m = r->w->sc.naccounts;
		char t[32], d[32], idle[32], room[32], first[32], after[32];

		sim_format_ms(t, sizeof(t), aff->test_ms / m);
		sim_format_ms(d, sizeof(d), aff->deploy_wait_ms / m);
		sim_format_ms(idle, sizeof(idle), aff->makespan_ms - (aff->test_ms + aff->deploy_wait_ms) / m);
		printf("  per account (longest+affinity): tests %s, waiting for deploys %s, idle %s\n", t, d, idle);
		sim_format_ms(room, sizeof(room), r->bound.lb_ms > aff->test_ms / m ?
				 r->bound.lb_ms - aff->test_ms / m : 0);
		sim_format_ms(first, sizeof(first), aff->first_end_ms);
		sim_format_ms(after, sizeof(after), aff->makespan_ms - aff->first_end_ms);
		printf("  where the gap is (longest+affinity): the bound leaves %s per account for deploys "
		       "(LB - tests / accounts); the last first attempt ended at %s (%.3f of LB), retries "
		       "ran on for %s after it\n", room, first, ratio(aff->first_end_ms, r->bound.lb_ms),
		       after);
	}
	printf("  suites: %d passed, %d failed, %d flaky; attempts %d (%d ERROR from failed deploys), "
	       "%d without any deploy; %d accounts used; %d stacks deployed beyond their suites' "
	       "(tp_sched_extra_stacks)\n", aff->passed, aff->failed, aff->flaky, aff->attempts,
	       aff->errors, aff->no_deploy, aff->accounts_used, aff->extra_stacks);
	printf("  CPU: %.2f s for the three policies' runs (%.2f s the largest), of which scheduler "
	       "%.3f s\n", cpu,
	       fmax(fmax(r->runs[0].cpu_s, r->runs[1].cpu_s), r->runs[2].cpu_s),
	       r->runs[0].sched_cpu_s + r->runs[1].sched_cpu_s + r->runs[2].sched_cpu_s);
}

void sim_report_bench_line(const sim_scenario_result *r)
{
	const sim_run_result *aff = &r->runs[TP_SCHED_POLICY_AFFINITY];
	const sim_run_result *fifo = &r->runs[TP_SCHED_POLICY_FIFO];
	const sim_run_result *lf = &r->runs[TP_SCHED_POLICY_LONGEST];
	char label[64];
	size_t i;

	snprintf(label, sizeof(label), "%s", r->w->sc.label);
	for (i = 0; label[i]; i++)
		if (label[i] == '/')
			label[i] = '-';
	printf("bench sim-%s-%s: makespan/LB affinity=%.3f longest=%.3f fifo=%.3f cpu=%.2fs "
	       "ratio=%.3f vs fifo\n", label, r->w->sc.warm ? "warm" : "cold",
	       ratio(aff->makespan_ms, r->bound.lb_ms), ratio(lf->makespan_ms, r->bound.lb_ms),
	       ratio(fifo->makespan_ms, r->bound.lb_ms), aff->cpu_s,
	       ratio(fifo->makespan_ms, aff->makespan_ms));
}
