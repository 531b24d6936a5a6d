/*
 * fuzz/fuzz_k8s_vpa.c - libFuzzer target for what the VPA writer reads
 * from the API server: any JSON as a VerticalPodAutoscaler object (its
 * targetRef, resourcePolicy and old status) against a small view must
 * give a status object or NULL (out of memory), never a crash, leak or
 * hang.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "augur/k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static ag_view *view(void)
{
    static ag_view_rec recs[2];
    static ag_view v;
    const char *const names[2] = {"web", "db"};

    for (int i = 0; i < 2; i++) {
        ag_view_rec *r = &recs[i];
        memset(r, 0, sizeof *r);
        strcpy(r->ns, "shop");
        strcpy(r->kind, i ? "StatefulSet" : "Deployment");
        strcpy(r->name, names[i]);
        strcpy(r->container, i ? "postgres" : "app");
        r->pods = 2;
        for (int k = 0; k < AG_NRES; k++) {
            r->request[k] = r->limit[k] = NAN;
            r->rec.status[k] = AG_REC_OK;
            r->rec.res[k].target = k ? 512e6 : 0.25;
            r->rec.res[k].lower = k ? 400e6 : 0.2;
            r->rec.res[k].upper = k ? 900e6 : 0.6;
            r->rec.res[k].uncapped = r->rec.res[k].target;
            r->rec.res[k].limit = NAN;
        }
        r->algorithm = "vpa";
    }
    v.recs = recs;
    v.nrecs = 2;
    v.algorithm = "vpa";
    return &v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *vpa = json_loadb((const char *)data, size, 0, &err), *st;

    if (!vpa)
        return 0;
    st = ag_k8s_vpa_status(vpa, view(), 1700000000000LL);
    if (st) {
        char *s = json_dumps(st, 0); /* must serialize */
        free(s);
        json_decref(st);
    }
    json_decref(vpa);
    return 0;
}
