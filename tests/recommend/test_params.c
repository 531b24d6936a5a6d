/*
 * tests/recommend/test_params.c - defaults, ag_rec_params_set with good
 * and bad values, the names list and the JSON record.
 */
#include <math.h>
#include "ag_test.h"
#include "augur/recommend.h"

static void test_defaults(void **state)
{
    ag_rec_params p;
    ag_algorithm a;
    (void)state;
    ag_rec_params_default(&p);
    assert_int_equal(p.algorithm, AG_ALGO_VPA);
    assert_true(p.vpa.target_cpu_percentile == 0.9);
    assert_true(p.vpa.pod_min_memory_bytes == 250 * 1048576.0);
    assert_int_equal(p.vpa.cpu_half_life_ms, 86400000);
    assert_int_equal(p.krr.points_required, 100);
    assert_int_equal(ag_algorithm_default_history_ms(AG_ALGO_VPA), 8 * 86400000LL);
    assert_int_equal(ag_algorithm_default_history_ms(AG_ALGO_KRR), 14 * 86400000LL);
    assert_string_equal(ag_algorithm_name(AG_ALGO_KRR), "krr");
    assert_int_equal(ag_algorithm_parse("krr", &a), AG_OK);
    assert_int_equal(a, AG_ALGO_KRR);
    assert_int_equal(ag_algorithm_parse("hpa", &a), AG_EINVAL);
}

static void test_set_good(void **state)
{
    ag_rec_params p;
    ag_errinfo ei = {{0}};
    (void)state;
    ag_rec_params_default(&p);
    assert_int_equal(ag_rec_params_set(&p, "target-cpu-percentile", "95%", &ei), AG_OK);
    assert_true(p.vpa.target_cpu_percentile == 0.95);
    assert_int_equal(ag_rec_params_set(&p, "lower-memory-percentile", "0.4", &ei), AG_OK);
    assert_true(p.vpa.lower_memory_percentile == 0.4);
    assert_int_equal(ag_rec_params_set(&p, "safety-margin", "20%", &ei), AG_OK);
    assert_true(p.vpa.safety_margin == 0.2);
    assert_int_equal(ag_rec_params_set(&p, "cpu-half-life", "12h", &ei), AG_OK);
    assert_int_equal(p.vpa.cpu_half_life_ms, 12 * 3600000LL);
    assert_int_equal(ag_rec_params_set(&p, "pod-min-memory", "300Mi", &ei), AG_OK);
    assert_true(p.vpa.pod_min_memory_bytes == 300 * 1048576.0);
    assert_int_equal(ag_rec_params_set(&p, "pod-min-cpu", "50m", &ei), AG_OK);
    assert_double_near(p.vpa.pod_min_cpu_cores, 0.05, 1e-15);
    assert_int_equal(ag_rec_params_set(&p, "containers-per-pod", "3", &ei), AG_OK);
    assert_int_equal(p.vpa.containers_per_pod, 3);
    assert_int_equal(ag_rec_params_set(&p, "krr-use-oomkill-data", "yes", &ei), AG_OK);
    assert_int_equal(p.krr.use_oomkill_data, 1);
    assert_int_equal(ag_rec_params_set(&p, "history", "14d", &ei), AG_OK);
    assert_int_equal(p.history_ms, 14 * 86400000LL);
    assert_int_equal(ag_rec_params_set(&p, "oom-bump-ratio", "1.5", &ei), AG_OK);
    assert_true(p.vpa.oom_bump_ratio == 1.5);
}

static void test_set_bad(void **state)
{
    static const char *const bad[][2] = {
        {"target-cpu-percentile", "150%"}, {"target-cpu-percentile", "abc"},
        {"upper-cpu-percentile", "-0.1"},  {"safety-margin", "-5%"},
        {"cpu-half-life", "0"},            {"cpu-half-life", "soon"},
        {"containers-per-pod", "-1"},      {"containers-per-pod", "2.5"},
        {"krr-points-required", "0"},      {"pod-min-memory", "lots"},
        {"oom-bump-ratio", "0.5"},         {"krr-use-oomkill-data", "maybe"},
        {"krr-cpu-percentile", "0"},       {"no-such-parameter", "1"},
    };
    ag_rec_params p, before;
    (void)state;
    ag_rec_params_default(&p);
    before = p;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ag_errinfo ei = {{0}};
        assert_int_equal(ag_rec_params_set(&p, bad[i][0], bad[i][1], &ei), AG_EINVAL);
        assert_non_null(strstr(ei.msg, bad[i][0]));
        assert_memory_equal(&p, &before, sizeof p);
    }
}

static void test_names_and_json(void **state)
{
    const char *const *n = ag_rec_param_names();
    char json[4096];
    ag_rec_params p;
    size_t k = 0;
    (void)state;
    ag_rec_params_default(&p);
    ag_rec_params_json(&p, json, sizeof json);
    for (; n[k]; k += 2) {
        char key[128];
        ag_rec_params q = p;
        assert_non_null(n[k + 1]);
        snprintf(key, sizeof key, "\"%s\":", n[k]);
        assert_non_null(strstr(json, key));
        /* every listed name is accepted by set() */
        assert_int_not_equal(ag_rec_params_set(&q, n[k], "1", NULL) == AG_OK ||
                                 ag_rec_params_set(&q, n[k], "1h", NULL) == AG_OK ||
                                 ag_rec_params_set(&q, n[k], "true", NULL) == AG_OK,
                             0);
    }
    assert_true(k >= 2 * 25);
    assert_non_null(strstr(json, "\"algorithm\":\"vpa\""));
    assert_non_null(strstr(json, "\"target-cpu-percentile\":0.9,"));
    assert_non_null(strstr(json, "\"krr-use-oomkill-data\":false"));
    assert_true(json[0] == '{' && json[strlen(json) - 1] == '}');
    ag_rec_params_json(&p, json, 10);
    assert_int_equal(strlen(json), 9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_set_good),
        cmocka_unit_test(test_set_bad),
        cmocka_unit_test(test_names_and_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
