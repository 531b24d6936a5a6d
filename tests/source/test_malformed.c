/*
 * tests/source/test_malformed.c - every file in fuzz/malformed/om/ and
 * fuzz/malformed/csv/ must be survived: the reader returns (AG_OK with
 * malformed lines counted, or an error code for wholly unusable input such
 * as a CSV without header), and what is wrong is reported as "name:line:",
 * through the warn callback or the error detail. When a file starts with
 * a good sample, that sample must have been kept.
 */
#include <dirent.h>
#include <ctype.h>
#include "source/source_fixture.h"
#include "augur/source.h"
#include "util/alloc.h"
#include "util/buf.h"

#define GOOD_OM                                                                                    \
    "container_memory_working_set_bytes{namespace=\"a\",pod=\"p\",container=\"c\"} 1 1700000000\n"
#define GOOD_CSV                                                                                   \
    "timestamp,namespace,pod,container,cpu_cores,memory_bytes\n1700000000,a,p,c,0.5,100\n"

/* Whether s contains "name:<digits>:". */
static int names_line(const char *s, const char *name)
{
    size_t k = strlen(name);
    const char *p = s;
    while ((p = strstr(p, name)) != NULL) {
        const char *q = p + k;
        if (*q == ':' && isdigit((unsigned char)q[1])) {
            q++;
            while (isdigit((unsigned char)*q))
                q++;
            if (*q == ':')
                return 1;
        }
        p++;
    }
    return 0;
}

static int has_good_container(ag_dataset *ds)
{
    size_t i;
    for (i = 0; i < ag_dataset_count(ds); i++) {
        ag_container *c = ag_dataset_at(ds, i);
        if (strcmp(c->ns, "a") == 0 && strcmp(c->pod, "p") == 0 && strcmp(c->container, "c") == 0 &&
            c->usage[AG_MEMORY].n > 0)
            return 1;
    }
    return 0;
}

static void run_dir(const char *sub, int csv)
{
    char dir[512], path[1024];
    DIR *d;
    struct dirent *e;
    int files = 0;

    ag_test_path(dir, sizeof dir, sub);
    d = opendir(dir);
    if (!d)
        fail_msg("cannot open %s", dir);
    while ((e = readdir(d)) != NULL) {
        ag_dataset *ds;
        ag_read_opts opts = {0};
        ag_ingest_stats st = {0};
        ag_errinfo ei = {{0}};
        warns w = {0, {0}};
        char *buf = NULL;
        size_t len = 0;
        ag_err rc;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        assert_int_equal(ag__read_file(path, 0, &buf, &len, &ei), AG_OK);
        ds = ag_dataset_new();
        assert_non_null(ds);
        opts.warn = collect;
        opts.warn_ud = &w;
        opts.max_line = 65536; /* the huge-line files are a little longer */
        if (csv)
            rc = ag_csv_parse(ds, e->d_name, buf, len, &opts, &st, &ei);
        else
            rc = ag_om_parse(ds, e->d_name, buf, len, &opts, &st, &ei);
        if (rc == AG_OK) {
            if (st.malformed == 0 || !names_line(w.all, e->d_name))
                fail_msg("%s: accepted without a malformed line reported (warnings: %s)", e->d_name,
                         w.all);
            if (strncmp(buf, csv ? GOOD_CSV : GOOD_OM, strlen(csv ? GOOD_CSV : GOOD_OM)) == 0 &&
                !has_good_container(ds))
                fail_msg("%s: the good sample before the bad line was lost", e->d_name);
        } else {
            if (rc != AG_EPARSE)
                fail_msg("%s: unexpected error %d: %s", e->d_name, rc, ei.msg);
            if (!names_line(ei.msg, e->d_name))
                fail_msg("%s: error does not name file:line: %s", e->d_name, ei.msg);
        }
        assert_int_equal(ag_dataset_finish(ds, INT64_MIN, INT64_MAX, &st), AG_OK);
        ag_dataset_free(ds);
        ag__free(buf);
        files++;
    }
    closedir(d);
    assert_true(files >= 10);
}

static void test_malformed_om(void **state)
{
    (void)state;
    run_dir("fuzz/malformed/om", 0);
}

static void test_malformed_csv(void **state)
{
    (void)state;
    run_dir("fuzz/malformed/csv", 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_malformed_om),
        cmocka_unit_test(test_malformed_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
