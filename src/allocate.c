/*
 * allocate.c — spm.allocate(amount, weights [, scale]): split an amount
 * into shares proportional to weights that add up exactly to
 * round(amount, scale), by the largest-remainder method.
 *
 * Everything is exact int128 arithmetic.  With A the amount's absolute
 * value, W_i the weights at one common scale and T their sum, the exact
 * share of position i is A * W_i / T, expressed in units of 10^-scale.  Each
 * share is truncated towards zero; the units still missing to reach
 * round(A, scale) (half away from zero) go one each to the largest
 * remainders, ties to the earlier position.  A negative amount is split as
 * its absolute value and every share negated.
 *
 * Because the truncation is of the exact proportion (not of a pre-rounded
 * amount), every share lies strictly within one unit of A * W_i / T, a zero
 * weight always gets exactly 0, and the number of leftover units never
 * exceeds the number of positions with a non-zero remainder.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/array.h"

#include "args.h"
#include "credit.h"

PG_FUNCTION_INFO_V1(spm_allocate);

/* One position's remainder, split so that no product can overflow. */
typedef struct CreditRemainder
{
	int128		hi;				/* truncated share's dropped decimal places */
	int128		lo;				/* (A * W_i) mod T: the fraction below those */
	int			pos;			/* 0-based position, the tie-breaker */
} CreditRemainder;

/*
 * Largest remainder first; equal remainders keep their order, so ties go to
 * the earlier position whatever qsort's stability.
 */
static int
remainder_cmp(const void *a, const void *b)
{
	const CreditRemainder *x = (const CreditRemainder *) a;
	const CreditRemainder *y = (const CreditRemainder *) b;

	if (x->hi != y->hi)
		return x->hi > y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo > y->lo ? -1 : 1;
	return x->pos < y->pos ? -1 : (x->pos > y->pos ? 1 : 0);
}

/*
 * Greatest common divisor of two non-negative values: dividing the weights
 * by theirs keeps the products of the allocation small (weights {50,50}
 * split like {1,1}) without changing any share.
 */
static int128
gcd128(int128 a, int128 b)
{
	while (b != 0)
	{
		int128		t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * The scale argument's rule, one message for both SQL entry points: shares
 * have 0 to SPM_MAX_SCALE decimal places (a negative scale, rounding to tens
 * or hundreds, is not a money split and is refused).
 */
void
spm_credit_check_scale(int32 scale, const char *fn)
{
	if (scale < 0 || scale > SPM_MAX_SCALE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s%sscale must be between 0 and %d, not %d",
						fn ? fn : "", fn ? ": " : "", SPM_MAX_SCALE, scale)));
}

/*
 * A deal split among more positions than the work arrays can hold is a
 * program limit, reported as such rather than as a failed palloc.
 */
void
spm_credit_check_count(int64 n, const char *fn)
{
	if (n > SPM_CREDIT_MAX_POSITIONS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s%scannot split among more than %d positions, not %lld",
						fn ? fn : "", fn ? ": " : "", SPM_CREDIT_MAX_POSITIONS, (long long) n)));
}

/*
 * round(|amount|, scale) in units of 10^-scale, half away from zero like
 * PostgreSQL's round(numeric, int): the total the shares must reach.
 */
int128
spm_credit_rounded_units(Fixed amount, int scale)
{
	int128		a = amount.v < 0 ? -amount.v : amount.v;

	if (amount.scale > scale)
		return spm_div_round(a, spm_pow10(amount.scale - scale));
	return spm_rescale(a, amount.scale, scale);
}

/*
 * The allocation itself.  Preconditions (checked by the callers, which word
 * the errors for their own arguments): n >= 1, every weight >= 0, not all
 * zero, 0 <= scale <= SPM_MAX_SCALE.  shares[i] receives the signed share of
 * position i in units of 10^-scale.
 *
 * With X = A at scale max(amount scale, scale) and d the places X has
 * beyond `scale`, floor(X * W_i / T) is computed as q*W_i + (r*W_i) / T
 * with X = q*T + r, so the only product that can pass 128 bits is r*W_i <
 * T^2 (weights are first divided by their gcd); it is carried in 256 bits
 * when it does (spm_mul_divmod), since weights at 30 places make T^2 about
 * 10^60 while the quotient (r*W_i) / T < W_i always fits.  The share is that floor
 * divided by 10^d; its remainder is the pair (floor mod 10^d, r*W_i mod T),
 * compared lexicographically, which orders exactly like the true remainder
 * X*W_i mod (T*10^d).
 */
void
spm_allocate_units(Fixed amount, const Fixed *weights, int n, int scale,
				   int128 *shares)
{
	int128	   *w = palloc(n * sizeof(int128));
	CreditRemainder *rem = palloc(n * sizeof(CreditRemainder));
	int			wscale = 0,
				xscale,
				i;
	int128		total = 0,
				g = 0,
				a,
				x,
				q,
				r,
				p,
				target,
				given = 0,
				left;

	Assert(n >= 1 && n <= SPM_CREDIT_MAX_POSITIONS);
	for (i = 0; i < n; i++)
		wscale = Max(wscale, weights[i].scale);
	for (i = 0; i < n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		w[i] = spm_rescale(weights[i].v, weights[i].scale, wscale);
		Assert(w[i] >= 0);
		total = spm_add(total, w[i]);
		g = gcd128(w[i], g);
	}
	if (total <= 0)
		elog(ERROR, "spm_allocate_units: weights add up to zero");
	if (g > 1)
	{
		for (i = 0; i < n; i++)
			w[i] /= g;
		total /= g;
	}
	CHECK_FOR_INTERRUPTS();

	a = amount.v < 0 ? -amount.v : amount.v;
	xscale = Max(amount.scale, scale);
	x = spm_rescale(a, amount.scale, xscale);
	p = spm_pow10(xscale - scale);
	target = spm_credit_rounded_units(amount, scale);
	q = x / total;
	r = x % total;

	for (i = 0; i < n; i++)
	{
		int128		fq,
					fr,
					f;

		CHECK_FOR_INTERRUPTS();
		if (!spm_mul_divmod(r, w[i], total, &fq, &fr))
			elog(ERROR, "spm_allocate_units: (r * w) / T does not fit int128");
		f = spm_add(spm_mul(q, w[i]), fq);
		shares[i] = f / p;
		rem[i].hi = f % p;
		rem[i].lo = fr;
		rem[i].pos = i;
		given += shares[i];
	}

	left = target - given;
	if (left < 0 || left > n)
		elog(ERROR, "spm_allocate_units: %d leftover units for %d positions",
			 (int) left, n);
	if (left > 0)
	{
		CHECK_FOR_INTERRUPTS();
		qsort(rem, n, sizeof(CreditRemainder), remainder_cmp);
		for (i = 0; i < (int) left; i++)
			shares[rem[i].pos] += 1;
	}
	if (amount.v < 0)
		for (i = 0; i < n; i++)
			shares[i] = -shares[i];
	pfree(w);
	pfree(rem);
}

/*
 * spm.allocate(amount, weights [, scale]).  The weights' errors name the
 * element, so a caller can find the bad one in a long array.
 */
Datum
spm_allocate(PG_FUNCTION_ARGS)
{
	Fixed		amount = spm_numeric_arg(PG_GETARG_DATUM(0), "spm.allocate", "amount");
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
	int32		scale = PG_NARGS() > 2 ? PG_GETARG_INT32(2) : SPM_CREDIT_DEFAULT_SCALE;
	Fixed	   *weights;
	int128	   *shares;
	Datum	   *out;
	int			n,
				i;
	bool		any = false;

	spm_credit_check_scale(scale, NULL);
	weights = spm_numeric_array(arr, "spm.allocate", "weights", &n);
	spm_credit_check_count(n, NULL);
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("weights must not be empty"),
				 errhint("Give one weight per share.")));
	for (i = 0; i < n; i++)
	{
		if (weights[i].v < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("weights must not be negative (element %d is %s)",
							i + 1, spm_fixed_to_cstring(weights[i].v, weights[i].scale))));
		if (weights[i].v > 0)
			any = true;
	}
	if (!any)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("weights must not all be zero")));

	shares = palloc(n * sizeof(int128));
	spm_allocate_units(amount, weights, n, scale, shares);
	out = palloc(n * sizeof(Datum));
	for (i = 0; i < n; i++)
		out[i] = spm_fixed_to_numeric(shares[i], scale);
	PG_RETURN_ARRAYTYPE_P(construct_array(out, n, NUMERICOID, -1, false, TYPALIGN_INT));
}
