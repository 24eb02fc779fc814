/*
 * next_tier.c — spm.next_tier: how much more must be sold to reach the next
 * tier of a schedule, and what it would pay (docs/schedules.md, "Next
 * tier").
 *
 * Every schedule is, on the whole line, E(x) = [x >= G] * least(B(x), C):
 * B the base rule (tiers or curve), G the largest gate threshold (no gate:
 * none), C the smallest cap maximum (no cap: none).  That holds because a
 * gate zeroes whatever it wraps, a cap maximum is >= 0 so a cap of 0 stays
 * 0, and caps commute.  B is piecewise linear between its points, so E is
 * piecewise linear between its candidate points: the base points (breaks
 * or curve xs), G, and the points where B crosses C.
 *
 * The next tier of `sold` is the first candidate point p > sold at which
 * the rule changes: E jumps at p (a retroactive break, a gate, a curve's
 * first point), or the marginal rate just right of p differs from the rate
 * just right of sold.  Points where nothing changes (two tiers of equal
 * rate, a break beyond the cap, a break below a gate) are skipped.
 *
 * Exact: values are int128 at the scales of eval.c (x at sx, E at sy).
 * A cap crossing inside a segment is where B(x) = C, rounded up to sx
 * (the first amount at that scale at which the cap is reached).  A
 * marginal rate is a ratio num / den (num at sy per den at sx); tiers give
 * it exactly, a curve segment's slope is printed rounded half away from
 * zero at max(12, sy - sx) places but compared exactly.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "funcapi.h"

#include "schedule.h"

PG_FUNCTION_INFO_V1(spm_next_tier);

typedef struct Slope
{
	int128		num;			/* at sy */
	int128		den;			/* at sx, > 0 */
} Slope;

typedef struct NextTier
{
	SpmEval		ev;				/* the whole schedule */
	SpmEval		bev;			/* the base rule alone */
	bool		has_gate;
	int128		gate;			/* G at sx */
	bool		has_cap;
	int128		cap;			/* C at sy */
	int			tier_k;			/* scale factor exponent: sy - sx - rscale */
} NextTier;

/* Index of the base segment holding x: -1 below the first point. */
static int
segment_of(const NextTier *nt, int128 x)
{
	int			n = nt->ev.s->npoints,
				k = -1,
				i;

	for (i = 0; i < n && nt->ev.px[i] <= x; i++)
		k = i;
	return k;
}

/* Slope of B on segment k (right of its point); below the first: 0. */
static Slope
base_slope(const NextTier *nt, int k)
{
	const SpmSchedule *s = nt->ev.s;
	int			n = s->npoints;
	Slope		r = {0, 1};

	if (k < 0)
		return r;
	if (s->base != SPM_CURVE)
	{
		r.num = spm_mul(nt->ev.py[k], spm_pow10(nt->tier_k));
		return r;
	}
	if (n == 1)
		return r;
	if (k == n - 1)
		k = n - 2;				/* the last segment's slope continues */
	r.num = spm_sub(nt->ev.py[k + 1], nt->ev.py[k]);
	r.den = spm_sub(nt->ev.px[k + 1], nt->ev.px[k]);
	return r;
}

static bool
slope_eq(Slope a, Slope b)
{
	if (a.den == b.den)
		return a.num == b.num;
	return spm_mul(a.num, b.den) == spm_mul(b.num, a.den);
}

/* B(x) at sy */
static int128
base_at(const NextTier *nt, int128 x)
{
	return spm_eval_at(&nt->bev, x);
}

/* B just left of x, at sy: differs from B(x) only at a jump of the base. */
static int128
base_left(const NextTier *nt, int128 x)
{
	const SpmSchedule *s = nt->ev.s;
	int			k = segment_of(nt, x);

	if (k < 0 || nt->ev.px[k] != x)
		return base_at(nt, x);
	if (s->base == SPM_CURVE)
		return k == 0 ? 0 : base_at(nt, x);
	if (s->base == SPM_RETROACTIVE)
		return k == 0 ? 0 :
			spm_rescale(spm_mul(nt->ev.py[k - 1], x),
						nt->ev.sx + s->rscale, nt->ev.sy);
	return base_at(nt, x);		/* marginal tiers are continuous */
}

static int128
wrap_value(const NextTier *nt, int128 b)
{
	return (nt->has_cap && b > nt->cap) ? nt->cap : b;
}

/* E just left of x */
static int128
e_left(const NextTier *nt, int128 x)
{
	if (nt->has_gate && x <= nt->gate)
		return 0;
	return wrap_value(nt, base_left(nt, x));
}

/* The marginal rate of E just right of x. */
static Slope
rate_right(const NextTier *nt, int128 x)
{
	Slope		zero = {0, 1};
	Slope		sb;
	int128		b;

	if (nt->has_gate && x < nt->gate)
		return zero;
	sb = base_slope(nt, segment_of(nt, x));
	if (!nt->has_cap)
		return sb;
	b = base_at(nt, x);
	if (b > nt->cap || (b == nt->cap && sb.num >= 0))
		return zero;
	return sb;
}

/*
 * The first x > lo (at sx, rounded up) where B, linear from (x0, b0) with
 * slope sl, reaches the cap; false when it does not before hi (hi_inf: no
 * end).
 */
static bool
cap_crossing(const NextTier *nt, int128 x0, int128 b0, Slope sl,
			 int128 lo, int128 hi, bool hi_inf, int128 *out)
{
	int128		gap,
				q,
				r,
				x;

	if (!nt->has_cap || sl.num == 0 || b0 == nt->cap)
		return false;
	gap = spm_sub(nt->cap, b0);
	if ((gap > 0) != (sl.num > 0))
		return false;			/* moving away from the cap */
	/* x - x0 = gap * den / num, both of one sign: on magnitudes */
	if (!spm_mul_divmod(gap < 0 ? -gap : gap, sl.den,
						sl.num < 0 ? -sl.num : sl.num, &q, &r))
		spm_report_overflow();
	if (r != 0)
		q = spm_add(q, 1);
	x = spm_add(x0, q);
	if (x <= lo || (!hi_inf && x >= hi))
		return false;
	*out = x;
	return true;
}

/*
 * The candidate points > sold, smallest first, one at a time: the next one
 * after `after`.  False when none is left.
 */
static bool
next_candidate(const NextTier *nt, int128 after, int128 *out)
{
	const SpmSchedule *s = nt->ev.s;
	int			n = s->npoints;
	int			k = segment_of(nt, after);
	bool		found = false;
	int128		best = 0,
				c;

	/* the next base point */
	if (k + 1 < n)
	{
		best = nt->ev.px[k + 1];
		found = true;
	}
	/* the gate */
	if (nt->has_gate && nt->gate > after && (!found || nt->gate < best))
	{
		best = nt->gate;
		found = true;
	}
	/* a cap crossing inside the current base segment */
	if (k >= 0)
	{
		int128		x0 = nt->ev.px[k];

		if (cap_crossing(nt, x0, base_at(nt, x0), base_slope(nt, k),
						 after, found ? best : 0, !found, &c))
		{
			best = c;
			found = true;
		}
	}
	*out = best;
	return found;
}

static Datum
rate_datum(const NextTier *nt, Slope sl)
{
	const SpmSchedule *s = nt->ev.s;
	int			sdiff = nt->ev.sy - nt->ev.sx;
	int			scale;

	if (s->base != SPM_CURVE)
	{
		/* exact: num = rate * 10^tier_k */
		return spm_fixed_to_numeric(sl.num / spm_pow10(nt->tier_k), s->rscale);
	}
	scale = Max(SPM_CURVE_SCALE, sdiff);
	return spm_fixed_to_numeric(spm_muldiv_round(sl.num,
												 spm_pow10(scale - sdiff),
												 sl.den),
								scale);
}

/*
 * spm.next_tier(s, sold [, quota]) RETURNS record (need, next_break,
 * rate_now, rate_next, pays_now, pays_at_next, gain).
 */
Datum
spm_next_tier(PG_FUNCTION_ARGS)
{
	SpmSchedule *s = PG_GETARG_SPM_SCHEDULE(0);
	Fixed		sold = spm_numeric_arg(PG_GETARG_DATUM(1), "spm.next_tier", "sold");
	Fixed		q;
	bool		has_q = PG_NARGS() > 2;
	NextTier	nt;
	SpmSchedule *bare;
	TupleDesc	tupdesc;
	Datum		values[7];
	bool		nulls[7];
	int			sx,
				i;
	int128		x,
				p,
				now,
				e_p = 0;
	Slope		r_now,
				r_p = {0, 1};
	bool		found = false;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "spm.next_tier must return a record");
	tupdesc = BlessTupleDesc(tupdesc);

	if (has_q)
	{
		q = spm_normalize(spm_numeric_arg(PG_GETARG_DATUM(2), "spm.next_tier", "quota"));
		if (q.v <= 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("quota must be greater than zero: %s",
							spm_fixed_to_cstring(q.v, q.scale)),
					 errhint("Breaks are read as fractions of the quota; "
							 "with no quota there is no next tier.")));
	}
	if (sold.scale > SPM_MAX_SCALE)
		spm_report_overflow();
	sx = Max(sold.scale, (has_q ? q.scale : 0) + s->xscale);

	memset(&nt, 0, sizeof(nt));
	spm_eval_init(&nt.ev, s, sx, has_q ? &q : NULL, CurrentMemoryContext);
	bare = palloc(VARSIZE(s));
	memcpy(bare, s, VARSIZE(s));
	bare->nwraps = 0;
	spm_eval_init(&nt.bev, bare, sx, has_q ? &q : NULL, CurrentMemoryContext);
	Assert(nt.bev.sx == nt.ev.sx && nt.bev.sy == nt.ev.sy);
	nt.tier_k = nt.ev.sy - nt.ev.sx - s->rscale;
	for (i = 0; i < s->nwraps; i++)
	{
		if (s->wkind[i] == SPM_CAP)
		{
			if (!nt.has_cap || nt.ev.pw[i] < nt.cap)
				nt.cap = nt.ev.pw[i];
			nt.has_cap = true;
		}
		else
		{
			if (!nt.has_gate || nt.ev.pw[i] > nt.gate)
				nt.gate = nt.ev.pw[i];
			nt.has_gate = true;
		}
	}

	x = spm_rescale(sold.v, sold.scale, nt.ev.sx);
	now = spm_eval_at(&nt.ev, x);
	r_now = rate_right(&nt, x);

	/* walk the candidates until the rule changes */
	p = x;
	while (next_candidate(&nt, p, &p))
	{
		e_p = spm_eval_at(&nt.ev, p);
		r_p = rate_right(&nt, p);
		if (e_p != e_left(&nt, p) || !slope_eq(r_p, r_now))
		{
			found = true;
			break;
		}
	}

	memset(nulls, 0, sizeof(nulls));
	values[2] = rate_datum(&nt, r_now);
	values[4] = spm_fixed_to_numeric(now, nt.ev.sy);
	if (found)
	{
		values[0] = spm_fixed_to_numeric(spm_sub(p, x), nt.ev.sx);
		values[1] = spm_fixed_to_numeric(p, nt.ev.sx);
		values[3] = rate_datum(&nt, r_p);
		values[5] = spm_fixed_to_numeric(e_p, nt.ev.sy);
		values[6] = spm_fixed_to_numeric(spm_sub(e_p, now), nt.ev.sy);
	}
	else
		nulls[0] = nulls[1] = nulls[3] = nulls[5] = nulls[6] = true;

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
