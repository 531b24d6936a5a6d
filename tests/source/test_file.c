/*
 * tests/source/test_file.c - ag_source_read_file: format by extension,
 * gzip, stdin, and the error messages for files that cannot be read.
 */
#include <math.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include "ag_test.h"
#include "augur/source.h"

static char tmpdir[256];

static int group_setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/ag_test_file_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int group_teardown(void **state)
{
    char cmd[300];
    (void)state;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char *tmp(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", tmpdir, name);
    return buf;
}

static void write_file(const char *path, const char *text, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(text, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

static void write_gz(const char *path, const char *text)
{
    gzFile g = gzopen(path, "wb");
    assert_non_null(g);
    assert_int_equal(gzwrite(g, text, (unsigned)strlen(text)), (int)strlen(text));
    assert_int_equal(gzclose(g), Z_OK);
}

static void silent(void *ud, const char *msg)
{
    int *n = ud;
    (*n)++;
    (void)msg;
}

static ag_err read_into(ag_dataset *ds, const char *path, ag_ingest_stats *st, ag_errinfo *ei)
{
    static int warnings;
    ag_read_opts o = {0};
    o.warn = silent;
    o.warn_ud = &warnings;
    memset(st, 0, sizeof *st);
    memset(ei, 0, sizeof *ei);
    return ag_source_read_file(ds, path, &o, st, ei);
}

static const char *OM = "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\","
                        "container=\"c\"} 5 1700000000\n# EOF\n";
static const char *CSV = "timestamp,namespace,pod,container,cpu_cores,memory_bytes\n"
                         "1700000000,a,p,c,0.5,5\n";

/* Reads path and checks container a/p/c has one memory sample of 5. */
static void check_one(const char *path)
{
    ag_dataset *ds = ag_dataset_new();
    ag_ingest_stats st;
    ag_errinfo ei;
    ag_container *c;

    assert_int_equal(read_into(ds, path, &st, &ei), AG_OK);
    assert_int_equal(ag_dataset_count(ds), 1);
    c = ag_dataset_at(ds, 0);
    assert_string_equal(c->pod, "p");
    assert_int_equal(c->usage[AG_MEMORY].n, 1);
    assert_double_near(c->usage[AG_MEMORY].v[0].v, 5, 0);
    assert_int_equal(c->usage[AG_MEMORY].v[0].t_ms, 1700000000000LL);
    assert_int_equal(st.malformed, 0);
    ag_dataset_free(ds);
}

static void test_dispatch_by_extension(void **state)
{
    char p[512];
    (void)state;
    write_file(tmp(p, sizeof p, "a.om"), OM, strlen(OM));
    check_one(p);
    write_file(tmp(p, sizeof p, "a.prom"), OM, strlen(OM));
    check_one(p);
    write_file(tmp(p, sizeof p, "a.TXT"), OM, strlen(OM));
    check_one(p);
    write_file(tmp(p, sizeof p, "a.csv"), CSV, strlen(CSV));
    check_one(p);
    write_gz(tmp(p, sizeof p, "b.om.gz"), OM);
    check_one(p);
    write_gz(tmp(p, sizeof p, "b.csv.gz"), CSV);
    check_one(p);
}

static void test_csv_content_in_om_file_is_malformed(void **state)
{
    char p[512];
    ag_dataset *ds = ag_dataset_new();
    ag_ingest_stats st;
    ag_errinfo ei;
    (void)state;
    write_file(tmp(p, sizeof p, "wrong.om"), CSV, strlen(CSV));
    assert_int_equal(read_into(ds, p, &st, &ei), AG_OK);
    assert_int_equal(st.malformed, 2);
    assert_int_equal(ag_dataset_count(ds), 0);
    ag_dataset_free(ds);
}

static void test_unknown_extension(void **state)
{
    ag_dataset *ds = ag_dataset_new();
    ag_ingest_stats st;
    ag_errinfo ei;
    (void)state;
    assert_int_equal(read_into(ds, "/nonexistent/history.json", &st, &ei), AG_EINVAL);
    assert_string_equal(ei.msg, "cannot tell the format of /nonexistent/history.json from its "
                                "extension (.om .prom .txt .csv, optionally .gz)");
    assert_int_equal(read_into(ds, "history.gz", &st, &ei), AG_EINVAL);
    ag_dataset_free(ds);
}

static void test_missing_file(void **state)
{
    ag_dataset *ds = ag_dataset_new();
    ag_ingest_stats st;
    ag_errinfo ei;
    char p[512];
    (void)state;
    assert_int_equal(read_into(ds, tmp(p, sizeof p, "absent.om"), &st, &ei), AG_ENOTFOUND);
    assert_non_null(strstr(ei.msg, p));
    assert_non_null(strstr(ei.msg, "No such file"));
    assert_int_equal(read_into(ds, tmp(p, sizeof p, "absent.csv.gz"), &st, &ei), AG_ENOTFOUND);
    assert_non_null(strstr(ei.msg, p));
    ag_dataset_free(ds);
}

static void test_unreadable(void **state)
{
    ag_dataset *ds = ag_dataset_new();
    ag_ingest_stats st;
    ag_errinfo ei;
    char p[512];
    (void)state;
    /* a directory */
    assert_int_equal(mkdir(tmp(p, sizeof p, "dir.om"), 0700), 0);
    assert_int_equal(read_into(ds, p, &st, &ei), AG_EIO);
    assert_non_null(strstr(ei.msg, "dir.om: is a directory"));
    /* corrupt gzip: valid header, then garbage */
    write_file(tmp(p, sizeof p, "bad.om.gz"), "\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03junkjunk",
               18);
    assert_int_equal(read_into(ds, p, &st, &ei), AG_EIO);
    assert_non_null(strstr(ei.msg, "bad.om.gz: corrupt gzip data"));
    ag_dataset_free(ds);
}

static void test_truncated_gz(void **state)
{
    ag_dataset *ds = ag_dataset_new();
    ag_ingest_stats st;
    ag_errinfo ei;
    char p[512], q[512], buf[4096];
    FILE *f;
    size_t n;
    (void)state;
    write_gz(tmp(p, sizeof p, "whole.om.gz"), OM);
    f = fopen(p, "rb");
    assert_non_null(f);
    n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    assert_true(n > 12);
    write_file(tmp(q, sizeof q, "cut.om.gz"), buf, n - 6);
    assert_int_equal(read_into(ds, q, &st, &ei), AG_EIO);
    assert_non_null(strstr(ei.msg, "cut.om.gz"));
    ag_dataset_free(ds);
}

static void test_empty_files(void **state)
{
    ag_dataset *ds = ag_dataset_new();
    ag_ingest_stats st;
    ag_errinfo ei;
    char p[512];
    (void)state;
    write_file(tmp(p, sizeof p, "empty.om"), "", 0);
    assert_int_equal(read_into(ds, p, &st, &ei), AG_OK);
    assert_int_equal(st.lines, 0);
    write_file(tmp(p, sizeof p, "empty.csv"), "", 0);
    assert_int_equal(read_into(ds, p, &st, &ei), AG_EPARSE);
    assert_non_null(strstr(ei.msg, "empty.csv:1: no CSV header"));
    write_gz(tmp(p, sizeof p, "empty.om.gz"), "");
    assert_int_equal(read_into(ds, p, &st, &ei), AG_OK);
    assert_int_equal(ag_dataset_count(ds), 0);
    ag_dataset_free(ds);
}

static void test_stdin(void **state)
{
    char p[512];
    int fd, saved;
    (void)state;
    write_file(tmp(p, sizeof p, "stdin.txt"), OM, strlen(OM));
    fd = open(p, O_RDONLY);
    assert_true(fd >= 0);
    saved = dup(0);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fd, 0), 0);
    close(fd);
    check_one("-");
    assert_int_equal(dup2(saved, 0), 0);
    close(saved);
}

static void test_fixtures(void **state)
{
    char p[512];
    const char *kind, *name;
    ag_dataset *ds = ag_dataset_new();
    ag_ingest_stats st, total = {0};
    ag_errinfo ei;
    size_t i;
    int seen = 0;
    (void)state;
    assert_int_equal(
        read_into(ds, ag_test_path(p, sizeof p, "tests/source/data/small.om"), &st, &ei), AG_OK);
    ag_ingest_stats_add(&total, &st);
    assert_int_equal(
        read_into(ds, ag_test_path(p, sizeof p, "tests/source/data/small.prom"), &st, &ei), AG_OK);
    ag_ingest_stats_add(&total, &st);
    assert_int_equal(
        read_into(ds, ag_test_path(p, sizeof p, "tests/source/data/small.csv"), &st, &ei), AG_OK);
    ag_ingest_stats_add(&total, &st);
    assert_int_equal(total.malformed, 0);
    assert_int_equal(total.lines, 13 + 4 + 3);
    assert_int_equal(ag_dataset_count(ds), 3);
    for (i = 0; i < ag_dataset_count(ds); i++) {
        ag_container *c = ag_dataset_at(ds, i);
        if (strcmp(c->container, "app") == 0) {
            assert_int_equal(c->cpu_counter.n, 3);
            assert_int_equal(c->usage[AG_MEMORY].n, 3);
            seen |= 1;
        } else if (strcmp(c->container, "db") == 0) {
            assert_double_near(c->request[AG_MEMORY], 4294967296.0, 0);
            assert_int_equal(c->usage[AG_MEMORY].v[1].t_ms, 1700000060000LL);
            seen |= 2;
        } else if (strcmp(c->container, "job") == 0) {
            assert_double_near(c->usage[AG_CPU].v[1].v, 1.75, 0);
            seen |= 4;
        }
    }
    assert_int_equal(seen, 7);
    assert_int_equal(ag_dataset_get_owner(ds, "shop", "web-5d8f7c9b4-x2x7q", &kind, &name), 1);
    assert_string_equal(name, "web-5d8f7c9b4");
    ag_dataset_free(ds);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispatch_by_extension),
        cmocka_unit_test(test_csv_content_in_om_file_is_malformed),
        cmocka_unit_test(test_unknown_extension),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_truncated_gz),
        cmocka_unit_test(test_empty_files),
        cmocka_unit_test(test_stdin),
        cmocka_unit_test(test_fixtures),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
