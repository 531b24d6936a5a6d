/*
 * k8s/config.c - where the API server is and how to authenticate:
 * in-cluster (the service account's files and KUBERNETES_SERVICE_*) or a
 * kubeconfig, parsed with libyaml's document loader.
 *
 * Only the current context is read: its cluster's server,
 * certificate-authority(-data) and insecure-skip-tls-verify, its user's
 * token / tokenFile and client-certificate(-data) / client-key(-data),
 * and its namespace. exec and auth-provider users are not supported and
 * say so. Errors name the file and the field.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "augur/k8s.h"
#include "util/alloc.h"
#include "util/buf.h"

#define KUBECONFIG_MAX (4u << 20)
#define SECRET_MAX (1u << 20)
#define SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

void ag_k8s_config_free(ag_k8s_config *c)
{
    if (!c)
        return;
    ag__free(c->server);
    ag__free(c->token);
    ag__free(c->ca_file);
    ag__free(c->ca_data);
    ag__free(c->cert_file);
    ag__free(c->key_file);
    ag__free(c->cert_data);
    ag__free(c->key_data);
    ag__free(c->ns);
    ag__free(c->source);
    memset(c, 0, sizeof *c);
}

static void trim_right(char *s, size_t *len)
{
    while (*len > 0 && isspace((unsigned char)s[*len - 1]))
        s[--*len] = '\0';
}

/* ---- in-cluster ---------------------------------------------------------- */

ag_err ag_k8s_config_incluster(const char *dir, ag_k8s_config *out, ag_errinfo *ei)
{
    const char *host = getenv("KUBERNETES_SERVICE_HOST");
    const char *port = getenv("KUBERNETES_SERVICE_PORT");
    ag_buf b;
    size_t len;
    char *ns = NULL;
    ag_errinfo tmp;
    ag_err rc;

    memset(out, 0, sizeof *out);
    if (!dir)
        dir = SA_DIR;
    if (!host || !*host) {
        ag_errinfo_set(ei, "in-cluster: KUBERNETES_SERVICE_HOST is not set");
        return AG_ECONFIG;
    }
    ag__buf_init(&b, 8192);
    if (!(out->source = ag__strdup("in-cluster")))
        goto nomem;
    /* An IPv6 address goes in brackets. */
    rc = ag__buf_printf(&b, strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host,
                        port && *port ? port : "443");
    if (rc != AG_OK || !(out->server = ag__strdup(b.p)))
        goto nomem;
    ag__buf_reset(&b);
    if ((rc = ag__buf_printf(&b, "%s/token", dir)) != AG_OK)
        goto nomem;
    if ((rc = ag__read_file(b.p, SECRET_MAX, &out->token, &len, ei)) != AG_OK)
        goto out;
    trim_right(out->token, &len);
    ag__buf_reset(&b);
    if ((rc = ag__buf_printf(&b, "%s/ca.crt", dir)) != AG_OK)
        goto nomem;
    if (!(out->ca_file = ag__strdup(b.p)))
        goto nomem;
    ag__buf_reset(&b);
    if ((rc = ag__buf_printf(&b, "%s/namespace", dir)) != AG_OK)
        goto nomem;
    if (ag__read_file(b.p, 4096, &ns, &len, &tmp) == AG_OK) { /* optional */
        trim_right(ns, &len);
        out->ns = ns;
    }
    rc = AG_OK;
    goto out;
nomem:
    rc = AG_ENOMEM;
out:
    ag__buf_free(&b);
    return rc;
}

/* ---- kubeconfig ---------------------------------------------------------- */

typedef struct kc {
    yaml_document_t doc;
    const char *name; /* the file, for messages */
    ag_errinfo *ei;
} kc;

static yaml_node_t *node(kc *c, int id)
{
    return id ? yaml_document_get_node(&c->doc, id) : NULL;
}

/* The value of key in mapping m, or NULL. */
static yaml_node_t *map_get(kc *c, yaml_node_t *m, const char *key)
{
    if (!m || m->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key);
        if (k && k->type == YAML_SCALAR_NODE && strlen(key) == k->data.scalar.length &&
            memcmp(k->data.scalar.value, key, k->data.scalar.length) == 0)
            return node(c, p->value);
    }
    return NULL;
}

/* The scalar at key in m as a string borrowed from the document: NULL when
 * absent; sets *bad when present but not a scalar. */
static const char *map_str(kc *c, yaml_node_t *m, const char *key, int *bad)
{
    yaml_node_t *v = map_get(c, m, key);

    if (!v)
        return NULL;
    if (v->type != YAML_SCALAR_NODE) {
        *bad = 1;
        return NULL;
    }
    /* libyaml NUL-terminates scalar values; an embedded NUL (from an
     * escape) just shortens the string. */
    return (const char *)v->data.scalar.value;
}

/* In the sequence at list_key of the root, the "what" mapping (cluster,
 * context, user) of the entry named name. */
static yaml_node_t *find_named(kc *c, yaml_node_t *root, const char *list_key, const char *what,
                               const char *name)
{
    yaml_node_t *seq = map_get(c, root, list_key);
    int bad = 0;

    if (!seq || seq->type != YAML_SEQUENCE_NODE)
        return NULL;
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top;
         it++) {
        yaml_node_t *e = node(c, *it);
        const char *n = map_str(c, e, "name", &bad);
        if (n && strcmp(n, name) == 0)
            return map_get(c, e, what);
    }
    return NULL;
}

static int b64val(int ch)
{
    if (ch >= 'A' && ch <= 'Z')
        return ch - 'A';
    if (ch >= 'a' && ch <= 'z')
        return ch - 'a' + 26;
    if (ch >= '0' && ch <= '9')
        return ch - '0' + 52;
    if (ch == '+' || ch == '-')
        return 62;
    if (ch == '/' || ch == '_')
        return 63;
    return -1;
}

/* Decodes base64 (standard or URL alphabet, whitespace ignored, padding
 * optional) into a new NUL-terminated string. AG_EPARSE when malformed. */
static ag_err b64decode(const char *s, char **out, size_t *outlen)
{
    size_t n = strlen(s), o = 0;
    unsigned acc = 0;
    int bits = 0, pad = 0;
    char *p = ag__malloc(n / 4 * 3 + 4);

    if (!p)
        return AG_ENOMEM;
    for (; *s; s++) {
        int v;
        if (isspace((unsigned char)*s))
            continue;
        if (*s == '=') {
            pad++;
            continue;
        }
        if (pad || (v = b64val((unsigned char)*s)) < 0) {
            ag__free(p);
            return AG_EPARSE;
        }
        acc = (acc << 6) | (unsigned)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            p[o++] = (char)((acc >> bits) & 0xff);
        }
    }
    if (bits >= 6 || pad > 2) { /* a lone sixth bit group is not base64 */
        ag__free(p);
        return AG_EPARSE;
    }
    p[o] = '\0';
    *out = p;
    *outlen = o;
    return AG_OK;
}

/* A path relative to the kubeconfig's directory, as kubectl resolves it. */
static char *resolve_path(const char *file, const char *path)
{
    const char *slash = strrchr(file, '/');
    ag_buf b;

    if (path[0] == '/' || !slash)
        return ag__strdup(path);
    ag__buf_init(&b, 1u << 16);
    if (ag__buf_printf(&b, "%.*s/%s", (int)(slash - file), file, path) != AG_OK) {
        ag__buf_free(&b);
        return NULL;
    }
    return ag__buf_steal(&b);
}

/* Copies an optional string field (decoding base64 for *-data fields,
 * resolving relative paths for file fields). */
static ag_err take(kc *c, yaml_node_t *m, const char *section, const char *sname, const char *key,
                   int kind, char **dst, size_t *dlen)
{
    int bad = 0;
    const char *s = map_str(c, m, key, &bad);
    size_t n;
    ag_err rc;

    if (bad) {
        ag_errinfo_set(c->ei, "kubeconfig %s: %s[name=%s].%s: not a string", c->name, section,
                       sname, key);
        return AG_ECONFIG;
    }
    if (!s || !*s)
        return AG_OK;
    if (kind == 'b') {
        rc = b64decode(s, dst, &n);
        if (rc == AG_EPARSE) {
            ag_errinfo_set(c->ei, "kubeconfig %s: %s[name=%s].%s: invalid base64", c->name, section,
                           sname, key);
            return AG_ECONFIG;
        }
        if (rc == AG_OK && dlen)
            *dlen = n;
        return rc;
    }
    *dst = kind == 'p' ? resolve_path(c->name, s) : ag__strdup(s);
    return *dst ? AG_OK : AG_ENOMEM;
}

static ag_err bad_field(kc *c, const char *field, const char *why)
{
    ag_errinfo_set(c->ei, "kubeconfig %s: %s: %s", c->name, field, why);
    return AG_ECONFIG;
}

static ag_err read_config(kc *c, ag_k8s_config *out)
{
    yaml_node_t *root = yaml_document_get_root_node(&c->doc), *ctx, *cl, *user;
    const char *cur, *cname, *uname, *s;
    int bad = 0;
    ag_err rc;

    if (!root)
        return bad_field(c, "(document)", "empty");
    if (root->type != YAML_MAPPING_NODE)
        return bad_field(c, "(document)", "not a mapping");
    cur = map_str(c, root, "current-context", &bad);
    if (bad)
        return bad_field(c, "current-context", "not a string");
    if (!cur || !*cur)
        return bad_field(c, "current-context", "not set (kubectl config use-context NAME)");
    if (!(ctx = find_named(c, root, "contexts", "context", cur)) ||
        ctx->type != YAML_MAPPING_NODE) {
        ag_errinfo_set(c->ei, "kubeconfig %s: current-context \"%s\": no such entry in contexts",
                       c->name, cur);
        return AG_ECONFIG;
    }
    cname = map_str(c, ctx, "cluster", &bad);
    uname = map_str(c, ctx, "user", &bad);
    if (bad || !cname || !*cname) {
        ag_errinfo_set(c->ei, "kubeconfig %s: contexts[name=%s].context.cluster: not set", c->name,
                       cur);
        return AG_ECONFIG;
    }
    if (!(cl = find_named(c, root, "clusters", "cluster", cname)) ||
        cl->type != YAML_MAPPING_NODE) {
        ag_errinfo_set(c->ei,
                       "kubeconfig %s: cluster \"%s\" (of context %s): no such entry in "
                       "clusters",
                       c->name, cname, cur);
        return AG_ECONFIG;
    }
    if ((rc = take(c, cl, "clusters", cname, "server", 's', &out->server, NULL)) != AG_OK)
        return rc;
    if (!out->server) {
        ag_errinfo_set(c->ei, "kubeconfig %s: clusters[name=%s].cluster.server: not set", c->name,
                       cname);
        return AG_ECONFIG;
    }
    for (size_t n = strlen(out->server); n > 0 && out->server[n - 1] == '/'; n--)
        out->server[n - 1] = '\0';
    if (strncmp(out->server, "https://", 8) != 0 && strncmp(out->server, "http://", 7) != 0) {
        ag_errinfo_set(c->ei,
                       "kubeconfig %s: clusters[name=%s].cluster.server: \"%s\" is not an "
                       "http(s) URL",
                       c->name, cname, out->server);
        return AG_ECONFIG;
    }
    if ((rc = take(c, cl, "clusters", cname, "certificate-authority", 'p', &out->ca_file, NULL)) !=
            AG_OK ||
        (rc = take(c, cl, "clusters", cname, "certificate-authority-data", 'b', &out->ca_data,
                   &out->ca_data_len)) != AG_OK)
        return rc;
    s = map_str(c, cl, "insecure-skip-tls-verify", &bad);
    out->insecure = s && strcmp(s, "true") == 0;
    if ((rc = take(c, ctx, "contexts", cur, "namespace", 's', &out->ns, NULL)) != AG_OK)
        return rc;
    if (!uname || !*uname)
        return AG_OK; /* no user: anonymous */
    if (!(user = find_named(c, root, "users", "user", uname)) || user->type != YAML_MAPPING_NODE) {
        ag_errinfo_set(c->ei, "kubeconfig %s: user \"%s\" (of context %s): no such entry in users",
                       c->name, uname, cur);
        return AG_ECONFIG;
    }
    if ((rc = take(c, user, "users", uname, "token", 's', &out->token, NULL)) != AG_OK ||
        (rc = take(c, user, "users", uname, "client-certificate", 'p', &out->cert_file, NULL)) !=
            AG_OK ||
        (rc = take(c, user, "users", uname, "client-certificate-data", 'b', &out->cert_data,
                   &out->cert_data_len)) != AG_OK ||
        (rc = take(c, user, "users", uname, "client-key", 'p', &out->key_file, NULL)) != AG_OK ||
        (rc = take(c, user, "users", uname, "client-key-data", 'b', &out->key_data,
                   &out->key_data_len)) != AG_OK)
        return rc;
    if (!out->token) {
        char *tf = NULL;
        size_t len;
        if ((rc = take(c, user, "users", uname, "tokenFile", 'p', &tf, NULL)) != AG_OK)
            return rc;
        if (tf) {
            rc = ag__read_file(tf, SECRET_MAX, &out->token, &len, c->ei);
            ag__free(tf);
            if (rc != AG_OK)
                return rc;
            trim_right(out->token, &len);
        }
    }
    if ((out->cert_file || out->cert_data) != (out->key_file || out->key_data)) {
        ag_errinfo_set(c->ei,
                       "kubeconfig %s: users[name=%s].user: client-certificate and "
                       "client-key must be given together",
                       c->name, uname);
        return AG_ECONFIG;
    }
    if (!out->token && !out->cert_file && !out->cert_data &&
        (map_get(c, user, "exec") || map_get(c, user, "auth-provider"))) {
        ag_errinfo_set(c->ei,
                       "kubeconfig %s: users[name=%s].user: exec and auth-provider "
                       "credentials are not supported; use a token or a client certificate",
                       c->name, uname);
        return AG_ECONFIG;
    }
    return AG_OK;
}

ag_err ag_k8s_config_parse(const char *name, const char *text, size_t len, ag_k8s_config *out,
                           ag_errinfo *ei)
{
    yaml_parser_t p;
    kc c;
    ag_err rc;

    memset(out, 0, sizeof *out);
    c.name = name ? name : "(kubeconfig)";
    c.ei = ei;
    if (len > KUBECONFIG_MAX) {
        ag_errinfo_set(ei, "kubeconfig %s: larger than %u bytes", c.name, KUBECONFIG_MAX);
        return AG_ETOOBIG;
    }
    if (!yaml_parser_initialize(&p))
        return AG_ENOMEM;
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    if (!yaml_parser_load(&p, &c.doc)) {
        if (p.error == YAML_MEMORY_ERROR) {
            rc = AG_ENOMEM;
        } else {
            ag_errinfo_set(ei, "kubeconfig %s:%zu:%zu: %s", c.name, p.problem_mark.line + 1,
                           p.problem_mark.column + 1, p.problem ? p.problem : "YAML error");
            rc = AG_ECONFIG;
        }
        yaml_parser_delete(&p);
        return rc;
    }
    yaml_parser_delete(&p);
    rc = read_config(&c, out);
    yaml_document_delete(&c.doc);
    if (rc == AG_OK && !(out->source = ag__strdup(c.name)))
        rc = AG_ENOMEM;
    if (rc != AG_OK)
        ag_k8s_config_free(out);
    return rc;
}

ag_err ag_k8s_config_load(const char *path, ag_k8s_config *out, ag_errinfo *ei)
{
    char *text = NULL, *home_path = NULL;
    const char *env;
    size_t len;
    ag_err rc;

    memset(out, 0, sizeof *out);
    if (!path) {
        env = getenv("KUBERNETES_SERVICE_HOST");
        if (env && *env)
            return ag_k8s_config_incluster(NULL, out, ei);
        env = getenv("KUBECONFIG");
        if (env && *env) {
            /* A list: the first file (merging is not supported). */
            size_t n = strcspn(env, ":");
            if (!(home_path = ag__strndup(env, n)))
                return AG_ENOMEM;
        } else {
            ag_buf b;
            env = getenv("HOME");
            if (!env || !*env) {
                ag_errinfo_set(ei, "kubeconfig: neither KUBECONFIG nor HOME is set and not "
                                   "in a cluster");
                return AG_ECONFIG;
            }
            ag__buf_init(&b, 1u << 16);
            if (ag__buf_printf(&b, "%s/.kube/config", env) != AG_OK) {
                ag__buf_free(&b);
                return AG_ENOMEM;
            }
            home_path = ag__buf_steal(&b);
        }
        path = home_path;
    }
    rc = ag__read_file(path, KUBECONFIG_MAX, &text, &len, ei);
    if (rc == AG_ETOOBIG)
        ag_errinfo_set(ei, "kubeconfig %s: larger than %u bytes", path, KUBECONFIG_MAX);
    if (rc == AG_OK)
        rc = ag_k8s_config_parse(path, text, len, out, ei);
    ag__free(text);
    ag__free(home_path);
    return rc;
}
