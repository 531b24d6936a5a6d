/*
 * fuzz/fuzz_trace.c - libFuzzer target for the public cluster-trace
 * readers (ag_trace_parse, every format). The input's first line is a
 * control line "<format> <file name>": the format ("auto" or any unknown
 * word: sniffed) and the name the readers take VM ids and dates from; the
 * rest is the trace. Seeds in fuzz/corpus/trace/ start with such a line.
 */
#include <string.h>
#include "augur/source.h"

#define CTL_MAX 128

static ag_err parse_trace(ag_dataset *ds, const char *name, const char *buf, size_t len,
                          const ag_read_opts *opts, ag_ingest_stats *st, ag_errinfo *ei)
{
    char ctl[CTL_MAX], *sp;
    const char *nl = len > 0 ? memchr(buf, '\n', len < CTL_MAX ? len : CTL_MAX) : NULL;
    ag_trace_opts to;
    size_t k;

    ag_trace_opts_default(&to);
    if (!nl)
        return ag_trace_parse(ds, name, buf, len, &to, opts, st, ei);
    k = (size_t)(nl - buf);
    memcpy(ctl, buf, k);
    ctl[k] = '\0';
    sp = strchr(ctl, ' ');
    if (sp) {
        *sp = '\0';
        name = sp + 1;
    }
    if (ag_trace_format_parse(ctl, &to.format) != AG_OK)
        to.format = AG_TRACE_AUTO;
    (void)ag_trace_sniff(name, nl + 1, len - k - 1);
    return ag_trace_parse(ds, name, nl + 1, len - k - 1, &to, opts, st, ei);
}

#define AG_FUZZ_PARSE parse_trace
#include "fuzz_reader.h"
