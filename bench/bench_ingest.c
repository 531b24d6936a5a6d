/*
 * bench/bench_ingest.c - times ag_prom_fetch() against a Prometheus, and
 * the JSON parser alone over a saved response. Driven by bench_ingest.sh.
 *
 *   bench_ingest fetch URL START END [verbose]   fetch [START, END] (Unix s)
 *   bench_ingest parse FILE [REPEAT]              parse a query_range body
 *
 * Prints one line of key=value results on stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "augur/source.h"
#include "util/alloc.h"
#include "util/buf.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fetch(int argc, char **argv)
{
    ag_prom_opts po;
    ag_ingest_stats st = {0};
    ag_errinfo ei;
    int64_t step = 0;
    ag_dataset *ds = ag_dataset_new();
    double t;
    ag_err rc;

    if (argc < 5)
        return 2;
    memset(&po, 0, sizeof po);
    po.url = argv[2];
    po.verbose = argc > 5;
    t = now();
    rc =
        ag_prom_fetch(ds, &po, atoll(argv[3]) * 1000, atoll(argv[4]) * 1000, NULL, &st, &step, &ei);
    t = now() - t;
    if (rc != AG_OK) {
        fprintf(stderr, "bench_ingest: %s\n", ag_errinfo_str(&ei, rc));
        return 1;
    }
    printf("fetch_seconds=%.3f points=%llu containers=%zu step_s=%lld\n", t,
           (unsigned long long)st.lines, ag_dataset_count(ds), (long long)(step / 1000));
    ag_dataset_free(ds);
    return 0;
}

static int parse(int argc, char **argv)
{
    char *buf;
    size_t len;
    ag_errinfo ei;
    int rep = argc > 3 ? atoi(argv[3]) : 3;
    double best = 1e30;
    uint64_t pts = 0;

    if (ag__read_file(argv[2], 0, &buf, &len, &ei) != AG_OK) {
        fprintf(stderr, "bench_ingest: %s\n", ei.msg);
        return 1;
    }
    for (int i = 0; i < rep; i++) {
        ag_dataset *ds = ag_dataset_new();
        ag_ingest_stats st = {0};
        double t = now();
        ag_err rc = ag_prom_parse_response(ds, AG_PROM_CPU_RATE, buf, len, NULL, &st, NULL, &ei);
        t = now() - t;
        if (rc != AG_OK) {
            fprintf(stderr, "bench_ingest: %s\n", ag_errinfo_str(&ei, rc));
            return 1;
        }
        if (t < best)
            best = t;
        pts = st.lines;
        ag_dataset_free(ds);
    }
    printf("parse_bytes=%zu points=%llu best_seconds=%.4f mb_per_s=%.0f points_per_s=%.0f\n", len,
           (unsigned long long)pts, best, len / best / 1e6, pts / best);
    ag__free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 3 && !strcmp(argv[1], "fetch"))
        return fetch(argc, argv);
    if (argc >= 3 && !strcmp(argv[1], "parse"))
        return parse(argc, argv);
    fprintf(stderr, "usage: bench_ingest fetch URL START END [verbose] | parse FILE [REPEAT]\n");
    return 2;
}
