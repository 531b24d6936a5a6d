/*
 * tests/report/test_emit_yaml.c - prints the report of the hand-made set
 * (report_fixture.h) in one format (argument: yaml, the default, json,
 * csv or table) to stdout. tests/report/test_vpa_schema.sh validates its
 * yaml against the VPA CRD; docs/output.md's examples come from it.
 *
 * Run by ctest on its own it checks that the yaml has one
 * VerticalPodAutoscaler per workload and a patch for each patchable one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report_fixture.h"

static size_t count(const char *s, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
        n++;
    return n;
}

int main(int argc, char **argv)
{
    fixture fx;
    ag_format fmt = AG_FMT_YAML;
    ag_report_opts o = {"vpa", 0};
    char *out = NULL;
    size_t len = 0;
    FILE *f;
    ag_err rc;

    if (argc > 1 && ag_format_parse(argv[1], &fmt) != AG_OK) {
        fprintf(stderr, "usage: %s [yaml|json|csv|table]\n", argv[0]);
        return 2;
    }
    fx_init(&fx);
    f = open_memstream(&out, &len);
    if (!f) {
        perror("open_memstream");
        return 1;
    }
    rc = ag_report_write(f, fmt, fx.items, FX_N, &o);
    fclose(f);
    if (rc != AG_OK) {
        fprintf(stderr, "ag_report_write: %s\n", ag_strerror(rc));
        free(out);
        return 1;
    }
    /* Workloads: shop/api (2 containers), default/debug, shop/db,
     * shop/report, default/migrate; patchable: api, db, report. */
    if (fmt == AG_FMT_YAML && (count(out, "\nkind: VerticalPodAutoscaler\n") != 5 ||
                               count(out, "# kubectl patch ") != 3 ||
                               count(out, "\n---\n") + (strncmp(out, "---\n", 4) == 0) != 8)) {
        fprintf(stderr, "unexpected yaml layout:\n%s", out);
        free(out);
        return 1;
    }
    fwrite(out, 1, len, stdout);
    free(out);
    return ferror(stdout) ? 1 : 0;
}
