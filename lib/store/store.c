/*
 * store/store.c - the embedded store: one SQLite file in WAL mode.
 *
 * Usage history is kept in its cleaned form (CPU cores, memory bytes), so
 * `recommend` can run from the store without the original files. Writes
 * of a dataset happen in one transaction; a sample is keyed by (container,
 * resource, time), so importing the same file twice stores it once. The
 * samples of a series are stored in day-long chunks (one row and BLOB per
 * container, resource and day; encoding in chunk.c): a new chunk is one
 * INSERT, an existing one is decoded, merged and written back. The schema
 * lives in schema.c and is migrated forward on open.
 *
 * Every SQLite failure becomes AG_ESTORE with the store's path, what was
 * being done and sqlite3_errmsg() in the errinfo.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sqlite3.h>

#include "augur/store.h"
#include "series/series_int.h"
#include "store/store_int.h"
#include "util/alloc.h"

/* How long a writer waits for another process holding the lock. */
#define BUSY_TIMEOUT_MS 5000

struct ag_store {
    sqlite3 *db;
    char *path;
    int version;
};

/* The migration list in use: the built-in one unless a test replaced it. */
static const char *const *test_steps;
static size_t test_nsteps;

void ag__store_set_migrations(const char *const *steps, size_t n)
{
    test_steps = steps;
    test_nsteps = steps ? n : 0;
}

static const char *const *steps(void)
{
    return test_steps ? test_steps : ag__store_migrations;
}

static size_t nsteps(void)
{
    return test_steps ? test_nsteps : ag__store_nmigrations;
}

/* Fills ei with "store PATH: WHAT: sqlite message" and returns AG_ESTORE.
 * Call before any ROLLBACK, which would replace the message. */
static ag_err sqlfail(const ag_store *st, ag_errinfo *ei, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static ag_err sqlfail(const ag_store *st, ag_errinfo *ei, const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    ag_errinfo_set(ei, "store %s: %s: %s (SQLite code %d)", st->path, what, sqlite3_errmsg(st->db),
                   sqlite3_extended_errcode(st->db));
    return AG_ESTORE;
}

static ag_err exec(ag_store *st, const char *sql, const char *what, ag_errinfo *ei)
{
    if (sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sqlfail(st, ei, "%s", what);
    return AG_OK;
}

static ag_err prepare(ag_store *st, const char *sql, sqlite3_stmt **out, ag_errinfo *ei)
{
    if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK) {
        *out = NULL;
        return sqlfail(st, ei, "preparing \"%.60s...\"", sql);
    }
    return AG_OK;
}

/* Runs a statement that returns no rows and resets it for reuse. */
static ag_err step_done(ag_store *st, sqlite3_stmt *s, const char *what, ag_errinfo *ei)
{
    ag_err err = AG_OK;

    if (sqlite3_step(s) != SQLITE_DONE)
        err = sqlfail(st, ei, "%s", what);
    sqlite3_reset(s);
    return err;
}

/* Rolls back an open transaction, if SQLite has not already done so. */
static void rollback(ag_store *st)
{
    if (!sqlite3_get_autocommit(st->db))
        sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

/* Reads a one-integer PRAGMA or query into *out. */
static ag_err query_int(ag_store *st, const char *sql, int64_t *out, ag_errinfo *ei)
{
    sqlite3_stmt *s;
    ag_err err = prepare(st, sql, &s, ei);

    if (err)
        return err;
    if (sqlite3_step(s) == SQLITE_ROW)
        *out = sqlite3_column_int64(s, 0);
    else
        err = sqlfail(st, ei, "running \"%s\"", sql);
    sqlite3_finalize(s);
    return err;
}

/* ------------------------------------------------------------------ */
/* Opening                                                              */

char *ag_store_default_path(char *buf, size_t len)
{
    const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
    int n;

    if (xdg && *xdg)
        n = snprintf(buf, len, "%s/augur/augur.db", xdg);
    else if (home && *home)
        n = snprintf(buf, len, "%s/.local/share/augur/augur.db", home);
    else
        return NULL;
    if (n < 0 || (size_t)n >= len)
        return NULL;
    return buf;
}

/* mkdir -p of the directory part of path. */
static ag_err make_parent_dirs(const char *path, ag_errinfo *ei)
{
    char *dir = ag__strdup(path), *slash, *p;
    struct stat sb;
    ag_err err = AG_OK;

    if (!dir)
        return AG_ENOMEM;
    slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        goto out; /* current directory or the root */
    *slash = '\0';
    for (p = dir + 1;; p++) {
        const char *why = NULL;
        char c = *p;

        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            why = strerror(errno);
        else if (stat(dir, &sb) != 0)
            why = strerror(errno);
        else if (!S_ISDIR(sb.st_mode))
            why = "a file of that name exists";
        if (why) {
            ag_errinfo_set(ei, "cannot create directory %s for the store %s: %s", dir, path, why);
            err = AG_EIO;
            goto out;
        }
        *p = c;
        if (c == '\0')
            break;
    }
out:
    ag__free(dir);
    return err;
}

/* Applies the missing migration steps, each in its own transaction. The
 * version is read again under the write lock, so two processes opening a
 * new file at once do not both run a step. */
static ag_err migrate(ag_store *st, ag_errinfo *ei)
{
    char sql[64];
    int64_t v = 0;
    ag_err err;

    for (;;) {
        err = exec(st, "BEGIN IMMEDIATE", "starting a migration", ei);
        if (!err)
            err = query_int(st, "PRAGMA user_version", &v, ei);
        if (err || v >= (int64_t)nsteps())
            break;
        snprintf(sql, sizeof sql, "PRAGMA user_version = %lld", (long long)(v + 1));
        if (sqlite3_exec(st->db, steps()[v], NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(st->db, sql, NULL, NULL, NULL) != SQLITE_OK ||
            sqlite3_exec(st->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
            err = sqlfail(st, ei, "migrating the schema from version %lld to %lld", (long long)v,
                          (long long)(v + 1));
            break;
        }
    }
    if (!err && v > (int64_t)nsteps()) {
        ag_errinfo_set(ei,
                       "store %s has schema version %lld, but this augur knows only up to "
                       "version %zu; use a newer augur",
                       st->path, (long long)v, nsteps());
        err = AG_ESCHEMA;
    }
    rollback(st); /* ends the last (read-only) transaction, or undoes a failed step */
    if (!err)
        st->version = (int)v;
    return err;
}

/* Switches the file to WAL mode. The switch needs an exclusive lock and
 * SQLite returns SQLITE_BUSY for it without calling the busy handler (seen
 * when several processes open a new file at once), so it is retried here
 * for up to BUSY_TIMEOUT_MS. */
static ag_err set_wal(ag_store *st, ag_errinfo *ei)
{
    char mode[16] = "";
    sqlite3_stmt *s;
    ag_err err = prepare(st, "PRAGMA journal_mode = WAL", &s, ei);
    int rc;

    if (err)
        return err;
    for (int waited = 0;; waited += 10) {
        rc = sqlite3_step(s);
        if (rc != SQLITE_BUSY || waited >= BUSY_TIMEOUT_MS)
            break;
        sqlite3_reset(s);
        sqlite3_sleep(10);
    }
    if (rc == SQLITE_ROW) {
        const unsigned char *m = sqlite3_column_text(s, 0);
        snprintf(mode, sizeof mode, "%s", m ? (const char *)m : "");
    } else {
        err = sqlfail(st, ei, "setting WAL journal mode");
    }
    sqlite3_finalize(s);
    if (err)
        return err;
    /* An in-memory database reports "memory"; a file must be in WAL mode so
     * readers are not blocked by an import. */
    if (strcmp(mode, "wal") != 0 && strcmp(st->path, ":memory:") != 0) {
        ag_errinfo_set(ei, "store %s: cannot switch to WAL journal mode (got \"%s\")", st->path,
                       mode);
        return AG_ESTORE;
    }
    return AG_OK;
}

/* ------------------------------------------------------------------ */
/* Sample order and the ag_chunk() aggregate                            */

typedef struct seq_sample {
    ag_sample s;
    size_t seq;
} seq_sample;

static int cmp_seq(const void *a, const void *b)
{
    const seq_sample *x = a, *y = b;

    if (x->s.t_ms != y->s.t_ms)
        return x->s.t_ms < y->s.t_ms ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sorts v[0..*n) by time, keeping the last of equal times (as finish()
 * does) and dropping non-finite values; *n becomes the count kept. Only
 * unfinished datasets need it. Returns AG_ENOMEM or AG_OK. */
static ag_err sort_dedupe(ag_sample *v, size_t *n)
{
    seq_sample *tmp = ag__malloc(*n ? *n * sizeof *tmp : 1);
    size_t k = 0, out = 0;

    if (!tmp)
        return AG_ENOMEM;
    for (size_t i = 0; i < *n; i++)
        if (isfinite(v[i].v))
            tmp[k++] = (seq_sample){v[i], i};
    qsort(tmp, k, sizeof *tmp, cmp_seq);
    for (size_t i = 0; i < k; i++) {
        if (i + 1 < k && tmp[i + 1].s.t_ms == tmp[i].s.t_ms)
            continue; /* a later value at the same time wins */
        v[out++] = tmp[i].s;
    }
    ag__free(tmp);
    *n = out;
    return AG_OK;
}

/* ag_chunk(start_ms, t_ms, value): the encoded chunk of a group's samples.
 * Used by the v3 migration to turn sample rows into chunks. */
static void chunk_step(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
    ag_samples *a = sqlite3_aggregate_context(cx, sizeof *a); /* zeroed at first */
    int64_t start = sqlite3_value_int64(argv[0]), t = sqlite3_value_int64(argv[1]);
    double v = sqlite3_value_double(argv[2]);

    (void)argc;
    if (!a || ag_samples_push(a, t, v) != AG_OK) {
        sqlite3_result_error_nomem(cx);
        return;
    }
    /* Every sample must lie in the group's chunk: the SQL computes start. */
    if (t < -AG__CHUNK_TMAX || t > AG__CHUNK_TMAX || ag__chunk_start(t) != start || !isfinite(v))
        sqlite3_result_error(cx, "ag_chunk: sample outside its chunk or not finite", -1);
}

static void chunk_final(sqlite3_context *cx)
{
    ag_samples *a = sqlite3_aggregate_context(cx, 0);
    uint8_t *buf = NULL;
    size_t n;

    if (!a || a->n == 0) {
        sqlite3_result_null(cx);
        goto out;
    }
    n = a->n;
    if (ag__chunk_bound(n) > INT_MAX || sort_dedupe(a->v, &n) != AG_OK ||
        !(buf = ag__malloc(ag__chunk_bound(n)))) {
        sqlite3_result_error_nomem(cx);
        goto out;
    }
    if (n != a->n) {
        sqlite3_result_error(cx, "ag_chunk: duplicate times or non-finite values", -1);
        goto out;
    }
    n = ag__chunk_encode(buf, ag__chunk_start(a->v[0].t_ms), a->v, n);
    sqlite3_result_blob(cx, buf, (int)n, ag__free);
    buf = NULL;
out:
    ag__free(buf);
    if (a)
        ag_samples_clear(a);
}

/* Sets the connection up, checks the file's version and migrates it. */
static ag_err setup(ag_store *st, ag_errinfo *ei)
{
    int64_t version = 0;
    ag_err err;

    if (sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS) != SQLITE_OK)
        return sqlfail(st, ei, "setting the busy timeout");
    /* The first read of the file: a file that is not SQLite fails here,
     * before anything is written to it. */
    err = query_int(st, "PRAGMA user_version", &version, ei);
    if (err)
        return err;
    if (version > (int64_t)nsteps()) {
        ag_errinfo_set(ei,
                       "store %s has schema version %lld, but this augur knows only up to "
                       "version %zu; use a newer augur",
                       st->path, (long long)version, nsteps());
        return AG_ESCHEMA;
    }
    err = set_wal(st, ei);
    /* A 64 MiB page cache (the default is 2 MiB) keeps the chunk index and
     * the pages being filled of a large import in memory. */
    if (!err)
        err = exec(st,
                   "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; "
                   "PRAGMA cache_size = -65536",
                   "setting synchronous, foreign_keys and cache_size", ei);
    if (!err &&
        sqlite3_create_function_v2(st->db, "ag_chunk", 3, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                   NULL, chunk_step, chunk_final, NULL) != SQLITE_OK)
        err = sqlfail(st, ei, "registering ag_chunk()");
    if (!err)
        err = migrate(st, ei);
    return err;
}

ag_err ag_store_open(const char *path, ag_store **out, ag_errinfo *ei)
{
    ag_store *st;
    ag_err err;
    int rc;

    *out = NULL;
    if (!path || !*path) {
        ag_errinfo_set(ei, "store: empty path");
        return AG_EINVAL;
    }
    err = make_parent_dirs(path, ei);
    if (err)
        return err;
    st = ag__calloc(1, sizeof *st);
    if (!st)
        return AG_ENOMEM;
    st->path = ag__strdup(path);
    if (!st->path) {
        err = AG_ENOMEM;
        goto out;
    }
    rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    if (rc != SQLITE_OK) {
        if (st->db)
            err = sqlfail(st, ei, "opening");
        else
            err = AG_ENOMEM; /* SQLite could not allocate the handle */
        goto out;
    }
    err = setup(st, ei);
out:
    if (err) {
        ag_store_close(st);
        return err;
    }
    *out = st;
    return AG_OK;
}

ag_err ag_store_set_cache(ag_store *st, long kib, ag_errinfo *ei)
{
    char sql[64];

    snprintf(sql, sizeof sql, "PRAGMA cache_size = -%ld", kib > 0 ? kib : 1);
    return exec(st, sql, "setting cache_size", ei);
}

void ag_store_close(ag_store *st)
{
    if (!st)
        return;
    sqlite3_close_v2(st->db); /* NULL is a harmless no-op */
    ag__free(st->path);
    ag__free(st);
}

int ag_store_schema_version(const ag_store *st)
{
    return st ? st->version : 0;
}

/* ------------------------------------------------------------------ */
/* Writing a dataset                                                    */

/* The statements and scratch buffers of one ag_store_put_dataset() call,
 * prepared once and reused for every row. */
typedef struct put_stmts {
    sqlite3_stmt *cont, *get, *ins, *upd, *spec, *oom, *label;
    ag_samples sorted; /* a series that needed sorting */
    ag_samples old;    /* the decoded stored chunk */
    ag_samples merged; /* old and new merged */
    uint8_t *buf;      /* the encoded chunk */
    size_t bufcap;
} put_stmts;

static ag_err put_prepare(ag_store *st, put_stmts *ps, ag_errinfo *ei)
{
    ag_err err;

    /* An owner already stored is kept when this dataset does not know it. */
    err = prepare(st,
                  "INSERT INTO container (namespace, pod, container, owner_kind, owner_name) "
                  "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (namespace, pod, container) DO UPDATE "
                  "SET owner_kind = coalesce(excluded.owner_kind, owner_kind), "
                  "owner_name = coalesce(excluded.owner_name, owner_name) RETURNING id",
                  &ps->cont, ei);
    if (!err)
        err = prepare(st,
                      "SELECT id, n, data FROM chunk WHERE container_id = ?1 AND resource = ?2 "
                      "AND start_ms = ?3",
                      &ps->get, ei);
    if (!err)
        err = prepare(st,
                      "INSERT INTO chunk (container_id, resource, start_ms, n, t_first, t_last, "
                      "data) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                      &ps->ins, ei);
    if (!err)
        err = prepare(st,
                      "UPDATE chunk SET n = ?4, t_first = ?5, t_last = ?6, data = ?7 WHERE id = ?1",
                      &ps->upd, ei);
    /* Newest spec wins, as in the dataset. */
    if (!err)
        err = prepare(st,
                      "INSERT INTO spec (container_id, resource, kind, value, t_ms) "
                      "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO UPDATE "
                      "SET value = excluded.value, t_ms = excluded.t_ms "
                      "WHERE excluded.t_ms >= spec.t_ms",
                      &ps->spec, ei);
    if (!err)
        err = prepare(st,
                      "INSERT INTO oom (container_id, t_ms, value) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT DO UPDATE SET value = excluded.value",
                      &ps->oom, ei);
    if (!err)
        err = prepare(st,
                      "INSERT INTO pod_label (namespace, pod, key, value) VALUES (?1, ?2, ?3, ?4) "
                      "ON CONFLICT DO UPDATE SET value = excluded.value",
                      &ps->label, ei);
    return err;
}

static void put_finalize(put_stmts *ps)
{
    sqlite3_finalize(ps->cont);
    sqlite3_finalize(ps->get);
    sqlite3_finalize(ps->ins);
    sqlite3_finalize(ps->upd);
    sqlite3_finalize(ps->spec);
    sqlite3_finalize(ps->oom);
    sqlite3_finalize(ps->label);
    ag_samples_clear(&ps->sorted);
    ag_samples_clear(&ps->old);
    ag_samples_clear(&ps->merged);
    ag__free(ps->buf);
}

/* Upserts the container row and returns its id in *id. */
static ag_err put_container(ag_store *st, put_stmts *ps, const ag_dataset *ds,
                            const ag_container *c, int64_t *id, ag_errinfo *ei)
{
    const char *kind = c->owner_kind, *name = c->owner_name;
    ag_err err = AG_OK;

    /* Before finish() the owner is only known from kube_pod_owner. */
    if (!kind || !name) {
        kind = name = NULL;
        ag_dataset_get_owner(ds, c->ns, c->pod, &kind, &name);
    }
    sqlite3_bind_text(ps->cont, 1, c->ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(ps->cont, 2, c->pod, -1, SQLITE_STATIC);
    sqlite3_bind_text(ps->cont, 3, c->container, -1, SQLITE_STATIC);
    sqlite3_bind_text(ps->cont, 4, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(ps->cont, 5, name, -1, SQLITE_STATIC);
    if (sqlite3_step(ps->cont) == SQLITE_ROW)
        *id = sqlite3_column_int64(ps->cont, 0);
    else
        err = sqlfail(st, ei, "writing container %s/%s/%s", c->ns, c->pod, c->container);
    sqlite3_reset(ps->cont);
    return err;
}

/* Merges the stored chunk ps->old with the new samples v[0..n) (both
 * sorted) into ps->merged, the new value winning at equal times. *added
 * gets the count of new times; returns 1 when anything changed, 0 when
 * the chunk would be written back identical, -1 when out of memory. */
static int merge(put_stmts *ps, const ag_sample *v, size_t n, uint64_t *added)
{
    const ag_sample *o = ps->old.v;
    size_t no = ps->old.n, i = 0, j = 0, k = 0, cap = ps->merged.cap;
    int changed = 0;

    if (ag__grow((void **)&ps->merged.v, &cap, no + n, sizeof *o) != 0)
        return -1;
    ps->merged.cap = cap;
    *added = 0;
    while (i < no || j < n) {
        if (j == n || (i < no && o[i].t_ms < v[j].t_ms)) {
            ps->merged.v[k++] = o[i++];
        } else {
            if (i < no && o[i].t_ms == v[j].t_ms) {
                /* Bit comparison: -0.0 replacing 0.0 is a change. */
                changed |= memcmp(&o[i].v, &v[j].v, sizeof o[i].v) != 0;
                i++;
            } else {
                (*added)++;
                changed = 1;
            }
            ps->merged.v[k++] = v[j++];
        }
    }
    ps->merged.n = k;
    return changed;
}

/* Encodes v[0..n) into ps->buf and binds it with n and the time bounds
 * to s (the INSERT or the UPDATE: parameters 4..7). A blob over INT_MAX
 * bytes (tens of millions of samples in one day) cannot be bound: SQLite
 * refuses blobs over 1 GB anyway, so it is reported as AG_ENOMEM. */
static ag_err bind_chunk(put_stmts *ps, sqlite3_stmt *s, int64_t start, const ag_sample *v,
                         size_t n)
{
    size_t len, need = ag__chunk_bound(n);

    if (need > INT_MAX || ag__grow((void **)&ps->buf, &ps->bufcap, need, 1) != 0)
        return AG_ENOMEM;
    len = ag__chunk_encode(ps->buf, start, v, n);
    sqlite3_bind_int64(s, 4, (int64_t)n);
    sqlite3_bind_int64(s, 5, v[0].t_ms);
    sqlite3_bind_int64(s, 6, v[n - 1].t_ms);
    sqlite3_bind_blob(s, 7, ps->buf, (int)len, SQLITE_STATIC);
    return AG_OK;
}

/* Writes the samples v[0..n) (sorted, all in the chunk starting at start)
 * of series (id, r): a new chunk is inserted, an existing one merged. */
static ag_err put_chunk(ag_store *st, put_stmts *ps, const ag_container *c, int64_t id, int r,
                        int64_t start, const ag_sample *v, size_t n, uint64_t *inserted,
                        ag_errinfo *ei)
{
    const char *what = "writing";
    sqlite3_stmt *s = ps->ins;
    int64_t chunk_id = 0, stored_n = 0;
    uint64_t added = n;
    ag_err err = AG_OK;
    int rc;

    sqlite3_bind_int64(ps->get, 1, id);
    sqlite3_bind_int(ps->get, 2, r);
    sqlite3_bind_int64(ps->get, 3, start);
    rc = sqlite3_step(ps->get);
    if (rc == SQLITE_ROW) {
        chunk_id = sqlite3_column_int64(ps->get, 0);
        stored_n = sqlite3_column_int64(ps->get, 1);
        const void *blob = sqlite3_column_blob(ps->get, 2);
        size_t len = (size_t)sqlite3_column_bytes(ps->get, 2);
        ps->old.n = 0;
        err = ag__chunk_decode(blob, len, start, &ps->old);
        if (!err && ps->old.n != (size_t)stored_n)
            err = AG_ESTORE;
        what = "merging into";
    } else if (rc != SQLITE_DONE) {
        err = sqlfail(st, ei, "reading the %s chunk of %s/%s/%s at %lld ms", ag_resource_name(r),
                      c->ns, c->pod, c->container, (long long)start);
    }
    sqlite3_reset(ps->get);
    if (err == AG_ESTORE && rc == SQLITE_ROW)
        ag_errinfo_set(ei, "store %s: the stored %s chunk of %s/%s/%s at %lld ms is damaged",
                       st->path, ag_resource_name(r), c->ns, c->pod, c->container,
                       (long long)start);
    if (err)
        return err;
    if (rc == SQLITE_ROW) {
        int changed = merge(ps, v, n, &added);
        if (changed <= 0)
            return changed < 0 ? AG_ENOMEM : AG_OK; /* nothing new: no write */
        s = ps->upd;
        v = ps->merged.v;
        n = ps->merged.n;
    }
    if (bind_chunk(ps, s, start, v, n) != AG_OK)
        return AG_ENOMEM;
    sqlite3_bind_int64(s, 1, rc == SQLITE_ROW ? chunk_id : id);
    sqlite3_bind_int(s, 2, r);
    sqlite3_bind_int64(s, 3, start);
    if (sqlite3_step(s) != SQLITE_DONE)
        err = sqlfail(st, ei, "%s the %s chunk of %s/%s/%s at %lld ms", what, ag_resource_name(r),
                      c->ns, c->pod, c->container, (long long)start);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s); /* the blob is borrowed from ps->buf */
    if (!err)
        *inserted += added;
    return err;
}

/* 1 when s is sorted by strictly increasing time and all finite: true of
 * every finished dataset, so the usual case copies nothing. */
static int is_clean(const ag_samples *s)
{
    for (size_t i = 0; i < s->n; i++)
        if (!isfinite(s->v[i].v) || (i > 0 && s->v[i].t_ms <= s->v[i - 1].t_ms))
            return 0;
    return 1;
}

static ag_err put_samples(ag_store *st, put_stmts *ps, const ag_container *c, int64_t id,
                          uint64_t *inserted, ag_errinfo *ei)
{
    for (int r = 0; r < AG_NRES; r++) {
        const ag_sample *v = c->usage[r].v;
        size_t n = c->usage[r].n, i = 0;
        ag_err err;

        if (n > 0 && !is_clean(&c->usage[r])) {
            /* SQLite would store NaN as NULL; a finished dataset has none. */
            ps->sorted.n = 0;
            for (size_t k = 0; k < n; k++)
                if (ag_samples_push(&ps->sorted, v[k].t_ms, v[k].v))
                    return AG_ENOMEM;
            if (sort_dedupe(ps->sorted.v, &ps->sorted.n))
                return AG_ENOMEM;
            v = ps->sorted.v;
            n = ps->sorted.n;
        }
        if (n > 0 && (v[0].t_ms < -AG__CHUNK_TMAX || v[n - 1].t_ms > AG__CHUNK_TMAX)) {
            ag_errinfo_set(ei, "store %s: %s sample of %s/%s/%s at %lld ms: time out of range",
                           st->path, ag_resource_name(r), c->ns, c->pod, c->container,
                           (long long)(v[0].t_ms < -AG__CHUNK_TMAX ? v[0].t_ms : v[n - 1].t_ms));
            return AG_EINVAL;
        }
        while (i < n) {
            int64_t start = ag__chunk_start(v[i].t_ms);
            size_t j = i + 1;
            while (j < n && v[j].t_ms < start + AG__CHUNK_MS)
                j++;
            err = put_chunk(st, ps, c, id, r, start, v + i, j - i, inserted, ei);
            if (err)
                return err;
            i = j;
        }
    }
    return AG_OK;
}

static ag_err put_spec_one(ag_store *st, put_stmts *ps, const ag_container *c, int64_t id, int r,
                           const char *kind, double v, ag_errinfo *ei)
{
    if (!isfinite(v))
        return AG_OK; /* unknown */
    sqlite3_bind_int64(ps->spec, 1, id);
    sqlite3_bind_int(ps->spec, 2, r);
    sqlite3_bind_text(ps->spec, 3, kind, -1, SQLITE_STATIC);
    sqlite3_bind_double(ps->spec, 4, v);
    sqlite3_bind_int64(ps->spec, 5, c->spec_t_ms[r]);
    if (step_done(st, ps->spec, "writing a request or limit", ei))
        return AG_ESTORE;
    return AG_OK;
}

static ag_err put_specs_ooms(ag_store *st, put_stmts *ps, const ag_container *c, int64_t id,
                             ag_errinfo *ei)
{
    for (int r = 0; r < AG_NRES; r++) {
        if (put_spec_one(st, ps, c, id, r, "request", c->request[r], ei) ||
            put_spec_one(st, ps, c, id, r, "limit", c->limit[r], ei))
            return AG_ESTORE;
    }
    for (size_t i = 0; i < c->oom.n; i++) {
        sqlite3_bind_int64(ps->oom, 1, id);
        sqlite3_bind_int64(ps->oom, 2, c->oom.v[i].t_ms);
        sqlite3_bind_double(ps->oom, 3, isfinite(c->oom.v[i].v) ? c->oom.v[i].v : 0.0);
        if (step_done(st, ps->oom, "writing an OOM event", ei))
            return AG_ESTORE;
    }
    return AG_OK;
}

/* Pod labels live on the dataset's pod records (series_int.h); every pod
 * known to the dataset is written, with or without containers. */
static ag_err put_labels(ag_store *st, put_stmts *ps, const ag_dataset *ds, ag_errinfo *ei)
{
    for (size_t i = 0; i < ds->np; i++) {
        const ag__pod *p = ds->p[i];
        for (size_t j = 0; j < p->nlabels; j++) {
            sqlite3_bind_text(ps->label, 1, p->ns, -1, SQLITE_STATIC);
            sqlite3_bind_text(ps->label, 2, p->pod, -1, SQLITE_STATIC);
            sqlite3_bind_text(ps->label, 3, p->labels[j].k, -1, SQLITE_STATIC);
            sqlite3_bind_text(ps->label, 4, p->labels[j].v, -1, SQLITE_STATIC);
            if (step_done(st, ps->label, "writing a pod label", ei))
                return AG_ESTORE;
        }
    }
    return AG_OK;
}

ag_err ag_store_put_dataset(ag_store *st, const ag_dataset *ds, uint64_t *inserted, ag_errinfo *ei)
{
    put_stmts ps = {0};
    uint64_t n = 0;
    int64_t id = 0;
    ag_err err;

    if (inserted)
        *inserted = 0;
    if (!st || !ds)
        return AG_EINVAL;
    /* finish() turns counters into rates and empties cpu_counter; raw
     * counters are never stored, so an unfinished dataset would lose them. */
    for (size_t i = 0; i < ag_dataset_count(ds); i++) {
        const ag_container *c = ag_dataset_at(ds, i);
        if (c->cpu_counter.n > 0) {
            ag_errinfo_set(ei,
                           "store %s: container %s/%s/%s still has raw CPU counters; "
                           "run ag_dataset_finish() before storing",
                           st->path, c->ns, c->pod, c->container);
            return AG_EINVAL;
        }
    }
    err = put_prepare(st, &ps, ei);
    if (!err)
        err = exec(st, "BEGIN IMMEDIATE", "starting the import transaction", ei);
    for (size_t i = 0; !err && i < ag_dataset_count(ds); i++) {
        const ag_container *c = ag_dataset_at(ds, i);
        err = put_container(st, &ps, ds, c, &id, ei);
        if (!err)
            err = put_samples(st, &ps, c, id, &n, ei);
        if (!err)
            err = put_specs_ooms(st, &ps, c, id, ei);
    }
    if (!err)
        err = put_labels(st, &ps, ds, ei);
    if (!err)
        err = exec(st, "COMMIT", "committing the import", ei);
    if (err == AG_ENOMEM)
        ag_errinfo_set(ei, "store %s: importing: %s", st->path, ag_strerror(err));
    if (err)
        rollback(st);
    else if (inserted)
        *inserted = n;
    put_finalize(&ps);
    return err;
}

/* ------------------------------------------------------------------ */
/* Loading                                                              */

typedef struct load_stmts {
    sqlite3_stmt *cont, *sample, *spec, *oom, *label;
} load_stmts;

static ag_err load_prepare(ag_store *st, load_stmts *ls, ag_errinfo *ei)
{
    /* Sorted by pod so each pod's labels and owner are set once. */
    ag_err err = prepare(st,
                         "SELECT id, namespace, pod, container, owner_kind, owner_name "
                         "FROM container WHERE ?1 IS NULL OR namespace = ?1 "
                         "ORDER BY namespace, pod, container",
                         &ls->cont, ei);
    if (!err)
        err = prepare(st,
                      "SELECT start_ms, n, data FROM chunk WHERE container_id = ?1 "
                      "AND resource = ?2 AND start_ms BETWEEN ?3 AND ?4 ORDER BY start_ms",
                      &ls->sample, ei);
    if (!err)
        err = prepare(st, "SELECT resource, kind, value, t_ms FROM spec WHERE container_id = ?1",
                      &ls->spec, ei);
    if (!err)
        err = prepare(st,
                      "SELECT t_ms, value FROM oom WHERE container_id = ?1 "
                      "AND t_ms BETWEEN ?2 AND ?3 ORDER BY t_ms",
                      &ls->oom, ei);
    if (!err)
        err = prepare(st, "SELECT key, value FROM pod_label WHERE namespace = ?1 AND pod = ?2",
                      &ls->label, ei);
    return err;
}

static void load_finalize(load_stmts *ls)
{
    sqlite3_finalize(ls->cont);
    sqlite3_finalize(ls->sample);
    sqlite3_finalize(ls->spec);
    sqlite3_finalize(ls->oom);
    sqlite3_finalize(ls->label);
}

/* Runs a (t_ms, value) query into s. */
static ag_err load_series(ag_store *st, sqlite3_stmt *q, ag_samples *s, const char *what,
                          ag_errinfo *ei)
{
    ag_err err = AG_OK;
    int rc;

    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        err = ag_samples_push(s, sqlite3_column_int64(q, 0), sqlite3_column_double(q, 1));
        if (err)
            break;
    }
    if (!err && rc != SQLITE_DONE)
        err = sqlfail(st, ei, "reading %s", what);
    sqlite3_reset(q);
    return err;
}

/* Reads the chunks of series (id, r) overlapping [start_ms, end_ms] into
 * s, keeping only the samples in that window. */
static ag_err load_chunks(ag_store *st, load_stmts *ls, int64_t id, int r, int64_t start_ms,
                          int64_t end_ms, ag_samples *s, ag_errinfo *ei)
{
    sqlite3_stmt *q = ls->sample;
    /* A chunk starting up to one span before start_ms may still reach it. */
    int64_t lo = start_ms < INT64_MIN + AG__CHUNK_MS ? INT64_MIN : start_ms - AG__CHUNK_MS + 1;
    ag_err err = AG_OK;
    size_t k = 0;
    int rc;

    sqlite3_bind_int64(q, 1, id);
    sqlite3_bind_int(q, 2, r);
    sqlite3_bind_int64(q, 3, lo);
    sqlite3_bind_int64(q, 4, end_ms);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t start = sqlite3_column_int64(q, 0), n = sqlite3_column_int64(q, 1);
        const void *blob = sqlite3_column_blob(q, 2);
        size_t before = s->n, len = (size_t)sqlite3_column_bytes(q, 2);

        err = ag__chunk_decode(blob, len, start, s);
        if (!err && (int64_t)(s->n - before) != n)
            err = AG_ESTORE;
        if (err == AG_ESTORE)
            ag_errinfo_set(ei, "store %s: the %s chunk of container %lld at %lld ms is damaged",
                           st->path, ag_resource_name(r), (long long)id, (long long)start);
        if (err)
            break;
    }
    if (!err && rc != SQLITE_DONE)
        err = sqlfail(st, ei, "reading samples");
    sqlite3_reset(q);
    /* Chunks come in time order, so filtering keeps s sorted. */
    for (size_t i = 0; !err && i < s->n; i++)
        if (s->v[i].t_ms >= start_ms && s->v[i].t_ms <= end_ms)
            s->v[k++] = s->v[i];
    if (!err)
        s->n = k;
    return err;
}

/* Appends src to dst: moved when dst is empty (the usual case), copied otherwise. */
static ag_err samples_move(ag_samples *dst, ag_samples *src)
{
    if (dst->n == 0) {
        ag_samples t = *dst;
        *dst = *src;
        *src = t;
        return AG_OK;
    }
    for (size_t i = 0; i < src->n; i++)
        if (ag_samples_push(dst, src->v[i].t_ms, src->v[i].v))
            return AG_ENOMEM;
    return AG_OK;
}

static ag_err load_specs(ag_store *st, load_stmts *ls, ag_container *c, int64_t id, ag_errinfo *ei)
{
    int rc;

    sqlite3_bind_int64(ls->spec, 1, id);
    while ((rc = sqlite3_step(ls->spec)) == SQLITE_ROW) {
        int r = sqlite3_column_int(ls->spec, 0);
        const char *kind = (const char *)sqlite3_column_text(ls->spec, 1);
        double v = sqlite3_column_double(ls->spec, 2);
        int64_t t = sqlite3_column_int64(ls->spec, 3);
        double *dst;

        if (r < 0 || r >= AG_NRES || !kind)
            continue;
        dst = strcmp(kind, "limit") == 0 ? &c->limit[r] : &c->request[r];
        /* The dataset may already hold a newer value from another reader. */
        if (!isnan(*dst) && t < c->spec_t_ms[r])
            continue;
        *dst = v;
        if (t > c->spec_t_ms[r])
            c->spec_t_ms[r] = t;
    }
    sqlite3_reset(ls->spec);
    if (rc != SQLITE_DONE)
        return sqlfail(st, ei, "reading requests and limits of %s/%s/%s", c->ns, c->pod,
                       c->container);
    return AG_OK;
}

static ag_err load_labels(ag_store *st, load_stmts *ls, ag_dataset *ds, const char *ns,
                          const char *pod, ag_errinfo *ei)
{
    ag_err err = AG_OK;
    int rc;

    sqlite3_bind_text(ls->label, 1, ns, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ls->label, 2, pod, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(ls->label)) == SQLITE_ROW) {
        err = ag_dataset_set_pod_label(ds, ns, pod, (const char *)sqlite3_column_text(ls->label, 0),
                                       (const char *)sqlite3_column_text(ls->label, 1));
        if (err) {
            ag_errinfo_set(ei, "store %s: loading labels of pod %s/%s: %s", st->path, ns, pod,
                           ag_strerror(err));
            break;
        }
    }
    if (!err && rc != SQLITE_DONE)
        err = sqlfail(st, ei, "reading labels of pod %s/%s", ns, pod);
    sqlite3_reset(ls->label);
    return err;
}

/* Loads one container row (the current row of ls->cont). Containers with
 * nothing in the window are not created. */
static ag_err load_container(ag_store *st, load_stmts *ls, ag_dataset *ds, int64_t start_ms,
                             int64_t end_ms, ag_errinfo *ei)
{
    sqlite3_stmt *q = ls->cont;
    int64_t id = sqlite3_column_int64(q, 0);
    const char *ns = (const char *)sqlite3_column_text(q, 1);
    const char *pod = (const char *)sqlite3_column_text(q, 2);
    const char *name = (const char *)sqlite3_column_text(q, 3);
    const char *okind = (const char *)sqlite3_column_text(q, 4);
    const char *oname = (const char *)sqlite3_column_text(q, 5);
    ag_samples tmp[AG_NRES] = {{0}}, oom = {0};
    ag_container *c;
    ag_err err = AG_OK;

    if (!ns || !pod || !name) {
        ag_errinfo_set(ei, "store %s: container %lld has a NULL name", st->path, (long long)id);
        return AG_ESTORE;
    }
    for (int r = 0; !err && r < AG_NRES; r++)
        err = load_chunks(st, ls, id, r, start_ms, end_ms, &tmp[r], ei);
    if (!err) {
        sqlite3_bind_int64(ls->oom, 1, id);
        sqlite3_bind_int64(ls->oom, 2, start_ms);
        sqlite3_bind_int64(ls->oom, 3, end_ms);
        err = load_series(st, ls->oom, &oom, "OOM events", ei);
    }
    if (err || (tmp[AG_CPU].n == 0 && tmp[AG_MEMORY].n == 0 && oom.n == 0))
        goto out;
    c = ag_dataset_container(ds, ns, pod, name);
    if (!c) {
        err = AG_ENOMEM;
        goto out;
    }
    for (int r = 0; !err && r < AG_NRES; r++)
        err = samples_move(&c->usage[r], &tmp[r]);
    if (!err)
        err = samples_move(&c->oom, &oom);
    if (!err && okind && oname)
        err = ag_dataset_set_owner(ds, ns, pod, okind, oname);
    if (!err)
        err = load_specs(st, ls, c, id, ei);
out:
    ag_samples_clear(&tmp[AG_CPU]);
    ag_samples_clear(&tmp[AG_MEMORY]);
    ag_samples_clear(&oom);
    return err;
}

ag_err ag_store_load(ag_store *st, ag_dataset *ds, int64_t start_ms, int64_t end_ms, const char *ns,
                     ag_errinfo *ei)
{
    load_stmts ls = {0};
    char *last_pod = NULL; /* "ns\0pod" of the last pod whose labels were loaded */
    size_t last_len = 0;
    ag_err err;
    int rc = SQLITE_DONE;

    if (!st || !ds)
        return AG_EINVAL;
    err = load_prepare(st, &ls, ei);
    /* One read transaction: a consistent snapshot while an import runs. */
    if (!err)
        err = exec(st, "BEGIN", "starting a read transaction", ei);
    if (err)
        goto out;
    sqlite3_bind_text(ls.cont, 1, ns, -1, SQLITE_STATIC);
    while (!err && (rc = sqlite3_step(ls.cont)) == SQLITE_ROW) {
        const char *cns = (const char *)sqlite3_column_text(ls.cont, 1);
        const char *cpod = (const char *)sqlite3_column_text(ls.cont, 2);
        size_t before = ag_dataset_count(ds);

        err = load_container(st, &ls, ds, start_ms, end_ms, ei);
        if (err || ag_dataset_count(ds) == before || !cns || !cpod)
            continue;
        size_t ln = strlen(cns) + 1, lp = strlen(cpod) + 1;
        if (last_pod && last_len == ln + lp && memcmp(last_pod, cns, ln) == 0 &&
            memcmp(last_pod + ln, cpod, lp) == 0)
            continue;
        ag__free(last_pod);
        last_pod = ag__malloc(ln + lp);
        if (!last_pod) {
            err = AG_ENOMEM;
            break;
        }
        memcpy(last_pod, cns, ln);
        memcpy(last_pod + ln, cpod, lp);
        last_len = ln + lp;
        err = load_labels(st, &ls, ds, last_pod, last_pod + ln, ei);
    }
    if (!err && rc != SQLITE_DONE)
        err = sqlfail(st, ei, "reading containers");
    if (err == AG_ENOMEM)
        ag_errinfo_set(ei, "store %s: loading: %s", st->path, ag_strerror(err));
    sqlite3_reset(ls.cont);
    if (!err)
        err = exec(st, "COMMIT", "ending the read transaction", ei);
    rollback(st);
out:
    ag__free(last_pod);
    load_finalize(&ls);
    return err;
}

/* ------------------------------------------------------------------ */
/* Summaries                                                            */

ag_err ag_store_time_range(ag_store *st, int64_t *min_ms, int64_t *max_ms, ag_errinfo *ei)
{
    sqlite3_stmt *s;
    ag_err err;

    if (!st)
        return AG_EINVAL;
    /* A scan of the small chunk_span index: no blob is read. */
    err = prepare(st, "SELECT min(t_first), max(t_last) FROM chunk", &s, ei);
    if (err)
        return err;
    if (sqlite3_step(s) != SQLITE_ROW) {
        err = sqlfail(st, ei, "reading the time range");
    } else if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
        ag_errinfo_set(ei, "store %s holds no samples", st->path);
        err = AG_ENODATA;
    } else {
        if (min_ms)
            *min_ms = sqlite3_column_int64(s, 0);
        if (max_ms)
            *max_ms = sqlite3_column_int64(s, 1);
    }
    sqlite3_finalize(s);
    return err;
}

ag_err ag_store_stats_get(ag_store *st, ag_store_stats *out, ag_errinfo *ei)
{
    int64_t c = 0, s = 0, r = 0;
    ag_err err;

    if (!st || !out)
        return AG_EINVAL;
    err = query_int(st, "SELECT count(*) FROM container", &c, ei);
    if (!err)
        err = query_int(st, "SELECT coalesce(sum(n), 0) FROM chunk", &s, ei);
    if (!err)
        err = query_int(st, "SELECT count(*) FROM run", &r, ei);
    if (err)
        return err;
    out->containers = (uint64_t)c;
    out->samples = (uint64_t)s;
    out->runs = (uint64_t)r;
    return AG_OK;
}

/* ------------------------------------------------------------------ */
/* Runs                                                                 */

ag_err ag_store_put_run(ag_store *st, const ag_run *run, int64_t *id, ag_errinfo *ei)
{
    sqlite3_stmt *s;
    ag_err err;

    if (!st || !run || !run->algorithm) {
        ag_errinfo_set(ei, "store: a run needs an algorithm");
        return AG_EINVAL;
    }
    err = prepare(st,
                  "INSERT INTO run (created_ms, start_ms, end_ms, algorithm, params_json, source, "
                  "n_results, result_json) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                  &s, ei);
    if (err)
        return err;
    sqlite3_bind_int64(s, 1, run->created_ms);
    sqlite3_bind_int64(s, 2, run->start_ms);
    sqlite3_bind_int64(s, 3, run->end_ms);
    sqlite3_bind_text(s, 4, run->algorithm, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, run->params_json, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, run->source, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 7, run->n_results > INT64_MAX ? INT64_MAX : (int64_t)run->n_results);
    sqlite3_bind_text(s, 8, run->result_json, -1, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
        err = sqlfail(st, ei, "recording a %s run", run->algorithm);
    else if (id)
        *id = sqlite3_last_insert_rowid(st->db);
    sqlite3_finalize(s);
    return err;
}

/* Copies text column i, NULL staying NULL. Returns -1 when out of memory. */
static int dup_col(sqlite3_stmt *s, int i, const char **out)
{
    const unsigned char *t = sqlite3_column_text(s, i);

    *out = NULL;
    if (!t)
        return 0;
    *out = ag__strdup((const char *)t);
    return *out ? 0 : -1;
}

/* Fills r from a row of (id, created, start, end, algorithm, params,
 * source, n_results[, result_json]). */
static ag_err run_from_row(sqlite3_stmt *s, ag_run *r, int with_result)
{
    int64_t n = sqlite3_column_int64(s, 7);

    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(s, 0);
    r->created_ms = sqlite3_column_int64(s, 1);
    r->start_ms = sqlite3_column_int64(s, 2);
    r->end_ms = sqlite3_column_int64(s, 3);
    r->n_results = n < 0 ? 0 : (uint64_t)n;
    if (dup_col(s, 4, &r->algorithm) || dup_col(s, 5, &r->params_json) ||
        dup_col(s, 6, &r->source) || (with_result && dup_col(s, 8, &r->result_json)))
        return AG_ENOMEM;
    return AG_OK;
}

#define RUN_COLS "id, created_ms, start_ms, end_ms, algorithm, params_json, source, n_results"

ag_err ag_store_list_runs(ag_store *st, size_t limit, ag_run **runs, size_t *n, ag_errinfo *ei)
{
    sqlite3_stmt *s;
    ag_run *v = NULL;
    size_t cnt = 0, cap = 0;
    ag_err err;
    int rc;

    *runs = NULL;
    *n = 0;
    if (!st)
        return AG_EINVAL;
    err = prepare(st, "SELECT " RUN_COLS " FROM run ORDER BY created_ms DESC, id DESC LIMIT ?1", &s,
                  ei);
    if (err)
        return err;
    sqlite3_bind_int64(s, 1, limit == 0 || limit > INT64_MAX ? -1 : (int64_t)limit);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (ag__grow((void **)&v, &cap, cnt + 1, sizeof *v) != 0) {
            err = AG_ENOMEM;
            break;
        }
        /* Counted before filling so a half-copied run is freed too. */
        err = run_from_row(s, &v[cnt++], 0);
        if (err)
            break;
    }
    if (!err && rc != SQLITE_DONE)
        err = sqlfail(st, ei, "listing runs");
    if (err == AG_ENOMEM)
        ag_errinfo_set(ei, "store %s: listing runs: %s", st->path, ag_strerror(err));
    sqlite3_finalize(s);
    if (err) {
        ag_runs_free(v, cnt);
        return err;
    }
    *runs = v;
    *n = cnt;
    return AG_OK;
}

ag_err ag_store_get_run(ag_store *st, int64_t id, ag_run **run, ag_errinfo *ei)
{
    sqlite3_stmt *s;
    ag_run *r = NULL;
    ag_err err;
    int rc;

    *run = NULL;
    if (!st)
        return AG_EINVAL;
    err = prepare(st, "SELECT " RUN_COLS ", result_json FROM run WHERE id = ?1", &s, ei);
    if (err)
        return err;
    sqlite3_bind_int64(s, 1, id);
    rc = sqlite3_step(s);
    if (rc == SQLITE_DONE) {
        ag_errinfo_set(ei, "store %s: no run with id %lld", st->path, (long long)id);
        err = AG_ENOTFOUND;
    } else if (rc != SQLITE_ROW) {
        err = sqlfail(st, ei, "reading run %lld", (long long)id);
    } else if (!(r = ag__calloc(1, sizeof *r))) {
        err = AG_ENOMEM;
    } else if ((err = run_from_row(s, r, 1)) != AG_OK) {
        ag_runs_free(r, 1);
        r = NULL;
    }
    sqlite3_finalize(s);
    *run = r;
    return err;
}

void ag_runs_free(ag_run *runs, size_t n)
{
    if (!runs)
        return;
    for (size_t i = 0; i < n; i++) {
        ag__free((char *)runs[i].algorithm);
        ag__free((char *)runs[i].params_json);
        ag__free((char *)runs[i].source);
        ag__free((char *)runs[i].result_json);
    }
    ag__free(runs);
}

/* ------------------------------------------------------------------ */
/* Forecasts                                                            */

/* Inserts the points of one forecast with the prepared INSERT s. */
static ag_err put_forecast_one(ag_store *st, sqlite3_stmt *s, const ag_store_fc *f, ag_errinfo *ei)
{
    ag_err err = AG_OK;

    if (!f->ns || !f->workload || !f->container || !f->model || !f->mean ||
        (f->nq && (!f->quantiles || !f->q)) ||
        (f->resource != AG_CPU && f->resource != AG_MEMORY) || f->step_ms <= 0) {
        ag_errinfo_set(ei, "store: incomplete forecast");
        return AG_EINVAL;
    }
    sqlite3_bind_int64(s, 1, f->run_id);
    sqlite3_bind_text(s, 2, f->ns, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, f->kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, f->workload, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, f->container, -1, SQLITE_STATIC);
    sqlite3_bind_int(s, 6, f->resource);
    sqlite3_bind_text(s, 7, f->model, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 8, (int64_t)f->horizon);
    sqlite3_bind_int64(s, 9, f->step_ms);
    for (size_t h = 0; !err && h < f->horizon; h++) {
        sqlite3_bind_int64(s, 10, f->t0_ms + (int64_t)h * f->step_ms);
        /* k == nq is the mean, stored with a NULL quantile */
        for (size_t k = 0; !err && k <= f->nq; k++) {
            double v = k < f->nq ? f->q[k * f->horizon + h] : f->mean[h];
            if (!isfinite(v)) {
                ag_errinfo_set(ei, "store: forecast of %s/%s/%s has a non-finite value", f->ns,
                               f->workload, f->container);
                return AG_EINVAL;
            }
            if (k < f->nq)
                sqlite3_bind_double(s, 11, f->quantiles[k]);
            else
                sqlite3_bind_null(s, 11);
            sqlite3_bind_double(s, 12, v);
            err = step_done(st, s, "writing a forecast point", ei);
        }
    }
    return err;
}

ag_err ag_store_put_forecasts(ag_store *st, const ag_store_fc *fc, size_t n, ag_errinfo *ei)
{
    sqlite3_stmt *s = NULL;
    ag_err err;

    if (!st || (n && !fc))
        return AG_EINVAL;
    err = exec(st, "BEGIN IMMEDIATE", "starting to write forecasts", ei);
    if (err)
        return err;
    err = prepare(st,
                  "INSERT INTO forecast (run_id, namespace, kind, workload, container, resource, "
                  "model, horizon, step_ms, t_ms, quantile, value) VALUES (?1, ?2, ?3, ?4, ?5, "
                  "?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                  &s, ei);
    for (size_t i = 0; !err && i < n; i++)
        err = put_forecast_one(st, s, &fc[i], ei);
    sqlite3_finalize(s);
    if (!err)
        err = exec(st, "COMMIT", "committing forecasts", ei);
    if (err)
        rollback(st);
    return err;
}

/* Fills r from a row of the SELECT in ag_store_list_forecasts(). */
static ag_err fc_row_from(sqlite3_stmt *s, ag_store_fc_row *r)
{
    const char *str[6] = {NULL};

    memset(r, 0, sizeof *r);
    r->run_id = sqlite3_column_int64(s, 0);
    r->resource = sqlite3_column_int(s, 5);
    r->horizon = sqlite3_column_int64(s, 7);
    r->step_ms = sqlite3_column_int64(s, 8);
    r->t_ms = sqlite3_column_int64(s, 9);
    r->quantile = sqlite3_column_type(s, 10) == SQLITE_NULL ? NAN : sqlite3_column_double(s, 10);
    r->value = sqlite3_column_double(s, 11);
    if (dup_col(s, 1, &str[0]) || dup_col(s, 2, &str[1]) || dup_col(s, 3, &str[2]) ||
        dup_col(s, 4, &str[3]) || dup_col(s, 6, &str[4])) {
        for (int i = 0; i < 6; i++)
            ag__free((char *)str[i]);
        return AG_ENOMEM;
    }
    r->ns = (char *)str[0];
    r->kind = (char *)str[1];
    r->workload = (char *)str[2];
    r->container = (char *)str[3];
    r->model = (char *)str[4];
    return AG_OK;
}

ag_err ag_store_list_forecasts(ag_store *st, int64_t run_id, ag_store_fc_row **rows, size_t *n,
                               ag_errinfo *ei)
{
    sqlite3_stmt *s;
    ag_store_fc_row *v = NULL;
    size_t cnt = 0, cap = 0;
    ag_err err;
    int rc;

    *rows = NULL;
    *n = 0;
    if (!st)
        return AG_EINVAL;
    err = prepare(st,
                  "SELECT run_id, namespace, kind, workload, container, resource, model, horizon, "
                  "step_ms, t_ms, quantile, value FROM forecast WHERE run_id = CASE WHEN ?1 > 0 "
                  "THEN ?1 ELSE (SELECT max(run_id) FROM forecast) END ORDER BY namespace, "
                  "workload, container, resource, t_ms, quantile IS NOT NULL, quantile",
                  &s, ei);
    if (err)
        return err;
    sqlite3_bind_int64(s, 1, run_id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (ag__grow((void **)&v, &cap, cnt + 1, sizeof *v) != 0) {
            err = AG_ENOMEM;
            break;
        }
        err = fc_row_from(s, &v[cnt]);
        if (err)
            break;
        cnt++;
    }
    if (!err && rc != SQLITE_DONE)
        err = sqlfail(st, ei, "listing forecasts");
    if (err == AG_ENOMEM)
        ag_errinfo_set(ei, "store %s: listing forecasts: %s", st->path, ag_strerror(err));
    sqlite3_finalize(s);
    if (err) {
        ag_store_fc_rows_free(v, cnt);
        return err;
    }
    *rows = v;
    *n = cnt;
    return AG_OK;
}

void ag_store_fc_rows_free(ag_store_fc_row *rows, size_t n)
{
    if (!rows)
        return;
    for (size_t i = 0; i < n; i++) {
        ag__free(rows[i].ns);
        ag__free(rows[i].kind);
        ag__free(rows[i].workload);
        ag__free(rows[i].container);
        ag__free(rows[i].model);
    }
    ag__free(rows);
}
