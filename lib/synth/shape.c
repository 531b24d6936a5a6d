/*
 * synth/shape.c - the shapes: the dimensionless multiplier f(t) that a
 * workload's base CPU and memory are scaled by, t being the time since the
 * start. One formula per shape, as in docs/synthetic.md. The deterministic
 * shapes are computed from t alone (integer milliseconds, so a peak or a
 * step lands exactly on its sample); bursty and random_walk draw from PRNG
 * stream 0, the same for every replica, so the replicas share the shape
 * and differ only by their scale and noise.
 */
#include <math.h>
#include "synth/synth_int.h"

#define DAY_MS 86400000.0
#define HOUR_MS 3600000.0

/* x folded into [lo, hi] as a reflection would (hi > lo). */
static double reflect(double x, double lo, double hi)
{
    double w = hi - lo, y = fmod(x - lo, 2 * w);

    if (y < 0)
        y += 2 * w;
    if (y > w)
        y = 2 * w - y;
    return lo + y;
}

/* Bursts of b samples at `factor`; the quiet gaps before each are
 * Exp(every), counted in whole samples (0 makes two bursts one). */
static void bursty(const ag_synth_spec *s, double *f, size_t n)
{
    ag__synth_rng rng;
    double every = (double)s->every_ms / (double)s->step_ms;
    size_t b = (size_t)llround((double)s->burst_ms / (double)s->step_ms), k = 0;

    if (b < 1)
        b = 1; /* a burst shorter than the step still shows in one sample */
    for (size_t i = 0; i < n; i++)
        f[i] = 1;
    ag__synth_rng_init(&rng, s->seed, 0);
    while (k < n) {
        double gap = floor(ag__synth_exponential(&rng, every));
        if (!(gap < (double)(n - k)))
            break;
        k += (size_t)gap;
        for (size_t j = k; j < n && j < k + b; j++)
            f[j] = s->factor;
        k += b;
    }
}

static void random_walk(const ag_synth_spec *s, double *f, size_t n)
{
    ag__synth_rng rng;
    /* Brownian scaling: the change over one hour has sd `volatility`
     * whatever the step. */
    double sd = s->volatility * sqrt((double)s->step_ms / HOUR_MS);
    double x = fmin(fmax(1.0, s->walk_min), s->walk_max);

    ag__synth_rng_init(&rng, s->seed, 0);
    for (size_t k = 0; k < n; k++) {
        if (k > 0)
            x = reflect(x + sd * ag__synth_normal(&rng), s->walk_min, s->walk_max);
        f[k] = x;
    }
}

void ag__synth_shape(const ag_synth_spec *s, double *f, size_t n)
{
    int64_t step = s->step_ms;

    switch (s->shape) {
    case AG_SYNTH_STEP: {
        int64_t at = s->at_ms >= 0 ? s->at_ms : s->length_ms / 2;
        for (size_t k = 0; k < n; k++)
            f[k] = (int64_t)k * step < at ? 1.0 : s->factor;
        return;
    }
    case AG_SYNTH_SINUSOIDAL: {
        int64_t p = s->period_ms, peak = s->peak_ms >= 0 ? s->peak_ms : p / 4;
        for (size_t k = 0; k < n; k++) {
            int64_t d = (((int64_t)k * step - peak) % p + p) % p; /* phase in [0, p) */
            f[k] = 1.0 + s->amplitude * cos(2.0 * M_PI * (double)d / (double)p);
        }
        return;
    }
    case AG_SYNTH_LOW_HIGH: {
        int64_t cycle = s->low_ms + s->high_ms;
        for (size_t k = 0; k < n; k++)
            f[k] = ((int64_t)k * step) % cycle < s->low_ms ? 1.0 : s->factor;
        return;
    }
    case AG_SYNTH_BURSTY:
        bursty(s, f, n);
        return;
    case AG_SYNTH_TREND:
        for (size_t k = 0; k < n; k++) {
            int64_t t = (int64_t)k * step;
            if (s->reset_ms > 0)
                t %= s->reset_ms;
            f[k] = fmax(0.0, 1.0 + s->slope * (double)t / DAY_MS);
        }
        return;
    case AG_SYNTH_RANDOM_WALK:
        random_walk(s, f, n);
        return;
    case AG_SYNTH_CONSTANT:
    default:
        for (size_t k = 0; k < n; k++)
            f[k] = 1.0;
        return;
    }
}
