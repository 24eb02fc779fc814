/*
 * eval.c — evaluating E(x), exactly, in int128 fixed point.
 *
 * spm_eval_init does all per-schedule work once (scales, quota-scaled
 * points) so that spm_eval_at, called per row by the window function, is a
 * short loop of integer compares, multiplies and adds.
 *
 * Result scale.  With sx = max(scale of x, scale of quota + scale of the
 * x-domain parameters):
 *   tiers:  sy = max(sx + scale of rates, scale of quota + scale of caps)
 *   curves: sy = max(12, sx, scale of quota + scale of ys and caps)
 * Tiers, caps and gates are exact at sy.  A curve's interpolation is the
 * only division: it is rounded half away from zero at sy (>= 12 places).
 */
#include "postgres.h"

#include "schedule.h"

/*
 * Quota argument of the 3-argument forms: false for 0 (the result is then
 * NULL, as docs/schedules.md says), an error for negative or non-finite quotas.
 */
bool
spm_quota_arg(Datum d, const char *fn, Fixed *q)
{
	*q = spm_normalize(spm_numeric_arg(d, fn, "quota"));
	if (q->v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("quota must not be negative: %s",
						spm_fixed_to_cstring(q->v, q->scale))));
	return q->v != 0;
}

/* quota * v, v at scale vs, brought to scale `to` (>= qs + vs) */
static int128
scale_by_quota(const SpmEval *ev, int128 v, int vs, int to)
{
	return spm_rescale(spm_mul(v, ev->qv), ev->qs + vs, to);
}

/*
 * Prepare to evaluate s for totals of scale xin_scale, optionally relative
 * to a quota (> 0).  Arrays live in mcxt so a window partition or an
 * aggregate group can keep them.
 */
void
spm_eval_init(SpmEval *ev, const SpmSchedule *s, int xin_scale,
			  const Fixed *quota, MemoryContext mcxt)
{
	int			n = s->npoints,
				i;

	ev->s = s;
	ev->xin_scale = xin_scale;
	ev->qv = quota ? quota->v : 1;
	ev->qs = quota ? quota->scale : 0;
	ev->sx = Max(xin_scale, ev->qs + s->xscale);
	if (s->base == SPM_CURVE)
		ev->sy = Max(Max(SPM_CURVE_SCALE, ev->sx), ev->qs + s->yscale);
	else
		ev->sy = Max(ev->sx + s->rscale, ev->qs + s->yscale);
	if (ev->sx > SPM_MAX_SCALE || ev->sy > SPM_MAX_SCALE)
		spm_report_overflow();

	ev->px = MemoryContextAlloc(mcxt, (2 * n + s->nwraps + 1) * sizeof(int128));
	ev->py = ev->px + n;
	ev->pw = ev->py + n;
	for (i = 0; i < n; i++)
	{
		ev->px[i] = scale_by_quota(ev, SPM_XS(s)[i], s->xscale, ev->sx);
		if (s->base == SPM_CURVE)
			ev->py[i] = scale_by_quota(ev, SPM_YS(s)[i], s->yscale, ev->sy);
		else
			ev->py[i] = SPM_YS(s)[i];	/* rates do not scale with quota */
	}
	for (i = 0; i < s->nwraps; i++)
	{
		if (s->wkind[i] == SPM_CAP)
			ev->pw[i] = scale_by_quota(ev, SPM_WVAL(s)[i], s->yscale, ev->sy);
		else
			ev->pw[i] = scale_by_quota(ev, SPM_WVAL(s)[i], s->xscale, ev->sx);
	}
}

/* E(x) for marginal tiers, x and points at sx; result at sx + rscale. */
static int128
eval_marginal(const SpmEval *ev, int128 x)
{
	int128		e = 0;
	int			n = ev->s->npoints,
				i;

	for (i = 0; i < n && x > ev->px[i]; i++)
	{
		int128		top = (i + 1 < n && x > ev->px[i + 1]) ? ev->px[i + 1] : x;

		e = spm_add(e, spm_mul(ev->py[i], spm_sub(top, ev->px[i])));
	}
	return e;
}

/* E(x) for retroactive tiers: the rate of the highest tier reached. */
static int128
eval_retroactive(const SpmEval *ev, int128 x)
{
	int			n = ev->s->npoints,
				k = -1,
				i;

	for (i = 0; i < n && ev->px[i] <= x; i++)
		k = i;
	return k < 0 ? 0 : spm_mul(ev->py[k], x);
}

/*
 * E(x) for a curve, result at sy; the slope goes on past the last point.
 * The product (x - x_a) * (y_b - y_a) is only an intermediate: it can pass
 * 128 bits on realistic inputs (a total at 16 places on a curve to 5000),
 * so spm_muldiv_round carries it in 256 bits when it must; only the
 * rounded quotient has to fit.
 */
static int128
eval_curve(const SpmEval *ev, int128 x)
{
	int			n = ev->s->npoints,
				a = -1,
				i;

	for (i = 0; i < n && ev->px[i] <= x; i++)
		a = i;
	if (a < 0)
		return 0;
	if (n == 1)
		return ev->py[0];
	if (a == n - 1)
		a = n - 2;
	/* (x - x_a) * (y_b - y_a) / (x_b - x_a): sx * sy / sx = sy */
	return spm_add(ev->py[a],
				   spm_muldiv_round(spm_sub(x, ev->px[a]),
									spm_sub(ev->py[a + 1], ev->py[a]),
									spm_sub(ev->px[a + 1], ev->px[a])));
}

/*
 * E(x) for a total x given at the scale passed to spm_eval_init; the result
 * is at ev->sy.
 */
int128
spm_eval_at(const SpmEval *ev, int128 x)
{
	const SpmSchedule *s = ev->s;
	int128		e;
	int			i;

	x = spm_rescale(x, ev->xin_scale, ev->sx);
	switch (s->base)
	{
		case SPM_MARGINAL:
			e = spm_rescale(eval_marginal(ev, x), ev->sx + s->rscale, ev->sy);
			break;
		case SPM_RETROACTIVE:
			e = spm_rescale(eval_retroactive(ev, x), ev->sx + s->rscale, ev->sy);
			break;
		case SPM_CURVE:
			e = eval_curve(ev, x);
			break;
		default:
			elog(ERROR, "corrupt spm.schedule value");
	}
	for (i = 0; i < s->nwraps; i++)
	{
		if (s->wkind[i] == SPM_CAP)
			e = Min(e, ev->pw[i]);
		else if (x < ev->pw[i])
			e = 0;
	}
	return e;
}

/* One-shot evaluation for spm.apply. */
Fixed
spm_apply_fixed(const SpmSchedule *s, Fixed x, const Fixed *quota)
{
	SpmEval		ev;
	Fixed		r;

	if (x.scale > SPM_MAX_SCALE)
		spm_report_overflow();
	spm_eval_init(&ev, s, x.scale, quota, CurrentMemoryContext);
	r.v = spm_eval_at(&ev, x.v);
	r.scale = ev.sy;
	pfree(ev.px);
	return r;
}
