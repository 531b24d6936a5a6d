/*
 * forecast/mlp.c - the global neural model: a small fully connected ReLU
 * network on BLAS (cblas_sgemm), in the spirit of N-BEATS's generic block
 * (a lag window in, the whole H-step block out in one pass; no
 * recursion, so errors do not compound over the horizon).
 *
 * Input: the origin's scale-free features (features.c: lags, rolling
 * statistics, calendar, covariate lags) plus the seasonal reference of
 * every step 1..H (the same time yesterday); output: y[o+1..o+H] / s
 * minus the last value y[o] / s (a level skip connection: the network
 * learns the change from now, so "stay where you are" is its zero).
 * Inputs are standardised with the training set's mean and std. Trained
 * by Adam on minibatches with a fixed seed, early-stopped on a held-out
 * tenth of the samples (the best epoch's weights are kept).
 */
#include <cblas.h>
#include <math.h>
#include <string.h>

#include "forecast/features.h"
#include "util/alloc.h"

#define HID 128               /* width of the hidden layers */
#define NHID 3                /* hidden layers */
#define NL (NHID + 1)         /* weight layers */
#define MLP_BUDGET (16 << 20) /* floats of training samples at most (64 MB) */
#define MLP_MAX_SAMPLES 30000
#define MLP_BATCH 256
#define MLP_EPOCHS 30
#define MLP_PATIENCE 4
#define MLP_LR 1e-3f
#define MLP_COV_DROP 0.1

struct ag__fc_mlp {
    size_t din, dout;      /* input width, H */
    size_t w[NL + 1];      /* layer widths: w[0] = din, w[NL] = dout */
    size_t off[NL], boff[NL];
    size_t np;             /* parameters */
    float *p;              /* weights (in x out, row-major) then biases per layer */
    float *mu, *sd;        /* input standardisation */
};

/* Workspace of one minibatch pass. */
typedef struct mlp_work {
    float *act[NL + 1]; /* act[0] = input batch, act[NL] = output */
    float *d0, *d1;     /* deltas */
} mlp_work;

static void layout(ag__fc_mlp *m, size_t din, size_t dout)
{
    m->din = din;
    m->dout = dout;
    m->w[0] = din;
    for (int l = 1; l < NL; l++)
        m->w[l] = HID;
    m->w[NL] = dout;
    size_t o = 0;
    for (int l = 0; l < NL; l++) {
        m->off[l] = o;
        o += m->w[l] * m->w[l + 1];
        m->boff[l] = o;
        o += m->w[l + 1];
    }
    m->np = o;
}

/* Input row of sample (o): origin features then the reference block. */
static void input_row(const ag__fc_feat *f, const float *x0, const double *y, size_t o, double s,
                      float *x)
{
    memcpy(x, x0, AG__FC_NORIGIN * sizeof *x);
    for (size_t h = 1; h <= f->horizon; h++)
        x[AG__FC_NORIGIN + h - 1] = ag__fc_feat_ref(f, y, o, h, s);
}

static void forward(const ag__fc_mlp *m, const mlp_work *w, size_t b)
{
    for (int l = 0; l < NL; l++) {
        size_t in = m->w[l], out = m->w[l + 1];
        float *z = w->act[l + 1];
        const float *bias = m->p + m->boff[l];
        for (size_t r = 0; r < b; r++)
            memcpy(z + r * out, bias, out * sizeof *z);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)b, (int)out, (int)in, 1.0f,
                    w->act[l], (int)in, m->p + m->off[l], (int)out, 1.0f, z, (int)out);
        if (l < NL - 1)
            for (size_t i = 0; i < b * out; i++)
                z[i] = z[i] > 0 ? z[i] : 0;
    }
}

/* Gradient of the mean squared error of the batch into g. */
static void backward(const ag__fc_mlp *m, mlp_work *w, size_t b, const float *target, float *g)
{
    size_t dout = m->dout;
    float *d = w->d0, *dn = w->d1, scale = 2.0f / (float)(b * dout);
    const float *pred = w->act[NL];

    for (size_t i = 0; i < b * dout; i++)
        d[i] = (pred[i] - target[i]) * scale;
    for (int l = NL - 1; l >= 0; l--) {
        size_t in = m->w[l], out = m->w[l + 1];
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)in, (int)out, (int)b, 1.0f,
                    w->act[l], (int)in, d, (int)out, 0.0f, g + m->off[l], (int)out);
        float *gb = g + m->boff[l];
        memset(gb, 0, out * sizeof *gb);
        for (size_t r = 0; r < b; r++)
            for (size_t j = 0; j < out; j++)
                gb[j] += d[r * out + j];
        if (l == 0)
            break;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)b, (int)in, (int)out, 1.0f, d,
                    (int)out, m->p + m->off[l], (int)out, 0.0f, dn, (int)in);
        const float *a = w->act[l];
        for (size_t i = 0; i < b * in; i++)
            if (a[i] <= 0)
                dn[i] = 0;
        float *t = d;
        d = dn;
        dn = t;
    }
}

/* The training data: inputs (standardised in place) and targets. */
typedef struct mlp_data {
    float *x, *t;
    size_t ns;
} mlp_data;

static ag_err sample(ag__fc_trainset *ts, const ag__fc_mlp *m, uint64_t *rng, mlp_data *dt,
                     ag_errinfo *ei)
{
    const ag__fc_feat *f = &ts->feat;
    size_t per_sample = m->din + m->dout, maxs = MLP_BUDGET / per_sample, lo, hi;
    float x0[AG__FC_NORIGIN];

    if (maxs > MLP_MAX_SAMPLES)
        maxs = MLP_MAX_SAMPLES;
    size_t per = maxs / ts->nusable, r = 0;
    if (per == 0)
        per = 1;
    size_t cap = per * ts->nusable;
    dt->x = ag__malloc(cap * m->din * sizeof *dt->x);
    dt->t = ag__malloc(cap * m->dout * sizeof *dt->t);
    if (!dt->x || !dt->t) {
        ag_errinfo_set(ei, "mlp: out of memory for %zu training samples", cap);
        return AG_ENOMEM;
    }
    for (size_t i = 0; i < ts->n && r < cap; i++) {
        if (!ag__fc_trainset_load(ts, i, &lo, &hi))
            continue;
        size_t range = hi - lo + 1, k = per < range ? per : range;
        double stride = (double)range / (double)k;
        for (size_t j = 0; j < k && r < cap; j++, r++) {
            size_t o = lo + (size_t)((double)j * stride + ag__fc_randu(rng) * stride);
            if (o > hi)
                o = hi;
            int64_t t_o = ts->series[i].t0_ms + (int64_t)o * f->step_ms;
            double s = ag__fc_feat_scale(ts->y, o);
            int cov = ts->cov_ok && ag__fc_randu(rng) >= MLP_COV_DROP;
            ag__fc_feat_origin(f, ts->y, o, t_o, cov ? ts->c : NULL, s, x0);
            input_row(f, x0, ts->y, o, s, dt->x + r * m->din);
            for (size_t h = 1; h <= m->dout; h++)
                dt->t[r * m->dout + h - 1] = ag__fc_clip(ts->y[o + h] / s) - x0[0];
        }
    }
    dt->ns = r;
    if (r < 20) {
        ag_errinfo_set(ei, "mlp: only %zu training samples; need more or longer series", r);
        return AG_ENODATA;
    }
    return AG_OK;
}

/* Standardises the inputs column by column, storing mean/std in m. */
static void standardise(ag__fc_mlp *m, mlp_data *dt)
{
    for (size_t c = 0; c < m->din; c++) {
        double s = 0, q = 0;
        for (size_t r = 0; r < dt->ns; r++) {
            double v = dt->x[r * m->din + c];
            s += v;
            q += v * v;
        }
        double mean = s / (double)dt->ns, var = q / (double)dt->ns - mean * mean;
        m->mu[c] = (float)mean;
        m->sd[c] = (float)(var > 1e-6 ? sqrt(var) : 1e-3);
        for (size_t r = 0; r < dt->ns; r++)
            dt->x[r * m->din + c] = (dt->x[r * m->din + c] - m->mu[c]) / m->sd[c];
    }
}

static void init_weights(ag__fc_mlp *m, uint64_t *rng)
{
    memset(m->p, 0, m->np * sizeof *m->p);
    for (int l = 0; l < NL; l++) {
        size_t in = m->w[l], cnt = in * m->w[l + 1];
        /* He initialisation; the output layer starts small. */
        double a = sqrt(6.0 / (double)in) * (l == NL - 1 ? 0.1 : 1.0);
        for (size_t i = 0; i < cnt; i++)
            m->p[m->off[l] + i] = (float)((2 * ag__fc_randu(rng) - 1) * a);
    }
}

/* Copies rows idx[0..b) of the data into the batch buffers. */
static void gather(const ag__fc_mlp *m, const mlp_data *dt, const size_t *idx, size_t b,
                   float *xb, float *tb)
{
    for (size_t r = 0; r < b; r++) {
        memcpy(xb + r * m->din, dt->x + idx[r] * m->din, m->din * sizeof *xb);
        memcpy(tb + r * m->dout, dt->t + idx[r] * m->dout, m->dout * sizeof *tb);
    }
}

static double eval_loss(const ag__fc_mlp *m, mlp_work *w, const mlp_data *dt, const size_t *idx,
                        size_t n, float *tb)
{
    double sum = 0;
    for (size_t s = 0; s < n; s += MLP_BATCH) {
        size_t b = n - s < MLP_BATCH ? n - s : MLP_BATCH;
        gather(m, dt, idx + s, b, w->act[0], tb);
        forward(m, w, b);
        for (size_t i = 0; i < b * m->dout; i++) {
            double e = w->act[NL][i] - tb[i];
            sum += e * e;
        }
    }
    return sum / (double)(n * m->dout);
}

static void adam_step(float *p, const float *g, float *am, float *av, size_t np, long t)
{
    const float b1 = 0.9f, b2 = 0.999f;
    float c1 = 1.0f - powf(b1, (float)t), c2 = 1.0f - powf(b2, (float)t);
    for (size_t i = 0; i < np; i++) {
        am[i] = b1 * am[i] + (1 - b1) * g[i];
        av[i] = b2 * av[i] + (1 - b2) * g[i] * g[i];
        p[i] -= MLP_LR * (am[i] / c1) / (sqrtf(av[i] / c2) + 1e-8f);
    }
}

/* Runs the epochs; leaves the best held-out weights in m->p. */
static ag_err fit(ag__fc_mlp *m, const mlp_data *dt, uint64_t *rng, ag_errinfo *ei)
{
    size_t ns = dt->ns, nval = ns / 10 > 0 ? ns / 10 : 1, ntr = ns - nval, maxw = HID;
    mlp_work w = {0};
    size_t *idx = ag__malloc(ns * sizeof *idx);
    float *g = ag__malloc(m->np * sizeof *g), *am = ag__calloc(m->np, sizeof *am);
    float *av = ag__calloc(m->np, sizeof *av), *best = ag__malloc(m->np * sizeof *best);
    float *tb = ag__malloc(MLP_BATCH * m->dout * sizeof *tb);
    ag_err err = AG_ENOMEM;
    int ok = idx && g && am && av && best && tb;

    maxw = m->din > maxw ? m->din : maxw;
    maxw = m->dout > maxw ? m->dout : maxw;
    for (int l = 0; l <= NL && ok; l++)
        ok = (w.act[l] = ag__malloc(MLP_BATCH * m->w[l] * sizeof(float))) != NULL;
    ok = ok && (w.d0 = ag__malloc(MLP_BATCH * maxw * sizeof(float))) != NULL;
    ok = ok && (w.d1 = ag__malloc(MLP_BATCH * maxw * sizeof(float))) != NULL;
    if (!ok) {
        ag_errinfo_set(ei, "mlp: out of memory for training buffers");
        goto out;
    }
    for (size_t i = 0; i < ns; i++)
        idx[i] = i;
    for (size_t i = ns - 1; i > 0; i--) { /* the held-out tenth: idx[ntr..ns) */
        size_t j = (size_t)(ag__fc_rand(rng) % (i + 1)), t = idx[i];
        idx[i] = idx[j];
        idx[j] = t;
    }
    double best_loss = INFINITY;
    long step = 0;
    int bad = 0;
    memcpy(best, m->p, m->np * sizeof *best);
    for (int ep = 0; ep < MLP_EPOCHS && bad < MLP_PATIENCE; ep++) {
        for (size_t i = ntr - 1; i > 0; i--) {
            size_t j = (size_t)(ag__fc_rand(rng) % (i + 1)), t = idx[i];
            idx[i] = idx[j];
            idx[j] = t;
        }
        for (size_t s = 0; s < ntr; s += MLP_BATCH) {
            size_t b = ntr - s < MLP_BATCH ? ntr - s : MLP_BATCH;
            if (s > 0 && b < MLP_BATCH / 4)
                break; /* a tiny last batch would only add noise */
            gather(m, dt, idx + s, b, w.act[0], tb);
            forward(m, &w, b);
            backward(m, &w, b, tb, g);
            adam_step(m->p, g, am, av, m->np, ++step);
        }
        double vl = eval_loss(m, &w, dt, idx + ntr, nval, tb);
        if (isfinite(vl) && vl < best_loss * 0.999) {
            best_loss = vl;
            bad = 0;
            memcpy(best, m->p, m->np * sizeof *best);
        } else {
            bad++;
        }
    }
    memcpy(m->p, best, m->np * sizeof *best);
    err = AG_OK;
out:
    for (int l = 0; l <= NL; l++)
        ag__free(w.act[l]);
    ag__free(w.d0);
    ag__free(w.d1);
    ag__free(idx);
    ag__free(g);
    ag__free(am);
    ag__free(av);
    ag__free(best);
    ag__free(tb);
    return err;
}

ag_err ag__fc_mlp_train(ag__fc_trainset *ts, uint64_t seed, ag__fc_mlp **out, ag_errinfo *ei)
{
    uint64_t rng = seed;
    mlp_data dt = {0};
    ag__fc_mlp *m = ag__calloc(1, sizeof *m);
    ag_err err = AG_ENOMEM;

    *out = NULL;
    if (!m) {
        ag_errinfo_set(ei, "mlp: out of memory");
        goto out;
    }
    layout(m, AG__FC_NORIGIN + ts->feat.horizon, ts->feat.horizon);
    m->p = ag__malloc(m->np * sizeof *m->p);
    m->mu = ag__malloc(m->din * sizeof *m->mu);
    m->sd = ag__malloc(m->din * sizeof *m->sd);
    if (!m->p || !m->mu || !m->sd) {
        ag_errinfo_set(ei, "mlp: out of memory for %zu parameters", m->np);
        goto out;
    }
    if ((err = sample(ts, m, &rng, &dt, ei)) != AG_OK)
        goto out;
    standardise(m, &dt);
    init_weights(m, &rng);
    if ((err = fit(m, &dt, &rng, ei)) != AG_OK)
        goto out;
    *out = m;
    m = NULL;
out:
    ag__free(dt.x);
    ag__free(dt.t);
    ag__fc_mlp_free(m);
    return err;
}

ag_err ag__fc_mlp_predict(const ag__fc_mlp *m, const ag__fc_feat *f, const double *y, size_t o,
                          int64_t t_o, const float *x0, double s, size_t h, double *z)
{
    mlp_work w = {0};
    ag_err err = AG_ENOMEM;
    int ok = 1;

    (void)t_o;
    for (int l = 0; l <= NL && ok; l++)
        ok = (w.act[l] = ag__malloc(m->w[l] * sizeof(float))) != NULL;
    if (!ok)
        goto out;
    input_row(f, x0, y, o, s, w.act[0]);
    for (size_t c = 0; c < m->din; c++)
        w.act[0][c] = (w.act[0][c] - m->mu[c]) / m->sd[c];
    forward(m, &w, 1);
    for (size_t i = 0; i < h; i++)
        z[i] = w.act[NL][i] + x0[0];
    err = AG_OK;
out:
    for (int l = 0; l <= NL; l++)
        ag__free(w.act[l]);
    return err;
}

void ag__fc_mlp_free(ag__fc_mlp *m)
{
    if (!m)
        return;
    ag__free(m->p);
    ag__free(m->mu);
    ag__free(m->sd);
    ag__free(m);
}
