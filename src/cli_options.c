/*
 * src/cli_options.c - option parsing shared by the subcommands.
 *
 * One table of long options; the recommender's parameters are options
 * too (their names come from ag_rec_param_names()). A config file
 * (--config FILE, else $AUGUR_CONFIG) is applied first, so flags on the
 * command line override it. Config keys are the long option names;
 * sections are flattened: "vpa.safety-margin" -> --safety-margin,
 * "krr.cpu-percentile" -> --krr-cpu-percentile, "prometheus.url" ->
 * --prometheus, "prometheus.ca-file" -> --ca-file.
 */
#include <stdlib.h>
#include <string.h>
#include "cli.h"

enum opt_group { G_ALL, G_DATA, G_OUTPUT, G_ALGO, G_HISTORY, G_FORECAST, G_BACKTEST, G_ALGO_BT, G_SERVE };

typedef struct opt {
    const char *name;
    char short_name;
    int group;
    int takes_arg;
} opt;

static const opt options[] = {
    {"help", 'h', G_ALL, 0},
    {"config", 0, G_ALL, 1},
    {"db", 0, G_ALL, 1},
    {"verbose", 'v', G_ALL, 0},
    {"quiet", 'q', G_ALL, 0},
    {"input", 'i', G_DATA, 1},
    {"prometheus", 0, G_DATA, 1},
    {"bearer-token", 0, G_DATA, 1},
    {"bearer-token-file", 0, G_DATA, 1},
    {"username", 0, G_DATA, 1},
    {"password", 0, G_DATA, 1},
    {"ca-file", 0, G_DATA, 1},
    {"insecure", 0, G_DATA, 0},
    {"timeout", 0, G_DATA, 1},
    {"step", 0, G_DATA, 1},
    {"end", 0, G_DATA, 1},
    {"history", 0, G_DATA, 1},
    {"namespace", 'n', G_DATA, 1},
    {"selector", 'l', G_DATA, 1},
    {"no-store", 0, G_DATA, 0},
    {"output", 'o', G_OUTPUT, 1},
    {"algorithm", 'a', G_ALGO_BT, 1},
    {"show", 0, G_HISTORY, 1},
    {"limit", 0, G_HISTORY, 1},
    {"horizon", 0, G_FORECAST, 1},
    {"quantiles", 0, G_FORECAST, 1},
    {"model", 0, G_FORECAST, 1},
    {"explain", 0, G_FORECAST, 0},
    {"plot", 0, G_FORECAST, 1},
    {"policy", 0, G_BACKTEST, 1},
    {"compare", 0, G_BACKTEST, 1},
    {"mode", 0, G_BACKTEST, 1},
    {"limits", 0, G_BACKTEST, 1},
    {"interval", 0, G_BACKTEST, 1},
    {"warmup", 0, G_BACKTEST, 1},
    {"restart-time", 0, G_BACKTEST, 1},
    {"min-replicas", 0, G_BACKTEST, 1},
    {"eviction-tolerance", 0, G_BACKTEST, 1},
    {"seed", 0, G_BACKTEST, 1},
    {"sweep", 0, G_BACKTEST, 0},
    {"html", 0, G_BACKTEST, 1},
    {"emit-decisions", 0, G_BACKTEST, 1},
    {"listen", 0, G_SERVE, 1},
    {"interval", 0, G_SERVE, 1},
    {"forecast-interval", 0, G_SERVE, 1},
    {"policy-interval", 0, G_SERVE, 1},
    {"check-config", 0, G_SERVE, 0},
    {"log-format", 0, G_SERVE, 1},
    {"log-level", 0, G_SERVE, 1},
    {"api-token", 0, G_SERVE, 1},
    {"kubernetes", 0, G_SERVE, 1},
    {"recommender-name", 0, G_SERVE, 1},
    {"remote-write", 0, G_SERVE, 1},
    {"actuate", 0, G_SERVE, 0},
    {"dry-run", 0, G_SERVE, 0},
    {"trace-format", 0, G_DATA, 1},
    {"capacity-cores", 0, G_DATA, 1},
    {"capacity-memory", 0, G_DATA, 1},
};

static int usage_error(const char *cmd, const char *fmt, const char *arg);
static int parse_duration_opt(const ag_cli *cli, const char *name, const char *v, int64_t *out);

static int group_allowed(const ag_cli_flags *f, int group)
{
    switch (group) {
    case G_ALL: return 1;
    case G_DATA: return f->data;
    case G_OUTPUT: return f->output;
    case G_ALGO: return f->algorithm;
    case G_HISTORY: return f->history;
    case G_FORECAST: return f->forecast;
    case G_BACKTEST: return f->backtest;
    case G_ALGO_BT: return f->algorithm || f->backtest;
    case G_SERVE: return f->serve;
    }
    return 0;
}

/* The option named name[0..len): the one of a group f allows when two
 * commands use the same name (--interval), else the first. */
static const opt *find_long(const ag_cli_flags *f, const char *name, size_t len)
{
    const opt *first = NULL;

    for (size_t i = 0; i < sizeof options / sizeof *options; i++)
        if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0) {
            if (group_allowed(f, options[i].group))
                return &options[i];
            if (!first)
                first = &options[i];
        }
    return first;
}

static const opt *find_short(char c)
{
    for (size_t i = 0; i < sizeof options / sizeof *options; i++)
        if (options[i].short_name == c)
            return &options[i];
    return NULL;
}

static int in_names(const char *const *names, const char *name)
{
    for (size_t i = 0; names[i]; i += 2)
        if (strcmp(names[i], name) == 0)
            return 1;
    return 0;
}

/* A recommender parameter: the vpa/krr ones, and with backtest flags
 * the online recommenders' too. */
static int is_rec_param(const char *name)
{
    return in_names(ag_rec_param_names(), name) || in_names(ag_online_param_names(), name);
}

static int apply_serve(ag_cli *cli, const char *name, const char *value)
{
    int64_t ms;

    if (!strcmp(name, "listen")) {
        if (!*value || !strchr(value, ':'))
            return usage_error(cli->cmd, "--listen: '%s' is not ADDR:PORT (e.g. 0.0.0.0:8080, "
                                         "127.0.0.1:8080, [::1]:8080)", value);
        cli->listen = value;
    } else if (!strcmp(name, "interval") || !strcmp(name, "forecast-interval")) {
        if (parse_duration_opt(cli, name, value, &ms))
            return AG_EXIT_USAGE;
        *(name[0] == 'i' ? &cli->interval_ms : &cli->forecast_every_ms) = ms;
    } else if (!strcmp(name, "policy-interval")) {
        if (parse_duration_opt(cli, name, value, &ms))
            return AG_EXIT_USAGE;
        cli->policy_every_ms = ms;
    } else if (!strcmp(name, "check-config")) {
        cli->check_config = 1;
    } else if (!strcmp(name, "log-format")) {
        if (strcmp(value, "logfmt") && strcmp(value, "json"))
            return usage_error(cli->cmd, "--log-format: '%s' is not logfmt or json", value);
        cli->log_format = value;
    } else if (!strcmp(name, "log-level")) {
        if (strcmp(value, "debug") && strcmp(value, "info") && strcmp(value, "warn") &&
            strcmp(value, "error"))
            return usage_error(cli->cmd, "--log-level: '%s' is not debug, info, warn or error",
                               value);
        cli->log_level = value;
    } else if (!strcmp(name, "api-token")) {
        cli->bearer_token_api = value;
    } else if (!strcmp(name, "kubernetes")) {
        if (!*value)
            return usage_error(cli->cmd, "--kubernetes: want in-cluster or a kubeconfig path%s", "");
        cli->kubernetes = value;
    } else if (!strcmp(name, "recommender-name")) {
        if (!*value)
            return usage_error(cli->cmd, "--recommender-name: want a name%s", "");
        cli->recommender_name = value;
    } else if (!strcmp(name, "remote-write")) {
        if (strncmp(value, "http://", 7) && strncmp(value, "https://", 8))
            return usage_error(cli->cmd, "--remote-write: '%s' is not an http:// or https:// URL",
                               value);
        cli->remote_write = value;
    } else if (!strcmp(name, "actuate")) {
        cli->actuate = 1;
    } else if (!strcmp(name, "dry-run")) {
        cli->actuate_dry_run = 1;
    }
    return AG_EXIT_OK;
}

/* The static copy of a parameter name (argv names are parsed into a
 * stack buffer). */
static const char *find_param_name(const char *name)
{
    const char *const *lists[2] = {ag_rec_param_names(), ag_online_param_names()};
    for (int l = 0; l < 2; l++)
        for (size_t i = 0; lists[l][i]; i += 2)
            if (strcmp(lists[l][i], name) == 0)
                return lists[l][i];
    return name;
}

/* --seed and the counts of the backtest. */
static int parse_count(const ag_cli *cli, const char *name, const char *v, long long *out)
{
    char *end;
    long long n = strtoll(v, &end, 10);
    if (!*v || *end || n < 0)
        return usage_error(cli->cmd, "--%s: want a whole number >= 0", name);
    *out = n;
    return AG_EXIT_OK;
}

static int parse_quantity_opt(const ag_cli *cli, const char *name, const char *v, double *out)
{
    if (ag_quantity_parse(v, out) != AG_OK || !(*out > 0))
        return usage_error(cli->cmd, "--capacity-*: '%s' is not a positive quantity (e.g. 4, "
                                     "16Gi)", v);
    (void)name;
    return AG_EXIT_OK;
}

static int apply_backtest(ag_cli *cli, const char *name, const char *value)
{
    int64_t ms;
    long long n;

    if (!strcmp(name, "policy")) {
        ag_augur_policy p;
        if (ag_augur_policy_parse(value, &p) != AG_OK)
            return usage_error(cli->cmd, "--policy: '%s' is not stable or cost-saving", value);
        cli->bt_policy = value;
    } else if (!strcmp(name, "compare")) {
        cli->bt_compare = value; /* checked by the command */
    } else if (!strcmp(name, "mode")) {
        ag_update_mode m;
        if (ag_update_mode_parse(value, &m) != AG_OK)
            return usage_error(cli->cmd,
                               "--mode: '%s' is not one of off, initial, recreate, in-place", value);
        cli->bt_mode = value;
    } else if (!strcmp(name, "limits")) {
        ag_limit_policy l;
        if (ag_limit_policy_parse(value, &l) != AG_OK)
            return usage_error(cli->cmd, "--limits: '%s' is not one of recommender, keep-ratio, "
                                         "upper, no-cpu-limit", value);
        cli->bt_limits = value;
    } else if (!strcmp(name, "interval") || !strcmp(name, "restart-time")) {
        if (parse_duration_opt(cli, name, value, &ms))
            return AG_EXIT_USAGE;
        *(name[0] == 'i' ? &cli->bt_interval_ms : &cli->bt_restart_ms) = ms;
    } else if (!strcmp(name, "warmup")) {
        if (ag_duration_parse(value, &ms) != AG_OK || ms < 0)
            return usage_error(cli->cmd, "--warmup: '%s' is not a duration (e.g. 24h, 0)", value);
        cli->bt_warmup_ms = ms;
    } else if (!strcmp(name, "min-replicas")) {
        if (parse_count(cli, name, value, &n))
            return AG_EXIT_USAGE;
        cli->bt_min_replicas = (int)(n > 1000000 ? 1000000 : n);
    } else if (!strcmp(name, "eviction-tolerance")) {
        char *end;
        double x = strtod(value, &end);
        if (end == value || *end || !(x >= 0 && x <= 1))
            return usage_error(cli->cmd, "--eviction-tolerance: '%s' is not in [0, 1]", value);
        cli->bt_tolerance = x;
    } else if (!strcmp(name, "seed")) {
        if (parse_count(cli, name, value, &n))
            return AG_EXIT_USAGE;
        cli->bt_seed = (uint64_t)n;
    } else if (!strcmp(name, "sweep")) {
        cli->bt_sweep = 1;
    } else if (!strcmp(name, "html") || !strcmp(name, "emit-decisions")) {
        if (!*value)
            return usage_error(cli->cmd, "--%s needs a file name", name);
        *(name[0] == 'h' ? &cli->bt_html : &cli->bt_decisions) = value;
    }
    return AG_EXIT_OK;
}

static int usage_error(const char *cmd, const char *fmt, const char *arg)
{
    fprintf(stderr, "augur %s: ", cmd);
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\nTry 'augur %s --help'.\n", cmd);
    return AG_EXIT_USAGE;
}

static int parse_duration_opt(const ag_cli *cli, const char *name, const char *v, int64_t *out)
{
    if (ag_duration_parse(v, out) != AG_OK || *out <= 0) {
        fprintf(stderr, "augur %s: --%s: '%s' is not a duration (e.g. 30s, 5m, 8d)\n", cli->cmd,
                name, v);
        return AG_EXIT_USAGE;
    }
    return AG_EXIT_OK;
}

static int is_model_name(const char *v)
{
    const char *const *names = ag_fc_model_names();
    if (!strcmp(v, "auto"))
        return 1;
    for (size_t i = 0; names[i]; i++)
        if (!strcmp(names[i], v))
            return 1;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* --quantiles 0.5,0.95: numbers in (0, 1), at most AG_FC_MAX_QUANTILES;
 * sorted, duplicates dropped. Replaces the defaults. */
static int parse_quantiles(ag_cli *cli, const char *v)
{
    const char *p = v;
    size_t n = 0;
    double q[AG_FC_MAX_QUANTILES];

    for (;;) {
        char *end;
        double x;
        if (n == AG_FC_MAX_QUANTILES)
            return usage_error(cli->cmd, "--quantiles: '%s' has too many (at most 16)", v);
        x = strtod(p, &end);
        if (end == p || (*end && *end != ',') || !(x > 0 && x < 1))
            return usage_error(cli->cmd,
                               "--quantiles: '%s' is not a comma-separated list of numbers "
                               "between 0 and 1 (exclusive), e.g. 0.5,0.95",
                               v);
        q[n++] = x;
        if (!*end)
            break;
        p = end + 1;
    }
    qsort(q, n, sizeof *q, cmp_double);
    cli->fc_nq = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || q[i] != q[i - 1])
            cli->fc_quantiles[cli->fc_nq++] = q[i];
    return AG_EXIT_OK;
}

/* Applies one option by name. value is borrowed and must outlive cli. */
static int apply(ag_cli *cli, const ag_cli_flags *f, const char *name, const char *value,
                 const char *origin)
{
    const opt *o = find_long(f, name, strlen(name));
    ag_errinfo ei = {{0}};
    int64_t ms;

    if (!o) {
        if (f->backtest && is_rec_param(name)) {
            ag_online_params tmp;
            ag_online_params_default(&tmp, AG_ONLINE_AUGUR);
            if (ag_online_params_set(&tmp, name, value, &ei) != AG_OK) {
                fprintf(stderr, "augur %s: %s--%s: %s\n", cli->cmd, origin, name,
                        ag_errinfo_str(&ei, AG_EINVAL));
                return AG_EXIT_USAGE;
            }
            if (cli->bt_nsets == sizeof cli->bt_sets / sizeof cli->bt_sets[0])
                return usage_error(cli->cmd, "too many recommender parameters (at most %s)", "64");
            cli->bt_sets[cli->bt_nsets][0] = name[0] ? find_param_name(name) : name;
            cli->bt_sets[cli->bt_nsets++][1] = value;
            return AG_EXIT_OK;
        }
        if (f->algorithm && in_names(ag_rec_param_names(), name)) {
            if (ag_rec_params_set(&cli->params, name, value, &ei) != AG_OK) {
                fprintf(stderr, "augur %s: %s--%s: %s\n", cli->cmd, origin, name,
                        ag_errinfo_str(&ei, AG_EINVAL));
                return AG_EXIT_USAGE;
            }
            return AG_EXIT_OK;
        }
        fprintf(stderr, "augur %s: %sunknown option --%s\nTry 'augur %s --help'.\n", cli->cmd,
                origin, name, cli->cmd);
        return AG_EXIT_USAGE;
    }
    if (!group_allowed(f, o->group))
        return usage_error(cli->cmd, "option --%s does not apply to this command", name);

    if (!strcmp(name, "help") || !strcmp(name, "config")) {
        /* handled by the caller */
    } else if (!strcmp(name, "db")) {
        cli->db = value;
    } else if (!strcmp(name, "verbose")) {
        cli->verbose = 1;
        cli->prom.verbose = 1;
    } else if (!strcmp(name, "quiet")) {
        cli->quiet = 1;
    } else if (!strcmp(name, "input")) {
        /* the config file may give a comma-joined list; argv gives one each */
        if (cli->ninputs == AG_CLI_MAX_INPUTS)
            return usage_error(cli->cmd, "too many --input files (at most %s)", "256");
        cli->inputs[cli->ninputs++] = value;
    } else if (!strcmp(name, "prometheus")) {
        cli->prometheus = value;
        cli->prom.url = value;
    } else if (!strcmp(name, "bearer-token")) {
        cli->prom.bearer_token = value;
    } else if (!strcmp(name, "bearer-token-file")) {
        cli->prom.bearer_token_file = value;
    } else if (!strcmp(name, "username")) {
        cli->prom.username = value;
    } else if (!strcmp(name, "password")) {
        cli->prom.password = value;
    } else if (!strcmp(name, "ca-file")) {
        cli->prom.ca_file = value;
    } else if (!strcmp(name, "insecure")) {
        cli->prom.insecure = 1;
    } else if (!strcmp(name, "timeout")) {
        if (parse_duration_opt(cli, name, value, &ms))
            return AG_EXIT_USAGE;
        cli->prom.timeout_ms = ms;
    } else if (!strcmp(name, "step")) {
        if (parse_duration_opt(cli, name, value, &ms))
            return AG_EXIT_USAGE;
        /* forecast: the forecast's step; Prometheus is then queried at
         * the scrape interval, as for files */
        if (f->forecast)
            cli->fc_step_ms = ms;
        else
            cli->prom.step_ms = ms;
    } else if (!strcmp(name, "end")) {
        int64_t t;
        if (ag_time_parse(value, &t) != AG_OK)
            return usage_error(cli->cmd,
                               "--end: '%s' is not a time (RFC 3339 or Unix seconds)", value);
        cli->end = value;
    } else if (!strcmp(name, "history")) {
        if (parse_duration_opt(cli, name, value, &ms))
            return AG_EXIT_USAGE;
        cli->history = value;
        cli->params.history_ms = ms;
        cli->history_set = 1;
    } else if (!strcmp(name, "namespace")) {
        cli->ns = value;
        cli->prom.ns = value;
    } else if (!strcmp(name, "selector")) {
        if (ag_selector_validate(value, &ei) != AG_OK)
            return usage_error(cli->cmd, "--selector: %s", ag_errinfo_str(&ei, AG_EINVAL));
        cli->selector = value;
    } else if (!strcmp(name, "no-store")) {
        cli->no_store = 1;
    } else if (!strcmp(name, "output")) {
        ag_format fmt;
        if (ag_format_parse(value, &fmt) != AG_OK)
            return usage_error(cli->cmd, "-o: '%s' is not one of table, json, yaml, csv", value);
        cli->output = value;
    } else if (!strcmp(name, "algorithm") && f->backtest) {
        ag_online_kind k;
        if (ag_online_kind_parse(value, &k) != AG_OK)
            return usage_error(cli->cmd,
                               "--algorithm: '%s' is not one of augur, vpa, krr, autopilot, crane, "
                               "static", value);
        cli->bt_algorithm = value;
    } else if (!strcmp(name, "algorithm")) {
        if (ag_algorithm_parse(value, &cli->params.algorithm) != AG_OK)
            return usage_error(cli->cmd, "--algorithm: '%s' is not one of vpa, krr", value);
    } else if (o->group == G_BACKTEST) {
        return apply_backtest(cli, name, value);
    } else if (o->group == G_SERVE) {
        return apply_serve(cli, name, value);
    } else if (!strcmp(name, "trace-format")) {
        cli->trace_format = value; /* checked when the files are read */
    } else if (!strcmp(name, "capacity-cores")) {
        return parse_quantity_opt(cli, name, value, &cli->capacity_cores);
    } else if (!strcmp(name, "capacity-memory")) {
        return parse_quantity_opt(cli, name, value, &cli->capacity_memory);
    } else if (!strcmp(name, "horizon")) {
        if (parse_duration_opt(cli, name, value, &ms))
            return AG_EXIT_USAGE;
        cli->fc_horizon_ms = ms;
    } else if (!strcmp(name, "quantiles")) {
        return parse_quantiles(cli, value);
    } else if (!strcmp(name, "model")) {
        if (!is_model_name(value))
            return usage_error(cli->cmd,
                               "--model: '%s' is not auto or a model name (see --help)", value);
        cli->fc_model = strcmp(value, "auto") ? value : NULL;
    } else if (!strcmp(name, "explain")) {
        cli->fc_explain = 1;
    } else if (!strcmp(name, "plot")) {
        if (!*value)
            return usage_error(cli->cmd, "--plot needs a file name%s", "");
        cli->fc_plot = value;
    } else if (!strcmp(name, "show")) {
        char *end;
        long long id = strtoll(value, &end, 10);
        if (*end || id <= 0)
            return usage_error(cli->cmd, "--show: '%s' is not a run id", value);
        cli->show_id = id;
    } else if (!strcmp(name, "limit")) {
        char *end;
        long long n = strtoll(value, &end, 10);
        if (*end || n < 0)
            return usage_error(cli->cmd, "--limit: '%s' is not a count", value);
        cli->limit = (size_t)n;
    }
    return AG_EXIT_OK;
}

/* Maps a flattened config key to an option name; writes into buf. */
static const char *config_key_to_option(const char *key, char *buf, size_t len)
{
    const char *dot = strchr(key, '.');
    if (!dot)
        return key;
    if (!strncmp(key, "vpa.", 4) || !strncmp(key, "recommend.", 10) || !strncmp(key, "store.", 6) ||
        !strncmp(key, "forecast.", 9))
        return dot + 1;
    if (!strncmp(key, "backtest.", 9))
        return dot + 1;
    if (!strncmp(key, "augur.", 6) || !strncmp(key, "autopilot.", 10) ||
        !strncmp(key, "crane.", 6) || !strncmp(key, "static.", 7)) {
        snprintf(buf, len, "%.*s-%s", (int)(dot - key), key, dot + 1);
        return buf;
    }
    if (!strncmp(key, "krr.", 4)) {
        snprintf(buf, len, "krr-%s", dot + 1);
        return buf;
    }
    if (!strcmp(key, "prometheus.url"))
        return "prometheus";
    if (!strncmp(key, "prometheus.", 11))
        return dot + 1;
    return key;
}

static int apply_config(ag_cli *cli, const ag_cli_flags *f, const char *path)
{
    ag_errinfo ei = {{0}};
    ag_err rc = ag_config_load(path, &cli->cfg, &cli->ncfg, &ei);
    if (rc != AG_OK) {
        fprintf(stderr, "augur %s: config: %s\n", cli->cmd, ag_errinfo_str(&ei, rc));
        return AG_EXIT_USAGE;
    }
    for (size_t i = 0; i < cli->ncfg; i++) {
        char name[128], origin[512];
        const char *key = config_key_to_option(cli->cfg[i].key, name, sizeof name);
        const opt *o = find_long(f, key, strlen(key));
        snprintf(origin, sizeof origin, "%s:%d: ", path, cli->cfg[i].line);
        /* keys of other commands are fine in a shared file: skip them */
        if (o && !group_allowed(f, o->group))
            continue;
        if (!o && !f->algorithm && !f->backtest && is_rec_param(key))
            continue;
        if (!o && f->algorithm && !f->backtest && !in_names(ag_rec_param_names(), key) &&
            is_rec_param(key))
            continue;
        if (o && !o->takes_arg) {
            const char *v = cli->cfg[i].value;
            if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no"))
                continue;
        }
        if (o && !strcmp(o->name, "input")) {
            /* comma-joined list: split in place (cfg owns the string) */
            for (char *s = cli->cfg[i].value, *c; s && *s; s = c ? c + 1 : NULL) {
                c = strchr(s, ',');
                if (c)
                    *c = '\0';
                if (apply(cli, f, "input", s, origin))
                    return AG_EXIT_USAGE;
            }
            continue;
        }
        if (apply(cli, f, key, cli->cfg[i].value, origin))
            return AG_EXIT_USAGE;
    }
    return AG_EXIT_OK;
}

static const char *find_config_arg(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strncmp(argv[i], "--config=", 9))
            return argv[i] + 9;
        if (!strcmp(argv[i], "--config") && i + 1 < argc)
            return argv[i + 1];
    }
    return getenv("AUGUR_CONFIG");
}

static int parse(ag_cli *cli, const ag_cli_flags *f, int argc, char **argv, int *help)
{
    const char *cfg = find_config_arg(argc, argv);
    int i;

    ag_rec_params_default(&cli->params);
    cli->bt_warmup_ms = -1;
    cli->bt_min_replicas = -1;
    cli->bt_tolerance = -1;
    *help = 0;
    if (cfg && *cfg && apply_config(cli, f, cfg))
        return AG_EXIT_USAGE;

    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        const opt *o = NULL;
        char name[128];
        const char *value = NULL;

        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (a[0] != '-' || a[1] == '\0')
            return usage_error(cli->cmd, "unexpected argument '%s'", a);
        if (a[1] == '-') {
            const char *eq = strchr(a + 2, '=');
            size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
            if (len >= sizeof name)
                return usage_error(cli->cmd, "unknown option %s", a);
            memcpy(name, a + 2, len);
            name[len] = '\0';
            o = find_long(f, name, len);
            if (eq)
                value = eq + 1;
            if (o && !o->takes_arg && eq)
                return usage_error(cli->cmd, "option --%s takes no value", name);
            if ((!o || o->takes_arg) && !eq) {
                if (!o && !is_rec_param(name))
                    return apply(cli, f, name, "", "");
                if (i + 1 >= argc)
                    return usage_error(cli->cmd, "option --%s needs a value", name);
                value = argv[++i];
            }
        } else {
            o = find_short(a[1]);
            if (!o)
                return usage_error(cli->cmd, "unknown option %s", a);
            snprintf(name, sizeof name, "%s", o->name);
            if (o->takes_arg) {
                if (a[2])
                    value = a + 2;
                else if (i + 1 < argc)
                    value = argv[++i];
                else
                    return usage_error(cli->cmd, "option -%s needs a value", a + 1);
            } else if (a[2]) {
                return usage_error(cli->cmd, "unknown option %s", a);
            }
        }
        if (o && !strcmp(o->name, "help")) {
            *help = 1;
            return AG_EXIT_OK;
        }
        if (apply(cli, f, name, value ? value : "", ""))
            return AG_EXIT_USAGE;
    }
    if (i < argc)
        return usage_error(cli->cmd, "unexpected argument '%s'", argv[i]);
    if (cli->prometheus && cli->ninputs)
        return usage_error(cli->cmd, "%s", "use either --input or --prometheus, not both");
    return AG_EXIT_OK;
}

int ag_cli_parse(ag_cli *cli, const ag_cli_flags *f, int argc, char **argv,
                 void (*help)(FILE *))
{
    int want_help;
    int ret = parse(cli, f, argc, argv, &want_help);

    if (ret == AG_EXIT_OK && !want_help)
        return AG_CLI_GO;
    if (ret == AG_EXIT_OK)
        help(stdout);
    ag_cli_free(cli);
    return ret;
}

void ag_cli_free(ag_cli *cli)
{
    ag_kvs_free(cli->cfg, cli->ncfg);
    cli->cfg = NULL;
    cli->ncfg = 0;
}

void ag_cli_help_data(FILE *f)
{
    fputs("Data options:\n"
          "  -i, --input FILE         usage history: OpenMetrics (.om .prom .txt) or CSV (.csv),\n"
          "                           optionally .gz; repeatable; '-' reads OpenMetrics on stdin\n"
          "      --prometheus URL     a Prometheus-compatible HTTP API (Prometheus, VictoriaMetrics,\n"
          "                           Thanos, Mimir)\n"
          "      --bearer-token TOKEN, --bearer-token-file FILE, --username U, --password P,\n"
          "      --ca-file FILE, --insecure, --timeout DURATION (default 2m)\n"
          "      --step DURATION      query step (default: the series' scrape interval)\n"
          "      --end TIME           end of the data window: RFC 3339 or Unix seconds\n"
          "                           (default: now for --prometheus, else the newest sample)\n"
          "      --history DURATION   length of the data window (default: the algorithm's)\n"
          "  -n, --namespace NS       only this namespace\n"
          "  -l, --selector K=V,...   only pods whose labels match (K!=V excludes)\n"
          "      --db PATH            the store (default $XDG_DATA_HOME/augur/augur.db)\n"
          "      --no-store           do not write imported samples or the run to the store\n"
          "      --config FILE        YAML config file (default $AUGUR_CONFIG); flags override it\n"
          "  -v, --verbose            print each Prometheus query\n"
          "  -q, --quiet              no summary lines on stderr\n",
          f);
}

void ag_cli_error(const char *what, ag_err rc, const ag_errinfo *ei)
{
    fprintf(stderr, "augur: %s: %s\n", what, ag_errinfo_str(ei, rc));
}
