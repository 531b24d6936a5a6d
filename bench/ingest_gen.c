/*
 * bench/ingest_gen.c - writes the OpenMetrics input of bench_ingest.sh:
 * NCONT containers (100 per namespace) with a CPU counter and a memory
 * working set, DAYS days at STEP seconds ending at TEND, one file per day
 * (day_00.om, ...) so promtool never holds more than a day in memory.
 * Built and run by the script: cc -O2 ingest_gen.c -o ingest_gen.
 * Usage: ingest_gen DIR NCONT DAYS STEP TEND
 */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    int ncont, days, step;
    long long tend, t0;
    double *ctr;
    unsigned long long x = 88172645463325252ULL;

    if (argc != 6) {
        fprintf(stderr, "usage: ingest_gen DIR NCONT DAYS STEP TEND\n");
        return 2;
    }
    ncont = atoi(argv[2]);
    days = atoi(argv[3]);
    step = atoi(argv[4]);
    tend = atoll(argv[5]);
    t0 = tend - (long long)days * 86400;
    ctr = calloc((size_t)ncont, sizeof *ctr);
    if (!ctr || ncont <= 0 || days <= 0 || step <= 0)
        return 2;
    for (int d = 0; d < days; d++) {
        long long a = t0 + (long long)d * 86400, b = a + 86400; /* [a, b); the last day keeps b */
        char path[4096];
        FILE *f;
        snprintf(path, sizeof path, "%s/day_%02d.om", argv[1], d);
        if (!(f = fopen(path, "w"))) {
            perror(path);
            return 1;
        }
        setvbuf(f, NULL, _IOFBF, 1 << 20);
        fprintf(f, "# TYPE container_cpu_usage_seconds counter\n");
        for (int c = 0; c < ncont; c++) {
            double cores = 0.05 + (c % 17) * 0.03;
            for (long long t = a; t < b || (d == days - 1 && t == b); t += step) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                ctr[c] += step * cores * (0.5 + (double)(x >> 11) / 9007199254740992.0);
                fprintf(f,
                        "container_cpu_usage_seconds_total{namespace=\"ns%02d\",pod=\"app%d-0\","
                        "container=\"c\"} %.17g %lld\n",
                        c / 100, c, ctr[c], t);
            }
        }
        fprintf(f, "# TYPE container_memory_working_set_bytes gauge\n");
        for (int c = 0; c < ncont; c++)
            for (long long t = a; t < b || (d == days - 1 && t == b); t += step) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                fprintf(f,
                        "container_memory_working_set_bytes{namespace=\"ns%02d\",pod=\"app%d-0\","
                        "container=\"c\"} %llu %lld\n",
                        c / 100, c, 100000000ULL + (x >> 40), t);
            }
        fprintf(f, "# EOF\n");
        fclose(f);
    }
    free(ctr);
    return 0;
}
