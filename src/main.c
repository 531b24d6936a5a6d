/*
 * src/main.c - the augur command line: one cmd_<verb>() per subcommand
 * (git style), each in its own file.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} commands[] = {
    {"import", cmd_import, "import usage history from files or Prometheus into the store"},
    {"recommend", cmd_recommend, "recommend container requests and limits (vpa, krr)"},
    {"forecast", cmd_forecast, "forecast each container's CPU and memory with quantiles"},
    {"backtest", cmd_backtest, "replay history under a recommender: savings, OOM kills, evictions"},
    {"serve", cmd_serve, "the daemon: fetch, recommend, forecast and serve them over HTTP"},
    {"history", cmd_history, "list past recommendation and forecast runs"},
};

static void usage(FILE *f)
{
    fputs("Usage: augur <command> [options]\n\n"
          "augur learns what each Kubernetes workload needs from its usage history and\n"
          "recommends container requests and limits.\n\nCommands:\n",
          f);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fputs("\n'augur <command> --help' describes a command. 'augur --version' prints the version.\n",
          f);
}

/* XGBoost's OpenMP threads spin between calls unless told otherwise, and
 * libgomp reads that only when it loads: the global forecast models cost
 * 5-10x the CPU (measured in bench/bench_forecast). Set it and start
 * again, once, when the user has not chosen. */
static void passive_openmp(char **argv)
{
    if (getenv("OMP_WAIT_POLICY"))
        return;
    if (setenv("OMP_WAIT_POLICY", "PASSIVE", 1) != 0)
        return;
    execv("/proc/self/exe", argv);
    /* no /proc: carry on with spinning threads */
}

int main(int argc, char **argv)
{
    passive_openmp(argv);
    if (argc < 2) {
        usage(stderr);
        return AG_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return AG_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        printf("augur %s\n", AG_VERSION);
        return AG_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 2, argv + 2);
    fprintf(stderr, "augur: '%s' is not a command\n\n", argv[1]);
    usage(stderr);
    return AG_EXIT_USAGE;
}
