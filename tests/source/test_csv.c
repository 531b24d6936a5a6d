/*
 * tests/source/test_csv.c - the long CSV reader: header matching by name,
 * quoting, timestamps, empty cells, requests/limits, and malformed rows
 * reported with file:line while the other rows are kept.
 */
#include <math.h>
#include "source/source_fixture.h"
#include "augur/source.h"
#include "util/alloc.h"

static ag_err parse(fixture *f, const char *text)
{
    return ag_csv_parse(f->ds, "h.csv", text, strlen(text), &f->opts, &f->st, &f->ei);
}

static void test_basic(void **state)
{
    fixture *f = *state;
    ag_container *c;
    const char *text = "timestamp,namespace,pod,container,cpu_cores,memory_bytes\n"
                       "1700000000,shop,web-1,app,0.25,104857600\n"
                       "1700000015,shop,web-1,app,0.5,209715200\n"
                       "1700000000,shop,web-2,app,1,1e9\n";

    assert_int_equal(parse(f, text), AG_OK);
    assert_int_equal(ag_dataset_count(f->ds), 2);
    c = get(f, "shop", "web-1", "app");
    assert_int_equal(c->usage[AG_CPU].n, 2);
    assert_int_equal(c->usage[AG_CPU].v[0].t_ms, 1700000000000LL);
    assert_double_near(c->usage[AG_CPU].v[0].v, 0.25, 0);
    assert_double_near(c->usage[AG_CPU].v[1].v, 0.5, 0);
    assert_int_equal(c->usage[AG_MEMORY].v[1].t_ms, 1700000015000LL);
    assert_double_near(c->usage[AG_MEMORY].v[1].v, 209715200, 0);
    assert_int_equal(c->cpu_counter.n, 0); /* CSV CPU is already a rate */
    assert_double_near(get(f, "shop", "web-2", "app")->usage[AG_MEMORY].v[0].v, 1e9, 0);
    assert_true(isnan(c->request[AG_CPU]));
    assert_int_equal(f->st.lines, 4);
    assert_int_equal(f->st.malformed, 0);
    assert_int_equal(f->w.n, 0);
}

static void test_any_order_quotes_bom_crlf(void **state)
{
    fixture *f = *state;
    ag_container *c;
    const char *text = "\xEF\xBB\xBF"
                       "Memory_Bytes,cluster,container,pod,namespace,timestamp,cpu_cores\r\n"
                       "\r\n"
                       "5,\"eu,west\",\"my \"\"app\"\"\", web-1 ,shop,2023-11-14T22:13:20Z,0.1\r\n"
                       "6,eu,\"my \"\"app\"\"\",web-1,shop,2023-11-14T22:13:35.5+00:00,0.2";

    assert_int_equal(parse(f, text), AG_OK);
    assert_int_equal(f->st.malformed, 0);
    c = get(f, "shop", "web-1", "my \"app\"");
    assert_int_equal(c->usage[AG_MEMORY].n, 2);
    assert_int_equal(c->usage[AG_MEMORY].v[0].t_ms, 1700000000000LL);
    assert_int_equal(c->usage[AG_MEMORY].v[1].t_ms, 1700000015500LL);
    assert_double_near(c->usage[AG_CPU].v[1].v, 0.2, 0);
    assert_int_equal(f->st.lines, 4);
}

static void test_empty_cells_unknown(void **state)
{
    fixture *f = *state;
    ag_container *c;
    const char *text = "timestamp,namespace,pod,container,cpu_cores,memory_bytes\n"
                       "1700000000,a,p,c,,100\n"
                       "1700000015,a,p,c,0.5,\n"
                       "1700000030,a,p,c,NaN,-1\n"
                       "1700000045,a,p,POD,1,1\n";

    assert_int_equal(parse(f, text), AG_OK);
    assert_int_equal(ag_dataset_count(f->ds), 1);
    c = get(f, "a", "p", "c");
    assert_int_equal(c->usage[AG_CPU].n, 2);
    assert_int_equal(c->usage[AG_CPU].v[0].t_ms, 1700000015000LL);
    /* NaN and negatives are left for ag_dataset_finish() to drop and count */
    assert_true(isnan(c->usage[AG_CPU].v[1].v));
    assert_int_equal(c->usage[AG_MEMORY].n, 2);
    assert_double_near(c->usage[AG_MEMORY].v[1].v, -1, 0);
    assert_int_equal(f->st.malformed, 0);
}

static void test_requests_limits(void **state)
{
    fixture *f = *state;
    ag_container *c;
    const char *text = "timestamp,namespace,pod,container,cpu_cores,memory_bytes,"
                       "cpu_request_cores,memory_request_bytes,cpu_limit_cores,memory_limit_bytes\n"
                       "1700000100,a,p,c,0.1,100,0.25,268435456,1,536870912\n"
                       "1700000000,a,p,c,0.1,100,0.5,1,2,2\n"
                       "1700000200,a,p,c,0.1,100,,,,1073741824\n";

    assert_int_equal(parse(f, text), AG_OK);
    c = get(f, "a", "p", "c");
    assert_double_near(c->request[AG_CPU], 0.25, 0);
    assert_double_near(c->limit[AG_CPU], 1, 0);
    assert_double_near(c->request[AG_MEMORY], 268435456, 0);
    assert_double_near(c->limit[AG_MEMORY], 1073741824, 0);
    assert_int_equal(c->spec_t_ms[AG_MEMORY], 1700000200000LL);
    assert_int_equal(c->usage[AG_CPU].n, 3);
}

static void test_missing_column(void **state)
{
    fixture *f = *state;
    const char *text = "\n\ntimestamp,namespace,pod,container,memory_bytes\n"
                       "1700000000,a,p,c,1\n";

    assert_int_equal(parse(f, text), AG_EPARSE);
    assert_non_null(strstr(f->ei.msg, "h.csv:3:"));
    assert_non_null(strstr(f->ei.msg, "'cpu_cores'"));
    assert_int_equal(ag_dataset_count(f->ds), 0);
}

static void test_no_header(void **state)
{
    fixture *f = *state;

    assert_int_equal(parse(f, ""), AG_EPARSE);
    assert_non_null(strstr(f->ei.msg, "h.csv:1: no CSV header"));
    memset(&f->ei, 0, sizeof f->ei);
    assert_int_equal(parse(f, "\r\n  \n"), AG_EPARSE);
    assert_non_null(strstr(f->ei.msg, "no CSV header"));
    /* data without a header: the first row is taken as the header */
    assert_int_equal(parse(f, "1700000000,a,p,c,1,2\n"), AG_EPARSE);
    assert_non_null(strstr(f->ei.msg, "h.csv:1: the CSV header lacks the column 'timestamp'"));
}

static void test_malformed_rows(void **state)
{
    fixture *f = *state;
    ag_container *c;
    const char *text = "timestamp,namespace,pod,container,cpu_cores,memory_bytes\n"
                       "1700000000,a,p,c,0.1,1\n"
                       "1700000015,a,p,c,0.1\n"
                       "yesterday,a,p,c,0.1,1\n"
                       "2023-13-45T00:00:00Z,a,p,c,0.1,1\n"
                       "1700000030,a,p,c,lots,1\n"
                       "1700000045,a,p,c,0x10,1\n"
                       "1700000060,a,\"p,c,0.1,1\n"
                       "1700000075,a,\"p\"x,c,0.1,1\n"
                       "1700000090,,p,c,0.1,1\n"
                       "1700000105,a,p,c,0.1,1,extra\n"
                       "1700000120,a,p,c,0.2,2\n";

    assert_int_equal(parse(f, text), AG_OK);
    c = get(f, "a", "p", "c");
    assert_int_equal(c->usage[AG_CPU].n, 2);
    assert_double_near(c->usage[AG_CPU].v[1].v, 0.2, 0);
    assert_int_equal(f->st.malformed, 9);
    assert_int_equal(f->w.n, 9);
    assert_non_null(strstr(f->w.all, "h.csv:3: row has 5 fields, the header has 6"));
    assert_non_null(strstr(f->w.all, "h.csv:4: invalid timestamp 'yesterday'"));
    assert_non_null(strstr(f->w.all, "h.csv:5: invalid timestamp"));
    assert_non_null(strstr(f->w.all, "h.csv:6: invalid number 'lots' in column cpu_cores"));
    assert_non_null(strstr(f->w.all, "h.csv:7: invalid number '0x10'"));
    assert_non_null(strstr(f->w.all, "h.csv:8: unterminated quoted field"));
    assert_non_null(strstr(f->w.all, "h.csv:9: unexpected text after a quoted field"));
    assert_non_null(strstr(f->w.all, "h.csv:10: empty namespace"));
    assert_non_null(strstr(f->w.all, "h.csv:11: row has 7 fields"));
}

static void test_long_line(void **state)
{
    fixture *f = *state;
    char text[512];
    int n = snprintf(text, sizeof text,
                     "timestamp,namespace,pod,container,cpu_cores,memory_bytes\n"
                     "1700000000,a,p%0100d,c,0.1,1\n1700000000,a,p,c,0.1,1\n",
                     0);

    f->opts.max_line = 80;
    assert_int_equal(ag_csv_parse(f->ds, "h.csv", text, (size_t)n, &f->opts, &f->st, &f->ei),
                     AG_OK);
    assert_non_null(strstr(f->w.all, "h.csv:2: line longer than 80 bytes"));
    assert_int_equal(ag_dataset_count(f->ds), 1);
    assert_int_equal(f->st.malformed, 1);
}

static void test_out_of_memory(void **state)
{
    const char *text = "timestamp,namespace,pod,container,cpu_cores,memory_bytes,cpu_limit_cores\n"
                       "1700000000,a,p,c,0.1,1,2\n"
                       "1700000000,a,q,c,0.1,1,2\n";
    long k;
    int ok = 0;

    (void)state;
    for (k = 1; k < 200 && !ok; k++) {
        ag_dataset *ds = ag_dataset_new();
        ag_errinfo ei = {{0}};
        ag_err rc;
        assert_non_null(ds);
        ag__alloc_fail_after(k);
        rc = ag_csv_parse(ds, "h.csv", text, strlen(text), NULL, NULL, &ei);
        ag__alloc_fail_after(0);
        if (rc == AG_OK)
            ok = 1;
        else {
            assert_int_equal(rc, AG_ENOMEM);
            assert_non_null(strstr(ei.msg, "h.csv"));
        }
        ag_dataset_free(ds);
    }
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_basic, setup, teardown),
        cmocka_unit_test_setup_teardown(test_any_order_quotes_bom_crlf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_empty_cells_unknown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_requests_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_missing_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_rows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_line, setup, teardown),
        cmocka_unit_test(test_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
