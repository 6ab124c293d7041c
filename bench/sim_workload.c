/*
 * The simulation's workloads, drawn from a seed.
 *
 * Stacks: a DAG in up to four levels (a root, stacks on it, stacks on
 * those, services on top), each stack depending on 1-3 stacks of lower
 * levels. Create times log-normal (median 100 s, sigma 0.6) clipped to
 * 30 s-6 min; each account is a little faster or slower per stack
 * (x0.9-1.1, still within 30 s-6 min); an update takes 0.6 of a create, a
 * delete 0.5, a rollback 30 s.
 *
 * Suites: test runs log-normal (median 4 min, sigma 0.9: a heavy tail)
 * clipped to 1-25 min; a retry's run within about 10 % of the first. The
 * history the scheduler sees is off by log-normal sigma 0.2, and 5 % of
 * suites are new (no history). 3 % fail their first run; 60 % of those
 * pass the retry (flaky), 40 % fail again. (The three rates are the
 * scenario's, these are the defaults.) Every suite has retries: 1. A suite
 * needs 2-6 stacks directly (and their depends_on): 70 % share one of a
 * few "service profiles" (Zipf-popular, as suites cluster around the
 * services they test), 30 % have their own mix.
 *
 * The pool holds half again as many accounts as -j (other runs share it).
 * Cold: nothing deployed anywhere. Warm: two thirds of the accounts kept
 * what 1-3 earlier suites deployed; a tenth of those stacks are at an older
 * hash (updated), and one warm account in twenty has a stack left in
 * ROLLBACK_COMPLETE (deleted and re-created). The store records the
 * deployed stacks and their hashes.
 */
#include <stdio.h>
#include <string.h>

#include "aws/util.h"
#include "bench/sim.h"

#define STACK_MIN_MS 30000
#define STACK_MAX_MS 360000
#define SUITE_MIN_MS 60000
#define SUITE_MAX_MS 1500000

static int64_t clip(double v, int64_t lo, int64_t hi)
{
	return v < (double)lo ? lo : v > (double)hi ? hi : (int64_t)v;
}

static size_t level_of(size_t i, size_t n)
{
	if (i == 0)
		return 0;
	if (i <= n / 4)
		return 1;
	if (i <= n / 2)
		return 2;
	return 3;
}

/* A dependency of stack i among earlier stacks one level down (or lower). */
static size_t pick_dep(sim_rng *r, size_t i, size_t n, int one_below)
{
	size_t want = level_of(i, n) - 1, cand[64], nc = 0, j;

	for (j = 0; j < i && nc < 64; j++)
		if (one_below ? level_of(j, n) == want : level_of(j, n) <= want)
			cand[nc++] = j;
	return cand[sim_rng_range(r, 0, (int64_t)nc - 1)];
}

static void add_dep(sim_stack *s, size_t d)
{
	size_t k;

	for (k = 0; k < s->ndeps; k++)
		if (s->deps[k] == d)
			return;
	if (s->ndeps < SIM_MAX_DEPS)
		s->deps[s->ndeps++] = d;
}

static void make_stacks(sim_workload *w, sim_rng *r)
{
	size_t i, n = w->nstacks;

	w->stacks = tp_xcalloc(n, sizeof(*w->stacks));
	for (i = 0; i < n; i++) {
		sim_stack *s = &w->stacks[i];
		int64_t extra = i == 0 ? 0 : sim_rng_range(r, 0, 2);

		snprintf(s->name, sizeof(s->name), "stack%02zu", i);
		snprintf(s->hash, sizeof(s->hash), "%016llx", (unsigned long long)sim_rng_next(r));
		snprintf(s->old_hash, sizeof(s->old_hash), "%016llx",
			 (unsigned long long)sim_rng_next(r));
		s->expected_ms = clip(sim_rng_lognormal(r, 100000, 0.6), STACK_MIN_MS, STACK_MAX_MS);
		if (i == 0)
			continue;
		add_dep(s, pick_dep(r, i, n, 1));
		while (extra-- > 0)
			add_dep(s, pick_dep(r, i, n, 0));
	}
}

/* mark[] |= stack s and everything it depends on. */
static void close_over(const sim_workload *w, unsigned char *mark, size_t s)
{
	size_t k;

	if (mark[s])
		return;
	mark[s] = 1;
	for (k = 0; k < w->stacks[s].ndeps; k++)
		close_over(w, mark, w->stacks[s].deps[k]);
}

/* Index in [0, n) with weight 1/(rank+1) (Zipf); ranks are a fixed shuffle. */
static size_t zipf(sim_rng *r, const size_t *perm, size_t n)
{
	double total = 0, u;
	size_t i;

	for (i = 0; i < n; i++)
		total += 1.0 / (double)(i + 1);
	u = sim_rng_unit(r) * total;
	for (i = 0; i + 1 < n; i++) {
		u -= 1.0 / (double)(i + 1);
		if (u < 0)
			break;
	}
	return perm[i];
}

static void shuffle(sim_rng *r, size_t *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		v[i] = i;
	for (i = n; i > 1; i--) {
		size_t j = (size_t)sim_rng_range(r, 0, (int64_t)i - 1), t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* 2-6 directly needed stacks (popular ones more often), closed under depends_on. */
static void draw_needs(const sim_workload *w, sim_rng *r, const size_t *pop, unsigned char *mark)
{
	int64_t k = sim_rng_range(r, 2, 6);

	memset(mark, 0, w->nstacks);
	while (k-- > 0)
		close_over(w, mark, zipf(r, pop, w->nstacks));
}

static void set_needs(sim_suite *u, const unsigned char *mark, size_t n)
{
	size_t i;

	u->stacks = tp_xcalloc(n, sizeof(*u->stacks));
	u->nstacks = 0;
	for (i = 0; i < n; i++)
		if (mark[i])
			u->stacks[u->nstacks++] = i;
}

static void draw_runs(sim_suite *u, sim_rng *r, double fail_rate)
{
	u->run_ms[0] = clip(sim_rng_lognormal(r, 240000, 0.9), SUITE_MIN_MS, SUITE_MAX_MS);
	u->run_ms[1] = clip((double)u->run_ms[0] * sim_rng_lognormal(r, 1, 0.1), SUITE_MIN_MS,
			    SUITE_MAX_MS);
	u->fails[0] = sim_rng_unit(r) < fail_rate;
	u->fails[1] = u->fails[0] && sim_rng_unit(r) < 0.4;
	u->retries = 1;
}

static void make_suites(sim_workload *w, sim_rng *r)
{
	size_t nprof = w->nstacks, i, j, nknown = 0;
	size_t *pop = tp_xcalloc(w->nstacks, sizeof(size_t)), *pperm = tp_xcalloc(nprof, sizeof(size_t));
	unsigned char *prof = tp_xcalloc(nprof * w->nstacks, 1), *mark = tp_xcalloc(w->nstacks, 1);
	int64_t known_sum = 0;

	shuffle(r, pop, w->nstacks);
	shuffle(r, pperm, nprof);
	for (i = 0; i < nprof; i++)
		draw_needs(w, r, pop, prof + i * w->nstacks);
	w->suites = tp_xcalloc(w->nsuites, sizeof(*w->suites));
	for (i = 0; i < w->nsuites; i++) {
		sim_suite *u = &w->suites[i];

		snprintf(u->name, sizeof(u->name), "suite%04zu", i);
		if (sim_rng_unit(r) < 0.7) {
			set_needs(u, prof + zipf(r, pperm, nprof) * w->nstacks, w->nstacks);
		} else {
			draw_needs(w, r, pop, mark);
			set_needs(u, mark, w->nstacks);
		}
		draw_runs(u, r, w->sc.fail_rate);
		u->expected_ms = sim_rng_unit(r) < w->sc.new_rate ? -1 :
				 (int64_t)((double)u->run_ms[0] *
					   sim_rng_lognormal(r, 1, w->sc.history_sigma));
		if (u->expected_ms >= 0) {
			known_sum += u->expected_ms;
			nknown++;
		}
	}
	for (j = 0; j < w->nsuites; j++) {   /* new suites: the mean (DESIGN.md) */
		if (w->suites[j].expected_ms >= 0)
			continue;
		w->suites[j].unknown = 1;
		w->suites[j].expected_ms = nknown ? known_sum / (int64_t)nknown : 300000;
	}
	free(pop);
	free(pperm);
	free(prof);
	free(mark);
}

static void warm_account(sim_workload *w, sim_rng *r, size_t a)
{
	sim_initial *st = &w->initial[a * w->nstacks];
	unsigned char *mark = tp_xcalloc(w->nstacks, 1);
	int64_t k = sim_rng_range(r, 1, 3);
	size_t i;

	while (k-- > 0) {
		const sim_suite *u = &w->suites[sim_rng_range(r, 0, (int64_t)w->nsuites - 1)];
		for (i = 0; i < u->nstacks; i++)
			mark[u->stacks[i]] = 1;
	}
	for (i = 0; i < w->nstacks; i++)
		if (mark[i])
			st[i] = sim_rng_unit(r) < 0.1 ? SIM_STALE : SIM_CURRENT;
	if (sim_rng_unit(r) < 0.05) {
		i = (size_t)sim_rng_range(r, 0, (int64_t)w->nstacks - 1);
		if (st[i] == SIM_ABSENT)
			st[i] = SIM_ROLLED_BACK;
	}
	free(mark);
}

static void make_pool(sim_workload *w, sim_rng *r)
{
	size_t a, i;

	w->npool = (size_t)w->sc.naccounts + (size_t)w->sc.naccounts / 2;
	w->initial = tp_xcalloc(w->npool * w->nstacks, sizeof(*w->initial));
	w->speed = tp_xcalloc(w->npool * w->nstacks, sizeof(*w->speed));
	for (a = 0; a < w->npool; a++)     /* first, so cold and warm pools share them */
		for (i = 0; i < w->nstacks; i++)
			w->speed[a * w->nstacks + i] = 0.9 + 0.2 * sim_rng_unit(r);
	for (a = 0; a < w->npool; a++)
		if (w->sc.warm && sim_rng_unit(r) < 2.0 / 3.0)
			warm_account(w, r, a);
}

void sim_workload_init(sim_workload *w, const sim_scenario *sc)
{
	sim_rng r;

	memset(w, 0, sizeof(*w));
	w->sc = *sc;
	w->nstacks = (size_t)sc->nstacks;
	w->nsuites = (size_t)sc->nsuites;
	w->rollback_ms = 30000;
	sim_rng_seed(&r, sim_seed_mix(sc->seed, 1));
	make_stacks(w, &r);
	make_suites(w, &r);
	sim_rng_seed(&r, sim_seed_mix(sc->seed, 2));
	make_pool(w, &r);
}

void sim_workload_release(sim_workload *w)
{
	size_t i;

	for (i = 0; i < w->nsuites; i++)
		free(w->suites[i].stacks);
	free(w->suites);
	free(w->stacks);
	free(w->initial);
	free(w->speed);
	memset(w, 0, sizeof(*w));
}

int64_t sim_create_ms(const sim_workload *w, size_t a, size_t s)
{
	return clip((double)w->stacks[s].expected_ms * w->speed[a * w->nstacks + s], STACK_MIN_MS,
		    STACK_MAX_MS);
}

int64_t sim_update_ms(const sim_workload *w, size_t a, size_t s)
{
	return sim_create_ms(w, a, s) * 6 / 10;
}

int64_t sim_delete_ms(const sim_workload *w, size_t a, size_t s)
{
	return sim_create_ms(w, a, s) / 2;
}

size_t sim_recorded(const sim_workload *w, size_t a, tp_stack_ref *out)
{
	size_t i, n = 0;

	for (i = 0; i < w->nstacks; i++) {
		sim_initial st = w->initial[a * w->nstacks + i];
		if (st != SIM_CURRENT && st != SIM_STALE)
			continue;
		out[n].name = w->stacks[i].name;
		out[n++].hash = st == SIM_CURRENT ? w->stacks[i].hash : w->stacks[i].old_hash;
	}
	return n;
}
