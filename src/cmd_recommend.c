/*
 * src/cmd_recommend.c - `augur recommend`: right-sizing recommendations
 * for every workload-container in the data window, printed as a table,
 * JSON, YAML (VPA objects + patches) or CSV, and recorded in the store.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

static void help(FILE *f)
{
    fputs("Usage: augur recommend [--algorithm vpa|krr] [--input FILE]... [--prometheus URL]\n"
          "                       [--end TIME] [--history DURATION] [--namespace NS]\n"
          "                       [--selector K=V] [--db PATH] [-o table|json|yaml|csv]\n"
          "\n"
          "Recommends CPU and memory requests and limits for every workload-container\n"
          "(the same container in all pods of one Deployment, StatefulSet, DaemonSet, Job,\n"
          "CronJob or bare Pod). Without --input or --prometheus it uses the store.\n"
          "Imported samples and the run itself are recorded in the store ('augur history').\n"
          "\n"
          "  -a, --algorithm NAME     vpa (Kubernetes VPA recommender, default) or krr\n"
          "                           (robusta-dev/krr simple strategy)\n"
          "  -o, --output FORMAT      table (default), json, yaml, csv\n"
          "\n",
          f);
    ag_cli_help_data(f);
    fputs("\nRecommender parameters (also settable in the config file):\n", f);
    const char *const *names = ag_rec_param_names();
    for (size_t i = 0; names[i]; i += 2)
        fprintf(f, "      --%-28s %s\n", names[i], names[i + 1]);
    fputs("\nExit status: 0 ok, 1 runtime error, 2 usage error.\n", f);
}

static ag_err recommend_all(const ag_cli *cli, const ag_wcontainer *wc, size_t n, int64_t end,
                            ag_report_item **out)
{
    ag_report_item *items = calloc(n ? n : 1, sizeof *items);
    if (!items)
        return AG_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        ag_err rc;
        items[i].wc = &wc[i];
        rc = ag_recommend(&cli->params, &wc[i], end, &items[i].rec);
        if (rc != AG_OK) {
            free(items);
            return rc;
        }
    }
    *out = items;
    return AG_OK;
}

/* Renders the JSON result into memory for the store's run record. */
static char *render_json(const ag_report_item *items, size_t n, const ag_report_opts *ro)
{
    char *p = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&p, &len);
    if (!f)
        return NULL;
    if (ag_report_write(f, AG_FMT_JSON, items, n, ro) != AG_OK) {
        fclose(f);
        free(p);
        return NULL;
    }
    fclose(f);
    return p;
}

static int record(ag_store *st, const ag_run *run)
{
    ag_errinfo ei = {{0}};
    ag_err rc = ag_store_put_run(st, run, NULL, &ei);
    if (rc != AG_OK) {
        ag_cli_error("store", rc, &ei);
        return AG_EXIT_RUNTIME;
    }
    return AG_EXIT_OK;
}

int cmd_recommend(int argc, char **argv)
{
    ag_cli cli = {.cmd = "recommend"};
    ag_cli_flags flags = {.data = 1, .output = 1, .algorithm = 1};
    ag_dataset *ds = NULL;
    ag_wcontainer *wc = NULL;
    ag_report_item *items = NULL;
    ag_store *st = NULL;
    ag_filter filter;
    ag_format fmt = AG_FMT_TABLE;
    ag_report_opts ro = {0};
    size_t n = 0;
    int64_t start, end, history;
    int from_store, ret;
    char source[4096], params[4096];
    ag_err rc;

    ret = ag_cli_parse(&cli, &flags, argc, argv, help);
    if (ret != AG_CLI_GO)
        return ret;
    if (cli.output)
        ag_format_parse(cli.output, &fmt);
    history = cli.params.history_ms ? cli.params.history_ms
                                    : ag_algorithm_default_history_ms(cli.params.algorithm);
    ret = AG_EXIT_RUNTIME;
    ds = ag_cli_load(&cli, history, &start, &end, &from_store, source, sizeof source);
    if (!ds)
        goto out;
    if (!cli.no_store) {
        st = ag_cli_open_store(&cli);
        if (!st)
            goto out;
    }
    /* store everything fetched, then cut the window */
    if (st && !from_store) {
        ag_errinfo ei = {{0}};
        uint64_t inserted = 0;
        rc = ag_store_put_dataset(st, ds, &inserted, &ei);
        if (rc != AG_OK) {
            ag_cli_error("store", rc, &ei);
            goto out;
        }
    }
    rc = ag_dataset_finish(ds, start, end, NULL);
    filter.ns = cli.ns;
    filter.selector = cli.selector;
    if (rc == AG_OK)
        rc = ag_dataset_group(ds, &filter, &wc, &n);
    if (rc == AG_OK)
        rc = recommend_all(&cli, wc, n, end, &items);
    if (rc != AG_OK) {
        ag_cli_error("recommend", rc, NULL);
        goto out;
    }
    if (n == 0 && !cli.quiet)
        fprintf(stderr, "augur: no workload-containers with samples in the window%s\n",
                cli.ns || cli.selector ? " matching --namespace/--selector" : "");

    ro.algorithm = ag_algorithm_name(cli.params.algorithm);
    ro.color = fmt == AG_FMT_TABLE && isatty(1) && !getenv("NO_COLOR");
    rc = ag_report_write(stdout, fmt, items, n, &ro);
    if (rc != AG_OK || fflush(stdout) != 0) {
        ag_cli_error("output", rc ? rc : AG_EIO, NULL);
        goto out;
    }
    if (st) {
        char *json = render_json(items, n, &ro);
        ag_run run = {
            .created_ms = ag_now_ms(),
            .start_ms = start,
            .end_ms = end,
            .algorithm = ro.algorithm,
            .params_json = ag_rec_params_json(&cli.params, params, sizeof params),
            .source = source,
            .result_json = json ? json : "[]",
            .n_results = n,
        };
        ret = record(st, &run);
        free(json);
        if (ret != AG_EXIT_OK)
            goto out;
    }
    ret = AG_EXIT_OK;
out:
    free(items);
    ag_wcontainers_free(wc, n);
    ag_dataset_free(ds);
    ag_store_close(st);
    ag_cli_free(&cli);
    return ret;
}
