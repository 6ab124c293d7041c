/*
 * The simulation's random numbers: splitmix64 (a small, fast generator
 * whose output passes BigCrush), so a seed gives the same workload and the
 * same run on every machine, and the distributions the workload draws.
 */
#include <math.h>

#include "bench/sim.h"

void sim_rng_seed(sim_rng *r, uint64_t seed)
{
	r->s = seed;
}

uint64_t sim_rng_next(sim_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

double sim_rng_unit(sim_rng *r)
{
	return (double)(sim_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

int64_t sim_rng_range(sim_rng *r, int64_t lo, int64_t hi)
{
	if (hi <= lo)
		return lo;
	return lo + (int64_t)(sim_rng_next(r) % (uint64_t)(hi - lo + 1));
}

/* Box-Muller; one of the pair is thrown away (simple beats fast here). */
static double normal(sim_rng *r)
{
	double u = sim_rng_unit(r), v = sim_rng_unit(r);

	if (u < 1e-300)
		u = 1e-300;
	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

double sim_rng_lognormal(sim_rng *r, double median, double sigma)
{
	return median * exp(sigma * normal(r));
}

uint64_t sim_seed_mix(uint64_t seed, uint64_t label)
{
	sim_rng r;

	sim_rng_seed(&r, seed ^ (label * 0xd6e8feb86659fd93ULL));
	return sim_rng_next(&r);
}
