/*
 * forecast/optim.h - a small derivative-free minimiser (Nelder-Mead with
 * box bounds) for fitting the few smoothing parameters of a model. Shared
 * by the forecast models; owned by ets.c's author (f2).
 */
#ifndef AG_FORECAST_OPTIM_H
#define AG_FORECAST_OPTIM_H

#include <stddef.h>

#define AG__FC_NM_MAXDIM 8

/* The function to minimise at x[0..dim); arg is passed through. May return
 * HUGE_VAL (or any non-finite value, read as HUGE_VAL) for "infeasible". */
typedef double (*ag__fc_objective)(const double *x, void *arg);

/* Minimises f over the box lo[i] <= x[i] <= hi[i] by Nelder-Mead, starting
 * from the simplex x, x + step[i] * e_i (mirrored inside the box). Candidate
 * points are projected onto the box. Stops after max_evals evaluations of
 * f or when the simplex's values agree within ftol (relative). Afterwards
 * tries snapping each coordinate close to a bound onto it (phi = 1 exactly,
 * for instance) and keeps that when it is no worse. On return x holds the
 * best point found. Returns its value, NAN when dim is 0 or larger than
 * AG__FC_NM_MAXDIM (x untouched). Never allocates. */
double ag__fc_nelder_mead(ag__fc_objective f, void *arg, size_t dim, double *x, const double *lo,
                          const double *hi, const double *step, size_t max_evals, double ftol);

#endif
