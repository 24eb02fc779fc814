/*
 * attainment.c — spm.attainment, spm.prorate, spm.pace and spm.ramp.
 *
 * The three divisions are done exactly in int128 fixed point and rounded
 * once, half away from zero (spm_div_round), at a documented scale:
 *   attainment, pace: max(12, scale of actual) decimal places;
 *   prorate: max(2, scale of amount) places, or the scale asked for.
 * Nothing is computed through an intermediate rounded quotient, so a
 * result is the true value correctly rounded at its scale.  ramp is a
 * product and is exact.
 */
#include "postgres.h"

#include "utils/array.h"
#include "utils/date.h"
#include "utils/rangetypes.h"

#include "args.h"
#include "fixed.h"
#include "schedule.h"

PG_FUNCTION_INFO_V1(spm_attainment);
PG_FUNCTION_INFO_V1(spm_prorate);
PG_FUNCTION_INFO_V1(spm_pace);
PG_FUNCTION_INFO_V1(spm_ramp);

/* Decimal places of attainment and pace results, at least. */
#define SPM_RATIO_SCALE		12

/* Decimal places of prorated amounts, at least: cents. */
#define SPM_PRORATE_SCALE	2

/*
 * The `period` argument of prorate and pace: it is the denominator, so it
 * must be a non-empty range with finite bounds.  Returns [lo, hi) (a
 * daterange with finite bounds is always in that canonical form).
 */
static void
period_arg(FunctionCallInfo fcinfo, int argno, DateADT *lo, DateADT *hi)
{
	RangeType  *r = PG_GETARG_RANGE_P(argno);
	TypeCacheEntry *typcache = range_get_typcache(fcinfo, RangeTypeGetOid(r));
	RangeBound	lower,
				upper;
	bool		empty;

	range_deserialize(typcache, r, &lower, &upper, &empty);
	if (empty)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must not be empty")));
	if (lower.infinite || upper.infinite ||
		DATE_NOT_FINITE(DatumGetDateADT(lower.val)) ||
		DATE_NOT_FINITE(DatumGetDateADT(upper.val)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("period must have finite bounds, not unbounded or infinity")));
	*lo = DatumGetDateADT(lower.val);
	*hi = DatumGetDateADT(upper.val);
	Assert(lower.inclusive && !upper.inclusive && *lo < *hi);
}

/*
 * One bound of the `active` argument as a day number where an unbounded
 * or infinite bound lies beyond every date: a rep still active has no end.
 */
static int64
active_bound(const RangeBound *b)
{
	DateADT		d;

	if (b->infinite)
		return b->lower ? PG_INT64_MIN : PG_INT64_MAX;
	d = DatumGetDateADT(b->val);
	if (DATE_IS_NOBEGIN(d))
		return PG_INT64_MIN;
	if (DATE_IS_NOEND(d))
		return PG_INT64_MAX;
	/* canonical dateranges are [lo, hi); be safe for any other form */
	if (b->lower)
		return b->inclusive ? d : (int64) d + 1;
	return b->inclusive ? (int64) d + 1 : d;
}

/* Days of [lo, hi) that `active` (argument argno) covers; 0 if empty. */
static int64
overlap_days(FunctionCallInfo fcinfo, int argno, DateADT lo, DateADT hi)
{
	RangeType  *r = PG_GETARG_RANGE_P(argno);
	TypeCacheEntry *typcache = range_get_typcache(fcinfo, RangeTypeGetOid(r));
	RangeBound	lower,
				upper;
	bool		empty;
	int64		a,
				b;

	range_deserialize(typcache, r, &lower, &upper, &empty);
	if (empty)
		return 0;
	a = Max((int64) lo, active_bound(&lower));
	b = Min((int64) hi, active_bound(&upper));
	return b > a ? b - a : 0;
}

/*
 * actual / quota at scale s = max(12, scale of actual), times `times`
 * divided by `per` (pace's run-rate), rounded once half away from zero.
 */
static Datum
ratio(Fixed a, Fixed q, int64 times, int64 per)
{
	int			s = Max(SPM_RATIO_SCALE, a.scale);
	int128		mult,
				den;

	if (a.v == 0)
		return spm_fixed_to_numeric(0, s);	/* whatever the scales */
	/*
	 * a / q = a.v * 10^q.scale / (q.v * 10^a.scale); result v = that * 10^s.
	 * a.v times the multiplier may pass 128 bits (an actual at 20 places
	 * over a quota at 20 places): spm_muldiv_round carries the product.
	 */
	mult = spm_mul(spm_pow10_checked(s + q.scale - a.scale), times);
	den = spm_mul(q.v, per);
	return spm_fixed_to_numeric(spm_muldiv_round(a.v, mult, den), s);
}

/*
 * spm.attainment(actual, quota) = actual / quota.  A zero quota has no
 * attainment (NULL, not an error: new reps, unassigned territories); a
 * negative quota is a data error.
 */
Datum
spm_attainment(PG_FUNCTION_ARGS)
{
	Fixed		a = spm_numeric_arg(PG_GETARG_DATUM(0), "spm.attainment", "actual");
	Fixed		q;

	if (!spm_quota_arg(PG_GETARG_DATUM(1), "spm.attainment", &q))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(ratio(a, q, 1, 1));
}

/*
 * spm.prorate(amount, period, active [, scale]) = amount * days(period ∩
 * active) / days(period), rounded half away from zero to max(2, scale of
 * amount) places — prorated quotas, draws and salaries are money — or to
 * the scale given.
 */
Datum
spm_prorate(PG_FUNCTION_ARGS)
{
	Fixed		a = spm_numeric_arg(PG_GETARG_DATUM(0), "spm.prorate", "amount");
	DateADT		lo,
				hi;
	int64		days,
				overlap;
	int			s;
	int128		num,
				den;

	period_arg(fcinfo, 1, &lo, &hi);
	if (PG_NARGS() > 3)
	{
		int32		scale = PG_GETARG_INT32(3);

		if (scale < 0 || scale > SPM_MAX_SCALE)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("scale must be between 0 and %d: %d", SPM_MAX_SCALE, scale)));
		s = scale;
	}
	else
		s = Max(SPM_PRORATE_SCALE, a.scale);

	days = (int64) hi - lo;
	overlap = overlap_days(fcinfo, 2, lo, hi);
	/* the product amount * overlap is carried in 256 bits when it must */
	if (s >= a.scale)
	{
		num = spm_mul(spm_pow10_checked(s - a.scale), overlap);
		den = days;
	}
	else
	{
		num = overlap;
		den = spm_mul(days, spm_pow10(a.scale - s));
	}
	PG_RETURN_DATUM(spm_fixed_to_numeric(spm_muldiv_round(a.v, num, den), s));
}

/*
 * spm.pace(actual, quota, period, as_of): the attainment the period will
 * end with if selling goes on at the rate so far, actual * days(period) /
 * days(period start .. as_of) / quota, in one exact division.  Before the
 * period there is no rate (NULL); from its last day on the pace is the
 * attainment itself.
 */
Datum
spm_pace(PG_FUNCTION_ARGS)
{
	Fixed		a = spm_numeric_arg(PG_GETARG_DATUM(0), "spm.pace", "actual");
	Fixed		q;
	bool		has_quota = spm_quota_arg(PG_GETARG_DATUM(1), "spm.pace", &q);
	DateADT		as_of = PG_GETARG_DATEADT(3);
	DateADT		lo,
				hi;
	int64		days,
				elapsed;

	period_arg(fcinfo, 2, &lo, &hi);
	if (!has_quota || as_of < lo)
		PG_RETURN_NULL();
	days = (int64) hi - lo;
	elapsed = as_of >= hi ? days : (int64) as_of - lo + 1;
	PG_RETURN_DATUM(ratio(a, q, days, elapsed));
}

/*
 * spm.ramp(quota, month_in_role, steps) = quota * steps[month_in_role],
 * exact; months past the last step (or any month when steps is empty)
 * carry the full quota.  Every step is checked, used or not, so a bad
 * ramp table fails on its first use rather than months later.
 */
Datum
spm_ramp(PG_FUNCTION_ARGS)
{
	Fixed		q = spm_numeric_arg(PG_GETARG_DATUM(0), "spm.ramp", "quota");
	int32		month = PG_GETARG_INT32(1);
	Fixed	   *steps;
	int			n,
				i;

	if (q.v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("quota must not be negative: %s",
						spm_fixed_to_cstring(q.v, q.scale))));
	if (month < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("month_in_role must be at least 1: %d", month)));
	steps = spm_numeric_array(PG_GETARG_ARRAYTYPE_P(2), "spm.ramp", "steps", &n);
	for (i = 0; i < n; i++)
	{
		if (steps[i].v < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("steps must not contain negative values (element %d is %s)",
							i + 1, spm_fixed_to_cstring(steps[i].v, steps[i].scale))));
	}
	if (month > n)
		PG_RETURN_DATUM(spm_fixed_to_numeric(q.v, q.scale));
	if (q.scale + steps[month - 1].scale > SPM_MAX_SCALE)
		spm_report_overflow();
	PG_RETURN_DATUM(spm_fixed_to_numeric(spm_mul(q.v, steps[month - 1].v),
										 q.scale + steps[month - 1].scale));
}
