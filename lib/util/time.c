/*
 * util/time.c - points in time and durations as the CLI and Prometheus
 * write them.
 *
 * Times are int64 milliseconds since the epoch everywhere in augur (the
 * resolution of Prometheus timestamps). Parsing is strict: the whole string
 * must be consumed and every field must be in range, since a silently
 * misread --start would give a plausible but wrong recommendation.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "augur/util.h"

/* Latest accepted time: 9999-12-31T23:59:59.999Z. */
#define MAX_SECONDS INT64_C(253402300799)

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = yoe + era * 400 + (*m <= 2);
}

static int days_in_month(int64_t y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dm[m - 1];
}

/* Reads exactly n digits at *p into *out and advances *p. */
static int digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char ch = (*p)[i];
        if (ch < '0' || ch > '9')
            return 0;
        v = v * 10 + (ch - '0');
    }
    *p += n;
    *out = v;
    return 1;
}

/* Reads a fraction ".ddd" (1-9 digits) at *p as milliseconds, rounding half
 * up (so the result may be 1000: a full second). */
static int fraction_ms(const char **p, int *ms)
{
    const char *s = *p + 1;
    int n = 0, v = 0;

    while (s[n] >= '0' && s[n] <= '9') {
        if (n >= 9)
            return 0;
        n++;
    }
    if (n == 0)
        return 0;
    for (int i = 0; i < 4; i++)
        v = v * 10 + (i < n ? s[i] - '0' : 0);
    *ms = (v + 5) / 10; /* 0..1000 */
    *p = s + n;
    return 1;
}

static ag_err parse_unix(const char *s, int64_t *out_ms)
{
    int64_t sec = 0;
    int ms = 0;
    const char *p = s;

    if (*p < '0' || *p > '9')
        return AG_EINVAL;
    for (; *p >= '0' && *p <= '9'; p++) {
        sec = sec * 10 + (*p - '0');
        if (sec > MAX_SECONDS)
            return AG_EINVAL;
    }
    if (*p == '.' && !fraction_ms(&p, &ms))
        return AG_EINVAL;
    if (*p)
        return AG_EINVAL;
    *out_ms = sec * 1000 + ms;
    return AG_OK;
}

static ag_err parse_rfc3339(const char *s, int64_t *out_ms)
{
    const char *p = s;
    int y, mo, d, h, mi, sec, ms = 0, off = 0;

    if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) || *p++ != '-' ||
        !digits(&p, 2, &d))
        return AG_EINVAL;
    if (*p != 'T' && *p != 't' && *p != ' ')
        return AG_EINVAL;
    p++;
    if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) || *p++ != ':' ||
        !digits(&p, 2, &sec))
        return AG_EINVAL;
    if (*p == '.' && !fraction_ms(&p, &ms))
        return AG_EINVAL;
    if (*p == 'Z' || *p == 'z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        int sign = *p++ == '-' ? -1 : 1, oh, om;
        if (!digits(&p, 2, &oh) || *p++ != ':' || !digits(&p, 2, &om) || oh > 23 || om > 59)
            return AG_EINVAL;
        off = sign * (oh * 60 + om);
    } else {
        return AG_EINVAL;
    }
    if (*p)
        return AG_EINVAL;
    if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || sec > 59)
        return AG_EINVAL;
    int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off * 60;
    if (t < -MAX_SECONDS || t > MAX_SECONDS)
        return AG_EINVAL;
    *out_ms = t * 1000 + ms;
    return AG_OK;
}

ag_err ag_time_parse(const char *s, int64_t *out_ms)
{
    if (!s || !out_ms || !*s)
        return AG_EINVAL;
    /* "2023-..." has a '-' at index 4; Unix seconds never do. */
    if (strlen(s) > 4 && s[4] == '-')
        return parse_rfc3339(s, out_ms);
    return parse_unix(s, out_ms);
}

char *ag_time_format(int64_t t_ms, char *buf, size_t len)
{
    int64_t sec = t_ms / 1000, ms = t_ms % 1000, y;
    int m, d;

    if (ms < 0) { /* floor division for times before 1970 */
        ms += 1000;
        sec--;
    }
    int64_t days = sec / 86400, rem = sec % 86400;
    if (rem < 0) {
        rem += 86400;
        days--;
    }
    civil_from_days(days, &y, &m, &d);
    if (ms)
        snprintf(buf, len, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d,
                 (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60), (int)ms);
    else
        snprintf(buf, len, "%04" PRId64 "-%02d-%02dT%02d:%02d:%02dZ", y, m, d, (int)(rem / 3600),
                 (int)(rem / 60 % 60), (int)(rem % 60));
    return buf;
}

/* Units in the order Prometheus requires them (largest first). */
static const struct {
    const char *name;
    int64_t ms;
} units[] = {
    {"y", INT64_C(365) * 86400000}, {"w", INT64_C(7) * 86400000}, {"d", 86400000},
    {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1},
};
#define NUNITS (sizeof units / sizeof units[0])

/* Plain seconds, possibly with a fraction: "300", "0.5". */
static ag_err parse_plain_seconds(const char *s, int64_t *out_ms)
{
    return parse_unix(s, out_ms);
}

ag_err ag_duration_parse(const char *s, int64_t *out_ms)
{
    const char *p = s;
    int64_t total = 0;
    size_t next = 0; /* units must come in decreasing size, each once */

    if (!s || !out_ms || !*s)
        return AG_EINVAL;
    if (strspn(s, "0123456789.") == strlen(s))
        return parse_plain_seconds(s, out_ms);
    while (*p) {
        int64_t n = 0;
        size_t u;
        if (*p < '0' || *p > '9')
            return AG_EINVAL;
        for (; *p >= '0' && *p <= '9'; p++) {
            n = n * 10 + (*p - '0');
            if (n > INT64_MAX / 1000 / 10)
                return AG_EINVAL;
        }
        /* "ms" before "m": look for the longest unit name that matches. */
        for (u = NUNITS; u-- > 0;) {
            size_t l = strlen(units[u].name);
            if (strncmp(p, units[u].name, l) == 0)
                break;
        }
        if (u >= NUNITS || u < next)
            return AG_EINVAL;
        if (n > (INT64_MAX - total) / units[u].ms)
            return AG_EINVAL;
        total += n * units[u].ms;
        p += strlen(units[u].name);
        next = u + 1;
    }
    *out_ms = total;
    return AG_OK;
}

char *ag_duration_format(int64_t ms, char *buf, size_t len)
{
    /* Days are the largest unit: "8d" reads better than "1w1d". */
    static const struct {
        const char *name;
        int64_t ms;
    } fu[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}, {"ms", 1}};
    size_t off = 0;
    uint64_t rest;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    if (ms == 0) {
        snprintf(buf, len, "0s");
        return buf;
    }
    if (ms < 0) {
        off += (size_t)snprintf(buf, len, "-");
        rest = (uint64_t)0 - (uint64_t)ms;
    } else {
        rest = (uint64_t)ms;
    }
    for (size_t i = 0; i < sizeof fu / sizeof fu[0] && rest; i++) {
        uint64_t n = rest / (uint64_t)fu[i].ms;
        if (!n)
            continue;
        rest -= n * (uint64_t)fu[i].ms;
        if (off < len)
            off += (size_t)snprintf(buf + off, len - off, "%" PRIu64 "%s", n, fu[i].name);
    }
    return buf;
}

int64_t ag_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
