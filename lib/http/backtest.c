/*
 * http/backtest.c - /api/v1/backtests: checking a POST body, and the job
 * queue behind it. One worker thread runs the jobs one at a time through
 * the daemon's callback (ag_http_opts.backtest), so the HTTP layer needs
 * neither the simulator nor the store; at most AG__HTTP_BT_MAX_JOBS jobs
 * are kept (the oldest finished one makes room), each result at most
 * AG__HTTP_BT_RESULT_MAX bytes.
 */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "augur/online.h"
#include "augur/series.h"
#include "augur/util.h"
#include "http/http_int.h"
#include "util/alloc.h"

enum { QUEUED, RUNNING, DONE, FAILED };
static const char *const status_names[] = {"queued", "running", "done", "failed"};

typedef struct job {
    uint64_t id;
    int status;
    char *request; /* the normalised request (JSON) */
    size_t request_len;
    int64_t created_ms, started_ms, finished_ms;
    char *result; /* done: the runner's JSON (malloc'd by it) */
    size_t result_len;
    char error[1024];
} job;

struct ag__http_bt {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    job *jobs[AG__HTTP_BT_MAX_JOBS]; /* oldest first */
    size_t n;
    uint64_t last_id;
    int stop;
    pthread_t th;
    ag_http_backtest_fn fn;
    void *ud;
};

static void job_free(job *j)
{
    if (!j)
        return;
    ag__free(j->request);
    free(j->result); /* the runner's, from malloc() */
    ag__free(j);
}

/* The oldest queued job, or NULL. Under q->mu. */
static job *next_queued(ag__http_bt *q)
{
    for (size_t i = 0; i < q->n; i++)
        if (q->jobs[i]->status == QUEUED)
            return q->jobs[i];
    return NULL;
}

/* Records a runner's outcome into j. Under q->mu. */
static void finish(job *j, ag_err rc, char *res, size_t len, const ag_errinfo *ei)
{
    json_error_t e;
    json_t *chk = NULL;

    j->finished_ms = ag_now_ms();
    if (rc != AG_OK) {
        snprintf(j->error, sizeof j->error, "%s", ag_errinfo_str(ei, rc));
    } else if (!res) {
        snprintf(j->error, sizeof j->error, "the backtest runner returned no result");
    } else if (len > AG__HTTP_BT_RESULT_MAX) {
        snprintf(j->error, sizeof j->error,
                 "the result is too large: %zu bytes (at most %zu are kept)", len,
                 AG__HTTP_BT_RESULT_MAX);
    } else if (!(chk = json_loadb(res, len, JSON_DECODE_ANY, &e))) {
        snprintf(j->error, sizeof j->error, "the backtest runner returned invalid JSON: %s",
                 e.text);
    } else {
        json_decref(chk);
        /* embedded as a value: without the trailing newline the CLI prints */
        while (len && (res[len - 1] == '\n' || res[len - 1] == ' '))
            len--;
        j->result = res;
        j->result_len = len;
        j->status = DONE;
        return;
    }
    free(res);
    j->status = FAILED;
}

static void *worker(void *arg)
{
    ag__http_bt *q = arg;

    pthread_mutex_lock(&q->mu);
    for (;;) {
        job *j;
        char *res = NULL;
        size_t len = 0;
        ag_errinfo ei = {{0}};
        ag_err rc;

        while (!q->stop && !(j = next_queued(q)))
            pthread_cond_wait(&q->cv, &q->mu);
        if (q->stop)
            break;
        j->status = RUNNING; /* a running job is neither deleted nor dropped */
        j->started_ms = ag_now_ms();
        pthread_mutex_unlock(&q->mu);
        rc = q->fn(q->ud, j->request, j->request_len, &res, &len, &ei);
        pthread_mutex_lock(&q->mu);
        finish(j, rc, res, len, &ei);
    }
    pthread_mutex_unlock(&q->mu);
    return NULL;
}

ag_err ag__http_bt_new(ag_http_backtest_fn fn, void *ud, ag__http_bt **out)
{
    ag__http_bt *q = ag__calloc(1, sizeof *q);

    *out = NULL;
    if (!q)
        return AG_ENOMEM;
    q->fn = fn;
    q->ud = ud;
    if (pthread_mutex_init(&q->mu, NULL) != 0) {
        ag__free(q);
        return AG_ENOMEM;
    }
    if (pthread_cond_init(&q->cv, NULL) != 0) {
        pthread_mutex_destroy(&q->mu);
        ag__free(q);
        return AG_ENOMEM;
    }
    if (pthread_create(&q->th, NULL, worker, q) != 0) {
        pthread_cond_destroy(&q->cv);
        pthread_mutex_destroy(&q->mu);
        ag__free(q);
        return AG_ENOMEM;
    }
    *out = q;
    return AG_OK;
}

void ag__http_bt_free(ag__http_bt *q)
{
    if (!q)
        return;
    pthread_mutex_lock(&q->mu);
    q->stop = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
    pthread_join(q->th, NULL);
    for (size_t i = 0; i < q->n; i++)
        job_free(q->jobs[i]);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    ag__free(q);
}

/* ---- the request ---- */

static const char *const fields[] = {"recommender", "policy", "namespace", "selector",
                                     "from",        "to",     "mode"};
static const char *const modes[] = {"recreate", "in-place", "off", "initial"};

static ag_err field_error(char *msg, size_t len, const char *field, const char *fmt,
                          const char *what)
{
    size_t k = (size_t)snprintf(msg, len, "bad field '%s': ", field);
    if (k < len)
        snprintf(msg + k, len - k, fmt, what);
    return AG_EINVAL;
}

/* A string field of at most max bytes, or NULL (absent). -1 on error. */
static int str_field(const json_t *o, const char *key, size_t max, const char **out, char *msg,
                     size_t len)
{
    const json_t *v = json_object_get(o, key);

    *out = NULL;
    if (!v)
        return 0;
    if (!json_is_string(v)) {
        field_error(msg, len, key, "must be a string%s", "");
        return -1;
    }
    if (json_string_length(v) == 0 || json_string_length(v) > max ||
        strlen(json_string_value(v)) != json_string_length(v)) {
        field_error(msg, len, key, "must be a non-empty string of at most %s bytes",
                    max == 253 ? "253" : "4096");
        return -1;
    }
    *out = json_string_value(v);
    return 0;
}

/* from / to: RFC 3339 or Unix seconds, as a string or a number. */
static int time_field(const json_t *o, const char *key, int64_t *ms, char *msg, size_t len)
{
    const json_t *v = json_object_get(o, key);

    if (!v)
        return 0;
    if (json_is_number(v)) {
        double s = json_number_value(v);
        if (!isfinite(s) || s < 0 || s > 1e13) {
            field_error(msg, len, key, "is not a time: Unix seconds out of range%s", "");
            return -1;
        }
        *ms = (int64_t)llround(s * 1000);
        return 1;
    }
    if (!json_is_string(v) || ag_time_parse(json_string_value(v), ms) != AG_OK) {
        field_error(msg, len, key, "is not a time (RFC 3339 or Unix seconds)%s", "");
        return -1;
    }
    if (*ms < 0 || *ms > (int64_t)1e16) { /* the numbers' range (found by the fuzzer) */
        field_error(msg, len, key, "is not a time: before 1970 or after 2286%s", "");
        return -1;
    }
    return 1;
}

ag_err ag__http_bt_validate(const char *body, size_t len, ag_buf *canon, char *msg, size_t msglen)
{
    json_error_t e;
    json_t *o = json_loadb(body ? body : "", len, JSON_REJECT_DUPLICATES, &e);
    const char *key, *rec = NULL, *policy = NULL, *ns = NULL, *sel = NULL, *mode = NULL;
    const json_t *val;
    int64_t from = 0, to = 0;
    int has_from, has_to;
    ag_online_kind kind = AG_ONLINE_AUGUR;
    ag_augur_policy pol;
    ag_errinfo ei = {{0}};
    ag_err rc = AG_EINVAL;

    if (!o) {
        snprintf(msg, msglen, "the body is not JSON: %s (line %d)", e.text, e.line);
        return AG_EPARSE;
    }
    if (!json_is_object(o)) {
        snprintf(msg, msglen, "the body must be a JSON object");
        goto out;
    }
    json_object_foreach((json_t *)o, key, val)
    {
        size_t i = 0;
        (void)val;
        while (i < sizeof fields / sizeof fields[0] && strcmp(key, fields[i]) != 0)
            i++;
        if (i == sizeof fields / sizeof fields[0]) {
            char name[64];
            snprintf(name, sizeof name, "%s", key);
            for (char *p = name; *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                    *p = '?';
            snprintf(msg, msglen,
                     "unknown field '%s' (known: recommender, policy, namespace, selector, "
                     "from, to, mode)",
                     name);
            goto out;
        }
    }
    if (str_field(o, "recommender", 253, &rec, msg, msglen) != 0 ||
        str_field(o, "policy", 253, &policy, msg, msglen) != 0 ||
        str_field(o, "namespace", 253, &ns, msg, msglen) != 0 ||
        str_field(o, "selector", 4096, &sel, msg, msglen) != 0 ||
        str_field(o, "mode", 253, &mode, msg, msglen) != 0)
        goto out;
    if (rec && ag_online_kind_parse(rec, &kind) != AG_OK) {
        field_error(msg, msglen, "recommender",
                    "'%s' is not one of augur, vpa, krr, autopilot, crane, static", rec);
        goto out;
    }
    if (policy && kind != AG_ONLINE_AUGUR) {
        field_error(msg, msglen, "policy", "only the augur recommender has a policy%s", "");
        goto out;
    }
    if (policy && ag_augur_policy_parse(policy, &pol) != AG_OK) {
        field_error(msg, msglen, "policy", "'%s' is not stable or cost-saving", policy);
        goto out;
    }
    if (sel && ag_selector_validate(sel, &ei) != AG_OK) {
        field_error(msg, msglen, "selector", "%s", ag_errinfo_str(&ei, AG_EINVAL));
        goto out;
    }
    if (mode) {
        size_t i = 0;
        while (i < sizeof modes / sizeof modes[0] && strcmp(mode, modes[i]) != 0)
            i++;
        if (i == sizeof modes / sizeof modes[0]) {
            field_error(msg, msglen, "mode", "'%s' is not one of recreate, in-place, off, initial",
                        mode);
            goto out;
        }
    }
    if ((has_from = time_field(o, "from", &from, msg, msglen)) < 0 ||
        (has_to = time_field(o, "to", &to, msg, msglen)) < 0)
        goto out;
    if (has_from && has_to && from >= to) {
        field_error(msg, msglen, "from", "must be before 'to'%s", "");
        goto out;
    }

    /* normalised: recommender always, the others as given, times in seconds */
    rc = ag__buf_puts(canon, "{\"recommender\": ");
    if (rc == AG_OK)
        rc = ag__buf_json_str(canon, ag_online_kind_name(kind));
    if (rc == AG_OK && policy) {
        rc = ag__buf_puts(canon, ", \"policy\": ");
        if (rc == AG_OK)
            rc = ag__buf_json_str(canon, policy);
    }
    if (rc == AG_OK && ns) {
        rc = ag__buf_puts(canon, ", \"namespace\": ");
        if (rc == AG_OK)
            rc = ag__buf_json_str(canon, ns);
    }
    if (rc == AG_OK && sel) {
        rc = ag__buf_puts(canon, ", \"selector\": ");
        if (rc == AG_OK)
            rc = ag__buf_json_str(canon, sel);
    }
    if (rc == AG_OK && has_from) {
        rc = ag__buf_puts(canon, ", \"from\": ");
        if (rc == AG_OK)
            rc = ag__http_json_seconds(canon, from);
    }
    if (rc == AG_OK && has_to) {
        rc = ag__buf_puts(canon, ", \"to\": ");
        if (rc == AG_OK)
            rc = ag__http_json_seconds(canon, to);
    }
    if (rc == AG_OK && mode) {
        rc = ag__buf_puts(canon, ", \"mode\": ");
        if (rc == AG_OK)
            rc = ag__buf_json_str(canon, mode);
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(canon, "}");
out:
    json_decref(o);
    return rc;
}

/* ---- the jobs ---- */

ag_err ag__http_bt_submit(ag__http_bt *q, const char *canon, size_t len, uint64_t *id)
{
    job *j = ag__calloc(1, sizeof *j);
    ag_err rc = AG_OK;

    *id = 0;
    if (!j || !(j->request = ag__strndup(canon, len))) {
        ag__free(j);
        return AG_ENOMEM;
    }
    j->request_len = len;
    j->status = QUEUED;
    j->created_ms = ag_now_ms();
    pthread_mutex_lock(&q->mu);
    if (q->n == AG__HTTP_BT_MAX_JOBS) {
        size_t i = 0;
        while (i < q->n && q->jobs[i]->status != DONE && q->jobs[i]->status != FAILED)
            i++;
        if (i == q->n) {
            rc = AG_ETOOBIG;
        } else {
            job_free(q->jobs[i]);
            memmove(&q->jobs[i], &q->jobs[i + 1], (q->n - i - 1) * sizeof q->jobs[0]);
            q->n--;
        }
    }
    if (rc == AG_OK) {
        j->id = ++q->last_id;
        *id = j->id;
        q->jobs[q->n++] = j;
        pthread_cond_signal(&q->cv);
    }
    pthread_mutex_unlock(&q->mu);
    if (rc != AG_OK)
        job_free(j);
    return rc;
}

static ag_err time_key(ag_buf *b, const char *key, int64_t ms)
{
    ag_err rc = ag__buf_printf(b, ", \"%s\": ", key);

    if (rc == AG_OK)
        rc = ms ? ag__http_json_seconds(b, ms) : ag__buf_puts(b, "null");
    return rc;
}

static ag_err job_json(ag_buf *b, const job *j, int result)
{
    ag_err rc = ag__buf_printf(b, "{\"id\": %llu, \"status\": \"%s\", \"request\": ",
                               (unsigned long long)j->id, status_names[j->status]);

    if (rc == AG_OK)
        rc = ag__buf_append(b, j->request, j->request_len);
    if (rc == AG_OK)
        rc = time_key(b, "created", j->created_ms);
    if (rc == AG_OK)
        rc = time_key(b, "started", j->started_ms);
    if (rc == AG_OK)
        rc = time_key(b, "finished", j->finished_ms);
    if (rc == AG_OK)
        rc = ag__buf_puts(b, ", \"error\": ");
    if (rc == AG_OK)
        rc = j->status == FAILED ? ag__buf_json_str(b, j->error) : ag__buf_puts(b, "null");
    if (rc == AG_OK && result && j->status == DONE) {
        rc = ag__buf_puts(b, ", \"result\": ");
        if (rc == AG_OK)
            rc = ag__buf_append(b, j->result, j->result_len);
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(b, "}");
    return rc;
}

ag_err ag__http_bt_list_json(ag__http_bt *q, ag_buf *b)
{
    ag_err rc = ag__buf_puts(b, "{\"items\": [");

    pthread_mutex_lock(&q->mu);
    for (size_t i = q->n; rc == AG_OK && i-- > 0;) {
        rc = ag__buf_puts(b, i + 1 == q->n ? "\n  " : ",\n  ");
        if (rc == AG_OK)
            rc = job_json(b, q->jobs[i], 0);
    }
    if (rc == AG_OK)
        rc = ag__buf_puts(b, q->n ? "\n]}\n" : "]}\n");
    pthread_mutex_unlock(&q->mu);
    return rc;
}

static size_t find(const ag__http_bt *q, uint64_t id)
{
    size_t i = 0;

    while (i < q->n && q->jobs[i]->id != id)
        i++;
    return i;
}

ag_err ag__http_bt_job_json(ag__http_bt *q, uint64_t id, ag_buf *b)
{
    ag_err rc = AG_ENOTFOUND;
    size_t i;

    pthread_mutex_lock(&q->mu);
    i = find(q, id);
    if (i < q->n) {
        rc = job_json(b, q->jobs[i], 1);
        if (rc == AG_OK)
            rc = ag__buf_puts(b, "\n");
    }
    pthread_mutex_unlock(&q->mu);
    return rc;
}

ag_err ag__http_bt_delete(ag__http_bt *q, uint64_t id)
{
    ag_err rc = AG_OK;
    job *gone = NULL;
    size_t i;

    pthread_mutex_lock(&q->mu);
    i = find(q, id);
    if (i == q->n) {
        rc = AG_ENOTFOUND;
    } else if (q->jobs[i]->status == RUNNING) {
        rc = AG_EINVAL;
    } else {
        gone = q->jobs[i];
        memmove(&q->jobs[i], &q->jobs[i + 1], (q->n - i - 1) * sizeof q->jobs[0]);
        q->n--;
    }
    pthread_mutex_unlock(&q->mu);
    job_free(gone);
    return rc;
}
