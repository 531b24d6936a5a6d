/*
 * recommend/histogram.c - the VPA's histograms in C.
 *
 * A faithful port of kubernetes/autoscaler vertical-pod-autoscaler
 * pkg/recommender/util/{histogram_options,histogram,decaying_histogram}.go:
 * same bucket formulas, same min/max bucket bookkeeping, same epsilon,
 * same percentile walk (the END of the bucket where the cumulative weight
 * reaches p), same reference-time shifting of the decaying histogram.
 *
 * Speed: the VPA recommends for every container every minute, we replay
 * eight days of minutes for thousands of containers. FindBucket therefore
 * does not call log(): at build time we find, for every bucket, the
 * smallest double the Go formula puts in it (bisection over the ordered
 * bit patterns of doubles), and at run time a 16-slots-per-octave table on
 * the exponent bits gives a guess that one or two comparisons fix up. The
 * answer is exactly the formula's (evaluated with C's log()).
 */
#include <math.h>
#include <pthread.h>
#include <string.h>
#include "recommend/histogram.h"

static int formula_bucket(const ag__hist_opts *o, double v)
{
    double b;

    if (o->linear) {
        b = v / o->size;
        if (!(b >= 0)) /* negative or NaN */
            return 0;
        if (b >= o->n)
            return o->n - 1;
        return (int)b;
    }
    if (!(v >= o->first))
        return 0;
    b = log(v * (o->ratio - 1) / o->first + 1) / log(o->ratio);
    if (!(b < o->n)) /* also +Inf */
        return o->n - 1;
    return (int)b;
}

int ag__hist_find_formula(const ag__hist_opts *o, double v)
{
    return formula_bucket(o, v);
}

static uint64_t dbits(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return u;
}

static double bitsd(uint64_t u)
{
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

/* Smallest non-negative double whose formula bucket is >= b. Non-negative
 * doubles are ordered like their bit patterns, so bisect on the bits. */
static double threshold(const ag__hist_opts *o, int b)
{
    uint64_t lo = 0, hi = dbits(INFINITY);

    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (formula_bucket(o, bitsd(mid)) >= b)
            hi = mid;
        else
            lo = mid;
    }
    return bitsd(hi);
}

static void build_search(ag__hist_opts *o)
{
    int b, k;

    o->thr[0] = 0;
    for (b = 1; b < o->n; b++)
        o->thr[b] = threshold(o, b);
    o->thr[o->n] = INFINITY;
    o->lut_n = 0;
    if (o->n < 2)
        return;
    o->lut_key0 = ag__hist_lut_key(o->thr[1]);
    k = ag__hist_lut_key(o->thr[o->n - 1]) - o->lut_key0 + 1;
    if (k > AG__HIST_LUT)
        return; /* too wide a range: binary search instead */
    for (int i = 0; i < k; i++) {
        double lo = bitsd((uint64_t)(o->lut_key0 + i) << 48);
        int g = 0;
        while (g + 1 < o->n && o->thr[g + 1] <= lo)
            g++;
        o->lut[i] = (uint8_t)g;
    }
    o->lut_n = k;
}

static void fill_starts(ag__hist_opts *o)
{
    for (int b = 0; b < o->n; b++) {
        if (o->linear)
            o->start[b] = b * o->size;
        else
            o->start[b] = b == 0 ? 0.0 : o->first * (pow(o->ratio, b) - 1) / (o->ratio - 1);
    }
}

int ag__hist_ifind_init(ag__hist_ifind *f, const ag__hist_opts *o, double div)
{
    int nkeys;

    if (o->n < 2 || !(div > 0))
        return -1;
    f->n = o->n;
    f->thr[0] = 1.0;
    for (int b = 1; b < o->n; b++) {            /* 1 + the smallest whole k in bucket >= b */
        double lo = 0, hi = 4503599627370496.0; /* 2^52: k + 1 stays whole */
        if (ag__hist_find(o, hi / div) < b)
            return -1;
        while (hi - lo > 1) { /* find(lo / div) < b <= find(hi / div); find(0) = 0 */
            double mid = lo + floor((hi - lo) / 2);
            if (ag__hist_find(o, mid / div) >= b)
                hi = mid;
            else
                lo = mid;
        }
        f->thr[b] = hi + 1.0;
    }
    f->thr[o->n] = f->thr[o->n + 1] = INFINITY;
    f->top = f->thr[o->n - 1] - 1.0;
    f->key0 = (unsigned)(dbits(1.0) >> 47);
    nkeys = (int)((dbits(f->top + 1.0) >> 47) - f->key0) + 1;
    if (nkeys > AG__IFIND_LUT)
        return -1;
    for (int i = 0; i < nkeys; i++) {
        double lo = bitsd((uint64_t)(f->key0 + (unsigned)i) << 47);
        double next = bitsd((uint64_t)(f->key0 + (unsigned)i + 1) << 47);
        int g = 0;
        while (f->thr[g + 1] <= lo)
            g++;
        /* one fix-up must do: no value of the slot reaches bucket g + 2 */
        if (f->thr[g + 2] < next && f->thr[g + 2] <= f->top + 1.0)
            return -1;
        f->lut[i] = (uint8_t)g;
    }
    return 0;
}

int ag__hist_opts_linear(ag__hist_opts *o, double max_value, double bucket_size, double eps)
{
    double n;

    if (!(max_value > 0) || !(bucket_size > 0) || !(eps > 0))
        return -1;
    n = ceil(max_value / bucket_size) + 1;
    if (!(n <= AG__HIST_MAX))
        return -1;
    memset(o, 0, sizeof *o);
    o->linear = 1;
    o->n = (int)n;
    o->size = bucket_size;
    o->eps = eps;
    fill_starts(o);
    build_search(o);
    return 0;
}

int ag__hist_opts_exponential(ag__hist_opts *o, double max_value, double first, double ratio,
                              double eps)
{
    double n;

    if (!(max_value > 0) || !(first > 0) || !(ratio > 1) || !(eps > 0))
        return -1;
    n = ceil(log(max_value * (ratio - 1) / first + 1) / log(ratio)) + 1;
    if (!(n <= AG__HIST_MAX))
        return -1;
    memset(o, 0, sizeof *o);
    o->n = (int)n;
    o->first = first;
    o->ratio = ratio;
    o->eps = eps;
    fill_starts(o);
    build_search(o);
    return 0;
}

/* The VPA's schemes (model/aggregations_config.go): CPU 0.01 core first
 * bucket up to 1000 cores, memory 10 MB up to 1 TB, 5% growth, epsilon
 * 0.001 * minSampleWeight (0.1). Built once, read-only afterwards. */
static ag__hist_opts cpu_opts, mem_opts;
static ag__hist_ifind cpu_ifind;
static int cpu_ifind_ok;
static pthread_once_t opts_once = PTHREAD_ONCE_INIT;

static void build_vpa_opts(void)
{
    ag__hist_opts_exponential(&cpu_opts, 1000.0, 0.01, 1.05, 0.001 * 0.1);
    ag__hist_opts_exponential(&mem_opts, 1e12, 1e7, 1.05, 0.001 * 0.1);
    cpu_ifind_ok = ag__hist_ifind_init(&cpu_ifind, &cpu_opts, 1000.0) == 0;
}

const ag__hist_ifind *ag__vpa_cpu_ifind(void)
{
    pthread_once(&opts_once, build_vpa_opts);
    return cpu_ifind_ok ? &cpu_ifind : NULL;
}

const ag__hist_opts *ag__vpa_cpu_opts(void)
{
    pthread_once(&opts_once, build_vpa_opts);
    return &cpu_opts;
}

const ag__hist_opts *ag__vpa_mem_opts(void)
{
    pthread_once(&opts_once, build_vpa_opts);
    return &mem_opts;
}

void ag__hist_init(ag__hist *h, const ag__hist_opts *o)
{
    h->o = o;
    h->total = 0;
    h->minb = o->n - 1;
    h->maxb = 0;
    memset(h->w, 0, sizeof h->w[0] * (size_t)o->n);
}

/* updateMinAndMaxBucket: after any operation that lowers weights. */
static void update_min_max(ag__hist *h)
{
    int last = h->o->n - 1;

    while (h->w[h->minb] < h->o->eps && h->minb < last)
        h->minb++;
    while (h->w[h->maxb] < h->o->eps && h->maxb > 0)
        h->maxb--;
}

void ag__hist_sub(ag__hist *h, double v, double weight)
{
    int b = ag__hist_find(h->o, v);

    if (weight > h->w[b] - h->o->eps)
        weight = h->w[b];
    h->total -= weight;
    h->w[b] -= weight;
    update_min_max(h);
}

void ag__hist_merge(ag__hist *h, const ag__hist *o)
{
    for (int b = o->minb; b <= o->maxb; b++)
        h->w[b] += o->w[b];
    h->total += o->total;
    if (o->minb < h->minb)
        h->minb = o->minb;
    if (o->maxb > h->maxb)
        h->maxb = o->maxb;
}

void ag__hist_scale(ag__hist *h, double factor)
{
    for (int b = h->minb; b <= h->maxb; b++)
        h->w[b] *= factor;
    h->total *= factor;
    update_min_max(h);
}

int ag__hist_empty(const ag__hist *h)
{
    return h->w[h->minb] < h->o->eps;
}

double ag__hist_percentile(const ag__hist *h, double p)
{
    double sum = 0, thresh;
    int b;

    if (ag__hist_empty(h))
        return 0.0;
    thresh = p * h->total;
    for (b = h->minb; b < h->maxb; b++) {
        sum += h->w[b];
        if (sum >= thresh)
            break;
    }
    if (b < h->o->n - 1)
        return h->o->start[b + 1]; /* the end of the bucket */
    return h->o->start[b];         /* the last bucket has no end */
}

int ag__hist_equals(const ag__hist *a, const ag__hist *b)
{
    if (a->o != b->o || a->minb != b->minb || a->maxb != b->maxb)
        return 0;
    for (int i = a->minb; i <= a->maxb; i++) {
        double d = a->w[i] - b->w[i];
        if (d > 1e-15 || d < -1e-15)
            return 0;
    }
    return 1;
}

int64_t ag__go_round_ms(int64_t t, int64_t d)
{
    int64_t r;

    if (d <= 0)
        return t;
    r = (t - AG__GO_ZERO_MS) % d;
    if (r < 0)
        r += d;
    if (r + r < d)
        return t - r;
    return t + (d - r);
}

void ag__dhist_init(ag__dhist *d, const ag__hist_opts *o, int64_t half_life_ms)
{
    ag__hist_init(&d->h, o);
    d->half_life_ms = half_life_ms;
    d->ref_ms = AG__GO_ZERO_MS;
}

static void shift_ref(ag__dhist *d, int64_t new_ref)
{
    double e;

    new_ref = ag__go_round_ms(new_ref, d->half_life_ms);
    e = floor((double)(d->ref_ms - new_ref) / (double)d->half_life_ms + 0.5);
    /* clamped: 2^-100000 is 0 and 2^100000 overflows either way */
    ag__hist_scale(&d->h, ldexp(1.0, e < -100000 ? -100000 : e > 100000 ? 100000 : (int)e));
    d->ref_ms = new_ref;
}

double ag__dhist_factor(ag__dhist *d, int64_t t)
{
    if (t > d->ref_ms + d->half_life_ms * 100)
        shift_ref(d, t);
    return exp2((double)(t - d->ref_ms) / (double)d->half_life_ms);
}

void ag__dhist_add(ag__dhist *d, double v, double weight, int64_t t)
{
    ag__hist_add(&d->h, v, weight * ag__dhist_factor(d, t));
}

void ag__dhist_sub(ag__dhist *d, double v, double weight, int64_t t)
{
    ag__hist_sub(&d->h, v, weight * ag__dhist_factor(d, t));
}

void ag__dhist_merge(ag__dhist *d, ag__dhist *o)
{
    if (d->ref_ms < o->ref_ms)
        shift_ref(d, o->ref_ms);
    else if (o->ref_ms < d->ref_ms)
        shift_ref(o, d->ref_ms);
    ag__hist_merge(&d->h, &o->h);
}

int ag__dhist_equals(const ag__dhist *a, const ag__dhist *b)
{
    return a->half_life_ms == b->half_life_ms && a->ref_ms == b->ref_ms &&
           ag__hist_equals(&a->h, &b->h);
}
