/*
 * bench_sim: the scheduler and the deployer in virtual time (bench/sim.h).
 *
 *   bench_sim [--quick] [--scenario LABEL]... [--seed N] [--seeds N] [--no-defaults]
 *             [--timeline FILE] ...
 *
 * Runs each scenario (suites/accounts/stacks; cold and warm pool) under
 * the three policies of runner/sched.h, with the deployer engine limited
 * only by the cloud (no shared bound: rate and operations unlimited on our
 * side, each account's CloudFormation rate limit applies), and once more
 * with the deployer's default limits (1,024 stack operations; 5 calls/s
 * per account and 100 calls/s over all accounts) under the affinity policy. Prints a table per
 * scenario, a bench line per scenario and, last:
 *
 *   bench sim: makespan, geometric mean over N scenarios ... ratio=R vs fifo
 *
 * where R is the geometric mean over the scenarios of FIFO makespan /
 * longest-first-with-affinity makespan.
 *
 * Each table ends with where affinity's gap to the bound is: the deploy
 * time the bound leaves each account against the time it waited, and when
 * the last first attempt ended against the run's end (the retries of late
 * failures run on past it; the bound knows which runs fail and places
 * them anywhere). With --seeds, the summary counts the seeds whose run
 * ended on a retry.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/util.h"
#include "bench/sim.h"

typedef struct shape {
	const char *label;
	int suites, accounts, stacks;
} shape;

static const shape shapes[] = {
	{ "200/20/12", 200, 20, 12 },
	{ "1000/100/20", 1000, 100, 20 },
	{ "5000/300/20", 5000, 300, 20 },
};

typedef struct options {
	int quick, defaults, trace, seeds, no_extras, tune;
	unsigned long seed;
	double fail_rate, history_sigma, new_rate;
	const char *only[8];
	size_t nonly;
	FILE *timeline;              /* --timeline: every affinity attempt, one line each */
} options;

static int usage(void)
{
	fprintf(stderr, "usage: bench_sim [--quick] [--scenario LABEL]... [--seed N] [--seeds N]\n"
		"                 [--no-defaults] [--fail-rate R] [--history-noise SIGMA] [--new-rate R]\n"
		"                 [--trace] [--timeline FILE] [--no-extras] [--tune]\n"
		"  LABEL: 200/20/12, 1000/100/20 or 5000/300/20 (suites/accounts/stacks)\n"
		"  --quick: 200/20/12 only, without the deployer-defaults run\n"
		"  --seed S: the workloads' seed (1); --seeds N: seeds S..S+N-1 per scenario,\n"
		"  summarised (mean and worst); --timeline FILE: every attempt of the affinity\n"
		"  runs, one tab-separated line each; --no-extras: deploy only each suite's\n"
		"  stacks; --tune: affinity only (its own bound), summaries only, no defaults run\n"
		"  --fail-rate: suites failing a first run (0.03); --history-noise: the\n"
		"  history's error, log-normal sigma (0.2); --new-rate: suites without\n"
		"  history (0.05); --trace: the suites that ended last, to stderr\n");
	return 2;
}

/* A number in [0, max] for option `name`. */
static int rate(const char *arg, double max, double *out)
{
	char *end;

	*out = strtod(arg, &end);
	return end != arg && *end == '\0' && *out >= 0 && *out <= max ? 0 : -1;
}

static int parse(options *o, int argc, char **argv)
{
	int i;

	memset(o, 0, sizeof(*o));
	o->defaults = 1;
	o->seed = 1;
	o->seeds = 1;
	o->fail_rate = SIM_FAIL_RATE;
	o->history_sigma = SIM_HISTORY_SIGMA;
	o->new_rate = SIM_NEW_RATE;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--quick") == 0) {
			o->quick = 1;
			o->defaults = 0;
		} else if (strcmp(argv[i], "--no-defaults") == 0) {
			o->defaults = 0;
		} else if (strcmp(argv[i], "--trace") == 0) {
			o->trace = 1;
		} else if (strcmp(argv[i], "--no-extras") == 0) {
			o->no_extras = 1;
		} else if (strcmp(argv[i], "--tune") == 0) {
			o->tune = 1;
			o->defaults = 0;
		} else if (strcmp(argv[i], "--timeline") == 0 && i + 1 < argc) {
			if (o->timeline)
				fclose(o->timeline);
			o->timeline = fopen(argv[++i], "w");
			if (!o->timeline) {
				perror(argv[i]);
				return 2;
			}
		} else if (strcmp(argv[i], "--fail-rate") == 0 && i + 1 < argc) {
			if (rate(argv[++i], 1, &o->fail_rate) < 0)
				return usage();
		} else if (strcmp(argv[i], "--history-noise") == 0 && i + 1 < argc) {
			if (rate(argv[++i], 3, &o->history_sigma) < 0)
				return usage();
		} else if (strcmp(argv[i], "--new-rate") == 0 && i + 1 < argc) {
			if (rate(argv[++i], 1, &o->new_rate) < 0)
				return usage();
		} else if (strcmp(argv[i], "--seeds") == 0 && i + 1 < argc) {
			long v;
			if (tp_parse_long(argv[++i], &v) < 0 || v < 1 || v > 1000)
				return usage();
			o->seeds = (int)v;
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			if (tp_parse_ulong(argv[++i], &o->seed) < 0)
				return usage();
		} else if (strcmp(argv[i], "--scenario") == 0 && i + 1 < argc &&
			   o->nonly < TP_ARRAY_SIZE(o->only)) {
			o->only[o->nonly++] = argv[++i];
		} else {
			return usage();
		}
	}
	return 0;
}

static int selected(const options *o, const shape *s)
{
	size_t i;

	if (o->nonly == 0)
		return !o->quick || s == &shapes[0];
	for (i = 0; i < o->nonly; i++)
		if (strcmp(o->only[i], s->label) == 0)
			return 1;
	return 0;
}

static void bound_min(sim_scenario_result *r, const sim_run_result *x)
{
	sim_bound b;

	sim_bound_compute(&b, r->w, &r->needs, x->test_runs_of);
	if (r->bound.lb_ms == 0 || b.lb_ms < r->bound.lb_ms)
		r->bound = b;
}

/* --timeline: the workload's stacks, suites' stacks and the pool's initial state. */
static void timeline_pool(const options *o, const sim_workload *w)
{
	size_t i, k;

	for (i = 0; i < w->nstacks; i++) {
		fprintf(o->timeline, "S\t%s\t%s\t%llu\t%zu\t%lld\t", w->sc.label,
			w->sc.warm ? "warm" : "cold", (unsigned long long)w->sc.seed, i,
			(long long)w->stacks[i].expected_ms);
		for (k = 0; k < w->stacks[i].ndeps; k++)
			fprintf(o->timeline, "%s%zu", k ? "," : "", w->stacks[i].deps[k]);
		fputc('\n', o->timeline);
	}
	for (i = 0; i < w->nsuites; i++) {
		fprintf(o->timeline, "U\t%s\t%s\t%llu\t%zu\t", w->sc.label,
			w->sc.warm ? "warm" : "cold", (unsigned long long)w->sc.seed, i);
		for (k = 0; k < w->suites[i].nstacks; k++)
			fprintf(o->timeline, "%s%zu", k ? "," : "", w->suites[i].stacks[k]);
		fputc('\n', o->timeline);
	}
	for (i = 0; i < w->npool; i++) {
		fprintf(o->timeline, "P\t%s\t%s\t%llu\t%zu\t", w->sc.label,
			w->sc.warm ? "warm" : "cold", (unsigned long long)w->sc.seed, i);
		for (k = 0; k < w->nstacks; k++)
			fputc("-CSR"[w->initial[i * w->nstacks + k]], o->timeline);
		fputc('\n', o->timeline);
	}
}

/* --timeline: each suite's D(i) (sim_bound.c) and test runs, before the attempts. */
static void timeline_needs(const options *o, const sim_workload *w, const sim_needs *n)
{
	size_t i;

	if (!o->timeline)
		return;
	for (i = 0; i < w->nsuites; i++)
		fprintf(o->timeline, "D\t%s\t%s\t%llu\t%zu\t%lld\t%lld\t%lld\t%d\t%d\t%lld\t%d\n",
			w->sc.label, w->sc.warm ? "warm" : "cold", (unsigned long long)w->sc.seed,
			i, (long long)n->d[i], (long long)w->suites[i].run_ms[0],
			(long long)w->suites[i].run_ms[1], w->suites[i].fails[0],
			w->suites[i].fails[1], (long long)w->suites[i].expected_ms, w->suites[i].unknown);
	timeline_pool(o, w);
}

typedef struct ratios {
	double lb[3];                /* makespan / LB per policy */
	double dflt;                 /* affinity with the deployer's defaults / LB; 0 when not run */
	double fifo_over_aff;        /* FIFO makespan / affinity makespan */
	double first_end;            /* affinity: the last first attempt's end / LB */
} ratios;

/*
 * Every policy's run of one workload (--tune: affinity's only, and the
 * bound from it alone), the deployer-defaults run unless --no-defaults,
 * and the bound; the tables unless quiet.
 */
static ratios scenario(const options *o, const sim_scenario *sc, int quiet)
{
	sim_scenario_result r;
	sim_workload w;
	ratios q;
	int p;

	memset(&r, 0, sizeof(r));
	sim_workload_init(&w, sc);
	r.w = &w;
	sim_needs_init(&r.needs, &w);
	timeline_needs(o, &w, &r.needs);
	memset(&q, 0, sizeof(q));
	for (p = 0; p < 3; p++) {
		sim_run_opts ro = { (tp_sched_policy)p, sc->naccounts * sc->nstacks, -1,
				    SIM_CLOUD_OPTS_INIT, o->trace && !quiet,
				    p == TP_SCHED_POLICY_AFFINITY ? o->timeline : NULL, o->no_extras };
		if (o->tune && p != TP_SCHED_POLICY_AFFINITY)
			continue;
		sim_run(&r.runs[p], &w, &ro);
		bound_min(&r, &r.runs[p]);
	}
	if (o->defaults) {
		sim_run_opts ro = { TP_SCHED_POLICY_AFFINITY, 0, 0, SIM_CLOUD_OPTS_INIT, o->trace,
				    NULL, o->no_extras };
		sim_run(&r.defaults, &w, &ro);
		r.has_defaults = 1;
		bound_min(&r, &r.defaults);
	}
	if (!quiet && !o->tune) {
		sim_report_scenario(&r);
		sim_report_bench_line(&r);
		fflush(stdout);
	}
	for (p = 0; p < 3; p++)
		q.lb[p] = (double)r.runs[p].makespan_ms / (double)r.bound.lb_ms;
	if (r.has_defaults)
		q.dflt = (double)r.defaults.makespan_ms / (double)r.bound.lb_ms;
	q.first_end = (double)r.runs[TP_SCHED_POLICY_AFFINITY].first_end_ms / (double)r.bound.lb_ms;
	q.fifo_over_aff = o->tune ? 1 : (double)r.runs[TP_SCHED_POLICY_FIFO].makespan_ms /
					 (double)r.runs[TP_SCHED_POLICY_AFFINITY].makespan_ms;
	for (p = 0; p < 3; p++)
		sim_run_result_release(&r.runs[p]);
	sim_run_result_release(&r.defaults);
	sim_needs_release(&r.needs);
	sim_workload_release(&w);
	return q;
}

/*
 * The scenario again with the next n-1 seeds (--seed S --seeds N: seeds
 * S .. S+N-1, each workload's seed 1000 * seed + the shape's number), and
 * the spread of all n.
 */
static void more_seeds(const options *o, sim_scenario sc, const ratios *first)
{
	double sum[3], most = first->lb[TP_SCHED_POLICY_AFFINITY];
	double dsum = first->dflt, dmost = first->dflt, fsum = first->first_end;
	int k, p, within5 = most <= 1.05, within10 = most <= 1.10;
	int tail = first->first_end < first->lb[TP_SCHED_POLICY_AFFINITY];
	uint64_t base = sc.seed;

	for (p = 0; p < 3; p++)
		sum[p] = first->lb[p];
	for (k = 1; k < o->seeds; k++) {
		ratios q;

		sc.seed = base + 1000ULL * (uint64_t)k;
		q = scenario(o, &sc, 1);
		if (o->tune)
			printf("  seed %lu: %.3f\n", o->seed + (unsigned long)k, q.lb[TP_SCHED_POLICY_AFFINITY]);
		for (p = 0; p < 3; p++)
			sum[p] += q.lb[p];
		if (q.lb[TP_SCHED_POLICY_AFFINITY] > most)
			most = q.lb[TP_SCHED_POLICY_AFFINITY];
		within5 += q.lb[TP_SCHED_POLICY_AFFINITY] <= 1.05;
		within10 += q.lb[TP_SCHED_POLICY_AFFINITY] <= 1.10;
		dsum += q.dflt;
		fsum += q.first_end;
		tail += q.first_end < q.lb[TP_SCHED_POLICY_AFFINITY];
		if (q.dflt > dmost)
			dmost = q.dflt;
	}
	printf("  over %d seeds (%lu-%lu): makespan/LB longest+affinity mean %.3f max %.3f "
	       "(<= 1.05 in %d, <= 1.10 in %d)", o->seeds, o->seed,
	       o->seed + (unsigned long)o->seeds - 1, sum[TP_SCHED_POLICY_AFFINITY] / o->seeds, most,
	       within5, within10);
	if (o->defaults)
		printf(", with the deployer's defaults mean %.3f max %.3f", dsum / o->seeds, dmost);
	if (!o->tune)
		printf(", longest-first mean %.3f, fifo mean %.3f", sum[TP_SCHED_POLICY_LONGEST] / o->seeds,
		       sum[TP_SCHED_POLICY_FIFO] / o->seeds);
	printf("\n    the run ended on a retry in %d of %d seeds; the last first attempt ended at a mean "
	       "%.3f of LB\n", tail, o->seeds, fsum / o->seeds);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const sim_cloud_opts cloud = SIM_CLOUD_OPTS_INIT;
	options o;
	double log_sum = 0;
	int n = 0, warm;
	size_t i;

	if (parse(&o, argc, argv) != 0)
		return 2;
	printf("bench_sim: cloud: per-account CloudFormation limit %.3g calls/s (burst %.3g), "
	       "%lld-%lld ms per call, %.3g %% of creates roll back; suites: retries 1, %.3g %% fail a "
	       "first run (60 %% of those flaky), history off by log-normal sigma %.3g, %.3g %% new\n",
	       cloud.rate, cloud.burst, (long long)cloud.latency_min_ms, (long long)cloud.latency_max_ms,
	       cloud.create_fail * 100, o.fail_rate * 100, o.history_sigma, o.new_rate * 100);
	sim_report_legend();
	for (i = 0; i < TP_ARRAY_SIZE(shapes); i++) {
		const shape *s = &shapes[i];

		if (!selected(&o, s))
			continue;
		for (warm = 0; warm <= 1; warm++) {
			sim_scenario sc = { s->label, s->suites, s->accounts, s->stacks, warm,
					    o.seed * 1000 + i + 1, o.fail_rate, o.history_sigma,
					    o.new_rate };
			ratios q = scenario(&o, &sc, 0);

			if (o.seeds > 1)
				more_seeds(&o, sc, &q);
			log_sum += log(q.fifo_over_aff);
			n++;
		}
	}
	if (o.timeline)
		fclose(o.timeline);
	if (n == 0)
		return usage();
	printf("\nbench sim: makespan, geometric mean over %d scenarios of fifo / longest-first "
	       "with affinity ratio=%.3f vs fifo\n", n, exp(log_sum / n));
	return 0;
}
