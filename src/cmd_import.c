/*
 * src/cmd_import.c - `augur import`: bring usage history into the store
 * from files or a live Prometheus, so later commands need not re-fetch.
 */
#include "cli.h"

static void help(FILE *f)
{
    fputs("Usage: augur import (--input FILE... | --prometheus URL) [--end TIME]\n"
          "                    [--history DURATION] [--namespace NS] [--db PATH]\n"
          "\n"
          "Imports CPU and memory usage, requests, limits, owners and OOM events into the\n"
          "store. Samples already stored are replaced, never duplicated. From Prometheus the\n"
          "default window is the 14 days before --end (default now).\n"
          "\n",
          f);
    ag_cli_help_data(f);
    fputs("\nExit status: 0 ok, 1 runtime error, 2 usage error.\n", f);
}

int cmd_import(int argc, char **argv)
{
    ag_cli cli = {.cmd = "import"};
    ag_cli_flags flags = {.data = 1};
    ag_dataset *ds = NULL;
    ag_store *st = NULL;
    ag_errinfo ei = {{0}};
    int64_t start, end, history;
    uint64_t inserted = 0;
    int from_store, ret;
    char source[4096];
    ag_err rc;

    ret = ag_cli_parse(&cli, &flags, argc, argv, help);
    if (ret != AG_CLI_GO)
        return ret;
    if (!cli.ninputs && !cli.prometheus) {
        fprintf(stderr, "augur import: give --input FILE or --prometheus URL\n"
                        "Try 'augur import --help'.\n");
        ag_cli_free(&cli);
        return AG_EXIT_USAGE;
    }
    if (cli.no_store) {
        fprintf(stderr, "augur import: --no-store makes no sense here\n");
        ag_cli_free(&cli);
        return AG_EXIT_USAGE;
    }
    history = cli.history_set ? cli.params.history_ms
                              : ag_algorithm_default_history_ms(AG_ALGO_KRR);
    ret = AG_EXIT_RUNTIME;
    ds = ag_cli_load(&cli, history, &start, &end, &from_store, source, sizeof source);
    if (!ds)
        goto out;
    /* Files are imported whole unless a window was asked for. */
    if (cli.prometheus || cli.history_set || cli.end) {
        rc = ag_dataset_finish(ds, start, end, NULL);
        if (rc != AG_OK) {
            ag_cli_error("import", rc, NULL);
            goto out;
        }
    }
    st = ag_cli_open_store(&cli);
    if (!st)
        goto out;
    rc = ag_store_put_dataset(st, ds, &inserted, &ei);
    if (rc != AG_OK) {
        ag_cli_error("store", rc, &ei);
        goto out;
    }
    if (!cli.quiet) {
        ag_store_stats ss = {0};
        ag_store_stats_get(st, &ss, NULL);
        fprintf(stderr,
                "augur: imported %zu containers from %s: %llu new samples; the store now holds "
                "%llu samples of %llu containers\n",
                ag_dataset_count(ds), source, (unsigned long long)inserted,
                (unsigned long long)ss.samples, (unsigned long long)ss.containers);
    }
    ret = AG_EXIT_OK;
out:
    ag_dataset_free(ds);
    ag_store_close(st);
    ag_cli_free(&cli);
    return ret;
}
