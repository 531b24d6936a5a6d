/*
 * report/writer.c - buffered output with a sticky error, the writer of the
 * backtest report (backtest.c: table and json; backtest_html.c: the page),
 * and the display width of a cell's text.
 *
 * The text is built in a buffer capped at 16 chunks and written to the
 * FILE a chunk at a time (ag__wr_flush with AG__REP_CHUNK), so memory
 * stays bounded. The first failure sticks: every later call does nothing,
 * and ag__wr_close() reports it.
 */
#include <stdarg.h>
#include "report/report_int.h"

void ag__wr_init(ag__wr *w, FILE *f)
{
    w->f = f;
    w->rc = AG_OK;
    ag__buf_init(&w->b, AG__REP_CHUNK * 16);
}

void ag__wr_printf(ag__wr *w, const char *fmt, ...)
{
    va_list ap;

    if (w->rc != AG_OK)
        return;
    va_start(ap, fmt);
    w->rc = ag__buf_vprintf(&w->b, fmt, ap);
    va_end(ap);
}

void ag__wr_puts(ag__wr *w, const char *s)
{
    if (w->rc == AG_OK)
        w->rc = ag__buf_puts(&w->b, s);
}

void ag__wr_flush(ag__wr *w, size_t min)
{
    if (w->rc == AG_OK)
        w->rc = ag__rep_flush(w->f, &w->b, min);
}

ag_err ag__wr_close(ag__wr *w)
{
    ag__wr_flush(w, 0);
    if (w->rc == AG_OK && (fflush(w->f) != 0 || ferror(w->f)))
        w->rc = AG_EIO;
    ag__buf_free(&w->b);
    return w->rc;
}

size_t ag__rep_text_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}
