/*
 * bench/bench_global.c - training time, predict time and held-out
 * accuracy of the global learned models (gbt, mlp) on real traces.
 *
 * Data (../shared/data, or the directory given as argv[1]):
 *  - bitbrains_rnd/2013-{7,8,9}/N.csv: per-VM files, 300 s steps; the CPU
 *    usage [MHz] and Memory usage [KB] columns are put on a 300 s grid
 *    (the last sample of a cell wins, empty cells are gaps). Each file
 *    gives two base series (CPU with memory as covariate and memory with
 *    CPU as covariate). The last day of every base series is held out.
 *    The training set is 1,000 windows: base series b = w % nbase, window
 *    k = w / nbase starts at k * 12 steps (one hour apart) and runs for
 *    min(8064, held-out start - start) steps (4 weeks when the file has
 *    them).
 *  - azure_v1_vm_cpu/microsoft_avg_100.csv: 100 VM CPU % columns, 300 s;
 *    the last day held out, the 100 series (no covariate) train as they
 *    are.
 * Accuracy: one model per data set for H = 288 (24 h); MASE of the model
 * and of the seasonal naive (the same time yesterday) over the held-out
 * day, scaled by the seasonal naive's in-sample MAE, at horizon 24 h (one
 * origin: the start of the held-out day) and 1 h (24 origins, hourly,
 * first 12 steps). Prints a markdown table; skips when data is absent.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "augur/forecast.h"
#include "forecast/features.h"
#include "forecast/model.h"

#define STEP 300
#define DAY 288
#define H DAY
#define WIN 8064
#define NWIN 1000
#define MAXLEN 20000

typedef struct base {
    double *v, *c; /* values (clean, for evaluation), covariate or NULL */
    double *raw, *rawc;
    size_t n;
    int64_t t0_ms;
} base;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One Bitbrains file: columns 0 (time, s), 3 (CPU MHz), 6 (memory KB). */
static int load_bitbrains(const char *path, base *cpu, base *mem)
{
    FILE *f = fopen(path, "r");
    char line[2048];
    long long t0 = -1;
    size_t n = 0;

    if (!f)
        return 0;
    double *c = malloc(MAXLEN * sizeof *c), *m = malloc(MAXLEN * sizeof *m);
    for (size_t i = 0; i < MAXLEN; i++)
        c[i] = m[i] = NAN;
    while (fgets(line, sizeof line, f)) {
        double col[7];
        int k = 0;
        char *p = line, *end;
        for (; k < 7; k++) {
            col[k] = strtod(p, &end);
            if (end == p)
                break;
            p = strchr(end, ';');
            if (!p)
                break;
            p++;
        }
        if (k < 6)
            continue; /* header or short line */
        long long ts = (long long)col[0];
        if (t0 < 0)
            t0 = ts;
        long long i = (ts - t0 + STEP / 2) / STEP;
        if (i < 0 || i >= MAXLEN)
            continue;
        c[i] = col[3];
        m[i] = col[6];
        if ((size_t)i + 1 > n)
            n = (size_t)i + 1;
    }
    fclose(f);
    *cpu = (base){NULL, NULL, c, m, n, t0 * 1000};
    *mem = (base){NULL, NULL, m, c, n, t0 * 1000};
    return n > 0;
}

static size_t load_azure(const char *path, base *out, size_t max)
{
    FILE *f = fopen(path, "r");
    static char line[1 << 16];
    size_t ncol = 0, n = 0;

    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == 's')
            continue; /* header */
        char *p = line, *end;
        strtod(p, &end); /* step */
        p = strchr(end, ',') + 1;
        strtod(p, &end); /* offset_s */
        size_t k = 0;
        while ((p = strchr(end, ',')) && k < max && n < MAXLEN) {
            p++;
            if (n == 0) {
                out[k].raw = malloc(MAXLEN * sizeof(double));
                out[k].rawc = NULL;
                out[k].t0_ms = 0;
            }
            out[k].raw[n] = strtod(p, &end);
            if (end == p)
                out[k].raw[n] = NAN;
            k++;
        }
        if (n == 0)
            ncol = k;
        n++;
    }
    fclose(f);
    for (size_t k = 0; k < ncol; k++)
        out[k].n = n;
    return ncol;
}

/* Seasonal naive in-sample MAE of y[0..n). */
static double snaive_scale(const double *y, size_t n)
{
    double s = 0;
    for (size_t t = DAY; t < n; t++)
        s += fabs(y[t] - y[t - DAY]);
    return n > DAY ? s / (double)(n - DAY) : 0;
}

typedef struct acc {
    double mase_m[2], mase_s[2], mase_n[2]; /* [0] = 1 h, [1] = 24 h: sums over series */
    size_t cnt;
    double med[2][200]; /* per-series model MASE / snaive MASE, for medians */
    double pred_s;
    size_t npred;
} acc;

static void evaluate(const ag_fc_global *g, base *b, size_t nb, acc *a)
{
    double out[H];
    memset(a, 0, sizeof *a);
    for (size_t i = 0; i < nb; i++) {
        size_t n = b[i].n, tr = n - DAY;
        double sc = snaive_scale(b[i].v, tr);
        if (!(sc > 0))
            continue;
        double em[2] = {0}, es[2] = {0}, en[2] = {0};
        size_t cm[2] = {0};
        for (size_t o = tr; o + 12 <= n; o += 12) {
            size_t hh = o == tr ? H : 12;
            ag_fc_series cv = {b[i].t0_ms, STEP * 1000LL, b[i].c, n};
            ag__fc_ctx ctx = {DAY, 0, b[i].t0_ms, STEP * 1000LL, 1, b[i].c ? &cv : NULL,
                              b[i].c ? 1 : 0};
            double t = now();
            if (ag__fc_global_forecast(g, &ctx, b[i].v, o, hh, out) != AG_OK)
                continue;
            a->pred_s += now() - t;
            a->npred++;
            for (int k = 0; k < 2; k++) {
                size_t len = k ? H : 12;
                if (k == 1 && o != tr)
                    continue;
                for (size_t h = 0; h < len; h++) {
                    em[k] += fabs(out[h] - b[i].v[o + h]);
                    es[k] += fabs(b[i].v[o + h - DAY] - b[i].v[o + h]);
                    en[k] += fabs(b[i].v[o - 1] - b[i].v[o + h]);
                    cm[k]++;
                }
            }
        }
        if (!cm[0] || !cm[1])
            continue;
        for (int k = 0; k < 2; k++) {
            a->mase_m[k] += em[k] / (double)cm[k] / sc;
            a->mase_s[k] += es[k] / (double)cm[k] / sc;
            a->mase_n[k] += en[k] / (double)cm[k] / sc;
            a->med[k][a->cnt] = es[k] > 0 ? em[k] / es[k] : 1;
        }
        if (getenv("AG_BENCH_DEBUG") && strstr(getenv("AG_BENCH_DEBUG"), "series"))
            fprintf(stderr, "series %zu: mase 1h model %.3f snaive %.3f naive %.3f; 24h %.3f %.3f\n",
                    i, em[0] / (double)cm[0] / sc, es[0] / (double)cm[0] / sc,
                    en[0] / (double)cm[0] / sc, em[1] / (double)cm[1] / sc,
                    es[1] / (double)cm[1] / sc);
        a->cnt++;
    }
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmpd);
    return n ? (n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2) : NAN;
}

static void run(const char *set, const char *kind, base *b, size_t nb, const ag_fc_series *ser,
                const ag_fc_series *cov, size_t ns)
{
    ag_fc_global *g = NULL;
    ag_errinfo ei = {{0}};
    size_t pts = 0;
    for (size_t i = 0; i < ns; i++)
        pts += ser[i].n;
    double t = now();
    clock_t c = clock();
    ag_err err = ag_fc_global_train(kind, ser, cov, ns, H, 1, &g, &ei);
    double wall = now() - t, cpu = (double)(clock() - c) / CLOCKS_PER_SEC;
    if (err) {
        printf("| %s | %s | train failed: %s |\n", set, kind, ag_errinfo_str(&ei, err));
        return;
    }
    acc a;
    evaluate(g, b, nb, &a);
    printf("| %s | %s | %zu x %.0f | %.1f | %.1f | %.2f | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f | %.2f | %.2f | %zu |\n",
           set, kind, ns, (double)pts / (double)ns, wall, cpu,
           a.npred ? 1e3 * a.pred_s / (double)a.npred : 0, a.mase_m[0] / (double)a.cnt,
           a.mase_s[0] / (double)a.cnt, a.mase_n[0] / (double)a.cnt, a.mase_m[1] / (double)a.cnt,
           a.mase_s[1] / (double)a.cnt, a.mase_n[1] / (double)a.cnt,
           median(a.med[0], a.cnt), median(a.med[1], a.cnt), a.cnt);
    fflush(stdout);
    ag_fc_global_free(g);
}

/* Cleans base series for evaluation; those without a day + 2 days of
 * history are dropped. Returns the number kept. */
static size_t prepare(base *b, size_t nb)
{
    size_t k = 0;
    for (size_t i = 0; i < nb; i++) {
        if (b[i].n < 3 * DAY + ag__fc_feat_min_len(&(ag__fc_feat){H, DAY, 1, STEP * 1000LL})) {
            fprintf(stderr, "bench: dropping a %zu-step series (too short)\n", b[i].n);
            continue;
        }
        b[i].v = malloc(b[i].n * sizeof(double));
        ag__fc_clean(b[i].raw, b[i].n, b[i].v);
        if (b[i].rawc) {
            b[i].c = malloc(b[i].n * sizeof(double));
            if (!ag__fc_clean(b[i].rawc, b[i].n, b[i].c)) {
                free(b[i].c);
                b[i].c = NULL;
            }
        }
        b[k++] = b[i];
    }
    return k;
}

static void header(void)
{
    printf("| data | model | train series x mean len | train wall s | train CPU s | predict ms "
           "/ call | MASE 1h | snaive 1h | naive 1h | MASE 24h | snaive 24h | naive 24h | median model/snaive 1h | 24h | series |\n");
    printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
}

int main(int argc, char **argv)
{
    const char *root = argc > 1 ? argv[1] : getenv("AG_SHARED_DATA");
    char path[4096];
    static base b[200];
    static ag_fc_series ser[NWIN], cov[NWIN];
    size_t nb = 0;

    if (!getenv("OMP_WAIT_POLICY")) { /* see tests/forecast/test_global.c */
        setenv("OMP_WAIT_POLICY", "PASSIVE", 1);
        execv("/proc/self/exe", argv);
    }
    if (!root)
        root = "../shared/data";
    snprintf(path, sizeof path, "%s/bitbrains_rnd/2013-7/1.csv", root);
    if (access(path, R_OK) != 0) {
        printf("skip: %s is absent (pass the shared data directory as argv[1])\n", path);
        return 0;
    }
    const char *months[] = {"2013-7", "2013-8", "2013-9"};
    const int files[] = {20, 6, 6};
    for (int m = 0; m < 3; m++)
        for (int i = 1; i <= files[m]; i++) {
            snprintf(path, sizeof path, "%s/bitbrains_rnd/%s/%d.csv", root, months[m], i);
            if (load_bitbrains(path, &b[nb], &b[nb + 1]))
                nb += 2;
        }
    nb = prepare(b, nb);
    header();
    for (size_t w = 0; w < NWIN; w++) {
        base *x = &b[w % nb];
        size_t start = (w / nb) * 12, end = x->n - DAY;
        size_t len = end - start < WIN ? end - start : WIN;
        ser[w] = (ag_fc_series){x->t0_ms + (int64_t)start * STEP * 1000, STEP * 1000LL,
                                x->raw + start, len};
        cov[w] = (ag_fc_series){ser[w].t0_ms, STEP * 1000LL, x->rawc + start, len};
    }
    const char *which = getenv("AG_BENCH_MODELS");
    for (int k = 0; k < 2; k++) {
        const char *kind = k ? "mlp" : "gbt";
        if (!which || strstr(which, kind))
            run("bitbrains (cpu+mem)", kind, b, nb, ser, cov, NWIN);
    }

    snprintf(path, sizeof path, "%s/azure_v1_vm_cpu/microsoft_avg_100.csv", root);
    static base az[128];
    size_t na = prepare(az, load_azure(path, az, 128));
    for (size_t i = 0; i < na; i++)
        ser[i] = (ag_fc_series){az[i].t0_ms, STEP * 1000LL, az[i].raw, az[i].n - DAY};
    for (int k = 0; k < 2 && na; k++) {
        const char *kind = k ? "mlp" : "gbt";
        if (!which || strstr(which, kind))
            run("azure_v1 cpu", kind, az, na, ser, NULL, na);
    }
    return 0;
}
