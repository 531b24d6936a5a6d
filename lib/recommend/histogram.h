/*
 * recommend/histogram.h - the VPA's bucketed histograms, ported from
 * kubernetes/autoscaler vertical-pod-autoscaler/pkg/recommender/util
 * (histogram_options.go, histogram.go, decaying_histogram.go).
 *
 * Internal to lib/recommend (and its tests). Fixed-size storage: no
 * allocation, so one transient histogram can be reused for every
 * workload-container.
 */
#ifndef AG_RECOMMEND_HISTOGRAM_H
#define AG_RECOMMEND_HISTOGRAM_H

#include <stdint.h>
#include <string.h>

/* Enough for the VPA's 176 buckets (and 223 for a 1-millicore first
 * bucket), and for the small schemes of the Go unit tests. */
#define AG__HIST_MAX 256
/* Lookup table for the fast bucket search: 16 slots per power of two. */
#define AG__HIST_LUT 1024

typedef struct ag__hist_opts {
    int linear;            /* 1 = linear scheme, 0 = exponential */
    int n;                 /* number of buckets */
    double first, ratio;   /* exponential: first bucket size, growth ratio */
    double size;           /* linear: bucket size */
    double eps;            /* minimum weight of a non-empty bucket */
    double start[AG__HIST_MAX]; /* bucket start values (GetBucketStart) */
    /* thr[b] = the smallest double that FindBucket puts in bucket >= b;
     * the lookup table gives a first guess fixed up against thr. */
    double thr[AG__HIST_MAX + 1];
    int lut_key0, lut_n;
    uint8_t lut[AG__HIST_LUT];
} ag__hist_opts;

/* Go NewLinearHistogramOptions / NewExponentialHistogramOptions.
 * Return 0, or -1 on bad arguments or too many buckets. */
int ag__hist_opts_linear(ag__hist_opts *o, double max_value, double bucket_size, double eps);
int ag__hist_opts_exponential(ag__hist_opts *o, double max_value, double first, double ratio,
                              double eps);
/* FindBucket evaluated by the formula itself (slow; for tests). */
int ag__hist_find_formula(const ag__hist_opts *o, double v);

/* The VPA's CPU (cores) and memory (bytes) schemes; built once. */
const ag__hist_opts *ag__vpa_cpu_opts(void);
const ag__hist_opts *ag__vpa_mem_opts(void);

typedef struct ag__hist {
    const ag__hist_opts *o;
    double total;
    int minb, maxb;
    double w[AG__HIST_MAX];
} ag__hist;

void ag__hist_init(ag__hist *h, const ag__hist_opts *o);
void ag__hist_sub(ag__hist *h, double v, double weight);
void ag__hist_merge(ag__hist *h, const ag__hist *other);
void ag__hist_scale(ag__hist *h, double factor);
double ag__hist_percentile(const ag__hist *h, double p);
int ag__hist_empty(const ag__hist *h);
int ag__hist_equals(const ag__hist *a, const ag__hist *b);


/* Inline: called once per sample. */
static inline int ag__hist_lut_key(double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    return (int)(u >> 48); /* exponent and 4 mantissa bits */
}

/* FindBucket as the Go formula computes it (exactly), via the table. */
static inline int ag__hist_find(const ag__hist_opts *o, double v)
{
    int b, lo, hi;

    if (!(v >= o->thr[1]) || o->n < 2) /* below the 2nd bucket, negative, NaN */
        return 0;
    if (v >= o->thr[o->n - 1])
        return o->n - 1;
    if (o->lut_n > 0) {
        int i = ag__hist_lut_key(v) - o->lut_key0;
        b = o->lut[i < 0 ? 0 : (i >= o->lut_n ? o->lut_n - 1 : i)];
        while (o->thr[b + 1] <= v)
            b++;
        return b;
    }
    lo = 1; /* thr[lo] <= v < thr[hi] */
    hi = o->n - 1;
    while (hi - lo > 1) {
        int mid = (lo + hi) / 2;
        if (o->thr[mid] <= v)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* AddSample. */
static inline void ag__hist_add(ag__hist *h, double v, double weight)
{
    int b = ag__hist_find(h->o, v);

    h->w[b] += weight;
    h->total += weight;
    if (b < h->minb && h->w[b] >= h->o->eps)
        h->minb = b;
    if (b > h->maxb && h->w[b] >= h->o->eps)
        h->maxb = b;
}

/* FindBucket(k / div) for whole numbers k (the VPA's CPU samples are
 * whole millicores, div = 1000). Works on k + 1 (>= 1, so no clamp at the
 * bottom): thr[b] = 1 + the smallest whole k in bucket >= b, and a
 * 32-slots-per-octave table on the bits of (double)(k + 1) whose guess is
 * never more than one bucket low, so one comparison fixes it. Exact: equal
 * to ag__hist_find(o, k / div) for every k. */
#define AG__IFIND_LUT 1024
typedef struct ag__hist_ifind {
    int n;
    double top;                   /* k past the last threshold clamp to it */
    double thr[AG__HIST_MAX + 2]; /* thr[n] = thr[n + 1] = +Inf */
    unsigned key0;
    uint8_t lut[AG__IFIND_LUT];
} ag__hist_ifind;

/* Builds f for o and div. Returns 0, or -1 when the scheme does not fit
 * the table (then callers use ag__hist_find). */
int ag__hist_ifind_init(ag__hist_ifind *f, const ag__hist_opts *o, double div);
/* The VPA CPU scheme in whole millicores, or NULL if it does not fit. */
const ag__hist_ifind *ag__vpa_cpu_ifind(void);

/* The bucket of trunc(x) / div for x >= 0 (x = cores * 1000, not yet
 * truncated; every k past the last threshold is in the last bucket, so
 * clamping x to it before truncating changes nothing). */
static inline unsigned ag__hist_ifind_trunc(const ag__hist_ifind *f, double x)
{
    double k1 = (double)(int64_t)(x < f->top ? x : f->top) + 1.0;
    uint64_t u;
    unsigned b;

    memcpy(&u, &k1, sizeof u);
    b = f->lut[(unsigned)(u >> 47) - f->key0];
    return b + (f->thr[b + 1] <= k1);
}

/* Decaying histogram: weight x 2^((t - ref) / half_life). ref starts at
 * Go's zero time, so the first sample always moves it. */
typedef struct ag__dhist {
    ag__hist h;
    int64_t half_life_ms;
    int64_t ref_ms;
} ag__dhist;

/* Go's time.Time{} in Unix milliseconds: 0001-01-01T00:00:00Z. */
#define AG__GO_ZERO_MS (-62135596800000LL)

void ag__dhist_init(ag__dhist *d, const ag__hist_opts *o, int64_t half_life_ms);
/* The decay factor of a sample at t, shifting the reference first when
 * t is more than 100 half-lives after it (as decayFactor() does). */
double ag__dhist_factor(ag__dhist *d, int64_t t_ms);
void ag__dhist_add(ag__dhist *d, double v, double weight, int64_t t_ms);
void ag__dhist_sub(ag__dhist *d, double v, double weight, int64_t t_ms);
void ag__dhist_merge(ag__dhist *d, ag__dhist *other);
int ag__dhist_equals(const ag__dhist *a, const ag__dhist *b);
/* Go time.Round(d): nearest multiple of d since Go's zero time, halves up. */
int64_t ag__go_round_ms(int64_t t_ms, int64_t d_ms);

#endif
