/*
 * tests/store/test_store_forecast.c - forecasts in the store (schema v2):
 * a run's forecast points written and listed back in order, the newest
 * run chosen by default, all-or-nothing writes (a non-finite value or an
 * unknown run leaves nothing), rows deleted with their run, and a file
 * at version 1 (before forecasts) carried forward with its runs kept.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <math.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ag_test.h"
#include "augur/store.h"
#include "store/store_int.h"

#define T0 1709859600000LL
#define STEP 3600000LL

typedef struct fixture {
    char dir[64];
    char db[128];
    ag_store *st;
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
    ag_errinfo ei = {{0}};
    assert_non_null(f);
    strcpy(f->dir, "/tmp/augur-storefc-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->db, sizeof f->db, "%s/augur.db", f->dir);
    assert_int_equal(ag_store_open(f->db, &f->st, &ei), AG_OK);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    ag_store_close(f->st);
    ag__store_set_migrations(NULL, 0);
    nftw(f->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    free(f);
    return 0;
}

static int64_t put_run(ag_store *st, const char *algo)
{
    ag_errinfo ei = {{0}};
    ag_run r = {.created_ms = T0,
                .start_ms = T0 - 86400000,
                .end_ms = T0 - STEP,
                .algorithm = algo,
                .n_results = 1};
    int64_t id = 0;
    assert_int_equal(ag_store_put_run(st, &r, &id, &ei), AG_OK);
    assert_true(id > 0);
    return id;
}

/* A 3-step forecast with quantiles 0.5 and 0.95. */
typedef struct fc3 {
    double mean[3], qs[2], q[6];
    ag_store_fc fc;
} fc3;

static void fc3_init(fc3 *x, int64_t run, const char *wl, int r, double base)
{
    for (int h = 0; h < 3; h++) {
        x->mean[h] = base + h;
        x->q[h] = base + h;           /* p50 */
        x->q[3 + h] = base + h + 0.5; /* p95 */
    }
    x->qs[0] = 0.5;
    x->qs[1] = 0.95;
    x->fc = (ag_store_fc){.run_id = run,
                          .ns = "shop",
                          .kind = "Deployment",
                          .workload = wl,
                          .container = "app",
                          .resource = r,
                          .model = "holt",
                          .t0_ms = T0,
                          .step_ms = STEP,
                          .horizon = 3,
                          .mean = x->mean,
                          .nq = 2,
                          .quantiles = x->qs,
                          .q = x->q};
}

static void test_round_trip(void **state)
{
    fixture *f = *state;
    ag_errinfo ei = {{0}};
    ag_store_fc_row *rows;
    size_t n;
    fc3 a, b;
    int64_t run = put_run(f->st, "forecast:auto");

    fc3_init(&a, run, "web", AG_MEMORY, 100);
    fc3_init(&b, run, "web", AG_CPU, 1);
    ag_store_fc both[2] = {a.fc, b.fc};
    assert_int_equal(ag_store_put_forecasts(f->st, both, 2, &ei), AG_OK);
    assert_int_equal(ag_store_list_forecasts(f->st, run, &rows, &n, &ei), AG_OK);
    assert_int_equal(n, 2 * 3 * 3);
    /* CPU (0) before memory (1), time ascending, the mean first */
    assert_int_equal(rows[0].resource, AG_CPU);
    assert_true(isnan(rows[0].quantile));
    assert_double_near(rows[0].value, 1, 0);
    assert_double_near(rows[1].quantile, 0.5, 0);
    assert_double_near(rows[2].quantile, 0.95, 0);
    assert_double_near(rows[2].value, 1.5, 0);
    assert_int_equal(rows[3].t_ms, T0 + STEP);
    assert_int_equal(rows[9].resource, AG_MEMORY);
    assert_double_near(rows[17].value, 102.5, 0);
    assert_string_equal(rows[5].ns, "shop");
    assert_string_equal(rows[5].kind, "Deployment");
    assert_string_equal(rows[5].workload, "web");
    assert_string_equal(rows[5].container, "app");
    assert_string_equal(rows[5].model, "holt");
    assert_int_equal(rows[5].run_id, run);
    assert_int_equal(rows[5].horizon, 3);
    assert_int_equal(rows[5].step_ms, STEP);
    ag_store_fc_rows_free(rows, n);
}

static void test_newest_run_by_default(void **state)
{
    fixture *f = *state;
    ag_errinfo ei = {{0}};
    ag_store_fc_row *rows;
    size_t n;
    fc3 a, b;
    int64_t r1 = put_run(f->st, "forecast:auto"), r2;

    assert_int_equal(ag_store_list_forecasts(f->st, 0, &rows, &n, &ei), AG_OK);
    assert_int_equal(n, 0);
    assert_null(rows);
    fc3_init(&a, r1, "old", AG_CPU, 1);
    assert_int_equal(ag_store_put_forecasts(f->st, &a.fc, 1, &ei), AG_OK);
    r2 = put_run(f->st, "forecast:holt");
    fc3_init(&b, r2, "new", AG_CPU, 1);
    assert_int_equal(ag_store_put_forecasts(f->st, &b.fc, 1, &ei), AG_OK);
    assert_int_equal(ag_store_list_forecasts(f->st, 0, &rows, &n, &ei), AG_OK);
    assert_int_equal(n, 9);
    assert_string_equal(rows[0].workload, "new");
    ag_store_fc_rows_free(rows, n);
    assert_int_equal(ag_store_list_forecasts(f->st, r1, &rows, &n, &ei), AG_OK);
    assert_int_equal(n, 9);
    assert_string_equal(rows[8].workload, "old");
    ag_store_fc_rows_free(rows, n);
}

static void test_all_or_nothing(void **state)
{
    fixture *f = *state;
    ag_errinfo ei = {{0}};
    ag_store_fc_row *rows;
    size_t n;
    fc3 a, b;
    int64_t run = put_run(f->st, "forecast:auto");

    fc3_init(&a, run, "good", AG_CPU, 1);
    fc3_init(&b, run, "bad", AG_CPU, 1);
    b.q[4] = NAN;
    ag_store_fc both[2] = {a.fc, b.fc};
    assert_int_equal(ag_store_put_forecasts(f->st, both, 2, &ei), AG_EINVAL);
    assert_non_null(strstr(ei.msg, "non-finite"));
    assert_non_null(strstr(ei.msg, "bad"));
    /* an unknown run is refused by the foreign key */
    fc3_init(&b, run + 100, "orphan", AG_CPU, 1);
    assert_int_equal(ag_store_put_forecasts(f->st, &b.fc, 1, &ei), AG_ESTORE);
    assert_non_null(strstr(ei.msg, "FOREIGN KEY"));
    /* a bad resource */
    fc3_init(&b, run, "x", 7, 1);
    assert_int_equal(ag_store_put_forecasts(f->st, &b.fc, 1, &ei), AG_EINVAL);
    assert_int_equal(ag_store_list_forecasts(f->st, run, &rows, &n, &ei), AG_OK);
    assert_int_equal(n, 0);
    /* and the store still works */
    assert_int_equal(ag_store_put_forecasts(f->st, &a.fc, 1, &ei), AG_OK);
    assert_int_equal(ag_store_list_forecasts(f->st, run, &rows, &n, &ei), AG_OK);
    assert_int_equal(n, 9);
    ag_store_fc_rows_free(rows, n);
}

static void test_deleted_with_run(void **state)
{
    fixture *f = *state;
    ag_errinfo ei = {{0}};
    ag_store_fc_row *rows;
    size_t n;
    fc3 a;
    int64_t run = put_run(f->st, "forecast:auto");
    sqlite3 *db;

    fc3_init(&a, run, "web", AG_CPU, 1);
    assert_int_equal(ag_store_put_forecasts(f->st, &a.fc, 1, &ei), AG_OK);
    assert_int_equal(sqlite3_open(f->db, &db), SQLITE_OK);
    assert_int_equal(
        sqlite3_exec(db, "PRAGMA foreign_keys = ON; DELETE FROM run", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(ag_store_list_forecasts(f->st, run, &rows, &n, &ei), AG_OK);
    assert_int_equal(n, 0);
}

static void test_migrates_v1(void **state)
{
    fixture *f = *state;
    ag_errinfo ei = {{0}};
    ag_store_stats stats;
    ag_store_fc_row *rows;
    size_t n;
    char path[160];
    ag_store *st;
    fc3 a;
    int64_t run;

    /* a store written by augur before forecasts (version 1) */
    snprintf(path, sizeof path, "%s/v1.db", f->dir);
    ag__store_set_migrations(ag__store_migrations, 1);
    assert_int_equal(ag_store_open(path, &st, &ei), AG_OK);
    assert_int_equal(ag_store_schema_version(st), 1);
    run = put_run(st, "vpa");
    ag_store_close(st);
    ag__store_set_migrations(NULL, 0);
    assert_int_equal(ag_store_open(path, &st, &ei), AG_OK);
    assert_int_equal(ag_store_schema_version(st), (int)ag__store_nmigrations);
    assert_int_equal(ag_store_stats_get(st, &stats, &ei), AG_OK);
    assert_int_equal(stats.runs, 1);
    fc3_init(&a, run, "web", AG_CPU, 1);
    assert_int_equal(ag_store_put_forecasts(st, &a.fc, 1, &ei), AG_OK);
    assert_int_equal(ag_store_list_forecasts(st, 0, &rows, &n, &ei), AG_OK);
    assert_int_equal(n, 9);
    ag_store_fc_rows_free(rows, n);
    ag_store_close(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_newest_run_by_default, setup, teardown),
        cmocka_unit_test_setup_teardown(test_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deleted_with_run, setup, teardown),
        cmocka_unit_test_setup_teardown(test_migrates_v1, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
