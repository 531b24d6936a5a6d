/*
 * recommend/crane.c - gocrane/crane's resource recommender, online:
 * PERCENTILE (pkg/recommendation/recommender/resource + the percentile
 * predictor) and DSP (pkg/prediction/dsp). Sources, constants and
 * deviations: docs/crane.md.
 *
 * PERCENTILE: Crane rebuilds, at every recommendation, a histogram of the
 * last 168 h of samples of all pods (LINEAR buckets: 0.1 core up to 100
 * cores, 100 MiB up to 100 x 1000 MiB; 1001 buckets each), every sample
 * weighted by max(1e-5, value), and answers p99 x (1 + 0.15). Online we
 * keep that histogram as a Fenwick tree (add, remove and percentile in
 * O(log 1024)) and the samples of the window in a ring, removed as they
 * leave it. Crane's predictor builds a plain histogram (vpa.NewHistogram):
 * the configured half-life is never used; half_life_ms = 0 gives exactly
 * that, > 0 weights samples by 2^(t / half_life) on top.
 *
 * DSP: every dsp_refit_ms the last dsp_history_ms are put on a grid (the
 * trace step, at least a minute, dividing a day; each cell the highest
 * replica), cut after the last gap over an hour, gaps linearly filled,
 * outliers outside [p0.1, p99.9] replaced by the previous value; the week
 * (with two weeks of data) or the day is accepted as the period by an
 * AutoPeriod-style test (the period's spectral power above what a
 * shuffled series would show, and a hill of the circular ACF at the
 * period); Crane's FFT estimator keeps the strongest components and every
 * component slower than an hour (of its two default families, the one
 * that predicts the last period from the others better), and its last
 * period, repeated, is the prediction. The request at t is the prediction's maximum over [t, t +
 * dsp_window] x (1 + margin). No period: PERCENTILE. The FFT is a
 * mixed-radix one of our own (lengths are whole days: 288 m steps), all
 * buffers allocated at init.
 *
 * Both: OOM protection on memory, max(request at the kill + 100 MiB,
 * request x oom_bump_ratio) for 7 days after the kill.
 */
#include <math.h>
#include <stddef.h>
#include <string.h>
#include "recommend/online_int.h"
#include "util/alloc.h"

#define CR_FW 1024         /* Fenwick size (>= 1001 buckets) */
#define CR_MIN_WEIGHT 1e-5 /* percentile config.go defaultMinSampleWeight */
#define CR_CPU_BUCKET 0.1  /* recommend.go makeCpuConfig */
#define CR_CPU_MAX 100.0
#define CR_MEM_BUCKET 104857600.0 /* recommend.go makeMemConfig */
#define CR_MEM_MAX 104857600000.0
#define CR_OOM_MIN_BUMP 104857600.0        /* VPA model OOMMinBumpUp */
#define CR_OOM_HISTORY_MS (7 * 86400000LL) /* MemoryOOMProtection: 24 * 7 h */
#define CR_OOM_MAX 64                      /* OOM records kept */
#define CR_NONE INT64_MIN
#define CR_DAY_MS 86400000LL
#define CR_HOUR_MS 3600000LL
#define CR_MIN_GRID_MS 60000LL           /* dsp config.go historyResolution 1m */
#define CR_GAP_MS 3600000LL              /* preprocessing: gap > 1 h drops the past */
#define CR_ACF_RADIUS_MS (4 * 3600000LL) /* signal.go MaxAutoCorrelationPeakSearchInterval */
#define CR_NULL_Q 0.99                   /* FindPeriod: the 99th of 100 shuffles */
#define CR_FFT_MAX_ITEMS 100             /* estimators.go defaultMaxNumOfSpectrumItems */
#define CR_FFT_MIN_VALUE 0.01            /* estimators.go defaultFFTMinValue */
#define CR_MAX_SAMPLES (1u << 26)        /* ring cap for the percentile window */

typedef struct cx {
    double r, i;
} cx;

#define CR_NPLAN 3 /* FFT lengths cached: week, whole days, days but one */

typedef struct cr_plan {
    size_t n, nfac;
    size_t fac[128];
    cx *tw; /* exp(-2 pi i j / n), j < n */
    unsigned used;
} cr_plan;

typedef struct cr_hist {
    double size;
    int nb, maxb;
    uint64_t n;
    double total;
    double fw[CR_FW + 1]; /* 1-based Fenwick tree of w */
    double w[CR_FW];
    uint32_t cnt[CR_FW];
    /* the samples in the window, oldest first */
    int64_t *rt;
    double *rw;
    uint16_t *rb;
    size_t cap, head, len;
    int64_t t_base; /* decay: weights are relative to 2^(t_base / half-life) */
} cr_hist;

typedef struct cr_dsp {
    double *cell; /* value per grid cell, NAN = none */
    size_t cap;
    int64_t first_key, last_key;
    int64_t fit_at;
    int tried_span, fitted;
    size_t period; /* in cells */
    int64_t t0;    /* time of pred[0] */
    double *pred, *winmax;
} cr_dsp;

typedef struct cr_state {
    cr_hist h[AG_NRES];
    cr_dsp d[AG_NRES];
    /* DSP grid and scratch (shared by the resources) */
    int64_t grid_ms;
    size_t day, week, hist_cells, win_cells, nmax, nscratch;
    double *y, *sel, *pre;
    cx *in, *out, *aux, *scratch;
    cr_plan plans[CR_NPLAN], *plan;
    unsigned plan_clock;
    /* OOM records */
    int64_t oom_t[CR_OOM_MAX];
    double oom_v[CR_OOM_MAX];
    int noom, ioom;
} cr_state;

static int64_t floor_div(int64_t a, int64_t b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static size_t pos_mod(int64_t a, size_t m)
{
    int64_t r = a % (int64_t)m;
    return (size_t)(r < 0 ? r + (int64_t)m : r);
}

/* ---- the linear histogram over a sliding window ---- */

static void fw_add(cr_hist *h, int b, double d)
{
    for (int i = b + 1; i <= CR_FW; i += i & -i)
        h->fw[i] += d;
}

/* The first bucket whose cumulative weight reaches x (CR_FW if none). */
static int fw_find(const cr_hist *h, double x)
{
    int pos = 0;

    for (int step = CR_FW; step; step >>= 1)
        if (pos + step <= CR_FW && h->fw[pos + step] < x) {
            pos += step;
            x -= h->fw[pos];
        }
    return pos;
}

static int hist_bucket(const cr_hist *h, double v)
{
    double b = v / h->size; /* Go: int(value / bucketSize), clamped */

    if (!(b >= 0))
        return 0;
    if (b >= h->nb)
        return h->nb - 1;
    return (int)b;
}

static void hist_remove_head(cr_hist *h)
{
    int b = h->rb[h->head];
    double wt = h->rw[h->head];

    h->head = (h->head + 1) % h->cap;
    h->len--;
    h->n--;
    if (h->n == 0) { /* exactly empty: no rounding residue left behind */
        memset(h->fw, 0, sizeof h->fw);
        memset(h->w, 0, sizeof h->w);
        memset(h->cnt, 0, sizeof h->cnt);
        h->total = 0;
        h->maxb = -1;
        return;
    }
    if (--h->cnt[b] == 0) {
        wt = h->w[b];
        h->w[b] = 0;
    } else {
        h->w[b] -= wt;
    }
    fw_add(h, b, -wt);
    h->total -= wt;
    while (h->maxb >= 0 && h->cnt[h->maxb] == 0)
        h->maxb--;
}

static void hist_expire(cr_hist *h, int64_t t_min)
{
    while (h->len > 0 && h->rt[h->head] < t_min)
        hist_remove_head(h);
}

/* Doubles the ring; 0, or -1 when out of memory (ring untouched). */
static int ring_grow(cr_hist *h)
{
    size_t cap = h->cap * 2;
    int64_t *rt;
    double *rw;
    uint16_t *rb;

    if (cap > CR_MAX_SAMPLES)
        return -1;
    rt = ag__malloc(cap * sizeof *rt);
    rw = ag__malloc(cap * sizeof *rw);
    rb = ag__malloc(cap * sizeof *rb);
    if (!rt || !rw || !rb) {
        ag__free(rt);
        ag__free(rw);
        ag__free(rb);
        return -1;
    }
    for (size_t i = 0; i < h->len; i++) {
        size_t j = (h->head + i) % h->cap;
        rt[i] = h->rt[j];
        rw[i] = h->rw[j];
        rb[i] = h->rb[j];
    }
    ag__free(h->rt);
    ag__free(h->rw);
    ag__free(h->rb);
    h->rt = rt, h->rw = rw, h->rb = rb;
    h->cap = cap;
    h->head = 0;
    return 0;
}

/* Moves the decay reference forward by whole half-lives (exact scaling). */
static void hist_rebase(cr_hist *h, int64_t half_life, int64_t t)
{
    int64_t e = (t - h->t_base) / half_life;
    double f = ldexp(1.0, (int)-e);

    for (int i = 1; i <= CR_FW; i++)
        h->fw[i] *= f;
    for (int b = 0; b < h->nb; b++)
        h->w[b] *= f;
    for (size_t i = 0; i < h->len; i++)
        h->rw[(h->head + i) % h->cap] *= f;
    h->total *= f;
    h->t_base += e * half_life;
}

static void hist_add(cr_hist *h, int64_t half_life, int64_t t, double v)
{
    int b = hist_bucket(h, v);
    double wt = v > CR_MIN_WEIGHT ? v : CR_MIN_WEIGHT;
    size_t j;

    if (half_life > 0) {
        if (h->n == 0)
            h->t_base = t;
        if ((double)(t - h->t_base) / (double)half_life > 512)
            hist_rebase(h, half_life, t);
        wt *= exp2((double)(t - h->t_base) / (double)half_life);
    }
    if (h->len == h->cap && ring_grow(h))
        hist_remove_head(h); /* out of memory: the window shrinks */
    j = (h->head + h->len) % h->cap;
    h->rt[j] = t;
    h->rw[j] = wt;
    h->rb[j] = (uint16_t)b;
    h->len++;
    h->n++;
    h->cnt[b]++;
    h->w[b] += wt;
    fw_add(h, b, wt);
    h->total += wt;
    if (b > h->maxb)
        h->maxb = b;
}

/* The VPA histogram's Percentile(): the end of the first bucket where the
 * cumulative weight reaches p of the total (the last bucket: its start). */
static double hist_percentile(const cr_hist *h, double p)
{
    int b = fw_find(h, p * h->total);

    if (b > h->maxb)
        b = h->maxb;
    return b < h->nb - 1 ? (b + 1) * h->size : b * h->size;
}

/* ---- a mixed-radix FFT (in the manner of KISS FFT) ---- */

static void plan_fft(cr_state *st, size_t n)
{
    size_t p = 4, m = n, k = 0;
    const double step = -2.0 * M_PI / (double)n, rc = cos(step), rs = sin(step);
    cr_plan *pl = &st->plans[0];

    st->plan_clock++;
    for (int i = 0; i < CR_NPLAN; i++) {
        if (st->plans[i].n == n) {
            st->plan = &st->plans[i];
            st->plan->used = st->plan_clock;
            return;
        }
        if (st->plans[i].used < pl->used)
            pl = &st->plans[i];
    }
    while (m > 1) {
        while (m % p) {
            p = p == 4 ? 2 : p == 2 ? 3 : p + 2;
            if (p * p > m)
                p = m;
        }
        m /= p;
        pl->fac[k++] = p;
        pl->fac[k++] = m;
    }
    pl->nfac = k;
    for (size_t j = 0; j < n; j++) {
        if (j % 32 == 0) {
            pl->tw[j].r = cos(step * (double)j);
            pl->tw[j].i = sin(step * (double)j);
        } else {
            pl->tw[j].r = pl->tw[j - 1].r * rc - pl->tw[j - 1].i * rs;
            pl->tw[j].i = pl->tw[j - 1].r * rs + pl->tw[j - 1].i * rc;
        }
    }
    pl->n = n;
    pl->used = st->plan_clock;
    st->plan = pl;
}

static inline cx cmul(cx a, cx b)
{
    cx c = {a.r * b.r - a.i * b.i, a.r * b.i + a.i * b.r};
    return c;
}

/* The butterflies combine p sub-transforms of length m (decimation in
 * time); twiddle tw[q k fs] multiplies the q-th input of output k. */
static void bfly2(cx *f, size_t fs, const cx *tw, size_t m)
{
    for (size_t k = 0; k < m; k++) {
        cx t = cmul(f[k + m], tw[k * fs]);
        f[k + m].r = f[k].r - t.r;
        f[k + m].i = f[k].i - t.i;
        f[k].r += t.r;
        f[k].i += t.i;
    }
}

static void bfly3(cx *f, size_t fs, const cx *tw, size_t m)
{
    const double s = -0.86602540378443864676; /* -sin(2 pi / 3): forward */

    for (size_t k = 0; k < m; k++) {
        cx a1 = cmul(f[k + m], tw[k * fs]), a2 = cmul(f[k + 2 * m], tw[2 * k * fs]);
        cx t = {a1.r + a2.r, a1.i + a2.i}, d = {s * (a1.r - a2.r), s * (a1.i - a2.i)};
        cx b = {f[k].r - t.r / 2, f[k].i - t.i / 2};
        f[k].r += t.r, f[k].i += t.i;
        f[k + m].r = b.r - d.i, f[k + m].i = b.i + d.r;         /* b - i d */
        f[k + 2 * m].r = b.r + d.i, f[k + 2 * m].i = b.i - d.r; /* b + i d */
    }
}

static void bfly4(cx *f, size_t fs, const cx *tw, size_t m)
{
    for (size_t k = 0; k < m; k++) {
        cx a1 = cmul(f[k + m], tw[k * fs]), a2 = cmul(f[k + 2 * m], tw[2 * k * fs]);
        cx a3 = cmul(f[k + 3 * m], tw[3 * k * fs]), a0 = f[k];
        cx s02 = {a0.r + a2.r, a0.i + a2.i}, d02 = {a0.r - a2.r, a0.i - a2.i};
        cx s13 = {a1.r + a3.r, a1.i + a3.i}, d13 = {a1.r - a3.r, a1.i - a3.i};
        f[k].r = s02.r + s13.r, f[k].i = s02.i + s13.i;
        f[k + 2 * m].r = s02.r - s13.r, f[k + 2 * m].i = s02.i - s13.i;
        f[k + m].r = d02.r + d13.i, f[k + m].i = d02.i - d13.r;         /* d02 - i d13 */
        f[k + 3 * m].r = d02.r - d13.i, f[k + 3 * m].i = d02.i + d13.r; /* d02 + i d13 */
    }
}

static void bfly5(cx *f, size_t fs, const cx *tw, size_t m)
{
    const double c1 = 0.30901699437494742410, c2 = -0.80901699437494742410;
    const double s1 = 0.95105651629515357212, s2 = 0.58778525229247312917;

    for (size_t k = 0; k < m; k++) {
        cx a0 = f[k], a1 = cmul(f[k + m], tw[k * fs]), a2 = cmul(f[k + 2 * m], tw[2 * k * fs]);
        cx a3 = cmul(f[k + 3 * m], tw[3 * k * fs]), a4 = cmul(f[k + 4 * m], tw[4 * k * fs]);
        cx t1 = {a1.r + a4.r, a1.i + a4.i}, t2 = {a2.r + a3.r, a2.i + a3.i};
        cx d1 = {a1.r - a4.r, a1.i - a4.i}, d2 = {a2.r - a3.r, a2.i - a3.i};
        cx b1 = {a0.r + c1 * t1.r + c2 * t2.r, a0.i + c1 * t1.i + c2 * t2.i};
        cx b2 = {a0.r + c2 * t1.r + c1 * t2.r, a0.i + c2 * t1.i + c1 * t2.i};
        cx e1 = {s1 * d1.r + s2 * d2.r, s1 * d1.i + s2 * d2.i};
        cx e2 = {s2 * d1.r - s1 * d2.r, s2 * d1.i - s1 * d2.i};
        f[k].r = a0.r + t1.r + t2.r, f[k].i = a0.i + t1.i + t2.i;
        f[k + m].r = b1.r + e1.i, f[k + m].i = b1.i - e1.r;         /* b1 - i e1 */
        f[k + 4 * m].r = b1.r - e1.i, f[k + 4 * m].i = b1.i + e1.r; /* b1 + i e1 */
        f[k + 2 * m].r = b2.r + e2.i, f[k + 2 * m].i = b2.i - e2.r; /* b2 - i e2 */
        f[k + 3 * m].r = b2.r - e2.i, f[k + 3 * m].i = b2.i + e2.r; /* b2 + i e2 */
    }
}

static void bfly_generic(cx *f, size_t fs, const cx *tw, size_t m, size_t p, size_t n, cx *sc)
{
    for (size_t u = 0; u < m; u++) {
        for (size_t q = 0, k = u; q < p; q++, k += m)
            sc[q] = f[k];
        for (size_t q1 = 0, k = u; q1 < p; q1++, k += m) {
            size_t ti = 0;
            f[k] = sc[0];
            for (size_t q = 1; q < p; q++) {
                cx t;
                ti += fs * k;
                if (ti >= n)
                    ti -= n;
                t = cmul(sc[q], tw[ti]);
                f[k].r += t.r;
                f[k].i += t.i;
            }
        }
    }
}

static void fft_rec(const cr_state *st, cx *out, const cx *in, size_t fs, const size_t *fac)
{
    const cr_plan *pl = st->plan;
    size_t p = fac[0], m = fac[1];

    if (m == 1) {
        for (size_t j = 0; j < p; j++)
            out[j] = in[j * fs];
    } else {
        for (size_t j = 0; j < p; j++)
            fft_rec(st, out + j * m, in + j * fs, fs * p, fac + 2);
    }
    switch (p) {
    case 2:
        bfly2(out, fs, pl->tw, m);
        break;
    case 3:
        bfly3(out, fs, pl->tw, m);
        break;
    case 4:
        bfly4(out, fs, pl->tw, m);
        break;
    case 5:
        bfly5(out, fs, pl->tw, m);
        break;
    default:
        bfly_generic(out, fs, pl->tw, m, p, pl->n, st->scratch);
    }
}

/* Forward, unscaled: out = DFT(in), length st->plan->n; in != out. */
static void fft(const cr_state *st, cx *out, const cx *in)
{
    if (st->plan->n == 1)
        out[0] = in[0];
    else
        fft_rec(st, out, in, 1, st->plan->fac);
}

/* Re(IDFT(A)) and Re(IDFT(B)) in one transform: the real part of an
 * inverse is the inverse of the Hermitian part (A_k + conj A_{N-k}) / 2,
 * and two Hermitian spectra share one complex inverse (as a + i b). Only
 * the last c values, into pa and pb (pb may be NULL, B then unused). A is
 * overwritten; the result goes through st->aux. */
static void inverse_real(cr_state *st, cx *A, const cx *B, size_t N, size_t c, double *pa,
                         double *pb)
{
    for (size_t k = 0; k <= N / 2; k++) {
        size_t nk = k ? N - k : 0;
        cx ha = {(A[k].r + A[nk].r) / 2, (A[k].i - A[nk].i) / 2}, hb = {0, 0};
        cx ga = {ha.r, -ha.i}, gb = {0, 0}; /* the twin: conj */
        if (pb) {
            hb.r = (B[k].r + B[nk].r) / 2, hb.i = (B[k].i - B[nk].i) / 2;
            gb.r = hb.r, gb.i = -hb.i;
        }
        /* C = Ha + i Hb at k and N - k; the inverse by conj(DFT(conj C)) */
        A[k].r = ha.r - hb.i, A[k].i = -(ha.i + hb.r);
        A[nk].r = ga.r - gb.i, A[nk].i = -(ga.i + gb.r);
    }
    fft(st, st->aux, A);
    for (size_t j = 0; j < c; j++) {
        pa[j] = st->aux[N - c + j].r / (double)N;
        if (pb)
            pb[j] = -st->aux[N - c + j].i / (double)N;
    }
}

/* ---- selection ---- */

/* Reorders a so that a[k] is its k-th smallest (0-based), nothing larger
 * before it and nothing smaller after it (Wirth's FIND, median of three). */
static double select_kth(double *a, size_t n, size_t k)
{
    ptrdiff_t lo = 0, hi = (ptrdiff_t)n - 1, kk = (ptrdiff_t)k;

    while (lo < hi) {
        ptrdiff_t i = lo, j = hi, mid = lo + (hi - lo) / 2;
        double x = a[lo], y = a[mid], z = a[hi], piv;
        piv = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        while (i <= j) {
            while (a[i] < piv)
                i++;
            while (a[j] > piv)
                j--;
            if (i <= j) {
                double t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (kk <= j)
            hi = j;
        else if (kk >= i)
            lo = i;
        else
            break;
    }
    return a[kk];
}

/* montanaflynn/stats Percentile (what Crane's outlier filter calls):
 * index = p / 100 * n; whole: c[index - 1]; else (> 1) the mean of
 * c[int(index) - 1] and c[int(index)]; else undefined (0 returned). */
static int stats_percentile(const double *y, size_t n, double pct, double *tmp, double *out)
{
    double index = pct / 100 * (double)n, v;
    size_t i = (size_t)index;

    if (n == 1) {
        *out = y[0];
        return 1;
    }
    if (index != (double)i && !(index > 1))
        return 0;
    if (i < 1)
        return 0;
    memcpy(tmp, y, n * sizeof *tmp);
    v = select_kth(tmp, n, i - 1);
    if (index == (double)i) {
        *out = v;
        return 1;
    }
    {
        double next = tmp[i];
        for (size_t j = i + 1; j < n; j++)
            if (tmp[j] < next)
                next = tmp[j];
        *out = (v + next) / 2;
    }
    return 1;
}

/* ---- DSP ---- */

/* The least-squares slope over lags [a, b] of the circular ACF of z
 * (ac[j] = sum_i z_i z_{i+j mod N} / N), without the ACF: sum_j (j - j')
 * ac[j] = sum_i z_i sum_j (j - j') z_{i+j} / N, and the inner sum comes
 * from prefix sums of z and u z over z extended periodically (p0, p1:
 * N + b + 1 doubles each). */
static double acf_slope(const double *z, size_t N, size_t a, size_t b, double *p0, double *p1)
{
    double jm = ((double)a + (double)b) / 2, num = 0, den = 0;

    p0[0] = p1[0] = 0;
    for (size_t u = 0; u < N + b; u++) {
        double v = z[u < N ? u : u - N];
        p0[u + 1] = p0[u] + v;
        p1[u + 1] = p1[u] + (double)u * v;
    }
    for (size_t i = 0; i < N; i++) {
        double s0 = p0[i + b + 1] - p0[i + a], s1 = p1[i + b + 1] - p1[i + a];
        num += z[i] * (s1 - ((double)i + jm) * s0);
    }
    for (size_t j = a; j <= b; j++)
        den += ((double)j - jm) * ((double)j - jm);
    return num / (double)N / den;
}

/* Is the last whole number of periods of y[0..n) periodic with period c?
 * signal.go FindPeriod, for one candidate: the period's spectral power
 * must beat a shuffled series' maximum, and the circular ACF must have a
 * hill at the period (isPeak, radius min(4 h, period / 2)). */
static int period_test(cr_state *st, const double *y, size_t n, size_t c)
{
    size_t m = n / c, N = m * c, r, lo, hi;
    const double *x = y + (n - N);
    double mu = 0, var = 0, sd, M, thr, s1 = 0, s2 = 0, w, pw, *z = st->sel;

    for (size_t i = 0; i < N; i++)
        mu += x[i];
    mu /= (double)N;
    for (size_t i = 0; i < N; i++)
        var += (x[i] - mu) * (x[i] - mu);
    var /= (double)N;
    if (!(var > 1e-24 * (mu * mu + 1e-300)) || !isfinite(var))
        return 0;
    sd = sqrt(var);
    for (size_t i = 0; i < N; i++)
        z[i] = (x[i] - mu) / sd;
    /* Goertzel: the power of bin m (the period) of the standardised series.
     * Shuffled, the ordinates of bins 1 .. N/2 - 1 are about exponential
     * with mean N^2 / (N - 1) (the permutation null Crane samples 100
     * times); the threshold is the 99% quantile of their maximum. */
    w = 2 * cos(2 * M_PI * (double)m / (double)N);
    for (size_t i = 0; i < N; i++) {
        double s0 = z[i] + w * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    pw = s1 * s1 + s2 * s2 - w * s1 * s2;
    M = (double)(N / 2 - 1);
    thr = (double)N * (double)N / (double)(N - 1) * -log1p(-pow(CR_NULL_Q, 1.0 / M));
    if (!(pw > thr))
        return 0;
    r = (size_t)(CR_ACF_RADIUS_MS / st->grid_ms);
    if (r > c / 2)
        r = c / 2;
    if (r < 1)
        return 0;
    lo = c - r;
    hi = c + r < N - 1 ? c + r : N - 1;
    /* isPeak (peak.go): rising into the period, falling after it */
    return acf_slope(z, N, lo, c, st->pre, st->pre + 2 * st->nmax + 1) > 0 &&
           acf_slope(z, N, c, hi, st->pre, st->pre + 2 * st->nmax + 1) < 0;
}

/* Crane's two default FFT estimator families (config.go defaultEstimators:
 * minNumOfSpectrumItems 3 with lowAmplitudeThreshold 1.0, and 50 with
 * 0.05; maxNumOfSpectrumItems 100, highFrequencyThreshold 1/3600 Hz). */
static const struct {
    size_t min_items;
    double low_amp;
} cr_family[2] = {{3, 1.0}, {50, 0.05}};

/* estimators.go fftEstimator.GetEstimation, the filter: of X (the DFT of
 * the series, length N) keep the strongest components and everything
 * slower than an hour, into Y. */
static void fft_filter(cr_state *st, const cx *X, size_t N, int fam, cx *Y)
{
    size_t L = N / 2 - 1, min_items = cr_family[fam].min_items;
    double min_amp, lim, *a = st->sel;

    for (size_t k = 1; k <= L; k++)
        a[k - 1] = sqrt(X[k].r * X[k].r + X[k].i * X[k].i) / (double)N;
    if (L >= CR_FFT_MAX_ITEMS) {
        min_amp = select_kth(a, L, L - CR_FFT_MAX_ITEMS);
    } else {
        min_amp = a[0];
        for (size_t k = 1; k < L; k++)
            if (a[k] < min_amp)
                min_amp = a[k];
    }
    if (min_amp < cr_family[fam].low_amp)
        min_amp = cr_family[fam].low_amp;
    if (L >= min_items) {
        /* the min_items-th largest: among the top 100 when they were selected */
        double *top = L >= CR_FFT_MAX_ITEMS ? a + (L - CR_FFT_MAX_ITEMS) : a;
        size_t nt = L >= CR_FFT_MAX_ITEMS ? CR_FFT_MAX_ITEMS : L;
        double kth = select_kth(top, nt, nt - min_items);
        if (kth < min_amp)
            min_amp = kth;
    }
    /* Zeroed: amplitude below min_amp and frequency k / (N g) above 1/h,
     * k over the whole spectrum as Crane does, so the k > N/2 twin of a
     * small slow component goes and its real part is halved. */
    lim = min_amp * (double)N;
    lim *= lim;
    for (size_t k = 0; k < N; k++) {
        int high = (double)k * (double)CR_HOUR_MS > (double)N * (double)st->grid_ms;
        if (high && X[k].r * X[k].r + X[k].i * X[k].i < lim)
            Y[k].r = Y[k].i = 0;
        else
            Y[k] = X[k];
    }
}

/* The last c values of the filtered series: <= 0 become 0.01. */
static void floor_pred(double *p, size_t c)
{
    for (size_t j = 0; j < c; j++)
        if (p[j] <= 0)
            p[j] = CR_FFT_MIN_VALUE;
}

/* accuracy.go PredictionError: the mean relative error, under-predictions
 * amplified to -ln(1 - x) / ln(1.25); MAE when an actual is below 1e-3. */
static double prediction_error(const double *actual, const double *pred, size_t n, double scale)
{
    double e = 0;

    for (size_t i = 0; i < n; i++)
        if (actual[i] < 1e-3) {
            for (size_t j = 0; j < n; j++)
                e += fabs(actual[j] - pred[j] * scale);
            return e / (double)n;
        }
    for (size_t i = 0; i < n; i++) {
        double p = pred[i] * scale, x = (actual[i] - p) / actual[i];
        e += p < actual[i] ? -log(1 - x) / log(1.25) : -x;
    }
    return e / (double)n;
}

static void dsp_fit(ag_online *r, cr_dsp *d, int64_t now)
{
    cr_state *st = r->state;
    int64_t lo_key;
    size_t n0, start = 0, n, prev = SIZE_MAX, hour = 0, c = 0, w, N;
    double *y = st->y, hi_q, lo_q;
    int fam = 0;

    d->fit_at = now;
    d->fitted = 0;
    if (d->first_key == CR_NONE)
        return;
    lo_key = d->last_key - (int64_t)st->hist_cells + 1;
    if (lo_key < d->first_key)
        lo_key = d->first_key;
    n0 = (size_t)(d->last_key - lo_key + 1);
    for (size_t i = 0; i < n0; i++)
        y[i] = d->cell[pos_mod(lo_key + (int64_t)i, d->cap)];
    /* a gap over an hour drops everything before it */
    for (size_t i = 0; i < n0; i++) {
        if (isnan(y[i]))
            continue;
        if (prev == SIZE_MAX || (int64_t)(i - prev) * st->grid_ms > CR_GAP_MS)
            start = i;
        prev = i;
    }
    y += start;
    n = n0 - start;
    /* linear interpolation of the missing cells (y[0], y[n-1] are set) */
    for (size_t i = 1, a = 0; i < n; i++) {
        if (isnan(y[i]))
            continue;
        for (size_t j = a + 1; j < i; j++)
            y[j] = y[a] + (y[i] - y[a]) * (double)(j - a) / (double)(i - a);
        a = i;
    }
    /* whole hours (from the end), then the outliers */
    if (CR_HOUR_MS % st->grid_ms == 0)
        hour = (size_t)(CR_HOUR_MS / st->grid_ms);
    if (hour > 0) {
        y += n % hour;
        n -= n % hour;
    }
    if (n >= 2 && stats_percentile(y, n, 99.9, st->sel, &hi_q) &&
        stats_percentile(y, n, 0.1, st->sel, &lo_q))
        for (size_t i = 1; i < n; i++)
            if (y[i] > hi_q || y[i] < lo_q)
                y[i] = y[i - 1];
    if (n >= 2 * st->week && period_test(st, y, n, st->week))
        c = st->week;
    else if (n >= 2 * st->day && period_test(st, y, n, st->day))
        c = st->day;
    if (!c)
        return;
    N = n / c * c;
    y += n - N;
    /* bestEstimator (prediction.go): each family fitted on all periods but
     * the last predicts the last; the smaller PredictionError wins */
    plan_fft(st, N - c);
    for (size_t i = 0; i < N - c; i++)
        st->in[i].r = y[i], st->in[i].i = 0;
    fft(st, st->aux, st->in);
    fft_filter(st, st->aux, N - c, 0, st->in);
    fft_filter(st, st->aux, N - c, 1, st->out);
    inverse_real(st, st->in, st->out, N - c, c, d->pred, d->winmax);
    floor_pred(d->pred, c);
    floor_pred(d->winmax, c);
    if (prediction_error(y + N - c, d->winmax, c, 1 + r->p.crane.margin) <
        prediction_error(y + N - c, d->pred, c, 1 + r->p.crane.margin))
        fam = 1;
    plan_fft(st, N);
    for (size_t i = 0; i < N; i++)
        st->in[i].r = y[i], st->in[i].i = 0;
    fft(st, st->aux, st->in);
    fft_filter(st, st->aux, N, fam, st->in);
    inverse_real(st, st->in, NULL, N, c, d->pred, NULL);
    floor_pred(d->pred, c);
    w = st->win_cells < c ? st->win_cells : c;
    for (size_t j = 0; j < c; j++) { /* the max over w points from j on */
        double mx = d->pred[j];
        for (size_t i = 1; i < w; i++)
            if (d->pred[(j + i) % c] > mx)
                mx = d->pred[(j + i) % c];
        d->winmax[j] = mx;
    }
    d->period = c;
    d->t0 = (d->last_key + 2) * st->grid_ms;
    d->fitted = 1;
}

static void dsp_observe(cr_state *st, cr_dsp *d, int64_t t, double v)
{
    int64_t k = floor_div(t - 1, st->grid_ms);
    double *c;

    if (d->first_key == CR_NONE) {
        d->first_key = d->last_key = k;
    } else if (k > d->last_key) {
        int64_t stop = k - d->last_key > (int64_t)d->cap ? d->last_key + (int64_t)d->cap : k;
        for (int64_t j = d->last_key + 1; j <= stop; j++)
            d->cell[pos_mod(j, d->cap)] = NAN;
        d->last_key = k;
    } else if (k <= d->last_key - (int64_t)d->cap) {
        return; /* too old for the ring */
    }
    c = &d->cell[pos_mod(k, d->cap)];
    if (isnan(*c) || v > *c)
        *c = v;
}

/* The DSP request, or NAN when there is no model (fall back). */
static double dsp_value(ag_online *r, cr_dsp *d, int64_t now)
{
    cr_state *st = r->state;
    const ag_crane_params *p = &r->p.crane;
    int64_t span = d->first_key == CR_NONE ? 0 : d->last_key - d->first_key + 1, lo, hi, count, w;
    double v;

    if (d->fit_at == CR_NONE || now - d->fit_at >= p->dsp_refit_ms ||
        (!d->fitted && !d->tried_span && span >= 2 * (int64_t)st->day)) {
        if (span >= 2 * (int64_t)st->day)
            d->tried_span = 1;
        dsp_fit(r, d, now);
    }
    if (!d->fitted)
        return NAN;
    /* the predicted points in [now, now + window]: pred[j] is at t0 + j g */
    lo = now > d->t0 ? (now - d->t0 + st->grid_ms - 1) / st->grid_ms : 0;
    hi = floor_div(now + p->dsp_window_ms - d->t0, st->grid_ms);
    count = hi >= lo ? hi - lo + 1 : 1;
    w = (int64_t)st->win_cells;
    if (count == w) {
        v = d->winmax[pos_mod(lo, d->period)];
    } else if (count == w + 1) {
        v = fmax(d->winmax[pos_mod(lo, d->period)], d->pred[pos_mod(hi, d->period)]);
    } else {
        v = d->pred[pos_mod(lo, d->period)];
        for (int64_t j = 1; j < count && j < (int64_t)d->period; j++)
            v = fmax(v, d->pred[pos_mod(lo + j, d->period)]);
    }
    return v * (1 + p->margin);
}

/* ---- the recommender ---- */

static ag_err check_params(const ag_crane_params *c)
{
    if ((unsigned)c->variant > AG_CRANE_DSP || !(c->percentile > 0 && c->percentile <= 1) ||
        !(c->margin >= 0 && isfinite(c->margin)) || c->half_life_ms < 0 || c->history_ms <= 0 ||
        !(c->oom_bump_ratio > 0 && isfinite(c->oom_bump_ratio)))
        return AG_EINVAL;
    if (c->variant == AG_CRANE_DSP && (c->dsp_history_ms < 2 * CR_DAY_MS || c->dsp_window_ms < 0 ||
                                       c->dsp_refit_ms <= 0 || c->dsp_history_ms > 400 * CR_DAY_MS))
        return AG_EINVAL;
    return AG_OK;
}

static void clear(ag_online *r)
{
    cr_state *st = r->state;

    if (!st)
        return;
    for (int res = 0; res < AG_NRES; res++) {
        ag__free(st->h[res].rt);
        ag__free(st->h[res].rw);
        ag__free(st->h[res].rb);
        ag__free(st->d[res].cell);
        ag__free(st->d[res].pred);
        ag__free(st->d[res].winmax);
    }
    ag__free(st->y);
    ag__free(st->sel);
    ag__free(st->pre);
    ag__free(st->in);
    ag__free(st->out);
    ag__free(st->aux);
    for (int i = 0; i < CR_NPLAN; i++)
        ag__free(st->plans[i].tw);
    ag__free(st->scratch);
    ag__free(st);
    r->state = NULL;
}

static ag_err init(ag_online *r)
{
    const ag_crane_params *p = &r->p.crane;
    cr_state *st;
    double per_rep;
    size_t cap;
    ag_err rc = check_params(p);

    if (rc != AG_OK)
        return rc;
    st = ag__calloc(1, sizeof *st);
    if (!st)
        return AG_ENOMEM;
    r->state = st;
    per_rep = (double)p->history_ms / (double)r->spec.step_ms + 2;
    cap = per_rep * r->spec.replicas < 16 ? 16 : (size_t)fmin(per_rep * r->spec.replicas, 1 << 20);
    for (int res = 0; res < AG_NRES; res++) {
        cr_hist *h = &st->h[res];
        cr_dsp *d = &st->d[res];
        double size = res == AG_CPU ? CR_CPU_BUCKET : CR_MEM_BUCKET;
        double max = res == AG_CPU ? CR_CPU_MAX : CR_MEM_MAX;

        h->size = size;
        h->nb = (int)ceil(max / size) + 1; /* NewLinearHistogramOptions */
        h->maxb = -1;
        h->cap = cap;
        h->rt = ag__malloc(cap * sizeof *h->rt);
        h->rw = ag__malloc(cap * sizeof *h->rw);
        h->rb = ag__malloc(cap * sizeof *h->rb);
        if (!h->rt || !h->rw || !h->rb)
            goto nomem;
        d->first_key = d->last_key = d->fit_at = CR_NONE;
    }
    if (p->variant == AG_CRANE_DSP) {
        int64_t g = r->spec.step_ms > CR_MIN_GRID_MS ? r->spec.step_ms : CR_MIN_GRID_MS;
        while (CR_DAY_MS % g)
            g++;
        st->grid_ms = g;
        st->day = (size_t)(CR_DAY_MS / g);
        st->week = 7 * st->day;
        st->hist_cells = (size_t)(p->dsp_history_ms / g);
        /* points of a window opening just after a sample (dsp_value) */
        st->win_cells = p->dsp_window_ms / g > 0 ? (size_t)(p->dsp_window_ms / g) : 1;
        st->nmax = st->hist_cells;
        st->y = ag__malloc(st->nmax * sizeof *st->y);
        st->sel = ag__malloc(st->nmax * sizeof *st->sel);
        st->pre = ag__malloc((4 * st->nmax + 2) * sizeof *st->pre);
        st->in = ag__malloc(st->nmax * sizeof *st->in);
        st->out = ag__malloc(st->nmax * sizeof *st->out);
        st->aux = ag__malloc(st->nmax * sizeof *st->aux);
        for (int i = 0; i < CR_NPLAN; i++) {
            st->plans[i].tw = ag__malloc(st->nmax * sizeof *st->plans[i].tw);
            if (!st->plans[i].tw)
                goto nomem;
        }
        /* a day in cells has no prime factor over 5: the generic
         * butterfly's prime is at most the number of days (or 7) */
        st->nscratch = (size_t)(p->dsp_history_ms / CR_DAY_MS) + 8;
        st->scratch = ag__malloc(st->nscratch * sizeof *st->scratch);
        if (!st->y || !st->sel || !st->pre || !st->in || !st->out || !st->aux || !st->scratch)
            goto nomem;
        for (int res = 0; res < AG_NRES; res++) {
            cr_dsp *d = &st->d[res];
            d->cap = st->hist_cells;
            d->cell = ag__malloc(d->cap * sizeof *d->cell);
            d->pred = ag__malloc(st->week * sizeof *d->pred);
            d->winmax = ag__malloc(st->week * sizeof *d->winmax);
            if (!d->cell || !d->pred || !d->winmax)
                goto nomem;
            for (size_t i = 0; i < d->cap; i++)
                d->cell[i] = NAN;
        }
    }
    return AG_OK;
nomem:
    clear(r);
    return AG_ENOMEM;
}

static void observe(ag_online *r, int replica, ag_resource res, int64_t t, double v)
{
    cr_state *st = r->state;
    const ag_crane_params *p = &r->p.crane;

    (void)replica;
    hist_expire(&st->h[res], t - p->history_ms);
    hist_add(&st->h[res], p->half_life_ms, t, v);
    if (p->variant == AG_CRANE_DSP)
        dsp_observe(st, &st->d[res], t, v);
}

/* Crane records the memory request in force at the kill (pkg/oom), and
 * none when the container has no request. */
static void oom(ag_online *r, int replica, int64_t t, double mem_request)
{
    cr_state *st = r->state;
    double req, bump, scaled;

    (void)replica;
    if (!isfinite(mem_request) || mem_request <= 0)
        return;
    req = ceil(mem_request); /* Quantity.Value() */
    bump = req + CR_OOM_MIN_BUMP;
    scaled = trunc(req * r->p.crane.oom_bump_ratio); /* ScaleResource */
    st->oom_t[st->ioom] = t;
    st->oom_v[st->ioom] = bump > scaled ? bump : scaled;
    st->ioom = (st->ioom + 1) % CR_OOM_MAX;
    if (st->noom < CR_OOM_MAX)
        st->noom++;
}

static ag_err recommend(ag_online *r, int64_t now, const double cur[AG_NRES], ag_rec *out)
{
    cr_state *st = r->state;
    const ag_crane_params *p = &r->p.crane;

    (void)cur;
    ag__online_none(out, AG_REC_NO_DATA);
    for (int res = 0; res < AG_NRES; res++) {
        cr_hist *h = &st->h[res];
        ag_rec_res *o = &out->res[res];
        double v = NAN;

        hist_expire(h, now - p->history_ms);
        out->samples[res] = h->n;
        if (p->variant == AG_CRANE_DSP)
            v = dsp_value(r, &st->d[res], now);
        if (!isfinite(v)) {
            if (h->n == 0)
                continue;
            v = hist_percentile(h, p->percentile) * (1 + p->margin);
            /* recommend.go: whole millicores, whole bytes */
            v = res == AG_CPU ? trunc(v * 1000) / 1000 : trunc(v);
        }
        if (res == AG_MEMORY) {
            double prot = NAN;
            uint32_t n = 0;
            for (int i = 0; i < st->noom; i++)
                if (st->oom_t[i] <= now && now - st->oom_t[i] <= CR_OOM_HISTORY_MS) {
                    if (!(st->oom_v[i] <= prot))
                        prot = st->oom_v[i];
                    n++;
                }
            if (prot > v)
                v = prot;
            out->ooms = n;
        }
        out->status[res] = AG_REC_OK;
        o->target = o->uncapped = v;
        o->lower = v / (1 + p->margin);
        o->upper = v * (1 + p->margin);
        o->limit = ag__online_ratio_limit(r, (ag_resource)res, v);
    }
    return AG_OK;
}

const ag__online_ops ag__online_crane_ops = {init, observe, oom, recommend, clear, NULL};
