/*
 * augur/util.h - time, duration and quantity helpers shared by the
 * library, the CLI and the tests.
 */
#ifndef AUGUR_UTIL_H
#define AUGUR_UTIL_H

#include <stdint.h>
#include <stddef.h>
#include "augur/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Parses a point in time: Unix seconds ("1700000000", "1700000000.5") or
 * RFC 3339 ("2023-11-14T22:13:20Z", "...+02:00", fractional seconds).
 * On success stores milliseconds since the epoch in *out_ms. */
ag_err ag_time_parse(const char *s, int64_t *out_ms);

/* Formats t_ms as RFC 3339 UTC ("2023-11-14T22:13:20Z", milliseconds only
 * when non-zero) into buf. Returns buf. */
char *ag_time_format(int64_t t_ms, char *buf, size_t len);

/* Parses a duration: Prometheus style "90s", "5m", "1h30m", "8d", "2w",
 * "250ms", or plain seconds ("300"). Stores milliseconds in *out_ms. */
ag_err ag_duration_parse(const char *s, int64_t *out_ms);

/* Formats a duration compactly ("8d", "1h30m", "15s") into buf. Returns buf. */
char *ag_duration_format(int64_t ms, char *buf, size_t len);

/* Current wall-clock time in milliseconds since the epoch. */
int64_t ag_now_ms(void);

/* Kubernetes quantities. ag_cpu_format: cores -> "250m" / "2" / "1500m"
 * (rounded up to whole millicores). ag_mem_format: bytes -> "512Mi" /
 * "2Gi" / "1536Mi" (rounded up to a whole Mi, Gi when exact). Return buf. */
char *ag_cpu_format(double cores, char *buf, size_t len);
char *ag_mem_format(double bytes, char *buf, size_t len);

/* Parses a Kubernetes quantity ("250m", "2", "1.5", "512Mi", "1G", "1e3").
 * Returns AG_OK and stores the value (cores or bytes) in *out. */
ag_err ag_quantity_parse(const char *s, double *out);

/* The q-quantile (0..1) of v[0..n) with linear interpolation between
 * closest ranks, as Prometheus' quantile_over_time does. Reorders v.
 * Returns NAN when n == 0. */
double ag_quantile_inplace(double *v, size_t n, double q);

#ifdef __cplusplus
}
#endif
#endif
