/*
 * forecast/spectral.c - seasonal period detection and the spectral model.
 *
 * Period detection follows gocrane/crane's DSP predictor: the periodogram
 * of the (detrended) series proposes periods N/k at the bins whose power
 * no shuffled copy of the series would reach (shuffling keeps the values
 * and destroys any order, so the shuffled periodograms show how high noise
 * alone peaks), and the autocorrelation function decides: a real period
 * sits on an ACF hill, and among the survivors the highest ACF wins.
 * Differences from crane, for speed and robustness: the series is
 * detrended first (a trend hides the ACF hills); two real series share
 * one complex FFT, so the series and 15 shuffles cost 8 FFTs; the noise
 * threshold is the 99th percentile of a Gumbel law fitted to the 15
 * shuffled maxima instead of an order statistic of 100 shuffles; the ACF
 * is linear (zero-padded to 2N), not circular; a spectral candidate is
 * moved to the ACF maximum between its neighbouring bins (bins are coarse:
 * at N = 2016 a day of 5-minute steps lies between bins 7 and 8).
 *
 * The spectral model forecasts the seasonal shape from the strongest
 * harmonics of the period: the last few whole periods are folded into one
 * mean profile (on whole periods the harmonics are orthogonal, so the
 * least-squares fit of a mean plus harmonics is the profile's DFT), every
 * harmonic whose power does not clearly exceed what the cycle-to-cycle
 * noise would give is dropped, and the denoised shape is repeated on top
 * of the mean of the last period.
 */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include "forecast/model.h"
#include "util/alloc.h"

#define DP_MIN_N 8
#define DP_PAIRS 8          /* the series + 2 * DP_PAIRS - 1 shuffles, two per FFT */
#define DP_GUMBEL_Q99 4.600 /* -ln(-ln 0.99): the Gumbel law's 99th percentile */
#define DP_MAX_SPECTRAL 6   /* spectral candidates checked against the ACF */
#define DP_MAX_CAND 16      /* caller candidates considered */
#define DP_ACF_MIN 0.05     /* an ACF below this is no season, whatever the test */

#define SP_MAX_CYCLES 4 /* periods folded into the profile */
#define SP_KEEP_SNR 4.0 /* keep a harmonic above 4x the expected noise power */

static size_t next_pow2(size_t n)
{
    size_t m = 1;
    while (m < n)
        m <<= 1;
    return m;
}

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Fisher-Yates; the bound by multiply-shift (bias < n / 2^32, negligible). */
static void shuffle(double *x, size_t n, uint64_t *rng)
{
    for (size_t i = n - 1; i > 0; i--) {
        uint64_t r = splitmix64(rng) >> 32;
        size_t j = (size_t)((r * (uint64_t)(i + 1)) >> 32);
        double t = x[i];
        x[i] = x[j];
        x[j] = t;
    }
}

/* x = (y - least-squares line) / max|y|. Returns 0 when y is unusable: not
 * finite, or a line to rounding (no season to find). */
static int prepare(const double *y, size_t n, double *x)
{
    double m = 0, mean = 0, tc, stt = 0, sty = 0, slope, var = 0;

    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            return 0;
        if (fabs(y[i]) > m)
            m = fabs(y[i]);
    }
    if (m == 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = y[i] / m;
        mean += x[i];
    }
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        tc = (double)i - (double)(n - 1) / 2;
        stt += tc * tc;
        sty += tc * (x[i] - mean);
    }
    slope = sty / stt;
    for (size_t i = 0; i < n; i++) {
        x[i] -= mean + slope * ((double)i - (double)(n - 1) / 2);
        var += x[i] * x[i];
    }
    return var / (double)n > 1e-24;
}

/* Slope of the least-squares line through (j, a[j]), j in [lo, hi]. */
static double slope_of(const double *a, size_t lo, size_t hi)
{
    double mid = ((double)lo + (double)hi) / 2, num = 0, den = 0;

    for (size_t j = lo; j <= hi; j++) {
        num += ((double)j - mid) * a[j];
        den += ((double)j - mid) * ((double)j - mid);
    }
    return den > 0 ? num / den : 0;
}

/* crane's isPeak: the ACF rises into p and falls after it (least-squares
 * slopes over r lags each side), and is high enough to mean something. */
static int acf_hill(const double *acf, size_t nacf, size_t p, double acf_min)
{
    size_t r = p / 6 > 2 ? p / 6 : 2;

    if (r > p / 2)
        r = p / 2;
    if (p < 2 || r < 1 || p + r >= nacf || !(acf[p] >= acf_min))
        return 0;
    return slope_of(acf, p - r, p) > 0 && slope_of(acf, p, p + r) < 0;
}

/*
 * The noise threshold and the series' periodogram: pw[k] = |X_k|^2 at
 * length-L bins, and the threshold a shuffled copy's maximum over bins
 * [kmin, kmax] stays below 99% of the time. re, im: L doubles of scratch;
 * xs: n doubles of scratch.
 */
static double periodogram(const double *x, size_t n, size_t L, size_t kmin, size_t kmax,
                          uint64_t seed, double *re, double *im, double *xs, double *pw)
{
    uint64_t rng = seed ? seed : 0x5eed5eedULL;
    double maxes[2 * DP_PAIRS], mean = 0, var = 0, beta;
    size_t nmax = 0;

    memcpy(xs, x, n * sizeof *xs);
    for (size_t pair = 0; pair < DP_PAIRS; pair++) {
        double ma = 0, mb = 0;
        memset(re + n, 0, (L - n) * sizeof *re);
        memset(im + n, 0, (L - n) * sizeof *im);
        if (pair == 0) {
            memcpy(re, x, n * sizeof *re);
        } else {
            shuffle(xs, n, &rng);
            memcpy(re, xs, n * sizeof *re);
        }
        shuffle(xs, n, &rng);
        memcpy(im, xs, n * sizeof *im);
        if (ag__fft(re, im, L, 0) != AG_OK)
            return HUGE_VAL;
        /* Z = A + iB for real a, b: A_k = (Z_k + conj Z_{L-k}) / 2,
         * B_k = (Z_k - conj Z_{L-k}) / 2i. */
        for (size_t k = 1; k <= L / 2; k++) {
            double zr = re[k], zi = im[k], wr = re[L - k], wi = -im[L - k];
            double ar = (zr + wr) / 2, ai = (zi + wi) / 2;
            double br = (zi - wi) / 2, bi = -(zr - wr) / 2;
            double pa = ar * ar + ai * ai, pb = br * br + bi * bi;
            if (pair == 0)
                pw[k] = pa;
            if (k < kmin || k > kmax)
                continue;
            if (pa > ma)
                ma = pa;
            if (pb > mb)
                mb = pb;
        }
        if (pair > 0)
            maxes[nmax++] = ma;
        maxes[nmax++] = mb;
    }
    /* Gumbel fit by moments: beta = s sqrt(6) / pi, mu = mean - 0.5772 beta. */
    for (size_t i = 0; i < nmax; i++)
        mean += maxes[i];
    mean /= (double)nmax;
    for (size_t i = 0; i < nmax; i++)
        var += (maxes[i] - mean) * (maxes[i] - mean);
    var /= (double)(nmax - 1);
    beta = sqrt(var) * sqrt(6.0) / M_PI;
    return mean - 0.5772156649 * beta + DP_GUMBEL_Q99 * beta;
}

/* Linear (not circular) autocorrelation of x at lags [0, n), normalised
 * to acf[0] = 1, by FFT of length L2 >= 2n. */
static int autocorr(const double *x, size_t n, size_t L2, double *re, double *im, double *acf)
{
    memcpy(re, x, n * sizeof *re);
    memset(re + n, 0, (L2 - n) * sizeof *re);
    memset(im, 0, L2 * sizeof *im);
    if (ag__fft(re, im, L2, 0) != AG_OK)
        return 0;
    for (size_t k = 0; k < L2; k++) {
        re[k] = re[k] * re[k] + im[k] * im[k];
        im[k] = 0;
    }
    if (ag__fft(re, im, L2, 1) != AG_OK || !(re[0] > 0))
        return 0;
    for (size_t j = 0; j < n; j++)
        acf[j] = re[j] / re[0];
    return 1;
}

/* The strongest local maxima of pw[kmin..kmax] above thr, into ks[]
 * (strongest first). */
static size_t spectral_peaks(const double *pw, size_t kmin, size_t kmax, double thr, size_t *ks)
{
    size_t nk = 0;

    for (size_t k = kmin; k <= kmax; k++) {
        size_t at;
        if (!(pw[k] > thr) || pw[k] < pw[k - 1] || pw[k] < pw[k + 1])
            continue;
        if (nk < DP_MAX_SPECTRAL)
            at = nk++;
        else if (pw[k] > pw[ks[nk - 1]])
            at = nk - 1;
        else
            continue;
        for (; at > 0 && pw[ks[at - 1]] < pw[k]; at--)
            ks[at] = ks[at - 1];
        ks[at] = k;
    }
    return nk;
}

/* The mean squared difference between the series and itself j steps
 * later, over their overlap (the "difference function" of the YIN pitch
 * detector). From the ACF and e[i] = sum of x^2 over [0, i), both
 * normalised by the energy. Unlike the ACF's hill, its valley is centred
 * on an exact period even when the overlap cuts cycles unevenly. */
static double sqdiff(const double *acf, const double *e, size_t n, size_t j)
{
    return (e[n - j] + e[n] - e[j] - 2 * acf[j]) / (double)(n - j);
}

/* Vertex of the least-squares parabola through sqdiff over [c - w,
 * c + w]; c when the fit has no minimum there. */
static double vertex(const double *acf, const double *e, size_t n, size_t c, size_t w)
{
    double s0 = 0, s2 = 0, s4 = 0, r0 = 0, r1 = 0, r2 = 0, det, a, b;

    for (size_t j = c - w; j <= c + w; j++) {
        double d = (double)j - (double)c, v = sqdiff(acf, e, n, j);
        s0 += 1, s2 += d * d, s4 += d * d * d * d;
        r0 += v, r1 += d * v, r2 += d * d * v;
    }
    /* v = a d^2 + b d + k on a symmetric window: the odd sums vanish, so
     * b decouples from a and k. */
    b = r1 / s2;
    det = s4 * s0 - s2 * s2;
    if (!(fabs(det) > 0))
        return (double)c;
    a = (r2 * s0 - r0 * s2) / det;
    if (!(a > 0) || fabs(b / (2 * a)) > (double)w)
        return (double)c;
    return (double)c - b / (2 * a);
}

static size_t refine(const double *acf, const double *e, size_t n, size_t L, size_t k)
{
    size_t c = (L + k / 2) / k, w = c * c / L + 1, lo, hi, best, hw;

    lo = c > w + 2 ? c - w : 2;
    hi = c + w < n / 3 ? c + w : n / 3;
    if (lo >= hi)
        return 0;
    best = lo;
    for (size_t j = lo + 1; j <= hi; j++)
        if (acf[j] > acf[best])
            best = j;
    if (best == lo || best == hi)
        return 0;
    hw = best / 8 > 1 ? best / 8 : 1;
    if (hw > w)
        hw = w;
    for (int it = 0; it < 2 && best + hw < n && best > hw; it++)
        best = (size_t)lround(vertex(acf, e, n, best, hw));
    return best;
}

/* A found period must also show at twice its lag (the series repeats,
 * not just one bump of a wandering series' ACF). */
static int repeats(const double *acf, size_t n, size_t p)
{
    return 2 * p < n && acf[2 * p] * (double)n / (double)(n - 2 * p) >= DP_ACF_MIN;
}

static size_t best_period(const double *acf, const double *e, size_t n, size_t L, const size_t *ks,
                          size_t nk, const size_t *cand, size_t ncand)
{
    double acf_min = fmax(DP_ACF_MIN, 3.0 / sqrt((double)n)), best_acf = -1;
    size_t best = 0, okc[DP_MAX_CAND], nokc = 0;

    for (size_t i = 0; i < ncand && i < DP_MAX_CAND; i++) {
        size_t c = cand[i];
        if (c < 2 || c > n / 2 || !acf_hill(acf, n, c, acf_min))
            continue;
        okc[nokc++] = c;
        if (acf[c] > best_acf || (acf[c] == best_acf && c < best))
            best = c, best_acf = acf[c];
    }
    for (size_t i = 0; i < nk; i++) {
        size_t p = refine(acf, e, n, L, ks[i]), tol;
        int near_cand = 0;
        if (!p || !acf_hill(acf, n, p, acf_min) || !repeats(acf, n, p))
            continue;
        /* The same hill as a validated caller candidate: keep the caller's
         * exact period (a day is 288 steps, not the 287 noise prefers). */
        tol = p / 25 > 1 ? p / 25 : 1;
        for (size_t j = 0; j < nokc; j++)
            if (p + tol >= okc[j] && p <= okc[j] + tol)
                near_cand = 1;
        if (near_cand)
            continue;
        if (acf[p] > best_acf || (acf[p] == best_acf && p < best))
            best = p, best_acf = acf[p];
    }
    return best;
}

size_t ag__fc_detect_period(const double *y, size_t n, const size_t *candidates, size_t ncand,
                            uint64_t seed)
{
    size_t L, L2, kmin, kmax, ks[DP_MAX_SPECTRAL], nk = 0, period = 0;
    double *buf, *x, *xs, *re, *im, *pw, *e, thr;

    if (!y || n < DP_MIN_N || n > SIZE_MAX / 64)
        return 0;
    if (!candidates)
        ncand = 0;
    L = next_pow2(n);
    L2 = next_pow2(2 * n);
    buf = ag__malloc((3 * n + 1 + 2 * L2 + L / 2 + 2) * sizeof *buf);
    if (!buf)
        return 0;
    x = buf, xs = x + n, re = xs + n, im = re + L2, pw = im + L2, e = pw + L / 2 + 2;
    if (!prepare(y, n, x))
        goto out;
    /* Bins whose period N/k fits three times in the series (two cycles are
     * enough for a period the caller expects, not for one found in noise)
     * and is above 2 steps. */
    kmin = (3 * L + n - 1) / n;
    kmax = L / 2 - 1;
    thr = periodogram(x, n, L, kmin, kmax, seed, re, im, xs, pw);
    if (kmin <= kmax)
        nk = spectral_peaks(pw, kmin, kmax, thr, ks);
    if (!autocorr(x, n, L2, re, im, xs))
        goto out;
    e[0] = 0;
    for (size_t i = 0; i < n; i++)
        e[i + 1] = e[i] + x[i] * x[i];
    for (size_t i = 0; i <= n; i++)
        e[i] /= e[n];
    period = best_period(xs, e, n, L, ks, nk, candidates, ncand);
out:
    ag__free(buf);
    return period;
}

/* ---- the spectral model ---- */

static size_t spectral_min_len(const ag__fc_ctx *ctx)
{
    return ctx && ctx->period >= 2 ? 2 * ctx->period : 0;
}

/* The mean profile of the last m periods (scaled by 1/sc) into re, and the
 * cycle-to-cycle variance around it. */
static double fold(const double *y, size_t P, size_t m, double sc, double *re)
{
    double v = 0;

    for (size_t ph = 0; ph < P; ph++) {
        double s = 0;
        for (size_t c = 0; c < m; c++)
            s += y[c * P + ph] / sc;
        re[ph] = s / (double)m;
        for (size_t c = 0; c < m; c++) {
            double d = y[c * P + ph] / sc - re[ph];
            v += d * d;
        }
    }
    return v / (double)(P * (m - 1));
}

static ag_err spectral_forecast(const ag__fc_ctx *ctx, const double *y, size_t n, size_t h,
                                double *out)
{
    size_t P = ctx ? ctx->period : 0, m, s;
    double sc = 0, level = 0, v, noise, total = 0, *re, *im;
    ag_err err;

    if (!y || !out)
        return AG_EINVAL;
    if (P < 2 || n / 2 < P)
        return AG_ENODATA;
    m = n / P < SP_MAX_CYCLES ? n / P : SP_MAX_CYCLES;
    s = n - m * P;
    for (size_t i = s; i < n; i++)
        if (fabs(y[i]) > sc)
            sc = fabs(y[i]);
    if (!isfinite(sc))
        return AG_EINVAL;
    if (sc == 0) {
        memset(out, 0, h * sizeof *out);
        return AG_OK;
    }
    re = ag__malloc(2 * P * sizeof *re);
    if (!re)
        return AG_ENOMEM;
    im = re + P;
    v = fold(y + s, P, m, sc, re);
    memset(im, 0, P * sizeof *im);
    for (size_t i = n - P; i < n; i++)
        level += y[i] / sc;
    level /= (double)P;
    err = ag__fft(re, im, P, 0);
    if (err)
        goto out;
    /* A profile entry averages m cycles, so its noise variance is v / m and
     * a DFT bin of P such entries carries P v / m of noise power. */
    noise = SP_KEEP_SNR * (double)P * v / (double)m;
    for (size_t j = 1; j < P; j++)
        total += re[j] * re[j] + im[j] * im[j];
    re[0] = im[0] = 0;
    for (size_t j = 1; j < P; j++) {
        double pj = re[j] * re[j] + im[j] * im[j];
        if (!(pj > noise) || !(pj > 1e-24 * total))
            re[j] = im[j] = 0;
    }
    err = ag__fft(re, im, P, 1);
    if (err)
        goto out;
    for (size_t i = 0; i < h; i++) {
        out[i] = sc * (level + re[i % P]);
        if (!isfinite(out[i])) {
            err = AG_EINVAL;
            goto out;
        }
    }
out:
    ag__free(re);
    return err;
}

const ag__fc_model ag__fc_model_spectral = {"spectral", spectral_min_len, spectral_forecast};
