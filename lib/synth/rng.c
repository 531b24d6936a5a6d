/*
 * synth/rng.c - the synthetic workloads' own PRNG: splitmix64 (Steele,
 * Lea and Flood, "Fast splittable pseudorandom number generators", 2014),
 * with the usual uniform, normal and exponential variates on top. Not
 * rand(): the sequence must be the same on every platform and run, and
 * independent streams (the shape, each replica's noise) must not interfere.
 */
#include <math.h>
#include "synth/synth_int.h"

#define GOLDEN UINT64_C(0x9E3779B97F4A7C15)

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

void ag__synth_rng_init(ag__synth_rng *r, uint64_t seed, uint64_t stream)
{
    /* Mixing seed and stream separately keeps (seed, stream) pairs apart:
     * seed 1 stream 2 and seed 2 stream 1 start far from each other. */
    r->s = mix64(seed) ^ mix64(stream * GOLDEN + UINT64_C(0xD1B54A32D192ED03));
}

uint64_t ag__synth_rng_next(ag__synth_rng *r)
{
    r->s += GOLDEN;
    return mix64(r->s);
}

double ag__synth_uniform(ag__synth_rng *r)
{
    return (double)(ag__synth_rng_next(r) >> 11) * 0x1p-53;
}

double ag__synth_normal(ag__synth_rng *r)
{
    double u1 = 1.0 - ag__synth_uniform(r); /* (0, 1]: log() stays finite */
    double u2 = ag__synth_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

double ag__synth_exponential(ag__synth_rng *r, double mean)
{
    return -mean * log(1.0 - ag__synth_uniform(r));
}
