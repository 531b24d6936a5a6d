/*
 * src/cmd_history.c - `augur history`: the recommendation runs recorded
 * in the store, newest first; --show ID prints one run's result.
 */
#include <string.h>
#include "cli.h"

static void help(FILE *f)
{
    fputs("Usage: augur history [--db PATH] [--limit N] [-o table|json]\n"
          "       augur history --show ID [--db PATH]\n"
          "\n"
          "Lists past 'augur recommend' runs: when, data window, algorithm, source and how\n"
          "many workload-containers were recommended. --show prints the stored JSON result\n"
          "of one run (the -o json document of 'augur recommend').\n"
          "\n"
          "      --limit N            at most N runs (default 20, 0 = all)\n"
          "  -o, --output FORMAT      table (default) or json\n"
          "      --db PATH            the store (default $XDG_DATA_HOME/augur/augur.db)\n"
          "\nExit status: 0 ok, 1 runtime error, 2 usage error.\n",
          f);
}

static void print_table(const ag_run *runs, size_t n)
{
    int aw = 9; /* strlen("ALGORITHM"); "forecast:seasonal_naive" is longer */
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(runs[i].algorithm) > aw)
            aw = (int)strlen(runs[i].algorithm);
    printf("%-5s %-20s %-*s %-42s %-8s %s\n", "ID", "CREATED", aw, "ALGORITHM", "WINDOW",
           "RESULTS", "SOURCE");
    for (size_t i = 0; i < n; i++) {
        char c[40], a[40], b[40], w[96];
        ag_time_format(runs[i].created_ms - runs[i].created_ms % 1000, c, sizeof c);
        snprintf(w, sizeof w, "%s..%s", ag_time_format(runs[i].start_ms, a, sizeof a),
                 ag_time_format(runs[i].end_ms, b, sizeof b));
        printf("%-5lld %-20s %-*s %-42s %-8llu %s\n", (long long)runs[i].id, c, aw,
               runs[i].algorithm, w, (unsigned long long)runs[i].n_results, runs[i].source);
    }
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            printf("\\%c", ch);
        else if (ch < 0x20)
            printf("\\u%04x", ch);
        else
            putchar(ch);
    }
    putchar('"');
}

static void print_json(const ag_run *runs, size_t n)
{
    char a[40], b[40], c[40];
    printf("[");
    for (size_t i = 0; i < n; i++) {
        printf("%s\n  {\"id\": %lld, \"created\": \"%s\", \"start\": \"%s\", \"end\": \"%s\", "
               "\"algorithm\": ",
               i ? "," : "", (long long)runs[i].id,
               ag_time_format(runs[i].created_ms, c, sizeof c),
               ag_time_format(runs[i].start_ms, a, sizeof a),
               ag_time_format(runs[i].end_ms, b, sizeof b));
        json_str(runs[i].algorithm);
        printf(", \"source\": ");
        json_str(runs[i].source);
        printf(", \"results\": %llu, \"params\": %s}", (unsigned long long)runs[i].n_results,
               runs[i].params_json && *runs[i].params_json ? runs[i].params_json : "null");
    }
    printf("%s]\n", n ? "\n" : "");
}

int cmd_history(int argc, char **argv)
{
    ag_cli cli = {.cmd = "history", .limit = 20};
    ag_cli_flags flags = {.output = 1, .history = 1};
    ag_store *st = NULL;
    ag_run *runs = NULL;
    ag_errinfo ei = {{0}};
    size_t n = 0;
    int ret;
    ag_err rc;

    ret = ag_cli_parse(&cli, &flags, argc, argv, help);
    if (ret != AG_CLI_GO)
        return ret;
    if (cli.output && strcmp(cli.output, "table") && strcmp(cli.output, "json")) {
        fprintf(stderr, "augur history: -o: '%s' is not one of table, json\n", cli.output);
        ag_cli_free(&cli);
        return AG_EXIT_USAGE;
    }
    ret = AG_EXIT_RUNTIME;
    st = ag_cli_open_store(&cli);
    if (!st)
        goto out;
    if (cli.show_id) {
        rc = ag_store_get_run(st, cli.show_id, &runs, &ei);
        n = runs ? 1 : 0;
        if (rc != AG_OK) {
            if (rc == AG_ENOTFOUND && !ei.msg[0])
                ag_errinfo_set(&ei, "no run with id %lld", (long long)cli.show_id);
            ag_cli_error("history", rc, &ei);
            goto out;
        }
        fputs(runs->result_json ? runs->result_json : "[]\n", stdout);
    } else {
        rc = ag_store_list_runs(st, cli.limit, &runs, &n, &ei);
        if (rc != AG_OK) {
            ag_cli_error("history", rc, &ei);
            goto out;
        }
        if (cli.output && !strcmp(cli.output, "json"))
            print_json(runs, n);
        else if (n == 0)
            fprintf(stderr, "augur: no runs recorded yet ('augur recommend' records one)\n");
        else
            print_table(runs, n);
    }
    ret = AG_EXIT_OK;
out:
    ag_runs_free(runs, n);
    ag_store_close(st);
    ag_cli_free(&cli);
    return ret;
}
