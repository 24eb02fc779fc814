/*
 * schedule_build.c — the single gate every schedule passes through.
 *
 * Text input, binary receive, the jsonb cast and the SQL constructors all
 * describe a schedule as an SpmScheduleSpec and hand it to
 * spm_schedule_build, so each rule is checked in exactly one place.
 */
#include "postgres.h"

#include "schedule.h"

const char *
spm_base_name(int base)
{
	switch (base)
	{
		case SPM_MARGINAL:
			return "marginal";
		case SPM_RETROACTIVE:
			return "retroactive";
		case SPM_CURVE:
			return "curve";
	}
	elog(ERROR, "unknown schedule base %d", base);
	return NULL;				/* keep compiler quiet */
}

const char *
spm_wrap_name(int kind)
{
	switch (kind)
	{
		case SPM_CAP:
			return "cap";
		case SPM_GATE:
			return "gate";
	}
	elog(ERROR, "unknown schedule wrapper %d", kind);
	return NULL;
}

/*
 * Bring one parameter to lowest terms and check it fits the documented
 * range, naming it ("break 2") when it does not.
 */
static Fixed
check_param(Fixed f, const char *what, int index)
{
	f = spm_normalize(f);
	/*
	 * |v| as unsigned: binary input can carry -2^127, whose negation as
	 * int128 is undefined (it used to pass this check and print as text
	 * that text input refuses).
	 */
	if (f.scale > SPM_PARAM_MAX_SCALE ||
		(f.v < 0 ? -(uint128) f.v : (uint128) f.v) >=
		(uint128) spm_pow10(SPM_PARAM_MAX_INT + f.scale))
	{
		char	   *txt = spm_fixed_to_cstring(f.v, f.scale);

		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 index > 0 ? errmsg("%s %d is out of range: %s", what, index, txt)
				 : errmsg("%s is out of range: %s", what, txt),
				 errdetail("Schedule parameters have at most %d integer digits and %d decimal places.",
						   SPM_PARAM_MAX_INT, SPM_PARAM_MAX_SCALE)));
	}
	return f;
}

/*
 * The nesting limit, for parsers to check while descending: nwraps is the
 * number of caps and gates around the node about to be parsed, the new one
 * included.  Checking before recursing bounds the parsers' stack and work
 * by the limit, not by the input's depth.
 */
void
spm_check_wrap_depth(int nwraps)
{
	if (nwraps > SPM_MAX_WRAPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a schedule can nest at most %d caps and gates", SPM_MAX_WRAPS)));
}

/*
 * The point limit, one message for every entry point: n is the number of
 * tiers or points when known, or -1 from a parser that stopped at point
 * SPM_MAX_POINTS + 1 (then `where`, the character it starts at, is given).
 */
void
spm_check_npoints(int base, int n, int where)
{
	const char *what = base == SPM_CURVE ? "points" : "tiers";

	if (n >= 0 && n <= SPM_MAX_POINTS)
		return;
	if (n >= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a schedule has at most %d %s, not %d", SPM_MAX_POINTS, what, n)));
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("a schedule has at most %d %s", SPM_MAX_POINTS, what),
			 errdetail("Point %d starts at character %d.", SPM_MAX_POINTS + 1, where)));
}

/* Add a cap or gate around the spec, checking the nesting limit. */
void
spm_spec_add_wrap(SpmScheduleSpec *spec, int kind, Fixed value)
{
	spm_check_wrap_depth(spec->nwraps + 1);
	spec->wkind[spec->nwraps] = kind;
	spec->wval[spec->nwraps] = value;
	spec->nwraps++;
}

/*
 * Validate a spec against the rules of docs/schedules.md (22023 for a broken rule, 22003 for
 * an out-of-range number) and pack it into the on-disk form.
 */
SpmSchedule *
spm_schedule_build(const SpmScheduleSpec *spec)
{
	bool		tiers = spec->base != SPM_CURVE;
	const char *xname = tiers ? "break" : "curve x";
	const char *yname = tiers ? "rate" : "curve y";
	Fixed	   *xs,
			   *ys;
	Fixed		wv[SPM_MAX_WRAPS];
	int			n = spec->npoints,
				xscale = 0,
				yscale = 0,
				rscale = 0,
				i;
	Size		len;
	SpmSchedule *s;

	if (spec->base != SPM_MARGINAL && spec->base != SPM_RETROACTIVE &&
		spec->base != SPM_CURVE)
		elog(ERROR, "unknown schedule base %d", spec->base);
	if (n < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg(tiers ? "a tiered schedule needs at least one tier"
						: "a curve needs at least one point")));
	spm_check_npoints(spec->base, n, 0);
	if (spec->nwraps > SPM_MAX_WRAPS)
		elog(ERROR, "too many schedule wrappers");

	xs = palloc(n * sizeof(Fixed));
	ys = palloc(n * sizeof(Fixed));
	for (i = 0; i < n; i++)
	{
		xs[i] = check_param(spec->xs[i], xname, i + 1);
		ys[i] = check_param(spec->ys[i], yname, i + 1);
		xscale = Max(xscale, xs[i].scale);
		if (tiers)
			rscale = Max(rscale, ys[i].scale);
		else
			yscale = Max(yscale, ys[i].scale);

		if (tiers && ys[i].v < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("rate %d must not be negative: %s", i + 1,
							spm_fixed_to_cstring(ys[i].v, ys[i].scale)),
					 errdetail("A rate is a fraction of the amount: 0.05 is 5%%.")));
		if (tiers && i == 0 && xs[0].v < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the first break must not be negative: %s",
							spm_fixed_to_cstring(xs[0].v, xs[0].scale))));
		if (i > 0)
		{
			int			sc = Max(xs[i].scale, xs[i - 1].scale);

			if (spm_rescale(xs[i].v, xs[i].scale, sc) <=
				spm_rescale(xs[i - 1].v, xs[i - 1].scale, sc))
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("%ss must be strictly increasing", xname),
						 errdetail("%s %d (%s) is not greater than %s %d (%s).",
								   tiers ? "Break" : "Curve x", i + 1,
								   spm_fixed_to_cstring(xs[i].v, xs[i].scale),
								   xname, i,
								   spm_fixed_to_cstring(xs[i - 1].v, xs[i - 1].scale))));
		}
	}
	for (i = 0; i < spec->nwraps; i++)
	{
		const char *what = spec->wkind[i] == SPM_CAP ? "cap maximum" : "gate threshold";

		wv[i] = check_param(spec->wval[i], what, 0);
		if (wv[i].v < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not be negative: %s", what,
							spm_fixed_to_cstring(wv[i].v, wv[i].scale))));
		if (spec->wkind[i] == SPM_CAP)
			yscale = Max(yscale, wv[i].scale);
		else if (spec->wkind[i] == SPM_GATE)
			xscale = Max(xscale, wv[i].scale);
		else
			elog(ERROR, "unknown schedule wrapper %d", spec->wkind[i]);
	}

	len = offsetof(SpmSchedule, data) + (2 * n + spec->nwraps) * sizeof(int128);
	s = (SpmSchedule *) palloc0(len);
	SET_VARSIZE(s, len);
	s->format = SPM_SCHEDULE_FORMAT;
	s->base = spec->base;
	s->nwraps = spec->nwraps;
	s->xscale = xscale;
	s->yscale = yscale;
	s->rscale = rscale;
	s->npoints = n;
	for (i = 0; i < n; i++)
	{
		SPM_XS(s)[i] = spm_rescale(xs[i].v, xs[i].scale, xscale);
		SPM_YS(s)[i] = spm_rescale(ys[i].v, ys[i].scale, tiers ? rscale : yscale);
	}
	for (i = 0; i < spec->nwraps; i++)
	{
		s->wkind[i] = spec->wkind[i];
		SPM_WVAL(s)[i] = spm_rescale(wv[i].v, wv[i].scale,
									 spec->wkind[i] == SPM_CAP ? yscale : xscale);
	}
	pfree(xs);
	pfree(ys);
	return s;
}

/*
 * The inverse of build: each value back in lowest terms, as the user
 * wrote it.  Also the place that checks a stored value is one we made.
 */
void
spm_schedule_unpack(const SpmSchedule *s, SpmScheduleSpec *spec)
{
	int			i,
				ysc;

	if (s->format != SPM_SCHEDULE_FORMAT || s->npoints < 1 ||
		s->npoints > SPM_MAX_POINTS || s->nwraps > SPM_MAX_WRAPS)
		elog(ERROR, "corrupt spm.schedule value");
	ysc = SPM_YSCALE_OF_BASE(s);
	spec->base = s->base;
	spec->npoints = s->npoints;
	spec->xs = palloc(s->npoints * sizeof(Fixed));
	spec->ys = palloc(s->npoints * sizeof(Fixed));
	for (i = 0; i < s->npoints; i++)
	{
		spec->xs[i] = spm_normalize((Fixed) {SPM_XS(s)[i], s->xscale});
		spec->ys[i] = spm_normalize((Fixed) {SPM_YS(s)[i], ysc});
	}
	spec->nwraps = s->nwraps;
	for (i = 0; i < s->nwraps; i++)
	{
		spec->wkind[i] = s->wkind[i];
		spec->wval[i] = spm_normalize((Fixed) {SPM_WVAL(s)[i],
							s->wkind[i] == SPM_CAP ? s->yscale : s->xscale});
	}
}
