/*
 * src/cli_data.c - loading usage history for a command: from files, a
 * live Prometheus, or the store, and resolving the data window.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

typedef struct progress {
    const char *name;
    int last_pct;
} progress;

static void show_progress(void *ud, uint64_t done, uint64_t total)
{
    progress *p = ud;
    int pct = total ? (int)(done * 100 / total) : 0;
    if (pct == p->last_pct)
        return;
    p->last_pct = pct;
    fprintf(stderr, "\r%s: %3d%%", p->name, pct);
    if (pct >= 100)
        fputc('\n', stderr);
    fflush(stderr);
}

ag_store *ag_cli_open_store(const ag_cli *cli)
{
    char path[4096];
    const char *p = cli->db;
    ag_store *st = NULL;
    ag_errinfo ei = {{0}};
    ag_err rc;

    if (!p) {
        p = ag_store_default_path(path, sizeof path);
        if (!p) {
            fprintf(stderr, "augur: no --db given and neither XDG_DATA_HOME nor HOME is set\n");
            return NULL;
        }
    }
    rc = ag_store_open(p, &st, &ei);
    if (rc != AG_OK) {
        ag_cli_error("store", rc, &ei);
        return NULL;
    }
    return st;
}

/* Newest sample time over all containers; INT64_MIN when empty. */
static int64_t newest_sample(const ag_dataset *ds)
{
    int64_t t = INT64_MIN;
    for (size_t i = 0; i < ag_dataset_count(ds); i++) {
        const ag_container *c = ag_dataset_at(ds, i);
        for (int r = 0; r < AG_NRES; r++)
            if (c->usage[r].n && c->usage[r].v[c->usage[r].n - 1].t_ms > t)
                t = c->usage[r].v[c->usage[r].n - 1].t_ms;
    }
    return t;
}

/* --input synth:SPEC: a synthetic workload. */
static ag_err read_synth(const char *input, ag_dataset *ds, ag_errinfo *ei)
{
    ag_synth_spec sp;
    ag_err rc = ag_synth_parse(input, &sp, ei);

    if (rc == AG_OK)
        rc = ag_synth_generate(ds, &sp, sp.start_ms, ei);
    return rc;
}

/* --trace-format / --capacity-*: a public cluster trace with these
 * options; otherwise the reader tells the format from the file. */
static int trace_opts(const ag_cli *cli, ag_trace_opts *to, ag_errinfo *ei, ag_err *rc)
{
    ag_trace_opts_default(to);
    *rc = AG_OK;
    if (!cli->trace_format && !(cli->capacity_cores > 0) && !(cli->capacity_memory > 0))
        return 0;
    if (cli->trace_format && ag_trace_format_parse(cli->trace_format, &to->format) != AG_OK) {
        ag_errinfo_set(ei, "--trace-format: '%s' is not one of bitbrains, azure-v1, planetlab, "
                           "alibaba-machine, alibaba-container, google-2011, google-2019",
                       cli->trace_format);
        *rc = AG_EINVAL;
    }
    if (cli->capacity_cores > 0)
        to->capacity_cores = cli->capacity_cores;
    if (cli->capacity_memory > 0)
        to->capacity_memory_bytes = cli->capacity_memory;
    return 1;
}

static ag_err read_inputs(const ag_cli *cli, ag_dataset *ds, ag_ingest_stats *st, ag_errinfo *ei)
{
    int tty = isatty(2) && !cli->quiet;
    ag_trace_opts to;
    ag_err rc;
    int trace = trace_opts(cli, &to, ei, &rc);

    if (rc != AG_OK)
        return rc;
    for (size_t i = 0; i < cli->ninputs; i++) {
        progress pr = {cli->inputs[i], -1};
        ag_read_opts ro = {0};
        if (tty) {
            ro.progress = show_progress;
            ro.progress_ud = &pr;
        }
        if (ag_synth_is_spec(cli->inputs[i]))
            rc = read_synth(cli->inputs[i], ds, ei);
        else if (trace)
            rc = ag_trace_read_file(ds, cli->inputs[i], &to, &ro, st, ei);
        else
            rc = ag_source_read_file(ds, cli->inputs[i], &ro, st, ei);
        if (rc != AG_OK)
            return rc;
    }
    return AG_OK;
}

ag_dataset *ag_cli_load(const ag_cli *cli, int64_t history_ms, int64_t *start_ms, int64_t *end_ms,
                        int *from_store, char *source, size_t source_len)
{
    ag_dataset *ds = ag_dataset_new();
    ag_ingest_stats st = {0};
    ag_errinfo ei = {{0}};
    ag_store *store = NULL;
    int64_t end = INT64_MIN;
    ag_err rc = AG_OK;
    const char *what = "input";

    *from_store = !cli->ninputs && !cli->prometheus;
    if (!ds) {
        rc = AG_ENOMEM;
        goto out;
    }
    if (cli->end)
        ag_time_parse(cli->end, &end); /* validated while parsing options */

    if (cli->ninputs) {
        size_t off = (size_t)snprintf(source, source_len, "file:");
        for (size_t i = 0; i < cli->ninputs && off < source_len; i++)
            off += (size_t)snprintf(source + off, source_len - off, "%s%s", i ? "," : "",
                                    cli->inputs[i]);
        rc = read_inputs(cli, ds, &st, &ei);
    } else if (cli->prometheus) {
        int64_t step = 0;
        ag_read_opts ro = {0};
        progress pr = {"prometheus queries", -1};
        if (isatty(2) && !cli->quiet) {
            /* called with (queries done, queries total) */
            ro.progress = show_progress;
            ro.progress_ud = &pr;
        }
        if (end == INT64_MIN)
            end = ag_now_ms();
        snprintf(source, source_len, "prometheus:%s", cli->prometheus);
        what = "prometheus";
        rc = ag_prom_fetch(ds, &cli->prom, end - history_ms, end, &ro, &st, &step, &ei);
        if (rc == AG_OK && cli->verbose) {
            char b[32];
            fprintf(stderr, "augur: step %s\n", ag_duration_format(step, b, sizeof b));
        }
    } else {
        snprintf(source, source_len, "store");
        what = "store";
        store = ag_cli_open_store(cli);
        if (!store) {
            ag_dataset_free(ds);
            return NULL;
        }
        if (end == INT64_MIN) {
            int64_t lo, hi;
            rc = ag_store_time_range(store, &lo, &hi, &ei);
            if (rc == AG_ENODATA) {
                ag_errinfo_set(&ei, "the store is empty: give --input FILE or --prometheus URL "
                                    "(or run 'augur import' first)");
            }
            end = hi;
        }
        if (rc == AG_OK)
            rc = ag_store_load(store, ds, end - history_ms, end, cli->ns, &ei);
    }
    if (rc != AG_OK)
        goto out;

    /* Finish once over everything (counters need the sample before the
     * window), keep that for the store, then cut the window. */
    rc = ag_dataset_finish(ds, INT64_MIN, INT64_MAX, &st);
    if (rc != AG_OK)
        goto out;
    if (end == INT64_MIN)
        end = newest_sample(ds);
    if (end == INT64_MIN) {
        rc = AG_ENODATA;
        ag_errinfo_set(&ei, "no usable container samples in the input");
        goto out;
    }
    *start_ms = end - history_ms;
    *end_ms = end;
    if (!cli->quiet && *from_store)
        fprintf(stderr, "augur: loaded %llu samples of %llu containers from the store\n",
                (unsigned long long)st.samples, (unsigned long long)st.containers);
    else if (!cli->quiet)
        ag_ingest_stats_print(&st, stderr);
out:
    if (rc != AG_OK) {
        ag_cli_error(what, rc, &ei);
        ag_dataset_free(ds);
        ag_store_close(store);
        return NULL;
    }
    ag_store_close(store);
    return ds;
}
