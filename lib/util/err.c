/*
 * util/err.c - error strings and the error-detail buffer.
 */
#include <stdarg.h>
#include <stdio.h>
#include "augur/err.h"

const char *ag_strerror(int err)
{
    switch (err) {
    case AG_OK: return "ok";
    case AG_ENOMEM: return "out of memory";
    case AG_EINVAL: return "invalid argument";
    case AG_EIO: return "input/output error";
    case AG_EPARSE: return "malformed input";
    case AG_ENOTFOUND: return "not found";
    case AG_EHTTP: return "HTTP error status";
    case AG_ENET: return "connection failed or timed out";
    case AG_EPROM: return "Prometheus API error";
    case AG_ESTORE: return "store error";
    case AG_ETOOBIG: return "size limit exceeded";
    case AG_ENODATA: return "not enough data";
    case AG_ECONFIG: return "bad configuration";
    case AG_ESCHEMA: return "store schema is newer than this augur";
    case AG_EGONE: return "resource version gone (410): list again";
    }
    return "unknown error";
}

void ag_errinfo_set(ag_errinfo *ei, const char *fmt, ...)
{
    va_list ap;
    if (!ei)
        return;
    va_start(ap, fmt);
    vsnprintf(ei->msg, sizeof ei->msg, fmt, ap);
    va_end(ap);
}

const char *ag_errinfo_str(const ag_errinfo *ei, int err)
{
    if (ei && ei->msg[0])
        return ei->msg;
    return ag_strerror(err);
}
