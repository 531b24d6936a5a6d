/*
 * report/report_int.h - what the report writers (report.c, table.c,
 * yaml.c) share: rounding, value access, status names and buffered output.
 *
 * Every number shown is rounded once, here, before any formatting: CPU up
 * to whole millicores, memory up to whole bytes. json, csv and the table
 * all start from these rounded values, so they always agree.
 */
#ifndef AG_REPORT_INT_H
#define AG_REPORT_INT_H

#include <stdio.h>
#include "augur/report.h"
#include "util/buf.h"

/* Output is built in a buffer and written to the FILE in chunks of this
 * size, so memory stays bounded however many items there are. */
#define AG__REP_CHUNK ((size_t)64 << 10)

/* The field of a recommendation a value is taken from. */
typedef enum ag__rep_field {
    AG__F_TARGET,
    AG__F_LOWER,
    AG__F_UPPER,
    AG__F_UNCAPPED,
    AG__F_LIMIT,
} ag__rep_field;

/* v rounded up to whole millicores (CPU) or whole bytes (memory), with a
 * tiny tolerance so that 0.1 * 3 stays 300m. NAN when v is not finite. */
double ag__rep_round(int r, double v);

/* The rounded recommended value of field f of resource r, or NAN when the
 * resource has no recommendation (status not OK) or the value is NAN. */
double ag__rep_rec(const ag_report_item *it, int r, ag__rep_field f);
/* The rounded current request / limit, NAN when unknown. */
double ag__rep_cur_request(const ag_report_item *it, int r);
double ag__rep_cur_limit(const ag_report_item *it, int r);

/* "cpu" / "memory". */
const char *ag__rep_res_name(int r);
/* "ok" / "no-data" / "not-enough-data". Static. */
const char *ag__rep_status_name(ag_rec_status s);

/* Writes b to f when it holds at least min bytes (0 = always) and empties
 * it. AG_EIO when the write fails. */
ag_err ag__rep_flush(FILE *f, ag_buf *b, size_t min);

/* Appends v as a JSON number ("null" when not finite), whole numbers
 * without exponent. */
ag_err ag__rep_num(ag_buf *b, double v);

/* Formats a Kubernetes quantity of a rounded value into buf ("250m",
 * "512Mi"). Returns buf. */
char *ag__rep_quantity(int r, double v, char *buf, size_t len);

ag_err ag__rep_table(FILE *f, const ag_report_item *items, size_t n, const ag_report_opts *o);
ag_err ag__rep_yaml(FILE *f, const ag_report_item *items, size_t n, const ag_report_opts *o);

#endif
