/*
 * src/cli.h - what the augur subcommands share: parsed options, the
 * config file, and loading usage history from files, Prometheus or the
 * store. Uses only the public API (include/augur/).
 */
#ifndef AG_CLI_H
#define AG_CLI_H

#include <stdint.h>
#include <stdio.h>
#include "augur/augur.h"

/* Exit codes of every command. */
#define AG_EXIT_OK 0
#define AG_EXIT_RUNTIME 1
#define AG_EXIT_USAGE 2

#define AG_CLI_MAX_INPUTS 256

typedef struct ag_cli {
    const char *cmd;
    /* data options */
    const char *inputs[AG_CLI_MAX_INPUTS];
    size_t ninputs;
    const char *prometheus;
    ag_prom_opts prom;
    const char *end;     /* as given */
    const char *history; /* as given */
    const char *ns;
    const char *selector;
    const char *db;
    int no_store;
    /* output */
    const char *output; /* table|json|yaml|csv */
    int verbose, quiet;
    /* recommend */
    ag_rec_params params;
    int history_set;
    /* forecast */
    int64_t fc_horizon_ms, fc_step_ms; /* 0 = default (24h, 1h) */
    double fc_quantiles[AG_FC_MAX_QUANTILES];
    size_t fc_nq;                      /* 0 = default (0.5, 0.9, 0.95, 0.99) */
    const char *fc_model;              /* NULL = auto */
    int fc_explain;
    const char *fc_plot;               /* SVG path, NULL = none */
    /* backtest (options kept as given; cmd_backtest.c reads them) */
    const char *bt_algorithm, *bt_policy, *bt_compare, *bt_mode, *bt_limits;
    const char *bt_html, *bt_decisions;
    int64_t bt_interval_ms, bt_restart_ms; /* 0 = default */
    int64_t bt_warmup_ms;                  /* -1 = default */
    int bt_sweep, bt_min_replicas;         /* min_replicas -1 = default */
    double bt_tolerance;                   /* < 0 = default */
    uint64_t bt_seed;
    const char *bt_sets[64][2];            /* online recommender parameters, in order */
    size_t bt_nsets;
    /* serve */
    const char *listen, *log_format, *log_level, *bearer_token_api;
    int64_t interval_ms, forecast_every_ms; /* 0 = default */
    int64_t policy_every_ms;                /* serve: AugurPolicy re-read; 0 = default (5m) */
    int check_config;
    const char *kubernetes;   /* "in-cluster", a kubeconfig path, or NULL = off */
    const char *recommender_name;
    const char *remote_write; /* remote-write URL, or NULL = off */
    int actuate;              /* serve: apply recommendations where an AugurPolicy allows */
    int actuate_dry_run;      /* serve: ... only log what would be applied */
    /* public trace formats */
    const char *trace_format;
    double capacity_cores, capacity_memory; /* 0 = the format's default */
    /* history */
    int64_t show_id;
    size_t limit;
    /* owned copies of strings from the config file */
    ag_kv *cfg;
    size_t ncfg;
} ag_cli;

typedef struct ag_cli_flags {
    int data;      /* --input/--prometheus/--end/--history/--namespace/--selector */
    int output;    /* -o */
    int algorithm; /* --algorithm and the recommender parameters */
    int history;   /* --show/--limit */
    int forecast;  /* --horizon/--quantiles/--model/--explain/--plot; --step is the forecast step */
    int backtest;  /* --policy/--compare/--mode/--limits/--html/... and every online recommender's
                      parameter; --algorithm takes the online kinds */
    int serve;     /* --listen, --interval, --forecast-interval, --check-config, --log-format,
                      --log-level, --api-token */
} ag_cli_flags;

/* ag_cli_parse() returns this when the command should go on. */
#define AG_CLI_GO (-1)

/* Parses argv (after the command name) and the config file into *cli.
 * Returns AG_CLI_GO when the command should run; otherwise the exit code
 * (AG_EXIT_OK after printing help with help(), AG_EXIT_USAGE after
 * printing the problem), and cli is already freed. */
int ag_cli_parse(ag_cli *cli, const ag_cli_flags *flags, int argc, char **argv,
                 void (*help)(FILE *));
void ag_cli_free(ag_cli *cli);

/* Prints the data options' help (shared by import and recommend). */
void ag_cli_help_data(FILE *f);

/* Opens the store named by --db or the default path. Prints the error
 * and returns NULL on failure. */
ag_store *ag_cli_open_store(const ag_cli *cli);

/* Loads usage history as the options say: files, Prometheus, or the
 * store, and finishes it (cleaned, counters turned into rates) without
 * cutting it yet. Resolves the window: end = --end, else the newest
 * sample (files, store) or now (Prometheus); start = end - history.
 * *from_store tells whether the data came from the store. The caller owns
 * the dataset, stores it if it wants, then cuts the window with
 * ag_dataset_finish(ds, start, end, NULL). Returns NULL after printing
 * the error. */
ag_dataset *ag_cli_load(const ag_cli *cli, int64_t history_ms, int64_t *start_ms, int64_t *end_ms,
                        int *from_store, char *source, size_t source_len);

/* Prints "augur: <what>: <detail>" to stderr. */
void ag_cli_error(const char *what, ag_err rc, const ag_errinfo *ei);

int cmd_import(int argc, char **argv);
int cmd_recommend(int argc, char **argv);
int cmd_history(int argc, char **argv);
int cmd_forecast(int argc, char **argv);
int cmd_backtest(int argc, char **argv);
/* `augur backtest` with argv (after the command name), the report written
 * to out instead of stdout (errors still go to stderr). Returns the exit
 * code. Also what the daemon's backtests run (serve_backtest.c). */
int ag_cli_backtest(int argc, char **argv, FILE *out);
/* The daemon's backtest runner (an ag_http_backtest_fn, augur/http.h):
 * ud is the store's path (const char *); runs ag_cli_backtest() over it
 * with the options of the request. */
ag_err ag_cli_serve_backtest(void *ud, const char *request_json, size_t len, char **result_json,
                             size_t *result_len, ag_errinfo *ei);
int cmd_serve(int argc, char **argv);

#endif
