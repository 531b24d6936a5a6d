/*
 * source/trace_int.h - what the public-trace readers share (trace.c, the
 * driver and sniffer; trace_util.c, the helpers; trace_vm.c, Bitbrains,
 * Azure and PlanetLab; trace_alibaba.c; trace_google.c): the reader state,
 * field splitting, strict numbers, naming and the per-format line
 * handlers.
 */
#ifndef AG_SOURCE_TRACE_INT_H
#define AG_SOURCE_TRACE_INT_H

#include <stdint.h>
#include <stddef.h>
#include "augur/source.h"
#include "source/read_int.h"

/* Longest trace id (VM, machine, container, job) used in a pod name. */
#define AG__TR_MAX_ID 200
/* The sample step of the PlanetLab / CloudSim files: 5 minutes. */
#define AG__TR_PLANETLAB_STEP_MS 300000

/* One field of a line: a slice of the input, trimmed of blanks and of
 * surrounding double quotes. */
typedef struct ag__tr_field {
    const char *p;
    size_t n;
} ag__tr_field;

/* Column roles of the Google 2019 CSV header. */
enum {
    AG__G19_START,
    AG__G19_END,
    AG__G19_CID,
    AG__G19_IDX,
    AG__G19_CTYPE,
    AG__G19_CPU,
    AG__G19_MEM,
    AG__G19_ASSIGNED,
    AG__G19_N
};

typedef struct ag__tr ag__tr;

/* Handles one non-blank line (without its newline) of the input. Returns
 * AG_OK (malformed lines are reported through ag__tr_bad and still
 * AG_OK), AG_ENOMEM, or AG_EPARSE with o->ei set when the input cannot be
 * read at all (an unusable header). */
typedef ag_err (*ag__tr_line_fn)(ag__tr *o, const char *s, size_t n);

struct ag__tr {
    ag_dataset *ds;
    ag_ingest_stats *st;
    ag_errinfo *ei;
    ag__rd_warner w;
    ag_trace_format fmt;
    const char *ns;
    double cores, mem; /* capacities */
    int64_t t0_ms;     /* trace time 0 */
    uint64_t line;     /* current line number (1-based) */
    uint64_t nlines;   /* non-blank lines handled so far, this one excluded */
    int mode;          /* format-specific state: 0 = before the first line */
    ag__tr_field *f;   /* fields of the current line */
    size_t nf, f_cap;
    size_t hdr_nf;                /* fields in the header (wide CSVs, Google 2019 CSV) */
    ag_container **cols;          /* wide CSVs: container of each column, NULL for others */
    double *vals;                 /* wide CSVs: the row's values, NAN = missing */
    int key_col;                  /* wide CSVs: the step / offset_s column */
    int g19[AG__G19_N];           /* Google 2019 CSV: column of each role, -1 when absent */
    char stem[AG__TR_MAX_ID + 1]; /* the file's base name without .gz/.csv/.txt */
    ag__rd_ccache cc;
};

/* ---- trace_util.c ------------------------------------------------------ */

/* Reports a malformed line (counted in st->malformed) as
 * "name:line: what (near '...')". */
void ag__tr_bad(ag__tr *o, const char *near, size_t near_len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Splits s[0..n) at every sep into o->f; each field is trimmed of blanks
 * and of one pair of surrounding double quotes. Returns 0, -1 when out of
 * memory. */
int ag__tr_split(ag__tr *o, const char *s, size_t n, char sep);

/* 1 when f is exactly the word w (any case). */
int ag__tr_is(const ag__tr_field *f, const char *w);

/* Parses an unsigned decimal integer of at most 18 digits. 0 on success. */
int ag__tr_u64(const char *s, size_t n, int64_t *out);

/* A value cell: 0 and *out set when it is a number, 1 when it is missing
 * (empty, "NA", "null"), -1 when it is not a number. */
int ag__tr_num(const ag__tr_field *f, double *out);

/* *out = a + b; -1 on overflow. */
int ag__tr_add(int64_t a, int64_t b, int64_t *out);
/* *out = t0 + round(sec * 1000); -1 when sec is not finite or out of range. */
int ag__tr_at_sec(int64_t t0, double sec, int64_t *out);

/* Copies an id (a non-empty field of at most AG__TR_MAX_ID printable
 * bytes) into buf of AG__TR_MAX_ID + 1 bytes. 0 on success. */
int ag__tr_id(const ag__tr_field *f, char *buf);

/* The container (o->ns, pod, ctr), owned by kind/owner: the owner is
 * recorded the first time the container is seen. NULL when out of
 * memory. Borrowed from o->ds. */
ag_container *ag__tr_container(ag__tr *o, const char *pod, const char *ctr, const char *kind,
                               const char *owner);

/* Appends a sample to c's usage of resource r. */
ag_err ag__tr_push(ag_container *c, ag_resource r, int64_t t_ms, double v);
/* Sets c's request and limit of resource r to v as of t_ms. */
void ag__tr_spec(ag__tr *o, ag_container *c, ag_resource r, double v, int64_t t_ms);

/* The base name of path without a trailing .gz and then .csv or .txt,
 * truncated to fit buf (len bytes). "" for NULL. */
void ag__tr_stem(const char *path, char *buf, size_t len);
/* Finds a date YYYYMMDD (8 digits not next to other digits, a valid
 * calendar day from 1970 on) in the base name of path, else in the name
 * of its parent folder; stores its midnight UTC in *ms. 0 when found. */
int ag__tr_date_in_path(const char *path, int64_t *ms);

/* ---- the line handlers ------------------------------------------------- */

ag_err ag__tr_bitbrains_line(ag__tr *o, const char *s, size_t n);
ag_err ag__tr_azure_line(ag__tr *o, const char *s, size_t n);
ag_err ag__tr_planetlab_line(ag__tr *o, const char *s, size_t n);
ag_err ag__tr_alibaba_machine_line(ag__tr *o, const char *s, size_t n);
ag_err ag__tr_alibaba_container_line(ag__tr *o, const char *s, size_t n);
ag_err ag__tr_google2011_line(ag__tr *o, const char *s, size_t n);
ag_err ag__tr_google2019_line(ag__tr *o, const char *s, size_t n);

#endif
