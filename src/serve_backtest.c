/*
 * src/serve_backtest.c - the backtests of `augur serve` (POST
 * /api/v1/backtests): the HTTP server (lib/http) checks a request and
 * runs it on its worker thread through this callback, which turns it into
 * the options of `augur backtest --db <the daemon's store> -o json` and
 * runs that very command (ag_cli_backtest()), so a job's result is what
 * the CLI prints for the same inputs. The replay reads the store through
 * its own SQLite connection: the store is in WAL mode, so it reads beside
 * the daemon's writer.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "augur/http.h"
#include "cli.h"

#define MAX_ARGS 32

/* Unix seconds with milliseconds, as --end takes them. */
static void seconds(int64_t ms, char *buf, size_t len)
{
    snprintf(buf, len, "%lld.%03lld", (long long)(ms / 1000), (long long)(ms % 1000));
}

/* The end of the store's data: what `augur backtest` takes without --end. */
static ag_err store_end(const char *path, int64_t *end, ag_errinfo *ei)
{
    ag_store *st = NULL;
    int64_t lo;
    ag_err rc = ag_store_open(path, &st, ei);

    if (rc == AG_OK)
        rc = ag_store_time_range(st, &lo, end, ei);
    if (rc == AG_ENODATA)
        ag_errinfo_set(ei, "the store is empty: nothing to replay");
    ag_store_close(st);
    return rc;
}

ag_err ag_cli_serve_backtest(void *ud, const char *request_json, size_t len, char **result_json,
                             size_t *result_len, ag_errinfo *ei)
{
    const char *db = ud;
    json_error_t je;
    json_t *req = json_loadb(request_json, len, 0, &je);
    const char *keys[][2] = {{"recommender", "--algorithm"},
                             {"policy", "--policy"},
                             {"namespace", "--namespace"},
                             {"selector", "--selector"},
                             {"mode", "--mode"}};
    char *argv[MAX_ARGS], end_s[32], hist_s[32];
    int argc = 0, ret;
    int64_t from = 0, to = 0, newest = 0;
    int has_from, has_to;
    char *out = NULL;
    size_t out_len = 0;
    FILE *f;
    ag_err rc = AG_OK;

    *result_json = NULL;
    *result_len = 0;
    if (!req || !json_is_object(req)) {
        ag_errinfo_set(ei, "the request is not a JSON object");
        json_decref(req);
        return AG_EINVAL;
    }
    has_from = json_is_number(json_object_get(req, "from"));
    has_to = json_is_number(json_object_get(req, "to"));
    if (has_from)
        from = (int64_t)llround(json_number_value(json_object_get(req, "from")) * 1000);
    if (has_to)
        to = (int64_t)llround(json_number_value(json_object_get(req, "to")) * 1000);
    /* the store opens and has data (a clear error now rather than the
     * command's on stderr); from without to: the window ends where the
     * store's data does, as the command's own default end */
    rc = store_end(db, &newest, ei);
    if (rc != AG_OK)
        goto out;
    if (has_from && !has_to) {
        to = newest;
        has_to = 1;
        if (to <= from) {
            ag_errinfo_set(ei, "'from' is after the newest sample in the store");
            rc = AG_ENODATA;
            goto out;
        }
    }

    argv[argc++] = "--config="; /* no config file: only the request's options */
    argv[argc++] = "--db";
    argv[argc++] = (char *)db;
    argv[argc++] = "--quiet";
    argv[argc++] = "--output";
    argv[argc++] = "json";
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        const char *v = json_string_value(json_object_get(req, keys[i][0]));
        if (v) {
            argv[argc++] = (char *)keys[i][1];
            argv[argc++] = (char *)v;
        }
    }
    if (has_to) {
        seconds(to, end_s, sizeof end_s);
        argv[argc++] = "--end";
        argv[argc++] = end_s;
    }
    if (has_from) {
        snprintf(hist_s, sizeof hist_s, "%lldms", (long long)(to - from));
        argv[argc++] = "--history";
        argv[argc++] = hist_s;
    }
    argv[argc] = NULL;

    f = open_memstream(&out, &out_len);
    if (!f) {
        rc = AG_ENOMEM;
        goto out;
    }
    ret = ag_cli_backtest(argc, argv, f);
    if (fclose(f) != 0 && ret == AG_EXIT_OK)
        ret = AG_EXIT_RUNTIME;
    if (ret != AG_EXIT_OK) {
        /* the command printed why on stderr: the daemon's log */
        ag_errinfo_set(ei,
                       "the backtest failed (augur backtest exit status %d); the daemon's log "
                       "has the detail",
                       ret);
        free(out);
        rc = ret == AG_EXIT_USAGE ? AG_EINVAL : AG_EIO;
        goto out;
    }
    *result_json = out;
    *result_len = out_len;
out:
    json_decref(req);
    return rc;
}
