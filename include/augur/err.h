/*
 * augur/err.h - the one error enum of the augur library.
 *
 * Every fallible function returns an ag_err: AG_OK (0) on success, a
 * negative code on failure. Codes are only ever appended, never renumbered
 * or removed. Functions that can say more fill an ag_errinfo the caller
 * passes in (may be NULL), naming what failed and where (file:line, URL,
 * HTTP status, SQLite message).
 */
#ifndef AUGUR_ERR_H
#define AUGUR_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ag_err {
    AG_OK = 0,
    AG_ENOMEM = -1,    /* out of memory */
    AG_EINVAL = -2,    /* invalid argument or option value */
    AG_EIO = -3,       /* file could not be opened, read or written */
    AG_EPARSE = -4,    /* malformed input */
    AG_ENOTFOUND = -5, /* no such file, series, run or key */
    AG_EHTTP = -6,     /* HTTP error status (4xx / 5xx) */
    AG_ENET = -7,      /* connection failed or timed out */
    AG_EPROM = -8,     /* the Prometheus API answered with an error */
    AG_ESTORE = -9,    /* the embedded store (SQLite) failed */
    AG_ETOOBIG = -10,  /* a size cap was exceeded */
    AG_ENODATA = -11,  /* not enough data to compute a result */
    AG_ECONFIG = -12,  /* bad configuration file */
    AG_ESCHEMA = -13,  /* store schema is newer than this binary */
    AG_EGONE = -14,    /* Kubernetes resourceVersion too old (410 Gone): list again */
} ag_err;

/* Returns a static, human-readable description of err. Never NULL. */
const char *ag_strerror(int err);

/* Detail for the last error of a call: filled by the callee when non-NULL. */
typedef struct ag_errinfo {
    char msg[1024];
} ag_errinfo;

/* printf-style: sets ei->msg (truncated to fit). No-op when ei is NULL. */
void ag_errinfo_set(ag_errinfo *ei, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Returns ei->msg when set, else ag_strerror(err). Borrowed from ei. */
const char *ag_errinfo_str(const ag_errinfo *ei, int err);

#ifdef __cplusplus
}
#endif
#endif
