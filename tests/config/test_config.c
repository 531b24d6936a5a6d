/*
 * tests/config/test_config.c - the YAML config file: flattening, lists,
 * errors with positions, duplicates, empty input, size cap, out of memory.
 */
#include <math.h>
#include <fcntl.h>
#include <unistd.h>
#include "ag_test.h"
#include "augur/config.h"
#include "util/alloc.h"

/* Parses a NUL-terminated string. */
static ag_err parse(const char *s, ag_kv **kv, size_t *n, ag_errinfo *ei)
{
    ei->msg[0] = '\0';
    return ag_config_parse("augur.yaml", s, strlen(s), kv, n, ei);
}

/* The value of key, or NULL. */
static const char *get(const ag_kv *kv, size_t n, const char *key)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(kv[i].key, key) == 0)
            return kv[i].value;
    return NULL;
}

/* Expects an error of code rc whose message contains want. */
static void expect_error(const char *yaml, ag_err want_rc, const char *want)
{
    ag_kv *kv = (ag_kv *)1;
    size_t n = 99;
    ag_errinfo ei;
    ag_err rc = parse(yaml, &kv, &n, &ei);
    if (rc != want_rc || !strstr(ei.msg, want))
        fail_msg("input %s: rc %d (want %d), message \"%s\" (want \"%s\")", yaml, rc, want_rc,
                 ei.msg, want);
    assert_null(kv);
    assert_int_equal(n, 0);
}

static const char *example = "# augur configuration\n"
                             "algorithm: vpa\n"
                             "history: 8d\n"
                             "prometheus:\n"
                             "  url: http://127.0.0.1:9090\n"
                             "  bearer-token-file: /var/run/secrets/token\n"
                             "vpa:\n"
                             "  target-cpu-percentile: 0.9\n"
                             "  safety-margin: 0.15\n"
                             "krr: {cpu-percentile: 0.95}\n"
                             "namespaces: [shop, payments]\n"
                             "exclude:\n"
                             "  - kube-system\n"
                             "  - monitoring\n";

static void test_flatten(void **state)
{
    ag_kv *kv;
    size_t n;
    ag_errinfo ei;
    (void)state;
    assert_int_equal(parse(example, &kv, &n, &ei), AG_OK);
    assert_int_equal(n, 9);
    /* Document order is kept. */
    assert_string_equal(kv[0].key, "algorithm");
    assert_string_equal(kv[0].value, "vpa");
    assert_int_equal(kv[0].line, 2);
    assert_string_equal(kv[2].key, "prometheus.url");
    assert_string_equal(kv[2].value, "http://127.0.0.1:9090");
    assert_int_equal(kv[2].line, 5);
    assert_string_equal(get(kv, n, "history"), "8d");
    assert_string_equal(get(kv, n, "prometheus.bearer-token-file"), "/var/run/secrets/token");
    assert_string_equal(get(kv, n, "vpa.target-cpu-percentile"), "0.9");
    assert_string_equal(get(kv, n, "vpa.safety-margin"), "0.15");
    assert_string_equal(get(kv, n, "krr.cpu-percentile"), "0.95");
    assert_null(get(kv, n, "vpa"));
    assert_null(get(kv, n, "krr"));
    ag_kvs_free(kv, n);
}

static void test_deep_and_scalars(void **state)
{
    ag_kv *kv;
    size_t n;
    ag_errinfo ei;
    (void)state;
    assert_int_equal(parse("a:\n  b:\n    c:\n      d: 1\n"
                           "quoted: \"x: y # not a comment\"\n"
                           "single: 'it''s'\n"
                           "empty:\n"
                           "tilde: ~\n"
                           "null-quoted: \"null\"\n"
                           "block: |\n  two\n  lines\n"
                           "unicode: \"caf\\u00e9\"\n"
                           "tagged: !!str 5\n",
                           &kv, &n, &ei),
                     AG_OK);
    assert_int_equal(n, 9);
    assert_string_equal(get(kv, n, "a.b.c.d"), "1");
    assert_int_equal(kv[0].line, 4);
    assert_string_equal(get(kv, n, "quoted"), "x: y # not a comment");
    assert_string_equal(get(kv, n, "single"), "it's");
    assert_string_equal(get(kv, n, "empty"), "");
    assert_string_equal(get(kv, n, "tilde"), "");
    assert_string_equal(get(kv, n, "null-quoted"), "null");
    assert_string_equal(get(kv, n, "block"), "two\nlines\n");
    assert_string_equal(get(kv, n, "unicode"), "caf\xc3\xa9");
    assert_string_equal(get(kv, n, "tagged"), "5");
    ag_kvs_free(kv, n);
}

static void test_sequences(void **state)
{
    ag_kv *kv;
    size_t n;
    ag_errinfo ei;
    (void)state;
    assert_int_equal(
        parse("ns: [a, b, c]\none: [x]\nnone: []\nblock:\n- p\n- \"q r\"\n", &kv, &n, &ei), AG_OK);
    assert_int_equal(n, 4);
    assert_string_equal(get(kv, n, "ns"), "a,b,c");
    assert_string_equal(get(kv, n, "one"), "x");
    assert_string_equal(get(kv, n, "none"), "");
    assert_string_equal(get(kv, n, "block"), "p,q r");
    ag_kvs_free(kv, n);

    expect_error("ns: [a, [b]]\n", AG_ECONFIG, "augur.yaml:1:9: a list may only hold plain values");
    expect_error("ns:\n  - a\n  - {b: 1}\n", AG_ECONFIG, "augur.yaml:3:5: a list may only hold");
}

static void test_empty(void **state)
{
    static const char *empties[] = {"",      "\n\n",        "# only a comment\n",
                                    "---\n", "--- \n...\n", "{}\n"};
    (void)state;
    for (size_t i = 0; i < sizeof empties / sizeof *empties; i++) {
        ag_kv *kv = (ag_kv *)1;
        size_t n = 99;
        ag_errinfo ei;
        ag_err rc = parse(empties[i], &kv, &n, &ei);
        if (rc != AG_OK)
            fail_msg("\"%s\": %s", empties[i], ei.msg);
        assert_int_equal(n, 0);
        ag_kvs_free(kv, n);
    }
    /* An empty nested mapping contributes nothing. */
    {
        ag_kv *kv;
        size_t n;
        ag_errinfo ei;
        assert_int_equal(parse("vpa: {}\nhistory: 1d\n", &kv, &n, &ei), AG_OK);
        assert_int_equal(n, 1);
        assert_string_equal(kv[0].key, "history");
        ag_kvs_free(kv, n);
    }
}

static void test_errors(void **state)
{
    (void)state;
    /* Syntax errors carry line and column. */
    expect_error("a: 1\nb: [1, 2\nc: 3\n", AG_ECONFIG, "augur.yaml:3:");
    expect_error("a: 1\nb: [1, 2\nc: 3\n", AG_ECONFIG, "YAML syntax error");
    expect_error("a: 1\n  b: 2\n", AG_ECONFIG, "augur.yaml:2:4: YAML syntax error");
    expect_error("a: \"open\n", AG_ECONFIG, "augur.yaml:2:1: YAML syntax error");
    expect_error("a:\tb\n\tc: d\n", AG_ECONFIG, "augur.yaml:2:");
    /* The top level must be a mapping. */
    expect_error("- a\n- b\n", AG_ECONFIG, "augur.yaml:1:1: the top level must be a mapping");
    expect_error("just text\n", AG_ECONFIG, "augur.yaml:1:1: the top level must be a mapping");
    expect_error("\"\"\n", AG_ECONFIG, "the top level must be a mapping");
    /* Anchors and aliases. */
    expect_error("a: &x 1\nb: *x\n", AG_ECONFIG, "augur.yaml:1:4: anchors (&x) are not supported");
    expect_error("base: &b {x: 1}\n", AG_ECONFIG, "augur.yaml:1:7: anchors (&b)");
    expect_error("a: *nowhere\n", AG_ECONFIG, "augur.yaml:1:4:");
    expect_error("? [a, b]\n: 1\n", AG_ECONFIG, "augur.yaml:1:3: a key must be a plain name");
    expect_error("\"\": 1\n", AG_ECONFIG, "augur.yaml:1:1: empty key");
    expect_error("a: \"x\\0y\"\n", AG_ECONFIG, "augur.yaml:1:4: NUL character");
    expect_error("a: 1\n---\nb: 2\n", AG_ECONFIG, "augur.yaml:2:1: only one YAML document");
}

static void test_duplicates(void **state)
{
    (void)state;
    expect_error("a: 1\nb: 2\na: 3\n", AG_ECONFIG,
                 "augur.yaml:3:1: duplicate key 'a' (first set on line 1)");
    expect_error("vpa:\n  x: 1\nvpa.x: 2\n", AG_ECONFIG,
                 "augur.yaml:3:1: duplicate key 'vpa.x' (first set on line 2)");
    expect_error("vpa.x: 1\nvpa:\n  y: 1\n  x: 2\n", AG_ECONFIG,
                 "augur.yaml:4:3: duplicate key 'vpa.x' (first set on line 1)");
    /* Three copies: the earliest clash is reported against the first. */
    expect_error("k: 1\nz: 0\nk: 2\nk: 3\nz: 9\n", AG_ECONFIG,
                 "augur.yaml:3:1: duplicate key 'k' (first set on line 1)");
}

static void test_size_cap(void **state)
{
    size_t len = ((size_t)1 << 20) + 1;
    char *big = malloc(len);
    ag_kv *kv;
    size_t n;
    ag_errinfo ei = {{0}};
    (void)state;
    assert_non_null(big);
    memset(big, '#', len);
    assert_int_equal(ag_config_parse("big.yaml", big, len, &kv, &n, &ei), AG_ETOOBIG);
    assert_non_null(strstr(ei.msg, "big.yaml"));
    assert_null(kv);
    /* Exactly at the cap is fine (a very long comment). */
    assert_int_equal(ag_config_parse("big.yaml", big, len - 1, &kv, &n, &ei), AG_OK);
    assert_int_equal(n, 0);
    free(big);
}

static void test_load(void **state)
{
    char path[] = "/tmp/ag_test_config_XXXXXX";
    int fd = mkstemp(path);
    ag_kv *kv;
    size_t n;
    ag_errinfo ei = {{0}};
    (void)state;
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "history: 8d\nb: [\n", 17), 17);
    close(fd);
    assert_int_equal(ag_config_load(path, &kv, &n, &ei), AG_ECONFIG);
    /* The message names the file as given. */
    assert_non_null(strstr(ei.msg, path));
    assert_non_null(strstr(ei.msg, ":3:1: YAML syntax error"));

    fd = open(path, O_WRONLY | O_TRUNC);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "history: 8d\n", 12), 12);
    close(fd);
    assert_int_equal(ag_config_load(path, &kv, &n, &ei), AG_OK);
    assert_int_equal(n, 1);
    assert_string_equal(kv[0].value, "8d");
    ag_kvs_free(kv, n);
    unlink(path);

    assert_int_equal(ag_config_load("/nonexistent/augur.yaml", &kv, &n, &ei), AG_ENOTFOUND);
    assert_non_null(strstr(ei.msg, "/nonexistent/augur.yaml"));
    assert_null(kv);
}

/* Every allocation failing in turn: AG_ENOMEM, no leak (ASan), then success. */
static void test_oom(void **state)
{
    static const char *inputs[] = {NULL, "a: 1\nb: 2\na: 3\n", "a: [x, y, [z]]\n"};
    (void)state;
    inputs[0] = example;
    for (size_t k = 0; k < sizeof inputs / sizeof *inputs; k++) {
        ag_err final = k == 0 ? AG_OK : AG_ECONFIG;
        long i;
        for (i = 1; i < 10000; i++) {
            ag_kv *kv;
            size_t n;
            ag_errinfo ei;
            ag_err rc;
            ag__alloc_fail_after(i);
            rc = parse(inputs[k], &kv, &n, &ei);
            ag__alloc_fail_after(0);
            if (rc == AG_ENOMEM) {
                assert_null(kv);
                assert_non_null(strstr(ei.msg, "out of memory"));
                continue;
            }
            assert_int_equal(rc, final);
            if (rc == AG_OK) {
                assert_int_equal(n, 9);
                assert_string_equal(get(kv, n, "krr.cpu-percentile"), "0.95");
            }
            ag_kvs_free(kv, n);
            break;
        }
        assert_true(i > 1); /* at least one allocation was made and failed */
        assert_true(i < 10000);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flatten),   cmocka_unit_test(test_deep_and_scalars),
        cmocka_unit_test(test_sequences), cmocka_unit_test(test_empty),
        cmocka_unit_test(test_errors),    cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_size_cap),  cmocka_unit_test(test_load),
        cmocka_unit_test(test_oom),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
