/*
 * forecast/fft.c - the complex FFT behind period detection and the
 * spectral model.
 *
 * Our own, to avoid a dependency for ~150 lines: an iterative radix-2
 * Cooley-Tukey for powers of two, and Bluestein's chirp-z transform
 * (a convolution done with three power-of-two FFTs) for every other
 * length. The callers pad to powers of two where they can, so Bluestein
 * is the slow path (a period of 288 steps, say).
 *
 * Twiddle factors are tabulated per call: the exact sin/cos every 32nd
 * entry and one complex rotation in between, so a table costs n/64 trig
 * calls and its error stays near machine epsilon. No global state: the
 * functions are safe to call from several threads.
 */
#include <math.h>
#include <stdint.h>
#include "forecast/model.h"
#include "util/alloc.h"

#define TW_EXACT_EVERY 32

static int is_pow2(size_t n)
{
    return n && !(n & (n - 1));
}

static size_t next_pow2(size_t n)
{
    size_t m = 1;
    while (m < n)
        m <<= 1;
    return m;
}

/* c[j] + i s[j] = exp(-2 pi i j / n), j < n / 2. */
static void twiddles(double *c, double *s, size_t n)
{
    const double step = -2.0 * M_PI / (double)n;
    const double rc = cos(step), rs = sin(step);

    for (size_t j = 0; j < n / 2; j++) {
        if (j % TW_EXACT_EVERY == 0) {
            c[j] = cos(step * (double)j);
            s[j] = sin(step * (double)j);
        } else {
            c[j] = c[j - 1] * rc - s[j - 1] * rs;
            s[j] = c[j - 1] * rs + s[j - 1] * rc;
        }
    }
}

/* Unscaled radix-2 transform of n = 2^k points; sign -1 forward, +1
 * inverse. tc/ts: the table of twiddles() for n. */
static void radix2(double *re, double *im, size_t n, const double *tc, const double *ts, int sign)
{
    /* Bit-reversal permutation. */
    for (size_t i = 1, j = 0; i < n; i++) {
        size_t bit = n >> 1;
        for (; j & bit; bit >>= 1)
            j ^= bit;
        j |= bit;
        if (i < j) {
            double t = re[i];
            re[i] = re[j];
            re[j] = t;
            t = im[i];
            im[i] = im[j];
            im[j] = t;
        }
    }
    for (size_t len = 2; len <= n; len <<= 1) {
        size_t half = len / 2, stride = n / len;
        for (size_t i = 0; i < n; i += len) {
            for (size_t j = 0; j < half; j++) {
                double wr = tc[j * stride], wi = sign < 0 ? ts[j * stride] : -ts[j * stride];
                size_t a = i + j, b = a + half;
                double xr = re[b] * wr - im[b] * wi;
                double xi = re[b] * wi + im[b] * wr;
                re[b] = re[a] - xr;
                im[b] = im[a] - xi;
                re[a] += xr;
                im[a] += xi;
            }
        }
    }
}

static ag_err fft_pow2(double *re, double *im, size_t n, int sign)
{
    double *tc = ag__malloc(n / 2 * 2 * sizeof *tc);

    if (!tc)
        return AG_ENOMEM;
    twiddles(tc, tc + n / 2, n);
    radix2(re, im, n, tc, tc + n / 2, sign);
    ag__free(tc);
    return AG_OK;
}

/*
 * Bluestein: X[k] = w[k] * sum_j (x[j] w[j]) conj(w[k - j]) with
 * w[k] = exp(sign i pi k^2 / n): a convolution of length m >= 2n - 1,
 * m a power of two. k^2 is reduced mod 2n before the multiplication by
 * pi / n so the chirp stays exact for large k.
 */
static ag_err fft_bluestein(double *re, double *im, size_t n, int sign)
{
    size_t m = next_pow2(2 * n - 1);
    double *buf = ag__malloc((5 * m + 2 * n) * sizeof *buf);
    double *ar, *ai, *br, *bi, *tc, *ts, *wr, *wi;

    if (!buf)
        return AG_ENOMEM;
    ar = buf, ai = ar + m, br = ai + m, bi = br + m, tc = bi + m, ts = tc + m / 2;
    wr = ts + m / 2, wi = wr + n;
    for (size_t k = 0; k < n; k++) {
        uint64_t k2 = ((uint64_t)k * k) % (2 * (uint64_t)n);
        double ang = (double)sign * M_PI * (double)k2 / (double)n;
        wr[k] = cos(ang);
        wi[k] = sin(ang);
    }
    for (size_t k = 0; k < m; k++)
        ar[k] = ai[k] = br[k] = bi[k] = 0.0;
    for (size_t k = 0; k < n; k++) {
        ar[k] = re[k] * wr[k] - im[k] * wi[k];
        ai[k] = re[k] * wi[k] + im[k] * wr[k];
        br[k] = wr[k];
        bi[k] = -wi[k];
        if (k) {
            br[m - k] = wr[k];
            bi[m - k] = -wi[k];
        }
    }
    twiddles(tc, ts, m);
    radix2(ar, ai, m, tc, ts, -1);
    radix2(br, bi, m, tc, ts, -1);
    for (size_t k = 0; k < m; k++) {
        double r = ar[k] * br[k] - ai[k] * bi[k];
        ai[k] = ar[k] * bi[k] + ai[k] * br[k];
        ar[k] = r;
    }
    radix2(ar, ai, m, tc, ts, +1);
    for (size_t k = 0; k < n; k++) {
        double cr = ar[k] / (double)m, ci = ai[k] / (double)m;
        re[k] = cr * wr[k] - ci * wi[k];
        im[k] = cr * wi[k] + ci * wr[k];
    }
    ag__free(buf);
    return AG_OK;
}

ag_err ag__fft(double *re, double *im, size_t n, int inverse)
{
    int sign = inverse ? +1 : -1;
    ag_err err;

    if (!re || !im || n == 0)
        return AG_EINVAL;
    if (n > SIZE_MAX / 16)
        return AG_ETOOBIG;
    if (n == 1)
        return AG_OK;
    err = is_pow2(n) ? fft_pow2(re, im, n, sign) : fft_bluestein(re, im, n, sign);
    if (err || !inverse)
        return err;
    for (size_t k = 0; k < n; k++) {
        re[k] /= (double)n;
        im[k] /= (double)n;
    }
    return AG_OK;
}
