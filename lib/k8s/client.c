/*
 * k8s/client.c - JSON over HTTP(S) to the Kubernetes API server: one
 * libcurl easy handle per client (connections are reused), capped bodies,
 * HTTP errors with the API's Status.message, paginated lists, watches with
 * bookmarks and 410 Gone, and owner chains.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "augur/k8s.h"
#include "augur/util.h"
#include "k8s/k8s_int.h"
#include "util/alloc.h"
#include "util/buf.h"

#define DEFAULT_TIMEOUT_MS 30000L
#define DEFAULT_MAX_BODY (64u << 20)
#define ERRBODY_MAX (64u << 10)
#define WATCH_LINE_MAX (16u << 20) /* one watch event */
#define LIST_PAGE 500

struct ag_k8s {
    ag_k8s_config c; /* a deep copy */
    CURL *h;
    struct curl_slist *auth; /* "Authorization: Bearer ..." */
    char curlerr[CURL_ERROR_SIZE];
    unsigned facts; /* AG__K8S_* (k8s_int.h), learnt from the server */
};

/* What one transfer collects. In watch mode, complete lines are handed
 * to the event parser as they arrive. */
typedef struct xfer {
    ag_k8s *k;
    ag_buf body;    /* the response (2xx), or in watch mode the partial line */
    ag_buf errbody; /* a non-2xx response, up to ERRBODY_MAX */
    long status;
    int status_known;
    /* watch mode */
    int watch;
    ag_k8s_watch_fn fn;
    void *ud;
    char *rv;
    size_t rvlen;
    int stopped; /* fn asked to stop */
    ag_err werr; /* an event-level error (AG_EGONE, AG_EHTTP, AG_EPARSE, AG_ETOOBIG) */
    ag_errinfo *ei;
    char what[512];
} xfer;

/* ---- handle ------------------------------------------------------------- */

static ag_err dup_str(char **dst, const char *src)
{
    *dst = NULL;
    if (src && !(*dst = ag__strdup(src)))
        return AG_ENOMEM;
    return AG_OK;
}

static ag_err dup_blob(char **dst, const char *src, size_t n)
{
    *dst = NULL;
    if (!src)
        return AG_OK;
    if (!(*dst = ag__malloc(n + 1)))
        return AG_ENOMEM;
    memcpy(*dst, src, n);
    (*dst)[n] = '\0';
    return AG_OK;
}

static ag_err copy_config(ag_k8s_config *d, const ag_k8s_config *s)
{
    memset(d, 0, sizeof *d);
    d->ca_data_len = s->ca_data_len;
    d->cert_data_len = s->cert_data_len;
    d->key_data_len = s->key_data_len;
    d->insecure = s->insecure;
    d->timeout_ms = s->timeout_ms > 0 ? s->timeout_ms : DEFAULT_TIMEOUT_MS;
    d->max_body = s->max_body ? s->max_body : DEFAULT_MAX_BODY;
    if (dup_str(&d->server, s->server) || dup_str(&d->token, s->token) ||
        dup_str(&d->ca_file, s->ca_file) || dup_str(&d->cert_file, s->cert_file) ||
        dup_str(&d->key_file, s->key_file) || dup_str(&d->ns, s->ns) ||
        dup_str(&d->source, s->source) || dup_blob(&d->ca_data, s->ca_data, s->ca_data_len) ||
        dup_blob(&d->cert_data, s->cert_data, s->cert_data_len) ||
        dup_blob(&d->key_data, s->key_data, s->key_data_len))
        return AG_ENOMEM;
    return AG_OK;
}

ag_err ag_k8s_new(const ag_k8s_config *c, ag_k8s **out, ag_errinfo *ei)
{
    ag_k8s *k;

    *out = NULL;
    if (!c || !c->server || !*c->server) {
        ag_errinfo_set(ei, "kubernetes: no API server configured");
        return AG_EINVAL;
    }
    if (!(k = ag__calloc(1, sizeof *k)))
        return AG_ENOMEM;
    if (copy_config(&k->c, c) != AG_OK)
        goto nomem;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK || !(k->h = curl_easy_init())) {
        ag_errinfo_set(ei, "cannot initialise libcurl");
        goto nomem;
    }
    if (k->c.token) {
        ag_buf b;
        ag__buf_init(&b, 1u << 21);
        if (ag__buf_printf(&b, "Authorization: Bearer %s", k->c.token) == AG_OK)
            k->auth = curl_slist_append(NULL, b.p);
        ag__buf_free(&b);
        if (!k->auth)
            goto nomem;
    }
    *out = k;
    return AG_OK;
nomem:
    ag_k8s_free(k);
    return AG_ENOMEM;
}

void ag__k8s_time(int64_t t_ms, char *buf, size_t len)
{
    ag_time_format(t_ms - ((t_ms % 1000) + 1000) % 1000, buf, len);
}

unsigned *ag__k8s_facts(ag_k8s *k)
{
    return &k->facts;
}

void ag_k8s_free(ag_k8s *k)
{
    if (!k)
        return;
    if (k->h)
        curl_easy_cleanup(k->h);
    curl_slist_free_all(k->auth);
    ag_k8s_config_free(&k->c);
    ag__free(k);
}

/* ---- transfers ---------------------------------------------------------- */

static ag_err watch_line(xfer *x, const char *line, size_t n);

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
    xfer *x = ud;
    size_t n = size * nmemb;

    if (!x->status_known) {
        curl_easy_getinfo(x->k->h, CURLINFO_RESPONSE_CODE, &x->status);
        x->status_known = 1;
    }
    if (x->status < 200 || x->status >= 300) {
        size_t room = ERRBODY_MAX - x->errbody.len;
        if (room)
            ag__buf_append(&x->errbody, ptr, n < room ? n : room);
        return n;
    }
    if (!x->watch) {
        ag_err rc = ag__buf_append(&x->body, ptr, n);
        if (rc == AG_ENOMEM)
            x->werr = AG_ENOMEM; /* not "too big": the cap was not reached */
        return rc == AG_OK ? n : 0;
    }
    /* Watch: split into lines, one event each. */
    for (size_t i = 0; i < n; i++) {
        if (ptr[i] != '\n') {
            size_t j = i;
            while (j < n && ptr[j] != '\n')
                j++;
            if (ag__buf_append(&x->body, ptr + i, j - i) != AG_OK) {
                x->werr = AG_ETOOBIG;
                ag_errinfo_set(x->ei, "%s: a watch event is larger than %u bytes", x->what,
                               WATCH_LINE_MAX);
                return 0;
            }
            i = j - 1;
            continue;
        }
        if (x->body.len) {
            ag_err rc = watch_line(x, x->body.p, x->body.len);
            ag__buf_reset(&x->body);
            if (rc != AG_OK || x->stopped)
                return 0;
        }
    }
    return n;
}

static void set_common(ag_k8s *k, xfer *x, struct curl_slist *hdrs, long timeout_ms)
{
    CURL *h = k->h;

    curl_easy_reset(h);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     k->c.timeout_ms < 30000 ? k->c.timeout_ms : 30000L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "augur/0.1");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, k->curlerr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    if (k->c.ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, k->c.ca_file);
#if LIBCURL_VERSION_NUM >= 0x074d00
    if (k->c.ca_data) {
        struct curl_blob blob = {k->c.ca_data, k->c.ca_data_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    }
#endif
    if (k->c.cert_file)
        curl_easy_setopt(h, CURLOPT_SSLCERT, k->c.cert_file);
    if (k->c.key_file)
        curl_easy_setopt(h, CURLOPT_SSLKEY, k->c.key_file);
#if LIBCURL_VERSION_NUM >= 0x074700
    if (k->c.cert_data) {
        struct curl_blob blob = {k->c.cert_data, k->c.cert_data_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLCERT_BLOB, &blob);
        curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
    }
    if (k->c.key_data) {
        struct curl_blob blob = {k->c.key_data, k->c.key_data_len, CURL_BLOB_COPY};
        curl_easy_setopt(h, CURLOPT_SSLKEY_BLOB, &blob);
        curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
    }
#endif
    if (k->c.insecure) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
    }
}

/* Fills ei for a non-2xx answer: the Status object's message when the
 * body is one, else the start of the body. */
static void http_error(xfer *x, ag_errinfo *ei)
{
    json_t *j = x->errbody.len ? json_loadb(x->errbody.p, x->errbody.len, 0, NULL) : NULL;
    const char *msg = NULL;

    if (json_is_object(j))
        msg = json_string_value(json_object_get(j, "message"));
    if (msg)
        ag_errinfo_set(ei, "%s: HTTP %ld: %s", x->what, x->status, msg);
    else
        ag_errinfo_set(ei, "%s: HTTP %ld%s%.200s", x->what, x->status, x->errbody.len ? ": " : "",
                       x->errbody.len ? x->errbody.p : "");
    json_decref(j);
}

/* Performs one transfer of method on path. Leaves the status in x. */
static ag_err perform(ag_k8s *k, xfer *x, const char *method, const char *path,
                      const char *content_type, const char *body, long timeout_ms, ag_errinfo *ei)
{
    struct curl_slist *hdrs = NULL, *l;
    ag_buf url, ct;
    CURLcode cc;
    ag_err rc = AG_OK;

    ag__buf_init(&url, 1u << 16);
    ag__buf_init(&ct, 4096);
    snprintf(x->what, sizeof x->what, "%s %s%.400s", method, k->c.server, path);
    if (ag__buf_printf(&url, "%s%s", k->c.server, path) != AG_OK ||
        ag__buf_printf(&ct, "Content-Type: %s", content_type ? content_type : "application/json") !=
            AG_OK)
        goto nomem;
    for (const struct curl_slist *a = k->auth; a; a = a->next)
        if (!(l = curl_slist_append(hdrs, a->data)) || !(hdrs = l))
            goto nomem;
    if (!(l = curl_slist_append(hdrs, "Accept: application/json")) || !(hdrs = l))
        goto nomem;
    if (body && (!(l = curl_slist_append(hdrs, ct.p)) || !(hdrs = l)))
        goto nomem;
    set_common(k, x, hdrs, timeout_ms);
    curl_easy_setopt(k->h, CURLOPT_URL, url.p);
    if (body) {
        curl_easy_setopt(k->h, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(k->h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    }
    if (strcmp(method, "GET") != 0)
        curl_easy_setopt(k->h, CURLOPT_CUSTOMREQUEST, method);
    k->curlerr[0] = '\0';
    cc = curl_easy_perform(k->h);
    if (!x->status_known)
        curl_easy_getinfo(k->h, CURLINFO_RESPONSE_CODE, &x->status);
    if (x->werr != AG_OK) {
        rc = x->werr;
    } else if (x->stopped) {
        rc = AG_OK;
    } else if (cc == CURLE_WRITE_ERROR && x->status >= 200 && x->status < 300) {
        ag_errinfo_set(ei, "%s: response larger than %zu bytes", x->what, k->c.max_body);
        rc = AG_ETOOBIG;
    } else if (cc == CURLE_OPERATION_TIMEDOUT && x->watch && x->status >= 200 && x->status < 300) {
        rc = AG_OK; /* our own timeout ended a watch */
    } else if (cc != CURLE_OK) {
        ag_errinfo_set(ei, "%s: %s", x->what, k->curlerr[0] ? k->curlerr : curl_easy_strerror(cc));
        rc = AG_ENET;
    } else if (x->status < 200 || x->status >= 300) {
        http_error(x, ei);
        rc = AG_EHTTP;
    }
    goto out;
nomem:
    rc = AG_ENOMEM;
out:
    /* The handle keeps pointers to the headers: drop them now. */
    curl_easy_setopt(k->h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(hdrs);
    ag__buf_free(&url);
    ag__buf_free(&ct);
    return rc;
}

static void xfer_init(xfer *x, ag_k8s *k, size_t max, ag_errinfo *ei)
{
    memset(x, 0, sizeof *x);
    x->k = k;
    x->ei = ei;
    ag__buf_init(&x->body, max);
    ag__buf_init(&x->errbody, ERRBODY_MAX + 1);
}

static void xfer_free(xfer *x)
{
    ag__buf_free(&x->body);
    ag__buf_free(&x->errbody);
}

ag_err ag_k8s_request(ag_k8s *k, const char *method, const char *path, const char *content_type,
                      const char *body, long *status, json_t **out, ag_errinfo *ei)
{
    xfer x;
    ag_err rc;

    if (out)
        *out = NULL;
    if (status)
        *status = 0;
    xfer_init(&x, k, k->c.max_body, ei);
    rc = perform(k, &x, method, path, content_type, body, k->c.timeout_ms, ei);
    if (status)
        *status = x.status;
    if (rc == AG_OK && out && x.body.len) {
        json_error_t je;
        if (!(*out = json_loadb(x.body.p, x.body.len, 0, &je))) {
            ag_errinfo_set(ei, "%s: malformed JSON response: %s", x.what, je.text);
            rc = AG_EPARSE;
        }
    }
    xfer_free(&x);
    return rc;
}

ag_err ag_k8s_get(ag_k8s *k, const char *path, json_t **out, ag_errinfo *ei)
{
    return ag_k8s_request(k, "GET", path, NULL, NULL, NULL, out, ei);
}

/* ---- list and watch ----------------------------------------------------- */

static void copy_rv(char *rv, size_t rvlen, const char *s)
{
    if (rv && rvlen)
        snprintf(rv, rvlen, "%s", s ? s : "");
}

static ag_err escape_append(ag_buf *b, const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    ag_err rc;

    if (!e)
        return AG_ENOMEM;
    rc = ag__buf_puts(b, e);
    curl_free(e);
    return rc;
}

ag_err ag_k8s_list(ag_k8s *k, const char *path, json_t **items, char *rv, size_t rvlen,
                   ag_errinfo *ei)
{
    json_t *all = json_array(), *page = NULL;
    char *cont = NULL;
    ag_buf p;
    ag_err rc = AG_OK;

    *items = NULL;
    copy_rv(rv, rvlen, "");
    ag__buf_init(&p, 1u << 16);
    if (!all)
        return AG_ENOMEM;
    for (;;) {
        json_t *it, *md;
        const char *c;
        ag__buf_reset(&p);
        rc = ag__buf_printf(&p, "%s%climit=%d", path, strchr(path, '?') ? '&' : '?', LIST_PAGE);
        if (rc == AG_OK && cont) {
            rc = ag__buf_puts(&p, "&continue=");
            if (rc == AG_OK)
                rc = escape_append(&p, cont);
        }
        if (rc != AG_OK)
            break;
        if ((rc = ag_k8s_get(k, p.p, &page, ei)) != AG_OK)
            break;
        it = json_object_get(page, "items");
        md = json_object_get(page, "metadata");
        if (!json_is_object(page) || (it && !json_is_array(it) && !json_is_null(it))) {
            ag_errinfo_set(ei, "GET %s: not a list", path);
            rc = AG_EPARSE;
            break;
        }
        if (json_is_array(it) && json_array_extend(all, it) != 0) {
            rc = AG_ENOMEM;
            break;
        }
        copy_rv(rv, rvlen, json_string_value(json_object_get(md, "resourceVersion")));
        c = json_string_value(json_object_get(md, "continue"));
        ag__free(cont);
        cont = NULL;
        if (!c || !*c)
            break;
        if (!(cont = ag__strdup(c))) {
            rc = AG_ENOMEM;
            break;
        }
        json_decref(page);
        page = NULL;
    }
    json_decref(page);
    ag__free(cont);
    ag__buf_free(&p);
    if (rc != AG_OK)
        json_decref(all);
    else
        *items = all;
    return rc;
}

static ag_err watch_line(xfer *x, const char *line, size_t n)
{
    json_error_t je;
    json_t *ev = json_loadb(line, n, 0, &je), *obj;
    const char *type, *rv;
    ag_err rc = AG_OK;

    if (!json_is_object(ev) || !(type = json_string_value(json_object_get(ev, "type"))) ||
        !json_is_object(obj = json_object_get(ev, "object"))) {
        ag_errinfo_set(x->ei, "%s: malformed watch event%s%s", x->what, ev ? "" : ": ",
                       ev ? "" : je.text);
        rc = x->werr = AG_EPARSE;
        goto out;
    }
    if (strcmp(type, "ERROR") == 0) {
        json_int_t code = json_integer_value(json_object_get(obj, "code"));
        const char *msg = json_string_value(json_object_get(obj, "message"));
        ag_errinfo_set(x->ei, "%s: watch error %lld: %s", x->what, (long long)code,
                       msg ? msg : "(no message)");
        rc = x->werr = code == 410 ? AG_EGONE : AG_EHTTP;
        goto out;
    }
    rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
    if (rv)
        copy_rv(x->rv, x->rvlen, rv);
    if (x->fn(x->ud, type, obj) != 0)
        x->stopped = 1;
out:
    json_decref(ev);
    return rc;
}

ag_err ag_k8s_watch(ag_k8s *k, const char *path, char *rv, size_t rvlen, ag_k8s_watch_fn fn,
                    void *ud, long timeout_s, ag_errinfo *ei)
{
    ag_buf p;
    xfer x;
    ag_err rc;

    if (timeout_s <= 0)
        timeout_s = 300;
    ag__buf_init(&p, 1u << 16);
    rc = ag__buf_printf(&p, "%s%cwatch=1&allowWatchBookmarks=true&timeoutSeconds=%ld", path,
                        strchr(path, '?') ? '&' : '?', timeout_s);
    if (rc == AG_OK && rv && *rv) {
        rc = ag__buf_puts(&p, "&resourceVersion=");
        if (rc == AG_OK)
            rc = escape_append(&p, rv);
    }
    if (rc != AG_OK) {
        ag__buf_free(&p);
        return rc;
    }
    xfer_init(&x, k, WATCH_LINE_MAX, ei);
    x.watch = 1;
    x.fn = fn;
    x.ud = ud;
    x.rv = rv;
    x.rvlen = rvlen;
    /* The server ends the watch after timeoutSeconds; give it a margin. */
    rc = perform(k, &x, "GET", p.p, NULL, NULL, (timeout_s + 30) * 1000L, ei);
    if (rc == AG_OK && !x.stopped && x.body.len) /* a last event without newline */
        rc = watch_line(&x, x.body.p, x.body.len);
    if (rc == AG_EHTTP && x.status == 410)
        rc = AG_EGONE;
    xfer_free(&x);
    ag__buf_free(&p);
    return rc;
}

/* ---- owners ------------------------------------------------------------- */

/* The controller ownerReference of obj (or its only owner), or NULL. */
static json_t *controller_of(const json_t *obj)
{
    json_t *refs = json_object_get(json_object_get(obj, "metadata"), "ownerReferences");
    size_t i;
    json_t *r;

    if (!json_is_array(refs))
        return NULL;
    json_array_foreach(refs, i, r)
    {
        if (json_is_true(json_object_get(r, "controller")))
            return r;
    }
    return json_array_size(refs) == 1 ? json_array_get(refs, 0) : NULL;
}

ag_err ag_k8s_pod_owner(ag_k8s *k, const json_t *pod, char *kind, size_t kindlen, char *name,
                        size_t namelen, ag_errinfo *ei)
{
    json_t *md = json_object_get(pod, "metadata"), *cur = NULL, *ref;
    const char *ns = json_string_value(json_object_get(md, "namespace"));
    const char *pname = json_string_value(json_object_get(md, "name"));
    ag_err rc = AG_OK;

    if (!pname) {
        ag_errinfo_set(ei, "pod owner: the object has no metadata.name");
        return AG_EINVAL;
    }
    snprintf(kind, kindlen, "Pod");
    snprintf(name, namelen, "%s", pname);
    ref = controller_of(pod);
    /* At most two hops: Pod -> ReplicaSet -> Deployment, Pod -> Job -> CronJob. */
    for (int hop = 0; ref && hop < 3; hop++) {
        const char *rk = json_string_value(json_object_get(ref, "kind"));
        const char *rn = json_string_value(json_object_get(ref, "name"));
        const char *group = NULL, *plural = NULL;
        char path[1024];
        json_t *next = NULL;
        long status = 0;

        if (!rk || !rn)
            break;
        snprintf(kind, kindlen, "%s", rk);
        snprintf(name, namelen, "%s", rn);
        if (strcmp(rk, "ReplicaSet") == 0) {
            group = "apis/apps/v1";
            plural = "replicasets";
        } else if (strcmp(rk, "Job") == 0) {
            group = "apis/batch/v1";
            plural = "jobs";
        }
        if (!group || !ns)
            break; /* a kind whose owners we do not follow */
        snprintf(path, sizeof path, "/%s/namespaces/%s/%s/%s", group, ns, plural, rn);
        rc = ag_k8s_request(k, "GET", path, NULL, NULL, &status, &next, ei);
        if (rc == AG_EHTTP && status == 404) {
            rc = AG_OK; /* the owner is gone: it is the top we know */
            break;
        }
        if (rc != AG_OK)
            break;
        json_decref(cur);
        cur = next;
        ref = controller_of(cur);
        if (ref) {
            const char *nk = json_string_value(json_object_get(ref, "kind"));
            /* ReplicaSet -> Deployment and Job -> CronJob only. */
            if (!nk || !((strcmp(rk, "ReplicaSet") == 0 && strcmp(nk, "Deployment") == 0) ||
                         (strcmp(rk, "Job") == 0 && strcmp(nk, "CronJob") == 0)))
                ref = NULL;
        }
        if (ref) {
            const char *nn = json_string_value(json_object_get(ref, "name"));
            if (nn) {
                snprintf(kind, kindlen, "%s", json_string_value(json_object_get(ref, "kind")));
                snprintf(name, namelen, "%s", nn);
            }
            break;
        }
    }
    json_decref(cur);
    return rc;
}
