/*
 * tests/store/test_store.c - the embedded SQLite store: creation, schema
 * versions and migrations, idempotent import, round trip through load,
 * filters, runs, error paths (not a database, newer schema, directory
 * that cannot be created, failure mid-import rolled back).
 *
 * Each test works in its own mkdtemp() directory under /tmp. The test
 * test_import_speed times an import (AG_STORE_BENCH_N samples, default
 * 100000) and prints the rate; docs/store.md quotes it.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ag_test.h"
#include "augur/store.h"
#include "series/series_int.h"
#include "store/store_int.h"
#include "util/alloc.h"

#define T0 1700000000000LL /* 2023-11-14T22:13:20Z */
#define STEP 30000LL       /* 30 s between samples */

typedef struct fixture {
    char dir[64];
    char db[128];
} fixture;

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof *f);
    assert_non_null(f);
    strcpy(f->dir, "/tmp/augur-store-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/augur.db", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ag__store_set_migrations(NULL, 0);
    ag__alloc_fail_after(0);
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

/* Runs sql on the file through a second, plain SQLite connection. */
static void raw_exec(const char *path, const char *sql)
{
    sqlite3 *db;
    char *msg = NULL;
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fail_msg("%s: %s", sql, msg);
    sqlite3_close(db);
}

/* Returns the text of the first column of the first row (static buffer). */
static const char *raw_text(const char *path, const char *sql)
{
    static char out[256];
    sqlite3 *db;
    sqlite3_stmt *s;
    out[0] = '\0';
    assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
        snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(s, 0));
    sqlite3_finalize(s);
    sqlite3_close(db);
    return out;
}

static ag_store *open_ok(const char *path)
{
    ag_errinfo ei = {{0}};
    ag_store *st = NULL;
    ag_err err = ag_store_open(path, &st, &ei);
    if (err)
        fail_msg("ag_store_open(%s): %s", path, ag_errinfo_str(&ei, err));
    return st;
}

/* The reference dataset: two namespaces, three pods, owners, labels,
 * specs, OOM events; values chosen to need every bit of a double. */
static ag_dataset *make_dataset(int nsamples)
{
    static const char *const pods[][3] = {
        {"shop", "api-5d8f7c9b4-x2x7q", "api"},
        {"shop", "api-5d8f7c9b4-k9p2m", "api"},
        {"batch", "worker-0", "worker"},
    };
    ag_dataset *ds = ag_dataset_new();
    assert_non_null(ds);
    assert_int_equal(ag_dataset_set_owner(ds, "shop", pods[0][1], "ReplicaSet", "api-5d8f7c9b4"),
                     AG_OK);
    assert_int_equal(ag_dataset_set_owner(ds, "shop", pods[1][1], "ReplicaSet", "api-5d8f7c9b4"),
                     AG_OK);
    for (int p = 0; p < 3; p++) {
        assert_int_equal(ag_dataset_set_pod_label(ds, pods[p][0], pods[p][1], "app", pods[p][2]),
                         AG_OK);
        assert_int_equal(ag_dataset_set_pod_label(ds, pods[p][0], pods[p][1], "tier", "t1"), AG_OK);
        for (int k = 0; k < 2; k++) {
            ag_container *c =
                ag_dataset_container(ds, pods[p][0], pods[p][1], k ? "sidecar" : pods[p][2]);
            assert_non_null(c);
            for (int i = 0; i < nsamples; i++) {
                int64_t t = T0 + i * STEP;
                assert_int_equal(ag_samples_push(&c->usage[AG_CPU], t, 0.1 * (p + 1) + i / 3.0),
                                 AG_OK);
                assert_int_equal(
                    ag_samples_push(&c->usage[AG_MEMORY], t, 1e8 * (k + 1) + i * 4096.0 + 0.5),
                    AG_OK);
            }
            c->request[AG_CPU] = 0.25;
            c->limit[AG_CPU] = 1.0 + p;
            c->request[AG_MEMORY] = 268435456.0;
            c->spec_t_ms[AG_CPU] = T0 + 5;
            c->spec_t_ms[AG_MEMORY] = T0 + 7;
            if (p == 2 && k == 0)
                assert_int_equal(ag_samples_push(&c->oom, T0 + 2 * STEP, 3.5e8), AG_OK);
        }
    }
    assert_int_equal(ag_dataset_finish(ds, INT64_MIN, INT64_MAX, NULL), AG_OK);
    return ds;
}

static void assert_same_samples(const ag_samples *a, const ag_samples *b)
{
    assert_int_equal(a->n, b->n);
    for (size_t i = 0; i < a->n; i++) {
        assert_int_equal(a->v[i].t_ms, b->v[i].t_ms);
        /* Exact: chunks store every bit of the double. */
        if (a->v[i].v != b->v[i].v)
            fail_msg("sample %zu: %.17g != %.17g", i, a->v[i].v, b->v[i].v);
    }
}

static void assert_same_spec(double a, double b)
{
    if (isnan(a))
        assert_true(isnan(b));
    else
        assert_true(a == b);
}

static void assert_same_container(const ag_container *a, const ag_container *b)
{
    assert_string_equal(a->ns, b->ns);
    assert_string_equal(a->pod, b->pod);
    assert_string_equal(a->container, b->container);
    assert_string_equal(a->owner_kind, b->owner_kind);
    assert_string_equal(a->owner_name, b->owner_name);
    for (int r = 0; r < AG_NRES; r++) {
        assert_same_samples(&a->usage[r], &b->usage[r]);
        assert_same_spec(a->request[r], b->request[r]);
        assert_same_spec(a->limit[r], b->limit[r]);
        assert_int_equal(a->spec_t_ms[r], b->spec_t_ms[r]);
    }
    assert_same_samples(&a->oom, &b->oom);
}

static ag_dataset *load_all(ag_store *st, int64_t start, int64_t end, const char *ns)
{
    ag_errinfo ei = {{0}};
    ag_dataset *ds = ag_dataset_new();
    ag_err err;
    assert_non_null(ds);
    err = ag_store_load(st, ds, start, end, ns, &ei);
    if (err)
        fail_msg("ag_store_load: %s", ag_errinfo_str(&ei, err));
    assert_int_equal(ag_dataset_finish(ds, INT64_MIN, INT64_MAX, NULL), AG_OK);
    return ds;
}

static void assert_same_dataset(const ag_dataset *a, const ag_dataset *b)
{
    assert_int_equal(ag_dataset_count(a), ag_dataset_count(b));
    for (size_t i = 0; i < ag_dataset_count(a); i++)
        assert_same_container(ag_dataset_at(a, i), ag_dataset_at(b, i));
}

static uint64_t total_samples(const ag_dataset *ds)
{
    uint64_t n = 0;
    for (size_t i = 0; i < ag_dataset_count(ds); i++)
        n += ag_dataset_at(ds, i)->usage[AG_CPU].n + ag_dataset_at(ds, i)->usage[AG_MEMORY].n;
    return n;
}

/* ------------------------------------------------------------------ */

static void test_open_creates_dirs_wal(void **state)
{
    fixture *f = *state;
    char path[256];
    ag_store_stats stats;
    ag_errinfo ei = {{0}};
    int64_t lo, hi;
    ag_store *st;

    snprintf(path, sizeof path, "%s/a/b/c/augur.db", f->dir);
    st = open_ok(path);
    assert_int_equal(ag_store_schema_version(st), (int)ag__store_nmigrations);
    assert_int_equal(ag_store_schema_version(st), 3);
    assert_int_equal(ag_store_stats_get(st, &stats, &ei), AG_OK);
    assert_int_equal(stats.containers, 0);
    assert_int_equal(stats.samples, 0);
    assert_int_equal(stats.runs, 0);
    assert_int_equal(ag_store_time_range(st, &lo, &hi, &ei), AG_ENODATA);
    assert_string_equal(raw_text(path, "PRAGMA journal_mode"), "wal");
    assert_string_equal(raw_text(path, "PRAGMA user_version"), "3");
    ag_store_close(st);
    /* Reopening an up-to-date file changes nothing. */
    st = open_ok(path);
    assert_int_equal(ag_store_schema_version(st), 3);
    ag_store_close(st);
    ag_store_close(NULL);
}

static void test_default_path(void **state)
{
    char buf[256], small[8];
    char *xdg = getenv("XDG_DATA_HOME") ? strdup(getenv("XDG_DATA_HOME")) : NULL;
    char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
    (void)state;

    setenv("XDG_DATA_HOME", "/xdg/data", 1);
    setenv("HOME", "/home/u", 1);
    assert_string_equal(ag_store_default_path(buf, sizeof buf), "/xdg/data/augur/augur.db");
    assert_null(ag_store_default_path(small, sizeof small));
    setenv("XDG_DATA_HOME", "", 1);
    assert_string_equal(ag_store_default_path(buf, sizeof buf),
                        "/home/u/.local/share/augur/augur.db");
    unsetenv("XDG_DATA_HOME");
    assert_string_equal(ag_store_default_path(buf, sizeof buf),
                        "/home/u/.local/share/augur/augur.db");
    unsetenv("HOME");
    assert_null(ag_store_default_path(buf, sizeof buf));

    if (xdg)
        setenv("XDG_DATA_HOME", xdg, 1);
    if (home)
        setenv("HOME", home, 1);
    free(xdg);
    free(home);
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    ag_dataset *ds = make_dataset(20), *back;
    ag_errinfo ei = {{0}};
    ag_store_stats stats;
    uint64_t inserted = 99;
    int64_t lo, hi;
    ag_store *st = open_ok(f->db);

    assert_int_equal(ag_dataset_count(ds), 6);
    assert_int_equal(ag_store_put_dataset(st, ds, &inserted, &ei), AG_OK);
    assert_int_equal(inserted, 6 * 2 * 20);
    assert_int_equal(ag_store_stats_get(st, &stats, &ei), AG_OK);
    assert_int_equal(stats.containers, 6);
    assert_int_equal(stats.samples, 6 * 2 * 20);
    assert_int_equal(ag_store_time_range(st, &lo, &hi, &ei), AG_OK);
    assert_int_equal(lo, T0);
    assert_int_equal(hi, T0 + 19 * STEP);

    back = load_all(st, INT64_MIN, INT64_MAX, NULL);
    assert_same_dataset(ds, back);
    /* The owner was resolved from the ReplicaSet before storing. */
    for (size_t i = 0; i < ag_dataset_count(back); i++) {
        const ag_container *c = ag_dataset_at(back, i);
        if (strcmp(c->ns, "shop") == 0) {
            assert_string_equal(c->owner_kind, "Deployment");
            assert_string_equal(c->owner_name, "api");
        }
        assert_string_equal(ag__pod_label(ag__dataset_pod(back, c->ns, c->pod), "tier"), "t1");
    }
    assert_string_equal(ag__pod_label(ag__dataset_pod(back, "shop", "api-5d8f7c9b4-k9p2m"), "app"),
                        "api");
    assert_string_equal(ag__pod_label(ag__dataset_pod(back, "batch", "worker-0"), "app"), "worker");
    ag_dataset_free(back);
    ag_dataset_free(ds);
    ag_store_close(st);
}

static void test_import_twice(void **state)
{
    fixture *f = *state;
    ag_dataset *ds = make_dataset(10), *back;
    ag_errinfo ei = {{0}};
    ag_store_stats stats;
    uint64_t inserted = 99;
    ag_container *c;
    ag_store *st = open_ok(f->db);

    assert_int_equal(ag_store_put_dataset(st, ds, &inserted, &ei), AG_OK);
    assert_int_equal(inserted, 120);
    assert_int_equal(ag_store_put_dataset(st, ds, &inserted, &ei), AG_OK);
    assert_int_equal(inserted, 0);
    assert_int_equal(ag_store_stats_get(st, &stats, &ei), AG_OK);
    assert_int_equal(stats.samples, 120);
    assert_int_equal(stats.containers, 6);
    assert_string_equal(raw_text(f->db, "SELECT count(*) FROM oom"), "1");
    assert_string_equal(raw_text(f->db, "SELECT count(*) FROM spec"), "18");
    assert_string_equal(raw_text(f->db, "SELECT count(*) FROM pod_label"), "6");

    /* A changed value replaces the stored one; one new sample counts 1. */
    c = ag_dataset_at(ds, 0);
    c->usage[AG_MEMORY].v[3].v = 123.25;
    assert_int_equal(ag_samples_push(&c->usage[AG_MEMORY], T0 + 10 * STEP, 7.0), AG_OK);
    assert_int_equal(ag_store_put_dataset(st, ds, NULL, &ei), AG_OK); /* NULL count allowed */
    assert_int_equal(ag_store_stats_get(st, &stats, &ei), AG_OK);
    assert_int_equal(stats.samples, 121);
    assert_int_equal(ag_store_put_dataset(st, ds, &inserted, &ei), AG_OK);
    assert_int_equal(inserted, 0);
    back = load_all(st, INT64_MIN, INT64_MAX, NULL);
    assert_same_dataset(ds, back);
    ag_dataset_free(back);
    ag_dataset_free(ds);
    ag_store_close(st);
}

static void test_filters(void **state)
{
    fixture *f = *state;
    ag_dataset *ds = make_dataset(20), *back;
    ag_errinfo ei = {{0}};
    ag_store *st = open_ok(f->db);

    assert_int_equal(ag_store_put_dataset(st, ds, NULL, &ei), AG_OK);

    /* Window [T0 + 5 steps, T0 + 9 steps]: 5 samples per series, bounds included. */
    back = load_all(st, T0 + 5 * STEP, T0 + 9 * STEP, NULL);
    assert_int_equal(ag_dataset_count(back), 6);
    for (size_t i = 0; i < ag_dataset_count(back); i++) {
        const ag_container *c = ag_dataset_at(back, i);
        for (int r = 0; r < AG_NRES; r++) {
            assert_int_equal(c->usage[r].n, 5);
            assert_int_equal(c->usage[r].v[0].t_ms, T0 + 5 * STEP);
            assert_int_equal(c->usage[r].v[4].t_ms, T0 + 9 * STEP);
        }
        /* The OOM at T0 + 2 steps is outside the window. */
        assert_int_equal(c->oom.n, 0);
        /* Specs are current state, loaded whatever the window. */
        assert_true(c->request[AG_CPU] == 0.25);
    }
    ag_dataset_free(back);

    back = load_all(st, INT64_MIN, INT64_MAX, "batch");
    assert_int_equal(ag_dataset_count(back), 2);
    for (size_t i = 0; i < 2; i++)
        assert_string_equal(ag_dataset_at(back, i)->ns, "batch");
    assert_int_equal(total_samples(back), 2 * 2 * 20);
    ag_dataset_free(back);

    back = load_all(st, INT64_MIN, INT64_MAX, "nosuch");
    assert_int_equal(ag_dataset_count(back), 0);
    ag_dataset_free(back);

    /* A window after every sample creates no containers. */
    back = load_all(st, T0 + 100 * STEP, INT64_MAX, NULL);
    assert_int_equal(ag_dataset_count(back), 0);
    ag_dataset_free(back);

    ag_dataset_free(ds);
    ag_store_close(st);
}

static void test_runs(void **state)
{
    fixture *f = *state;
    ag_errinfo ei = {{0}};
    ag_run *runs = NULL, *one = NULL;
    int64_t ids[3];
    size_t n = 0;
    ag_store *st = open_ok(f->db);
    static const int64_t created[3] = {100, 300, 200};

    for (int i = 0; i < 3; i++) {
        ag_run r = {.created_ms = created[i],
                    .start_ms = T0,
                    .end_ms = T0 + 1000 * i,
                    .algorithm = i == 1 ? "simple" : "vpa",
                    .params_json = "{\"cpu_percentile\":95}",
                    .source = "file:a.om",
                    .result_json = "{\"results\":[]}",
                    .n_results = 7 + i};
        assert_int_equal(ag_store_put_run(st, &r, &ids[i], &ei), AG_OK);
    }
    assert_int_equal(ag_store_list_runs(st, 0, &runs, &n, &ei), AG_OK);
    assert_int_equal(n, 3);
    assert_int_equal(runs[0].id, ids[1]); /* newest (300) first */
    assert_int_equal(runs[1].id, ids[2]);
    assert_int_equal(runs[2].id, ids[0]);
    assert_string_equal(runs[0].algorithm, "simple");
    assert_string_equal(runs[0].source, "file:a.om");
    assert_string_equal(runs[0].params_json, "{\"cpu_percentile\":95}");
    assert_int_equal(runs[0].n_results, 8);
    assert_int_equal(runs[0].end_ms, T0 + 1000);
    assert_null(runs[0].result_json);
    ag_runs_free(runs, n);

    assert_int_equal(ag_store_list_runs(st, 2, &runs, &n, &ei), AG_OK);
    assert_int_equal(n, 2);
    assert_int_equal(runs[1].created_ms, 200);
    ag_runs_free(runs, n);

    assert_int_equal(ag_store_get_run(st, ids[2], &one, &ei), AG_OK);
    assert_int_equal(one->id, ids[2]);
    assert_int_equal(one->created_ms, 200);
    assert_string_equal(one->result_json, "{\"results\":[]}");
    assert_string_equal(one->algorithm, "vpa");
    ag_runs_free(one, 1);

    assert_int_equal(ag_store_get_run(st, 424242, &one, &ei), AG_ENOTFOUND);
    assert_null(one);
    assert_non_null(strstr(ei.msg, "424242"));

    /* Out of memory at every allocation of a listing: an error, no leak. */
    for (long k = 1;; k++) {
        ag_err err;
        ag__alloc_fail_after(k);
        err = ag_store_list_runs(st, 0, &runs, &n, &ei);
        ag__alloc_fail_after(0);
        if (err == AG_OK) {
            assert_int_equal(n, 3);
            ag_runs_free(runs, n);
            break;
        }
        assert_int_equal(err, AG_ENOMEM);
        assert_null(runs);
        assert_true(k < 100);
    }
    ag_store_close(st);
}

static void test_not_a_database(void **state)
{
    fixture *f = *state;
    ag_errinfo ei = {{0}};
    ag_store *st = (ag_store *)1;
    FILE *fp = fopen(f->db, "w");
    assert_non_null(fp);
    for (int i = 0; i < 200; i++)
        fputs("this is a CSV file, not an SQLite database\n", fp);
    fclose(fp);
    assert_int_equal(ag_store_open(f->db, &st, &ei), AG_ESTORE);
    assert_null(st);
    assert_non_null(strstr(ei.msg, f->db));
    assert_non_null(strstr(ei.msg, "not a database"));
}

static void test_newer_schema(void **state)
{
    fixture *f = *state;
    ag_errinfo ei = {{0}};
    ag_store *st = open_ok(f->db);
    ag_store_close(st);
    raw_exec(f->db, "PRAGMA user_version = 99");
    assert_int_equal(ag_store_open(f->db, &st, &ei), AG_ESCHEMA);
    assert_null(st);
    assert_non_null(strstr(ei.msg, "version 99"));
    assert_non_null(strstr(ei.msg, "only up to version 3"));
    assert_non_null(strstr(ei.msg, f->db));
    /* The file was left alone. */
    assert_string_equal(raw_text(f->db, "PRAGMA user_version"), "99");
}

static void test_mkdir_fails(void **state)
{
    fixture *f = *state;
    char file[128], path[256];
    ag_errinfo ei = {{0}};
    ag_store *st = NULL;
    FILE *fp;

    /* A regular file where a directory should be: fails even as root. */
    snprintf(file, sizeof file, "%s/plainfile", f->dir);
    fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    snprintf(path, sizeof path, "%s/sub/augur.db", file);
    assert_int_equal(ag_store_open(path, &st, &ei), AG_EIO);
    assert_null(st);
    assert_non_null(strstr(ei.msg, "cannot create directory"));
    assert_non_null(strstr(ei.msg, file));

    snprintf(path, sizeof path, "%s/augur.db", file);
    assert_int_equal(ag_store_open(path, &st, &ei), AG_EIO);
    assert_non_null(strstr(ei.msg, file));

    assert_int_equal(ag_store_open("", &st, &ei), AG_EINVAL);
}

static void test_migration(void **state)
{
    fixture *f = *state;
    ag_errinfo ei = {{0}};
    ag_run r = {.created_ms = 1, .algorithm = "vpa", .n_results = 1};
    ag_run *runs;
    size_t n;
    ag_store *st;
    const char *v2[] = {ag__store_migrations[0],
                        "ALTER TABLE run ADD COLUMN note TEXT; UPDATE run SET note = 'migrated'"};
    const char *v3_bad[] = {v2[0], v2[1], "CREATE TABLE t3 (x); THIS IS NOT SQL"};
    char sql[64];

    /* A file written at version 1 ... */
    ag__store_set_migrations(ag__store_migrations, 1);
    st = open_ok(f->db);
    assert_int_equal(ag_store_put_run(st, &r, NULL, &ei), AG_OK);
    ag_store_close(st);

    /* ... is carried to version 2 by an appended step, data kept. */
    ag__store_set_migrations(v2, 2);
    st = open_ok(f->db);
    assert_int_equal(ag_store_schema_version(st), 2);
    assert_int_equal(ag_store_list_runs(st, 0, &runs, &n, &ei), AG_OK);
    assert_int_equal(n, 1);
    ag_runs_free(runs, n);
    ag_store_close(st);
    assert_string_equal(raw_text(f->db, "PRAGMA user_version"), "2");
    assert_string_equal(raw_text(f->db, "SELECT note FROM run"), "migrated");

    /* A failing step is rolled back whole: still version 2, no table t3. */
    ag__store_set_migrations(v3_bad, 3);
    assert_int_equal(ag_store_open(f->db, &st, &ei), AG_ESTORE);
    assert_non_null(strstr(ei.msg, "from version 2 to 3"));
    assert_string_equal(raw_text(f->db, "PRAGMA user_version"), "2");
    assert_string_equal(raw_text(f->db, "SELECT count(*) FROM sqlite_schema WHERE name = 't3'"),
                        "0");

    /* The built-in list refuses a file one version newer. */
    ag__store_set_migrations(NULL, 0);
    snprintf(sql, sizeof sql, "PRAGMA user_version = %zu", ag__store_nmigrations + 1);
    raw_exec(f->db, sql);
    assert_int_equal(ag_store_open(f->db, &st, &ei), AG_ESCHEMA);
    snprintf(sql, sizeof sql, "version %zu", ag__store_nmigrations + 1);
    assert_non_null(strstr(ei.msg, sql));
}

static void test_rollback(void **state)
{
    fixture *f = *state;
    ag_dataset *ds = make_dataset(10), *bad, *back;
    ag_errinfo ei = {{0}};
    ag_store_stats stats;
    uint64_t inserted = 99;
    ag_container *c;
    ag_store *st = open_ok(f->db);

    assert_int_equal(ag_store_put_dataset(st, ds, NULL, &ei), AG_OK);

    /* A real SQLite failure in the middle of the next import. */
    raw_exec(f->db, "CREATE TRIGGER boom BEFORE INSERT ON chunk WHEN NEW.t_first = 42 "
                    "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    bad = make_dataset(10);
    /* Changes that must not survive: a replaced value, a new sample, a
     * new container with a label, then the failing row. */
    c = ag_dataset_at(bad, 0);
    c->usage[AG_CPU].v[0].v = 99.0;
    assert_int_equal(ag_samples_push(&c->usage[AG_CPU], T0 + 50 * STEP, 1.0), AG_OK);
    assert_int_equal(ag_dataset_set_pod_label(bad, "new", "p", "app", "x"), AG_OK);
    c = ag_dataset_container(bad, "zz-new", "p", "c");
    assert_non_null(c);
    assert_int_equal(ag_samples_push(&c->usage[AG_MEMORY], T0, 5.0), AG_OK);
    assert_int_equal(ag_samples_push(&c->usage[AG_MEMORY], 42, 5.0), AG_OK);

    assert_int_equal(ag_store_put_dataset(st, bad, &inserted, &ei), AG_ESTORE);
    assert_int_equal(inserted, 0);
    assert_non_null(strstr(ei.msg, "injected failure"));
    assert_non_null(strstr(ei.msg, "zz-new/p/c"));
    assert_non_null(strstr(ei.msg, f->db));

    assert_int_equal(ag_store_stats_get(st, &stats, &ei), AG_OK);
    assert_int_equal(stats.containers, 6);
    assert_int_equal(stats.samples, 120);
    assert_string_equal(raw_text(f->db, "SELECT count(*) FROM pod_label"), "6");
    back = load_all(st, INT64_MIN, INT64_MAX, NULL);
    assert_same_dataset(ds, back);
    ag_dataset_free(back);

    /* The store stays usable after the failed transaction. */
    raw_exec(f->db, "DROP TRIGGER boom");
    assert_int_equal(ag_store_put_dataset(st, bad, &inserted, &ei), AG_OK);
    assert_int_equal(inserted, 3);

    ag_dataset_free(bad);
    ag_dataset_free(ds);
    ag_store_close(st);
}

/* One CPU series of n samples every step_ms from t0, value f(i). */
static ag_dataset *series_dataset(int64_t t0, int64_t step_ms, int n, double add)
{
    ag_dataset *ds = ag_dataset_new();
    ag_container *c;
    assert_non_null(ds);
    c = ag_dataset_container(ds, "m", "p", "c");
    assert_non_null(c);
    for (int i = 0; i < n; i++)
        assert_int_equal(ag_samples_push(&c->usage[AG_CPU], t0 + i * step_ms, add + i), AG_OK);
    assert_int_equal(ag_dataset_finish(ds, INT64_MIN, INT64_MAX, NULL), AG_OK);
    return ds;
}

/* Imports that overlap stored chunks: counts of new samples are exact,
 * the newer value wins, loads cut chunks at the window's bounds. */
static void test_merge_chunks(void **state)
{
    fixture *f = *state;
    const int64_t day = AG__CHUNK_MS, d0 = 19675 * AG__CHUNK_MS, min = 60000;
    /* a: 10:00 of day 0 to 10:00 of day 1; b: 20:00 of day 0 to 05:00 of day 2 */
    ag_dataset *a = series_dataset(d0 + 10 * 60 * min, min, 24 * 60 + 1, 0.0);
    ag_dataset *b = series_dataset(d0 + 20 * 60 * min, min, 33 * 60 + 1, 0.5), *back;
    ag_errinfo ei = {{0}};
    ag_store_stats stats;
    uint64_t inserted;
    int64_t lo, hi;
    const ag_samples *s;
    ag_store *st = open_ok(f->db);

    assert_int_equal(ag_store_put_dataset(st, a, &inserted, &ei), AG_OK);
    assert_int_equal(inserted, 24 * 60 + 1);
    assert_string_equal(raw_text(f->db, "SELECT count(*) FROM chunk"), "2");
    /* b overlaps a from 20:00 of day 0 to 10:00 of day 1: 14 h + 1 sample */
    assert_int_equal(ag_store_put_dataset(st, b, &inserted, &ei), AG_OK);
    assert_int_equal(inserted, 33 * 60 + 1 - (14 * 60 + 1));
    assert_string_equal(raw_text(f->db, "SELECT count(*) FROM chunk"), "3");
    assert_int_equal(ag_store_put_dataset(st, b, &inserted, &ei), AG_OK);
    assert_int_equal(inserted, 0);
    assert_int_equal(ag_store_stats_get(st, &stats, &ei), AG_OK);
    assert_int_equal(stats.samples, 24 * 60 + 1 + 33 * 60 + 1 - (14 * 60 + 1));
    assert_int_equal(ag_store_time_range(st, &lo, &hi, &ei), AG_OK);
    assert_int_equal(lo, d0 + 10 * 60 * min);
    assert_int_equal(hi, d0 + 20 * 60 * min + 33 * 60 * min);

    back = load_all(st, INT64_MIN, INT64_MAX, NULL);
    s = &ag_dataset_at(back, 0)->usage[AG_CPU];
    assert_int_equal(s->n, stats.samples);
    for (size_t i = 0; i < s->n; i++) {
        int64_t k = (s->v[i].t_ms - d0) / min; /* minutes since day 0 */
        assert_int_equal(s->v[i].t_ms, d0 + (int64_t)(10 * 60 + i) * min);
        /* b's values (0.5 + i) from 20:00 on, a's (i) before */
        assert_true(s->v[i].v == (k >= 20 * 60 ? 0.5 + (double)(k - 20 * 60) : (double)(k - 600)));
    }
    ag_dataset_free(back);

    /* A window across a chunk boundary, both ends included. */
    back = load_all(st, d0 + day - 5 * min, d0 + day + 5 * min, NULL);
    assert_int_equal(total_samples(back), 11);
    assert_int_equal(ag_dataset_at(back, 0)->usage[AG_CPU].v[0].t_ms, d0 + day - 5 * min);
    ag_dataset_free(back);
    /* One sample far away (a gap of a month) is a chunk of its own. */
    ag_dataset_free(a);
    a = series_dataset(d0 + 40 * day + 1, min, 1, 7.0);
    assert_int_equal(ag_store_put_dataset(st, a, &inserted, &ei), AG_OK);
    assert_int_equal(inserted, 1);
    assert_int_equal(ag_store_time_range(st, &lo, &hi, &ei), AG_OK);
    assert_int_equal(hi, d0 + 40 * day + 1);
    back = load_all(st, d0 + 39 * day, INT64_MAX, NULL);
    assert_int_equal(total_samples(back), 1);
    ag_dataset_free(back);

    ag_dataset_free(a);
    ag_dataset_free(b);
    ag_store_close(st);
}

/* An unfinished dataset: unsorted, duplicate times (the last wins, counted
 * once), NaN skipped; times the chunks cannot hold are refused. */
static void test_unsorted_input(void **state)
{
    fixture *f = *state;
    ag_dataset *ds = ag_dataset_new(), *back;
    ag_errinfo ei = {{0}};
    uint64_t inserted;
    ag_container *c;
    const ag_samples *s;
    ag_store *st = open_ok(f->db);

    assert_non_null(ds);
    c = ag_dataset_container(ds, "u", "p", "c");
    assert_non_null(c);
    assert_int_equal(ag_samples_push(&c->usage[AG_MEMORY], T0 + 2 * STEP, 3.0), AG_OK);
    assert_int_equal(ag_samples_push(&c->usage[AG_MEMORY], T0, 1.0), AG_OK);
    assert_int_equal(ag_samples_push(&c->usage[AG_MEMORY], T0 + 2 * STEP, 4.0), AG_OK);
    assert_int_equal(ag_samples_push(&c->usage[AG_MEMORY], T0 + STEP, NAN), AG_OK);
    assert_int_equal(ag_samples_push(&c->usage[AG_MEMORY], -1000, 9.0), AG_OK);
    assert_int_equal(ag_store_put_dataset(st, ds, &inserted, &ei), AG_OK);
    assert_int_equal(inserted, 3);
    back = load_all(st, INT64_MIN, INT64_MAX, NULL);
    s = &ag_dataset_at(back, 0)->usage[AG_MEMORY];
    assert_int_equal(s->n, 3);
    assert_int_equal(s->v[0].t_ms, -1000);
    assert_true(s->v[2].v == 4.0);
    ag_dataset_free(back);

    assert_int_equal(ag_samples_push(&c->usage[AG_MEMORY], INT64_MAX, 1.0), AG_OK);
    assert_int_equal(ag_store_put_dataset(st, ds, &inserted, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "u/p/c"));
    assert_non_null(strstr(ei.msg, "out of range"));
    ag_dataset_free(ds);
    ag_store_close(st);
}

/* A damaged chunk blob (a bad disk, another program) is an AG_ESTORE
 * naming the chunk, for loads and for imports that merge into it. */
static void test_damaged_chunk(void **state)
{
    fixture *f = *state;
    ag_dataset *ds = make_dataset(10), *back = ag_dataset_new();
    ag_errinfo ei = {{0}};
    ag_store *st = open_ok(f->db);

    assert_non_null(back);
    assert_int_equal(ag_store_put_dataset(st, ds, NULL, &ei), AG_OK);
    raw_exec(f->db, "UPDATE chunk SET data = X'01FFFF' WHERE id = (SELECT min(id) FROM chunk)");
    assert_int_equal(ag_store_load(st, back, INT64_MIN, INT64_MAX, NULL, &ei), AG_ESTORE);
    assert_non_null(strstr(ei.msg, "damaged"));
    assert_int_equal(ag_store_put_dataset(st, ds, NULL, &ei), AG_ESTORE);
    assert_non_null(strstr(ei.msg, "damaged"));
    /* A valid blob whose count disagrees with the row's n. */
    raw_exec(f->db, "UPDATE chunk SET data = (SELECT data FROM chunk ORDER BY id DESC LIMIT 1), "
                    "n = n + 1 WHERE id = (SELECT min(id) FROM chunk)");
    ag_dataset_free(back);
    back = ag_dataset_new();
    assert_non_null(back);
    assert_int_equal(ag_store_load(st, back, INT64_MIN, INT64_MAX, NULL, &ei), AG_ESTORE);
    assert_non_null(strstr(ei.msg, "damaged"));
    ag_dataset_free(back);
    ag_dataset_free(ds);
    ag_store_close(st);
}

/* A version 2 file (one row per sample) is carried to chunks: every
 * sample kept bit for bit, the old table dropped, in one transaction. */
static void test_migrate_v2_samples(void **state)
{
    fixture *f = *state;
    ag_errinfo ei = {{0}};
    ag_store_stats stats;
    ag_dataset *back;
    int64_t lo, hi;
    ag_store *st;

    ag__store_set_migrations(ag__store_migrations, 2);
    st = open_ok(f->db);
    assert_int_equal(ag_store_schema_version(st), 2);
    ag_store_close(st);
    /* Two containers; 3 days and a bit at 30 s for CPU, memory before
     * the epoch too (negative times round down to their chunk). */
    raw_exec(f->db,
             "INSERT INTO container (id, namespace, pod, container, owner_kind, owner_name) "
             "VALUES (1, 'ns', 'a', 'c', 'Deployment', 'a'), (2, 'ns', 'b', 'c', NULL, NULL);"
             "WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i WHERE x < 9000) "
             "INSERT INTO sample SELECT 1, 0, 1700000000000 + x * 30000, x / 7.0 FROM i;"
             "WITH RECURSIVE i(x) AS (SELECT 0 UNION ALL SELECT x + 1 FROM i WHERE x < 99) "
             "INSERT INTO sample SELECT 2, 1, -50000000 + x * 1000000, 1e9 + x * 4096 FROM i;");
    ag__store_set_migrations(NULL, 0);
    st = open_ok(f->db);
    assert_int_equal(ag_store_schema_version(st), (int)ag__store_nmigrations);
    assert_string_equal(raw_text(f->db, "SELECT count(*) FROM sqlite_schema WHERE name = 'sample'"),
                        "0");
    assert_int_equal(ag_store_stats_get(st, &stats, &ei), AG_OK);
    assert_int_equal(stats.samples, 9001 + 100);
    assert_int_equal(stats.containers, 2);
    assert_int_equal(ag_store_time_range(st, &lo, &hi, &ei), AG_OK);
    assert_int_equal(lo, -50000000);
    assert_int_equal(hi, 1700000000000LL + 9000 * 30000LL);
    back = load_all(st, INT64_MIN, INT64_MAX, NULL);
    assert_int_equal(ag_dataset_count(back), 2);
    for (size_t i = 0; i < ag_dataset_count(back); i++) {
        const ag_container *c = ag_dataset_at(back, i);
        if (strcmp(c->pod, "a") == 0) {
            assert_string_equal(c->owner_name, "a");
            assert_int_equal(c->usage[AG_CPU].n, 9001);
            for (int x = 0; x <= 9000; x++) {
                assert_int_equal(c->usage[AG_CPU].v[x].t_ms, 1700000000000LL + x * 30000LL);
                assert_true(c->usage[AG_CPU].v[x].v == x / 7.0);
            }
        } else {
            assert_int_equal(c->usage[AG_MEMORY].n, 100);
            for (int x = 0; x < 100; x++) {
                assert_int_equal(c->usage[AG_MEMORY].v[x].t_ms, -50000000LL + x * 1000000LL);
                assert_true(c->usage[AG_MEMORY].v[x].v == 1e9 + x * 4096.0);
            }
        }
    }
    ag_dataset_free(back);
    ag_store_close(st);
}

/* A v2 file the migration cannot carry (an infinite value, which augur
 * never wrote) is refused and left untouched at version 2. */
static void test_migrate_v2_refused(void **state)
{
    fixture *f = *state;
    ag_errinfo ei = {{0}};
    ag_store *st;

    ag__store_set_migrations(ag__store_migrations, 2);
    st = open_ok(f->db);
    ag_store_close(st);
    raw_exec(f->db,
             "INSERT INTO container (id, namespace, pod, container) VALUES (1, 'n', 'p', 'c');"
             "INSERT INTO sample VALUES (1, 0, 1000, 1.0), (1, 0, 2000, 9e999)");
    ag__store_set_migrations(NULL, 0);
    assert_int_equal(ag_store_open(f->db, &st, &ei), AG_ESTORE);
    assert_non_null(strstr(ei.msg, "from version 2 to 3"));
    assert_non_null(strstr(ei.msg, "ag_chunk"));
    assert_string_equal(raw_text(f->db, "PRAGMA user_version"), "2");
    assert_string_equal(raw_text(f->db, "SELECT count(*) FROM sample"), "2");
    assert_string_equal(raw_text(f->db, "SELECT count(*) FROM sqlite_schema WHERE name = 'chunk'"),
                        "0");
}

/* Several processes creating the same new file at once: each migration
 * step must run once (the version is re-read under the write lock). */
static void test_concurrent_create(void **state)
{
    fixture *f = *state;
    char path[160];

    for (int round = 0; round < 5; round++) {
        pid_t pids[4];
        snprintf(path, sizeof path, "%s/race%d/augur.db", f->dir, round);
        for (int i = 0; i < 4; i++) {
            pids[i] = fork();
            assert_true(pids[i] >= 0);
            if (pids[i] == 0) {
                ag_errinfo ei = {{0}};
                ag_store *st = NULL;
                ag_err err = ag_store_open(path, &st, &ei);
                if (err)
                    fprintf(stderr, "child %d: %s\n", i, ag_errinfo_str(&ei, err));
                ag_store_close(st);
                _exit(err ? 1 : 0);
            }
        }
        for (int i = 0; i < 4; i++) {
            int status = 0;
            assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
            assert_true(WIFEXITED(status));
            assert_int_equal(WEXITSTATUS(status), 0);
        }
        assert_string_equal(raw_text(path, "PRAGMA user_version"), "3");
    }
}

/* Raw CPU counters are never stored: a dataset not yet finished is refused. */
static void test_unfinished_refused(void **state)
{
    fixture *f = *state;
    ag_dataset *ds = ag_dataset_new();
    ag_errinfo ei = {{0}};
    ag_store_stats stats;
    ag_store *st = open_ok(f->db);
    ag_container *c;

    assert_non_null(ds);
    c = ag_dataset_container(ds, "ns", "p", "c");
    assert_non_null(c);
    assert_int_equal(ag_samples_push(&c->usage[AG_MEMORY], T0, 1.0), AG_OK);
    assert_int_equal(ag_samples_push(&c->cpu_counter, T0, 10.0), AG_OK);
    assert_int_equal(ag_store_put_dataset(st, ds, NULL, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "ns/p/c"));
    assert_int_equal(ag_store_stats_get(st, &stats, &ei), AG_OK);
    assert_int_equal(stats.containers, 0);
    assert_int_equal(stats.samples, 0);
    ag_dataset_free(ds);
    ag_store_close(st);
}

static void test_load_out_of_memory(void **state)
{
    fixture *f = *state;
    ag_dataset *ds = make_dataset(5);
    ag_errinfo ei = {{0}};
    ag_store *st = open_ok(f->db);

    assert_int_equal(ag_store_put_dataset(st, ds, NULL, &ei), AG_OK);
    for (long k = 1;; k++) {
        ag_dataset *back = ag_dataset_new();
        ag_err err;
        assert_non_null(back);
        ag__alloc_fail_after(k);
        err = ag_store_load(st, back, INT64_MIN, INT64_MAX, NULL, &ei);
        ag__alloc_fail_after(0);
        if (err == AG_OK) {
            assert_int_equal(ag_dataset_finish(back, INT64_MIN, INT64_MAX, NULL), AG_OK);
            assert_same_dataset(ds, back);
            ag_dataset_free(back);
            break;
        }
        assert_int_equal(err, AG_ENOMEM);
        ag_dataset_free(back);
        assert_true(k < 1000);
    }
    ag_dataset_free(ds);
    ag_store_close(st);
}

/* Out of memory at every allocation of an import that merges into stored
 * chunks and sorts an unsorted series: AG_ENOMEM and nothing changed. */
static void test_put_out_of_memory(void **state)
{
    fixture *f = *state;
    ag_dataset *ds = make_dataset(5), *more = make_dataset(8), *back;
    ag_errinfo ei = {{0}};
    ag_store_stats stats;
    uint64_t inserted;
    ag_container *c;
    ag_store *st = open_ok(f->db);

    assert_int_equal(ag_store_put_dataset(st, ds, NULL, &ei), AG_OK);
    c = ag_dataset_at(more, 0);
    assert_int_equal(ag_samples_push(&c->usage[AG_CPU], T0 - STEP, 2.0), AG_OK); /* unsorted */
    for (long k = 1;; k++) {
        ag_err err;
        ag__alloc_fail_after(k);
        err = ag_store_put_dataset(st, more, &inserted, &ei);
        ag__alloc_fail_after(0);
        if (err == AG_OK)
            break;
        assert_int_equal(err, AG_ENOMEM);
        assert_int_equal(inserted, 0);
        assert_int_equal(ag_store_stats_get(st, &stats, &ei), AG_OK);
        assert_int_equal(stats.samples, 6 * 2 * 5);
        assert_true(k < 1000);
    }
    assert_int_equal(inserted, 6 * 2 * 3 + 1);
    back = load_all(st, INT64_MIN, INT64_MAX, NULL);
    assert_int_equal(total_samples(back), 6 * 2 * 8 + 1);
    ag_dataset_free(back);
    ag_dataset_free(more);
    ag_dataset_free(ds);
    ag_store_close(st);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* 100 containers x 2 resources x n/200 samples. Asserts counts; prints time. */
static void test_import_speed(void **state)
{
    fixture *f = *state;
    const char *env = getenv("AG_STORE_BENCH_N");
    long n = env ? atol(env) : 100000;
    long per = n / 200 > 0 ? n / 200 : 1;
    ag_dataset *ds = ag_dataset_new(), *back;
    ag_errinfo ei = {{0}};
    ag_store_stats stats;
    uint64_t inserted;
    double t;
    ag_store *st = open_ok(f->db);
    ag_err err;

    assert_non_null(ds);
    for (int k = 0; k < 100; k++) {
        char pod[32];
        ag_container *c;
        snprintf(pod, sizeof pod, "web-%d", k);
        c = ag_dataset_container(ds, "load", pod, "app");
        assert_non_null(c);
        for (long i = 0; i < per; i++) {
            assert_int_equal(ag_samples_push(&c->usage[AG_CPU], T0 + i * STEP, 0.5 + i % 7), AG_OK);
            assert_int_equal(ag_samples_push(&c->usage[AG_MEMORY], T0 + i * STEP, 1e9 + i), AG_OK);
        }
    }
    assert_int_equal(ag_dataset_finish(ds, INT64_MIN, INT64_MAX, NULL), AG_OK);

    t = now_s();
    err = ag_store_put_dataset(st, ds, &inserted, &ei);
    t = now_s() - t;
    if (err)
        fail_msg("%s", ag_errinfo_str(&ei, err));
    assert_int_equal(inserted, (uint64_t)(100 * 2 * per));
    fprintf(stderr, "import of %ld new samples: %.3f s (%.0f samples/s)\n", 200 * per, t,
            200 * per / t);

    t = now_s();
    assert_int_equal(ag_store_put_dataset(st, ds, &inserted, &ei), AG_OK);
    t = now_s() - t;
    assert_int_equal(inserted, 0);
    fprintf(stderr, "re-import of the same %ld samples: %.3f s\n", 200 * per, t);

    assert_int_equal(ag_store_stats_get(st, &stats, &ei), AG_OK);
    assert_int_equal(stats.samples, (uint64_t)(100 * 2 * per));

    t = now_s();
    back = load_all(st, INT64_MIN, INT64_MAX, NULL);
    t = now_s() - t;
    fprintf(stderr, "load + finish of %ld samples: %.3f s\n", 200 * per, t);
    assert_int_equal(total_samples(back), (uint64_t)(100 * 2 * per));
    ag_dataset_free(back);
    ag_dataset_free(ds);
    ag_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_dirs_wal, setup, teardown),
        cmocka_unit_test_setup_teardown(test_default_path, setup, teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_twice, setup, teardown),
        cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_database, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newer_schema, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mkdir_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_create, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unfinished_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_load_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_put_out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merge_chunks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unsorted_input, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damaged_chunk, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v2_samples, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrate_v2_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_import_speed, setup, teardown),
    };
    return cmocka_run_group_tests_name(AG_TEST_NAME, tests, NULL, NULL);
}
