/*
 * fuzz/fuzz_augurpolicy.c - libFuzzer target for what augur reads of an
 * AugurPolicy: any JSON as an AugurPolicy object through
 * ag_k8s_policy_parse() must give AG_OK with a settings template and a
 * scope, or an error with a message, never a crash, leak or hang. A
 * parsed policy must keep what a valid one promises (a selector,
 * min <= max, shares in range), and its selectors are matched against
 * label sets, the object's own labels among them.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "augur/k8s.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void match_all(const ag_k8s_selector *s, const json_t *obj)
{
    static const char *const sets[] = {
        "{}",
        "{\"tier\":\"web\",\"app.kubernetes.io/name\":\"cart\"}",
        "{\"augur.dev/ignore\":\"true\",\"team\":\"shop\",\"env\":\"prod\"}",
    };
    json_t *own = json_object_get(json_object_get(obj, "metadata"), "labels");

    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        json_t *l = json_loads(sets[i], 0, NULL);
        int m = ag_k8s_selector_matches(s, l);
        if (m != ag_k8s_selector_matches(s, l))
            abort();
        json_decref(l);
    }
    (void)ag_k8s_selector_matches(s, own);
    (void)ag_k8s_selector_matches(s, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_error_t err;
    json_t *obj = json_loadb((const char *)data, size, 0, &err);
    ag_k8s_policy_scope sc;
    ag_wpolicy w;
    ag_errinfo ei;
    ag_err rc;

    if (!obj)
        return 0;
    ei.msg[0] = '\0';
    rc = ag_k8s_policy_parse(obj, &w, &sc, &ei);
    if (rc == AG_OK) {
        if (!sc.selector || w.horizon_ms <= 0 || !(w.max_unavailable_share >= 0) ||
            w.max_unavailable_share > 1 || w.min_allowed[AG_CPU] > w.max_allowed[AG_CPU] ||
            w.min_allowed[AG_MEMORY] > w.max_allowed[AG_MEMORY] ||
            (!isnan(w.cpu_risk) && !(w.cpu_risk > 0 && w.cpu_risk < 1)))
            abort(); /* what a valid policy promises */
        match_all(sc.selector, obj);
        if (sc.ns_selector)
            match_all(sc.ns_selector, obj);
        ag_k8s_policy_scope_free(&sc);
    } else if (!ei.msg[0] || sc.selector || sc.ns_selector || sc.namespaces) {
        abort(); /* an error says what, and leaves nothing behind */
    }
    json_decref(obj);
    return 0;
}
