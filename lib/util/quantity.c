/*
 * util/quantity.c - Kubernetes resource quantities.
 *
 * Recommendations are printed the way they go into a manifest: CPU in
 * millicores ("250m", whole cores as "2"), memory in Mi or Gi. Both round
 * UP, since a request rounded down can be below the usage it was computed
 * from. Parsing accepts what kubectl accepts for requests and limits:
 * decimal numbers with an optional exponent and one suffix.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "augur/util.h"

/* ceil(x), but a value within rounding noise of a whole number counts as
 * that number: 0.07 * 1000 is 70.00000000000001 in binary floating point and
 * must print as 70m, not 71m. */
static double ceil_clean(double x)
{
    double r = nearbyint(x);
    if (fabs(x - r) <= 1e-9 * fmax(1.0, fabs(x)))
        return r;
    return ceil(x);
}

char *ag_cpu_format(double cores, char *buf, size_t len)
{
    double m;

    if (!isfinite(cores)) {
        snprintf(buf, len, "n/a");
        return buf;
    }
    if (cores <= 0) {
        snprintf(buf, len, "0");
        return buf;
    }
    m = ceil_clean(cores * 1000.0);
    if (m < 1)
        m = 1; /* any use at all is at least one millicore */
    if (fmod(m, 1000.0) == 0)
        snprintf(buf, len, "%.0f", m / 1000.0);
    else
        snprintf(buf, len, "%.0fm", m);
    return buf;
}

char *ag_mem_format(double bytes, char *buf, size_t len)
{
    double mi;

    if (!isfinite(bytes)) {
        snprintf(buf, len, "n/a");
        return buf;
    }
    if (bytes <= 0) {
        snprintf(buf, len, "0");
        return buf;
    }
    mi = ceil_clean(bytes / 1048576.0);
    if (mi < 1)
        mi = 1;
    if (fmod(mi, 1024.0) == 0)
        snprintf(buf, len, "%.0fGi", mi / 1024.0);
    else
        snprintf(buf, len, "%.0fMi", mi);
    return buf;
}

static const struct {
    const char *suffix;
    double mult;
} suffixes[] = {
    {"", 1},
    {"n", 1e-9},
    {"u", 1e-6},
    {"m", 1e-3},
    {"k", 1e3},
    {"M", 1e6},
    {"G", 1e9},
    {"T", 1e12},
    {"P", 1e15},
    {"E", 1e18},
    {"Ki", 1024.0},
    {"Mi", 1048576.0},
    {"Gi", 1073741824.0},
    {"Ti", 1099511627776.0},
    {"Pi", 1125899906842624.0},
    {"Ei", 1152921504606846976.0},
};

static size_t span_digits(const char *s)
{
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9')
        n++;
    return n;
}

ag_err ag_quantity_parse(const char *s, double *out)
{
    char num[64];
    size_t n = 0, d;
    int has_exp = 0;
    double v;

    if (!s || !out)
        return AG_EINVAL;
    if (s[n] == '+' || s[n] == '-')
        n++;
    d = span_digits(s + n);
    n += d;
    if (s[n] == '.') {
        size_t f = span_digits(s + n + 1);
        if (d == 0 && f == 0)
            return AG_EINVAL;
        n += 1 + f;
    } else if (d == 0) {
        return AG_EINVAL;
    }
    /* An exponent is 'e'/'E' followed by digits; a lone "E" is the exa suffix. */
    if (s[n] == 'e' || s[n] == 'E') {
        size_t e = n + 1;
        if (s[e] == '+' || s[e] == '-')
            e++;
        size_t ed = span_digits(s + e);
        if (ed > 0) {
            n = e + ed;
            has_exp = 1;
        }
    }
    if (n >= sizeof num)
        return AG_EINVAL;
    memcpy(num, s, n);
    num[n] = '\0';
    for (size_t i = 0; i < sizeof suffixes / sizeof suffixes[0]; i++) {
        if (strcmp(s + n, suffixes[i].suffix) == 0) {
            if (has_exp && i != 0)
                return AG_EINVAL; /* "1e3Mi": an exponent takes no suffix */
            v = strtod(num, NULL) * suffixes[i].mult;
            if (!isfinite(v))
                return AG_EINVAL;
            *out = v;
            return AG_OK;
        }
    }
    return AG_EINVAL;
}
