/*
 * tests/serve/test_slot.c - the view slot: a reader keeps its view alive
 * across a publish, the last release frees it, readers in threads never
 * see a torn view while the loop publishes, and the daemon refuses bad
 * options with a clear message.
 */
#include <math.h>
#include <pthread.h>
#include "ag_test.h"
#include "augur/daemon.h"
#include "augur/serve.h"
#include "util/alloc.h"

/* A view whose every rec has pods == tag and recs_json "tag". */
static ag_view *make_view(int tag, size_t n)
{
    ag_view *v = ag__calloc(1, sizeof *v);
    char buf[32];

    assert_non_null(v);
    v->recs = ag__calloc(n, sizeof *v->recs);
    v->nrecs = n;
    for (size_t i = 0; i < n; i++)
        v->recs[i].pods = tag;
    snprintf(buf, sizeof buf, "%d", tag);
    v->recs_json = ag__strdup(buf);
    v->recs_json_len = strlen(buf);
    v->fcs = ag__calloc(1, sizeof *v->fcs);
    v->nfcs = 1;
    v->fcs[0].q = ag__calloc(4, sizeof(double));
    v->fcs[0].history = ag__calloc(4, sizeof(double));
    v->computed_ms = tag;
    return v;
}

static void test_refs(void **state)
{
    ag_serve *s = ag_serve_new();
    const ag_view *a, *b;
    ag_health h = {0}, got;

    (void)state;
    assert_non_null(s);
    assert_null(ag_serve_acquire(s));
    ag_serve_publish(s, make_view(1, 3));
    a = ag_serve_acquire(s);
    assert_non_null(a);
    assert_int_equal(a->recs[2].pods, 1);
    ag_serve_publish(s, make_view(2, 3)); /* a is still readable */
    assert_int_equal(a->recs[2].pods, 1);
    assert_string_equal(a->recs_json, "1");
    b = ag_serve_acquire(s);
    assert_int_equal(b->recs[0].pods, 2);
    ag_serve_release(s, a); /* frees view 1 (ASan would see a leak otherwise) */
    ag_serve_release(s, b);
    h.loops = 7;
    snprintf(h.last_error, sizeof h.last_error, "fetch: down");
    ag_serve_set_health(s, &h);
    ag_serve_health(s, &got);
    assert_int_equal(got.loops, 7);
    assert_string_equal(got.last_error, "fetch: down");
    ag_serve_free(s);
}

typedef struct reader {
    ag_serve *s;
    volatile int *stop;
    long reads, torn;
} reader;

static void *read_loop(void *arg)
{
    reader *r = arg;

    while (!*r->stop) {
        const ag_view *v = ag_serve_acquire(r->s);
        if (v) {
            char buf[32];
            snprintf(buf, sizeof buf, "%d", v->recs[0].pods);
            for (size_t i = 0; i < v->nrecs; i++)
                r->torn += v->recs[i].pods != v->recs[0].pods;
            r->torn += strcmp(buf, v->recs_json) != 0;
            r->reads++;
            ag_serve_release(r->s, v);
        }
    }
    return NULL;
}

static void test_threads(void **state)
{
    ag_serve *s = ag_serve_new();
    volatile int stop = 0;
    reader r[2] = {{s, &stop, 0, 0}, {s, &stop, 0, 0}};
    pthread_t t[2];

    (void)state;
    ag_serve_publish(s, make_view(0, 64));
    for (int i = 0; i < 2; i++)
        assert_int_equal(pthread_create(&t[i], NULL, read_loop, &r[i]), 0);
    for (int k = 1; k <= 2000; k++)
        ag_serve_publish(s, make_view(k, 64));
    stop = 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    assert_true(r[0].reads + r[1].reads > 0);
    assert_int_equal(r[0].torn + r[1].torn, 0);
    ag_serve_free(s);
}

static void test_daemon_bad_options(void **state)
{
    ag_serve *s = ag_serve_new();
    ag_daemon_opts o;
    ag_daemon *d = NULL;
    ag_errinfo ei = {{0}};

    (void)state;
    ag_daemon_opts_default(&o);
    assert_int_equal(ag_daemon_new(&o, s, &d, &ei), AG_EINVAL);
    assert_null(d);
    assert_non_null(strstr(ei.msg, "Prometheus"));
    o.prom.url = "http://127.0.0.1:1";
    o.forecast_step_ms = 0;
    assert_int_equal(ag_daemon_new(&o, s, &d, &ei), AG_EINVAL);
    ag_daemon_opts_default(&o);
    o.prom.url = "http://127.0.0.1:1";
    o.db_path = "/dev/null/x/augur.db"; /* under a file: cannot be created */
    assert_int_not_equal(ag_daemon_new(&o, s, &d, &ei), AG_OK);
    assert_null(d);
    /* a Prometheus that is down: the step fails, nothing is published,
     * the health says why */
    ag_daemon_opts_default(&o);
    o.prom.url = "http://127.0.0.1:1";
    o.prom.timeout_ms = 2000;
    assert_int_equal(ag_daemon_new(&o, s, &d, &ei), AG_OK);
    assert_int_not_equal(ag_daemon_step(d, 1700000000000LL, NULL, &ei), AG_OK);
    {
        ag_health h;
        ag_serve_health(s, &h);
        assert_int_equal(h.fetch_errors, 1);
        assert_int_equal(h.ready, 0);
        assert_non_null(strstr(h.last_error, "fetch"));
    }
    assert_null(ag_serve_acquire(s));
    ag_daemon_free(d);
    ag_serve_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refs),
        cmocka_unit_test(test_threads),
        cmocka_unit_test(test_daemon_bad_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
