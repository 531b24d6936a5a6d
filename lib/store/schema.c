/*
 * store/schema.c - the store's schema as an ordered list of migrations.
 *
 * PRAGMA user_version holds the number of steps applied. Step i (0-based)
 * takes a file from version i to i + 1 and runs in its own transaction
 * together with the version bump, so a crash leaves the file at a whole
 * version. To change the schema, append a step; never edit a released one.
 * docs/store.md describes every table.
 */
#include "store/store_int.h"

const char *const ag__store_migrations[] = {
    /* v1: containers, cleaned usage, specs, OOM events, pod labels, runs. */
    "CREATE TABLE container ("
    "  id INTEGER PRIMARY KEY,"
    "  namespace TEXT NOT NULL,"
    "  pod TEXT NOT NULL,"
    "  container TEXT NOT NULL,"
    "  owner_kind TEXT,"
    "  owner_name TEXT,"
    "  UNIQUE (namespace, pod, container));"
    /* resource: 0 = CPU (cores), 1 = memory (bytes), as ag_resource. */
    "CREATE TABLE sample ("
    "  container_id INTEGER NOT NULL REFERENCES container(id) ON DELETE CASCADE,"
    "  resource INTEGER NOT NULL CHECK (resource IN (0, 1)),"
    "  t_ms INTEGER NOT NULL,"
    "  value REAL NOT NULL,"
    "  PRIMARY KEY (container_id, resource, t_ms)) WITHOUT ROWID;"
    "CREATE TABLE spec ("
    "  container_id INTEGER NOT NULL REFERENCES container(id) ON DELETE CASCADE,"
    "  resource INTEGER NOT NULL CHECK (resource IN (0, 1)),"
    "  kind TEXT NOT NULL CHECK (kind IN ('request', 'limit')),"
    "  value REAL NOT NULL,"
    "  t_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (container_id, resource, kind)) WITHOUT ROWID;"
    "CREATE TABLE oom ("
    "  container_id INTEGER NOT NULL REFERENCES container(id) ON DELETE CASCADE,"
    "  t_ms INTEGER NOT NULL,"
    "  value REAL NOT NULL,"
    "  PRIMARY KEY (container_id, t_ms)) WITHOUT ROWID;"
    "CREATE TABLE pod_label ("
    "  namespace TEXT NOT NULL,"
    "  pod TEXT NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (namespace, pod, key)) WITHOUT ROWID;"
    "CREATE TABLE run ("
    "  id INTEGER PRIMARY KEY,"
    "  created_ms INTEGER NOT NULL,"
    "  start_ms INTEGER NOT NULL,"
    "  end_ms INTEGER NOT NULL,"
    "  algorithm TEXT NOT NULL,"
    "  params_json TEXT,"
    "  source TEXT,"
    "  n_results INTEGER NOT NULL,"
    "  result_json TEXT);"
    "CREATE INDEX run_created ON run (created_ms);",
    /* v2: forecast points of `augur forecast` runs; quantile NULL = the mean. */
    "CREATE TABLE forecast ("
    "  run_id INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
    "  namespace TEXT NOT NULL,"
    "  kind TEXT,"
    "  workload TEXT NOT NULL,"
    "  container TEXT NOT NULL,"
    "  resource INTEGER NOT NULL CHECK (resource IN (0, 1)),"
    "  model TEXT NOT NULL,"
    "  horizon INTEGER NOT NULL,"
    "  step_ms INTEGER NOT NULL,"
    "  t_ms INTEGER NOT NULL,"
    "  quantile REAL CHECK (quantile IS NULL OR (quantile > 0 AND quantile < 1)),"
    "  value REAL NOT NULL);"
    "CREATE INDEX forecast_run ON forecast (run_id);"
    "CREATE INDEX forecast_series ON forecast (namespace, workload, container, resource, t_ms);",
    /* v3: samples in chunks, one row per container, resource and day (the
     * BLOB format is in chunk.c). Big rows, so a rowid table with the key
     * as an index; chunk_span covers time_range and the sample count
     * without reading the blobs. ag_chunk() is the aggregate store.c
     * registers on every connection: it encodes one chunk's samples. */
    "CREATE TABLE chunk ("
    "  id INTEGER PRIMARY KEY,"
    "  container_id INTEGER NOT NULL REFERENCES container(id) ON DELETE CASCADE,"
    "  resource INTEGER NOT NULL CHECK (resource IN (0, 1)),"
    "  start_ms INTEGER NOT NULL,"
    "  n INTEGER NOT NULL CHECK (n > 0),"
    "  t_first INTEGER NOT NULL,"
    "  t_last INTEGER NOT NULL,"
    "  data BLOB NOT NULL);"
    "CREATE UNIQUE INDEX chunk_key ON chunk (container_id, resource, start_ms);"
    "CREATE INDEX chunk_span ON chunk (t_first, t_last, n);"
    "INSERT INTO chunk (container_id, resource, start_ms, n, t_first, t_last, data) "
    "  SELECT container_id, resource, t_ms - ((t_ms % 86400000) + 86400000) % 86400000,"
    "         count(*), min(t_ms), max(t_ms),"
    "         ag_chunk(t_ms - ((t_ms % 86400000) + 86400000) % 86400000, t_ms, value)"
    "  FROM sample"
    "  GROUP BY container_id, resource, t_ms - ((t_ms % 86400000) + 86400000) % 86400000;"
    "DROP TABLE sample;",
};

const size_t ag__store_nmigrations = sizeof ag__store_migrations / sizeof ag__store_migrations[0];
