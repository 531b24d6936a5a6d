/*
 * forecast/optim.c - Nelder-Mead minimisation inside a box.
 *
 * The smoothing models have two to four parameters, each bounded, and an
 * objective (one-step squared error) that is cheap but not smooth enough
 * for derivatives to be worth it. Nelder-Mead with projection onto the box
 * is the classic choice (R's ets() uses it too). Everything lives on the
 * stack: a fit runs it for every backtest origin of every series.
 */
#include <math.h>
#include <string.h>
#include "forecast/optim.h"

typedef struct nm {
    ag__fc_objective f;
    void *arg;
    size_t dim;
    const double *lo, *hi;
    size_t evals;
} nm;

static double eval(nm *o, double *x)
{
    double v;
    for (size_t i = 0; i < o->dim; i++)
        x[i] = x[i] < o->lo[i] ? o->lo[i] : x[i] > o->hi[i] ? o->hi[i] : x[i];
    o->evals++;
    v = o->f(x, o->arg);
    return isfinite(v) ? v : HUGE_VAL;
}

/* x = c + t * (c - w): reflection (t = 1), expansion (2), contractions (+-0.5). */
static void along(size_t dim, const double *c, const double *w, double t, double *x)
{
    for (size_t i = 0; i < dim; i++)
        x[i] = c[i] + t * (c[i] - w[i]);
}

/* Tries each coordinate within 2% of its range of a bound on the bound. */
static double snap(nm *o, double *x, double fx)
{
    double t[AG__FC_NM_MAXDIM];
    for (size_t i = 0; i < o->dim; i++) {
        double r = o->hi[i] - o->lo[i], b, ft;
        if (x[i] - o->lo[i] <= 0.02 * r && x[i] != o->lo[i])
            b = o->lo[i];
        else if (o->hi[i] - x[i] <= 0.02 * r && x[i] != o->hi[i])
            b = o->hi[i];
        else
            continue;
        memcpy(t, x, o->dim * sizeof *t);
        t[i] = b;
        ft = eval(o, t);
        if (ft <= fx) {
            memcpy(x, t, o->dim * sizeof *t);
            fx = ft;
        }
    }
    return fx;
}

double ag__fc_nelder_mead(ag__fc_objective f, void *arg, size_t dim, double *x, const double *lo,
                          const double *hi, const double *step, size_t max_evals, double ftol)
{
    double p[AG__FC_NM_MAXDIM + 1][AG__FC_NM_MAXDIM], fv[AG__FC_NM_MAXDIM + 1];
    double c[AG__FC_NM_MAXDIM], xr[AG__FC_NM_MAXDIM], xe[AG__FC_NM_MAXDIM];
    nm o = {f, arg, dim, lo, hi, 0};
    size_t n1 = dim + 1, best, worst, next;

    if (dim == 0 || dim > AG__FC_NM_MAXDIM)
        return NAN;
    for (size_t k = 0; k < n1; k++) {
        memcpy(p[k], x, dim * sizeof *x);
        if (k > 0) {
            size_t i = k - 1;
            /* Step away from the nearer bound so the vertex stays distinct. */
            p[k][i] += (x[i] + step[i] <= hi[i] || x[i] - step[i] < lo[i]) ? step[i] : -step[i];
        }
        fv[k] = eval(&o, p[k]);
    }
    for (;;) {
        double fr;
        best = worst = 0;
        for (size_t k = 1; k < n1; k++) {
            if (fv[k] < fv[best])
                best = k;
            if (fv[k] > fv[worst])
                worst = k;
        }
        next = best;
        for (size_t k = 0; k < n1; k++)
            if (k != worst && fv[k] >= fv[next])
                next = k;
        if (o.evals >= max_evals || fv[worst] - fv[best] <= ftol * fabs(fv[best]))
            break;
        memset(c, 0, sizeof c);
        for (size_t k = 0; k < n1; k++)
            if (k != worst)
                for (size_t i = 0; i < dim; i++)
                    c[i] += p[k][i] / (double)dim;
        along(dim, c, p[worst], 1.0, xr);
        fr = eval(&o, xr);
        if (fr < fv[best]) {
            double fe;
            along(dim, c, p[worst], 2.0, xe);
            fe = eval(&o, xe);
            memcpy(p[worst], fe < fr ? xe : xr, dim * sizeof *x);
            fv[worst] = fe < fr ? fe : fr;
        } else if (fr < fv[next]) {
            memcpy(p[worst], xr, dim * sizeof *x);
            fv[worst] = fr;
        } else {
            double fc;
            along(dim, c, p[worst], fr < fv[worst] ? 0.5 : -0.5, xe);
            fc = eval(&o, xe);
            if (fc < fv[worst] && fc <= fr) {
                memcpy(p[worst], xe, dim * sizeof *x);
                fv[worst] = fc;
            } else if (fr < fv[worst]) {
                memcpy(p[worst], xr, dim * sizeof *x);
                fv[worst] = fr;
            } else {
                /* Shrink towards the best vertex. */
                for (size_t k = 0; k < n1; k++) {
                    if (k == best)
                        continue;
                    for (size_t i = 0; i < dim; i++)
                        p[k][i] = p[best][i] + 0.5 * (p[k][i] - p[best][i]);
                    fv[k] = eval(&o, p[k]);
                }
            }
        }
    }
    memcpy(x, p[best], dim * sizeof *x);
    return snap(&o, x, fv[best]);
}
