/*
 * config/config.c - the YAML configuration file, flattened to key/value pairs.
 *
 * The file is small and written by people, so the goal is strictness and
 * good messages rather than generality: the top level is a mapping, nested
 * mappings become dotted keys ("vpa: {safety-margin: 0.2}" gives
 * "vpa.safety-margin"), sequences of scalars are joined with ','. Anything
 * else YAML allows (anchors, aliases, several documents, duplicate keys,
 * complex keys) is rejected with "name:line:col: what", because a config
 * that silently means something other than what it says is worse than one
 * that fails to load. We drive libyaml's event parser directly so every
 * node keeps its position for those messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "augur/config.h"
#include "util/alloc.h"
#include "util/buf.h"

#define CONFIG_MAX_BYTES ((size_t)1 << 20) /* a config file is never this big */
#define CONFIG_MAX_DEPTH 32                /* nesting of mappings */

typedef struct cfg {
    const char *name;
    yaml_parser_t parser;
    yaml_event_t ev;
    int have_ev; /* ev holds an event that must be deleted */
    ag_kv *kv;
    size_t n, cap;
    int *cols; /* column of each key, for the duplicate message */
    size_t cols_cap;
    ag_errinfo *ei;
} cfg;

/* Sets "name:line:col: what" for a position in the input. */
static ag_err fail_at(cfg *c, yaml_mark_t m, const char *fmt, const char *arg)
{
    char what[512];
    snprintf(what, sizeof what, fmt, arg ? arg : "");
    ag_errinfo_set(c->ei, "%s:%zu:%zu: %s", c->name, m.line + 1, m.column + 1, what);
    return AG_ECONFIG;
}

/* Advances to the next event; translates libyaml's errors into ours. */
static ag_err next(cfg *c)
{
    char what[400];

    if (c->have_ev) {
        yaml_event_delete(&c->ev);
        c->have_ev = 0;
    }
    if (yaml_parser_parse(&c->parser, &c->ev)) {
        c->have_ev = 1;
        return AG_OK;
    }
    if (c->parser.error == YAML_MEMORY_ERROR) {
        ag_errinfo_set(c->ei, "%s: out of memory", c->name);
        return AG_ENOMEM;
    }
    if (c->parser.context)
        snprintf(what, sizeof what, "%s %s", c->parser.problem ? c->parser.problem : "syntax error",
                 c->parser.context);
    else
        snprintf(what, sizeof what, "%s", c->parser.problem ? c->parser.problem : "syntax error");
    return fail_at(c, c->parser.problem_mark, "YAML syntax error: %s", what);
}

/* Anchors and aliases make one value appear under several keys; rejected
 * so that every key in the file is written out where it applies. */
static ag_err check_plain_node(cfg *c)
{
    const yaml_char_t *anchor = NULL;

    switch (c->ev.type) {
    case YAML_ALIAS_EVENT:
        return fail_at(c, c->ev.start_mark, "aliases (*%s) are not supported; write the value out",
                       (const char *)c->ev.data.alias.anchor);
    case YAML_SCALAR_EVENT:
        anchor = c->ev.data.scalar.anchor;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = c->ev.data.sequence_start.anchor;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = c->ev.data.mapping_start.anchor;
        break;
    default:
        break;
    }
    if (anchor)
        return fail_at(c, c->ev.start_mark, "anchors (&%s) are not supported; write the value out",
                       (const char *)anchor);
    return AG_OK;
}

/* The current scalar event's text; NUL bytes ("\0" escapes) are refused
 * because keys and values are C strings. */
static ag_err scalar_text(cfg *c, const char **out)
{
    const char *s = (const char *)c->ev.data.scalar.value;
    *out = s;
    if (strlen(s) != c->ev.data.scalar.length)
        return fail_at(c, c->ev.start_mark, "NUL character in a key or value%s", NULL);
    return AG_OK;
}

/* Appends a pair; takes ownership of key and value in every case. */
static ag_err add(cfg *c, char *key, char *value, int line, int col)
{
    if (ag__grow((void **)&c->kv, &c->cap, c->n + 1, sizeof *c->kv) != 0 ||
        ag__grow((void **)&c->cols, &c->cols_cap, c->n + 1, sizeof *c->cols) != 0) {
        ag__free(key);
        ag__free(value);
        return AG_ENOMEM;
    }
    c->kv[c->n].key = key;
    c->kv[c->n].value = value;
    c->kv[c->n].line = line;
    c->cols[c->n] = col;
    c->n++;
    return AG_OK;
}

/* A sequence of scalars, joined with ','. Called after SEQUENCE_START. */
static ag_err parse_seq(cfg *c, char **out)
{
    ag_buf b;
    const char *s = NULL;
    ag_err rc;
    int first = 1;

    ag__buf_init(&b, CONFIG_MAX_BYTES);
    for (;;) {
        if ((rc = next(c)) != AG_OK)
            goto out;
        if (c->ev.type == YAML_SEQUENCE_END_EVENT)
            break;
        if ((rc = check_plain_node(c)) != AG_OK)
            goto out;
        if (c->ev.type != YAML_SCALAR_EVENT) {
            rc = fail_at(c, c->ev.start_mark, "a list may only hold plain values%s", NULL);
            goto out;
        }
        if ((rc = scalar_text(c, &s)) != AG_OK)
            goto out;
        if ((!first && (rc = ag__buf_append(&b, ",", 1)) != AG_OK) ||
            (rc = ag__buf_puts(&b, s)) != AG_OK)
            goto out;
        first = 0;
    }
    /* An empty list is the empty string. */
    if (!b.p && (rc = ag__buf_append(&b, "", 0)) != AG_OK)
        goto out;
    *out = ag__buf_steal(&b);
    rc = *out ? AG_OK : AG_ENOMEM;
out:
    ag__buf_free(&b);
    return rc;
}

/* prefix.key, or key at the top level. Returns NULL when out of memory. */
static char *join_key(const char *prefix, const char *key)
{
    size_t pl, kl;
    char *s;

    if (!prefix)
        return ag__strdup(key);
    pl = strlen(prefix);
    kl = strlen(key);
    s = ag__malloc(pl + 1 + kl + 1);
    if (!s)
        return NULL;
    memcpy(s, prefix, pl);
    s[pl] = '.';
    memcpy(s + pl + 1, key, kl + 1);
    return s;
}

/* One mapping, after its MAPPING_START; prefix is NULL at the top level. */
static ag_err parse_map(cfg *c, const char *prefix, int depth)
{
    char *key = NULL, *value = NULL;
    const char *s = NULL;
    int line, col;
    ag_err rc;

    for (;;) {
        if ((rc = next(c)) != AG_OK)
            goto out;
        if (c->ev.type == YAML_MAPPING_END_EVENT)
            break;
        if ((rc = check_plain_node(c)) != AG_OK)
            goto out;
        if (c->ev.type != YAML_SCALAR_EVENT) {
            rc = fail_at(c, c->ev.start_mark, "a key must be a plain name, not a list or mapping%s",
                         NULL);
            goto out;
        }
        if ((rc = scalar_text(c, &s)) != AG_OK)
            goto out;
        if (!*s) {
            rc = fail_at(c, c->ev.start_mark, "empty key%s", NULL);
            goto out;
        }
        line = (int)c->ev.start_mark.line + 1;
        col = (int)c->ev.start_mark.column + 1;
        if (!(key = join_key(prefix, s))) {
            rc = AG_ENOMEM;
            goto out;
        }

        if ((rc = next(c)) != AG_OK || (rc = check_plain_node(c)) != AG_OK)
            goto out;
        switch (c->ev.type) {
        case YAML_SCALAR_EVENT:
            if ((rc = scalar_text(c, &s)) != AG_OK)
                goto out;
            /* "key:", "key: ~" and "key: null" all mean "empty". */
            if (c->ev.data.scalar.plain_implicit &&
                (!strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL")))
                s = "";
            if (!(value = ag__strdup(s))) {
                rc = AG_ENOMEM;
                goto out;
            }
            break;
        case YAML_SEQUENCE_START_EVENT:
            if ((rc = parse_seq(c, &value)) != AG_OK)
                goto out;
            break;
        case YAML_MAPPING_START_EVENT:
            if (depth >= CONFIG_MAX_DEPTH) {
                rc = fail_at(c, c->ev.start_mark, "mappings nested too deeply%s", NULL);
                goto out;
            }
            if ((rc = parse_map(c, key, depth + 1)) != AG_OK)
                goto out;
            ag__free(key);
            key = NULL;
            continue;
        default:
            rc = fail_at(c, c->ev.start_mark, "unexpected YAML structure%s", NULL);
            goto out;
        }
        rc = add(c, key, value, line, col);
        key = value = NULL;
        if (rc != AG_OK)
            goto out;
    }
out:
    ag__free(key);
    ag__free(value);
    return rc;
}

static int cmp_kv_ptr(const void *a, const void *b)
{
    const ag_kv *x = *(const ag_kv *const *)a, *y = *(const ag_kv *const *)b;
    int r = strcmp(x->key, y->key);
    if (r)
        return r;
    return x < y ? -1 : x > y;
}

/* Duplicate keys (after flattening, so "a.b: 1" and "a: {b: 2}" clash).
 * Sorting keeps this fast for large fuzzed inputs; of all the clashes the
 * one whose second occurrence comes first in the file is reported. */
static ag_err check_dups(cfg *c)
{
    const ag_kv **v, *dup = NULL, *orig = NULL;
    size_t i;

    if (c->n < 2)
        return AG_OK;
    v = ag__malloc(c->n * sizeof *v);
    if (!v)
        return AG_ENOMEM;
    for (i = 0; i < c->n; i++)
        v[i] = &c->kv[i];
    qsort(v, c->n, sizeof *v, cmp_kv_ptr);
    for (i = 0; i + 1 < c->n; i++) {
        if (strcmp(v[i]->key, v[i + 1]->key) == 0 && (!dup || v[i + 1] < dup))
            dup = v[i + 1];
    }
    ag__free(v);
    if (!dup)
        return AG_OK;
    /* The first occurrence, for the message. */
    for (i = 0; i < c->n; i++) {
        if (strcmp(c->kv[i].key, dup->key) == 0) {
            orig = &c->kv[i];
            break;
        }
    }
    ag_errinfo_set(c->ei, "%s:%d:%d: duplicate key '%s' (first set on line %d)", c->name, dup->line,
                   c->cols[dup - c->kv], dup->key, orig->line);
    return AG_ECONFIG;
}

/* The top level: nothing, an empty document, or one mapping. */
static ag_err parse_stream(cfg *c)
{
    ag_err rc;

    if ((rc = next(c)) != AG_OK) /* STREAM_START */
        return rc;
    if ((rc = next(c)) != AG_OK)
        return rc;
    if (c->ev.type == YAML_STREAM_END_EVENT)
        return AG_OK; /* empty file, or comments only */
    if ((rc = next(c)) != AG_OK || (rc = check_plain_node(c)) != AG_OK)
        return rc;
    if (c->ev.type == YAML_MAPPING_START_EVENT) {
        if ((rc = parse_map(c, NULL, 1)) != AG_OK)
            return rc;
    } else if (c->ev.type != YAML_SCALAR_EVENT || !c->ev.data.scalar.plain_implicit ||
               c->ev.data.scalar.length != 0) {
        /* "---" alone is an empty document and fine; anything else is not. */
        return fail_at(c, c->ev.start_mark,
                       "the top level must be a mapping of option names to values%s", NULL);
    }
    if ((rc = next(c)) != AG_OK) /* DOCUMENT_END */
        return rc;
    if ((rc = next(c)) != AG_OK)
        return rc;
    if (c->ev.type != YAML_STREAM_END_EVENT)
        return fail_at(c, c->ev.start_mark, "only one YAML document is allowed%s", NULL);
    return check_dups(c);
}

ag_err ag_config_parse(const char *name, const char *buf, size_t len, ag_kv **out, size_t *n,
                       ag_errinfo *ei)
{
    cfg c;
    ag_err rc;

    *out = NULL;
    *n = 0;
    if (!name)
        name = "<config>";
    if (len > CONFIG_MAX_BYTES) {
        ag_errinfo_set(ei, "%s: larger than %zu bytes; not a config file?", name, CONFIG_MAX_BYTES);
        return AG_ETOOBIG;
    }
    memset(&c, 0, sizeof c);
    c.name = name;
    c.ei = ei;
    if (!yaml_parser_initialize(&c.parser))
        return AG_ENOMEM;
    yaml_parser_set_input_string(&c.parser, (const unsigned char *)buf, len);
    rc = parse_stream(&c);
    if (c.have_ev)
        yaml_event_delete(&c.ev);
    yaml_parser_delete(&c.parser);
    ag__free(c.cols);
    if (rc != AG_OK) {
        if (rc == AG_ENOMEM)
            ag_errinfo_set(ei, "%s: out of memory", name);
        ag_kvs_free(c.kv, c.n);
        return rc;
    }
    *out = c.kv;
    *n = c.n;
    return AG_OK;
}

ag_err ag_config_load(const char *path, ag_kv **out, size_t *n, ag_errinfo *ei)
{
    char *buf;
    size_t len;
    ag_err rc;

    *out = NULL;
    *n = 0;
    /* One byte over the cap so an oversized file is reported as such. */
    rc = ag__read_file(path, CONFIG_MAX_BYTES + 1, &buf, &len, ei);
    if (rc != AG_OK)
        return rc;
    rc = ag_config_parse(path, buf, len, out, n, ei);
    ag__free(buf);
    return rc;
}

void ag_kvs_free(ag_kv *kv, size_t n)
{
    size_t i;

    if (!kv)
        return;
    for (i = 0; i < n; i++) {
        ag__free(kv[i].key);
        ag__free(kv[i].value);
    }
    ag__free(kv);
}
