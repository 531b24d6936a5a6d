/*
 * bench/bench_recommend.c - recommender throughput on one core.
 *
 * 10,000 containers x 8 days of 1-minute CPU and memory samples, derived
 * from the Bitbrains "Rnd" VM traces in ../shared/data/bitbrains_rnd
 * (5-minute samples): container i takes VM i mod nvm, an 8-day window
 * starting at row (i * 7919) mod (rows - 2305), linear interpolation to
 * 1 minute, and CPU / memory scaled by factors in [0.5, 2) drawn from a
 * xorshift64 generator seeded with 42. Only the ag_recommend() calls are
 * timed; the data is generated per container into reused buffers (and
 * timed separately). Run by hand (bench/README-recommend.md):
 *   taskset -c 0 build/bench/bench_recommend [data_dir] [containers]
 */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include "augur/recommend.h"
#include "recommend/histogram.h"
#include "recommend/rec_int.h"
#include "util/alloc.h"

#define MAX_VMS 4096
#define DAY_MIN 1440
#define WIN_MIN (8 * DAY_MIN)
#define WIN_ROWS (WIN_MIN / 5 + 1)

typedef struct vm {
    int n;
    double *cores, *mem;
} vm;

static vm vms[MAX_VMS];
static int nvm;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* CPU time of this thread: on a shared machine the wall clock also counts
 * the time other jobs hold the core; this does not. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* One Bitbrains CSV: "ts; cores; cap MHz; usage MHz; %; mem cap KB; mem KB; ..." */
static void load_csv(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    vm v = {0};
    int cap = 0;

    if (!f || nvm >= MAX_VMS) {
        if (f)
            fclose(f);
        return;
    }
    while (fgets(line, sizeof line, f)) {
        double ts, cores, capmhz, mhz, pct, memcap, memkb;
        if (sscanf(line, "%lf;%lf;%lf;%lf;%lf;%lf;%lf", &ts, &cores, &capmhz, &mhz, &pct, &memcap,
                   &memkb) != 7 ||
            capmhz <= 0 || cores <= 0)
            continue;
        if (v.n == cap) {
            cap = cap ? cap * 2 : 4096;
            v.cores = realloc(v.cores, cap * sizeof *v.cores);
            v.mem = realloc(v.mem, cap * sizeof *v.mem);
            if (!v.cores || !v.mem)
                exit(1);
        }
        v.cores[v.n] = mhz / (capmhz / cores);
        v.mem[v.n] = memkb * 1024;
        v.n++;
    }
    fclose(f);
    if (v.n >= WIN_ROWS + 1)
        vms[nvm++] = v;
    else {
        free(v.cores);
        free(v.mem);
    }
}

static void load_dir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[4096];
    char *names[1024];
    int n = 0;

    if (!d)
        return;
    while ((e = readdir(d)) && n < 1024) {
        if (e->d_name[0] == '.')
            continue;
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    /* sorted, so the derivation is the same on every machine */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
            char *t = names[j];
            names[j] = names[j - 1];
            names[j - 1] = t;
        }
    for (int i = 0; i < n; i++) {
        size_t l = strlen(names[i]);
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        if (l > 4 && strcmp(names[i] + l - 4, ".csv") == 0)
            load_csv(path);
        else
            load_dir(path);
        free(names[i]);
    }
}

static uint64_t rng = 42;
static double urand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void derive(int i, ag_container *c, int64_t t0)
{
    const vm *v = &vms[i % nvm];
    int off = (int)(((int64_t)i * 7919) % (v->n - WIN_ROWS));
    double sc = 0.5 + 1.5 * urand(), sm = 0.5 + 1.5 * urand();

    c->usage[AG_CPU].n = c->usage[AG_MEMORY].n = 0;
    for (int k = 0; k < WIN_MIN; k++) {
        int r = off + k / 5;
        double w = (k % 5) / 5.0;
        double cpu = v->cores[r] * (1 - w) + v->cores[r + 1] * w;
        double mem = v->mem[r] * (1 - w) + v->mem[r + 1] * w;
        ag_samples_push(&c->usage[AG_CPU], t0 + k * 60000LL, cpu * sc);
        ag_samples_push(&c->usage[AG_MEMORY], t0 + k * 60000LL, mem * sm);
    }
}

/* AG_BENCH_DUMP=file: every vpa result, to compare versions bit for bit. */
static void dump_rec(FILE *f, int i, const ag_rec *r)
{
    fprintf(f, "%d conf=%.17g n=%llu/%llu", i, r->confidence_days,
            (unsigned long long)r->samples[AG_CPU], (unsigned long long)r->samples[AG_MEMORY]);
    for (int k = 0; k < AG_NRES; k++)
        fprintf(f, " | %d %.17g %.17g %.17g %.17g", (int)r->status[k], r->res[k].target,
                r->res[k].lower, r->res[k].upper, r->res[k].uncapped);
    fputc('\n', f);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "../shared/data/bitbrains_rnd";
    int n = argc > 2 ? atoi(argv[2]) : 10000;
    ag_container c;
    ag_container *m[1] = {&c};
    ag_wcontainer wc = {0};
    ag_rec_params pv, pk;
    ag_rec out;
    double tgen = 0, tv = 0, tk = 0, cv = 0, ck = 0, t, c0, sum = 0;
    long allocs_vpa = 0, allocs_krr = 0;
    int64_t t0 = 1700000000000LL / 60000 * 60000, now = t0 + (WIN_MIN - 1) * 60000LL;
    struct rusage ru;
    const char *dump_path = getenv("AG_BENCH_DUMP");
    FILE *dump = NULL;

    load_dir(dir);
    if (nvm == 0) {
        fprintf(stderr, "skip: no Bitbrains CSVs under %s\n", dir);
        return 0;
    }
    memset(&c, 0, sizeof c);
    c.ns = "bench";
    c.pod = "p";
    c.container = "c";
    for (int r = 0; r < AG_NRES; r++) {
        c.request[r] = c.limit[r] = NAN;
        wc.request[r] = wc.limit[r] = NAN;
    }
    wc.n = 1;
    wc.members = m;
    ag_rec_params_default(&pv);
    ag_rec_params_default(&pk);
    pk.algorithm = AG_ALGO_KRR;
    pk.history_ms = 8 * 86400000LL;
    if (getenv("AG_BENCH_REFERENCE")) {
        ag__vpa_reference = 1; /* the per-sample path, for before/after */
        printf("vpa: reference (per-sample) path\n");
    }
    if (dump_path && !(dump = fopen(dump_path, "w"))) {
        perror(dump_path);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        long a0;
        t = now_s();
        derive(i, &c, t0);
        tgen += now_s() - t;
        a0 = ag__alloc_count();
        t = now_s();
        c0 = cpu_s();
        ag_recommend(&pv, &wc, now, &out);
        cv += cpu_s() - c0;
        tv += now_s() - t;
        allocs_vpa += ag__alloc_count() - a0;
        sum += out.res[AG_CPU].target + out.res[AG_MEMORY].target * 1e-9;
        if (dump)
            dump_rec(dump, i, &out);
        a0 = ag__alloc_count();
        t = now_s();
        c0 = cpu_s();
        ag_recommend(&pk, &wc, now, &out);
        ck += cpu_s() - c0;
        tk += now_s() - t;
        allocs_krr += ag__alloc_count() - a0;
        sum += out.res[AG_CPU].target;
    }
    getrusage(RUSAGE_SELF, &ru);
    printf("vms loaded: %d, containers: %d, samples per container: %d cpu + %d memory\n", nvm, n,
           WIN_MIN, WIN_MIN);
    printf("data generation: %.3f s (not timed below)\n", tgen);
    printf("vpa: wall %.3f s, %.0f containers/s; cpu %.3f s, %.0f containers/s, %.2f ns/sample; "
           "heap allocations: %ld\n",
           tv, n / tv, cv, n / cv, cv * 1e9 / ((double)n * 2 * WIN_MIN), allocs_vpa);
    printf("krr: wall %.3f s, %.0f containers/s; cpu %.3f s, %.0f containers/s; "
           "heap allocations: %ld\n",
           tk, n / tk, ck, n / ck, allocs_krr);
    printf("vpa transient state (two histograms, reused): %zu bytes; per container: 0 heap bytes\n",
           2 * sizeof(ag__dhist));
    printf("krr scratch per container: %d bytes (one quantile buffer, freed)\n",
           (int)(WIN_MIN * sizeof(double)));
    printf("peak RSS: %ld KiB\n", ru.ru_maxrss);
    printf("checksum: %.6f\n", sum);
    if (dump)
        fclose(dump);
    ag_samples_clear(&c.usage[AG_CPU]);
    ag_samples_clear(&c.usage[AG_MEMORY]);
    return 0;
}
