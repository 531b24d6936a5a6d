/*
 * util/buf.h - a growable byte buffer with a size cap.
 *
 * Every buffer that grows from outside input (HTTP bodies, files, lines)
 * has a cap; appending past it fails with AG_ETOOBIG and leaves the
 * buffer as it was. The content is always NUL-terminated.
 */
#ifndef AG_UTIL_BUF_H
#define AG_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include "augur/err.h"

typedef struct ag_buf {
    char *p;
    size_t len, cap, max;
} ag_buf;

/* Initialises an empty buffer that may grow to max bytes (0 = 64 MiB). */
void ag__buf_init(ag_buf *b, size_t max);
/* Frees the content; the buffer may be reused after ag__buf_init(). */
void ag__buf_free(ag_buf *b);
void ag__buf_reset(ag_buf *b);
ag_err ag__buf_append(ag_buf *b, const void *data, size_t n);
ag_err ag__buf_puts(ag_buf *b, const char *s);
ag_err ag__buf_printf(ag_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
ag_err ag__buf_vprintf(ag_buf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included. */
ag_err ag__buf_json_str(ag_buf *b, const char *s);
/* Appends s as one CSV field (RFC 4180): quoted, quotes doubled, when it
 * holds a comma, quote, CR or LF; as is otherwise. NULL is an empty field. */
ag_err ag__buf_csv_str(ag_buf *b, const char *s);
/* Appends a number as JSON: shortest round-trip form, "null" when not finite. */
ag_err ag__buf_json_num(ag_buf *b, double v);
/* Detaches the content: caller owns the returned string (free with
 * ag__free); the buffer is left empty. NULL if the buffer never grew. */
char *ag__buf_steal(ag_buf *b);

/* Reads a whole file (max bytes at most; 0 = 1 GiB) into *out (caller
 * frees with ag__free, NUL-terminated) and its length into *len. */
ag_err ag__read_file(const char *path, size_t max, char **out, size_t *len, ag_errinfo *ei);

#endif
