/*
 * augur/report.h - recommendations rendered for people and for tools.
 *
 * table: aligned text with Kubernetes quantities (250m, 512Mi), the
 *        current request/limit, the change, and namespace and cluster totals;
 * json:  the stable array documented in docs/output.md;
 * yaml:  autoscaling.k8s.io/v1 VerticalPodAutoscaler objects with
 *        status.recommendation, and per workload a strategic-merge patch
 *        for kubectl patch;
 * csv:   one row per workload-container and resource.
 */
#ifndef AUGUR_REPORT_H
#define AUGUR_REPORT_H

#include <stdio.h>
#include "augur/err.h"
#include "augur/series.h"
#include "augur/recommend.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ag_format { AG_FMT_TABLE, AG_FMT_JSON, AG_FMT_YAML, AG_FMT_CSV } ag_format;

/* Parses "table" / "json" / "yaml" / "csv". */
ag_err ag_format_parse(const char *s, ag_format *out);

typedef struct ag_report_item {
    const ag_wcontainer *wc; /* borrowed */
    ag_rec rec;
} ag_report_item;

typedef struct ag_report_opts {
    const char *algorithm; /* for headers and the VPA recommender name */
    int color;             /* table: ANSI colours for increases/decreases */
} ag_report_opts;

/* Writes items in fmt to f. Returns AG_EIO when the write fails. */
ag_err ag_report_write(FILE *f, ag_format fmt, const ag_report_item *items, size_t n,
                       const ag_report_opts *o);

#ifdef __cplusplus
}
#endif
#endif
