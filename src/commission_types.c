/*
 * commission_types.c — spm.commission over bigint, integer and double
 * precision amounts.
 *
 * The overloads share the numeric aggregate's state and its final, combine,
 * serialize and deserialize functions (commission_agg.c): only the per-row
 * conversion of the amount differs, and that conversion is exact.
 *
 * - bigint and integer amounts are whole units: the value itself at scale
 *   0, with no decoding at all.
 * - a double precision amount is converted exactly as PostgreSQL's own cast
 *   float8 -> numeric converts it: rounded to DBL_DIG = 15 significant
 *   decimal digits (what "%.15g" prints), trailing zeros dropped.  So
 *   spm.commission(x, s) = spm.commission(x::numeric, s) for every x, and
 *   0.1::float8 counts as 0.1, not as the binary value
 *   0.1000000000000000055511151231257827...  For 1e-7 <= |x| < 1e14 (every
 *   realistic amount) the rounding is done here in integer arithmetic,
 *   without palloc or text; other magnitudes go through float8_numeric.
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "utils/fmgrprotos.h"

#include "commission.h"

PG_FUNCTION_INFO_V1(spm_commission_trans_int8);
PG_FUNCTION_INFO_V1(spm_commission_trans_int4);
PG_FUNCTION_INFO_V1(spm_commission_trans_float8);

#define FN "spm.commission"

/* The digits kept by PostgreSQL's float8 -> numeric cast. */
#define FLOAT_DIGITS DBL_DIG

StaticAssertDecl(FLOAT_DIGITS == 15, "float8 -> numeric keeps DBL_DIG = 15 digits");

/* Transition for bigint amounts: whole units, scale 0. */
Datum
spm_commission_trans_int8(PG_FUNCTION_ARGS)
{
	CommissionState *st = spm_commission_begin(fcinfo);

	if (!PG_ARGISNULL(1))
	{
		spm_commission_add(st, (int128) PG_GETARG_INT64(1), 0);
		st->count++;
	}
	PG_RETURN_POINTER(st);
}

/* Transition for integer amounts: whole units, scale 0. */
Datum
spm_commission_trans_int4(PG_FUNCTION_ARGS)
{
	CommissionState *st = spm_commission_begin(fcinfo);

	if (!PG_ARGISNULL(1))
	{
		spm_commission_add(st, (int128) PG_GETARG_INT32(1), 0);
		st->count++;
	}
	PG_RETURN_POINTER(st);
}

/*
 * N / 2^s rounded to the nearest integer, ties to even: how glibc's printf
 * rounds the exact binary value of a double to the digits it prints.
 */
static inline uint128
shift_round_even(uint128 n, int s)
{
	uint128		q = n >> s;
	uint128		rem = n & ((((uint128) 1) << s) - 1);
	uint128		half = ((uint128) 1) << (s - 1);

	if (rem > half || (rem == half && (q & 1)))
		q++;
	return q;
}

/* 10^0 .. 10^19, the powers of ten a uint64 holds. */
static const uint64 pow10_u64[20] = {
	UINT64CONST(1), UINT64CONST(10), UINT64CONST(100), UINT64CONST(1000),
	UINT64CONST(10000), UINT64CONST(100000), UINT64CONST(1000000),
	UINT64CONST(10000000), UINT64CONST(100000000), UINT64CONST(1000000000),
	UINT64CONST(10000000000), UINT64CONST(100000000000),
	UINT64CONST(1000000000000), UINT64CONST(10000000000000),
	UINT64CONST(100000000000000), UINT64CONST(1000000000000000),
	UINT64CONST(10000000000000000), UINT64CONST(100000000000000000),
	UINT64CONST(1000000000000000000), UINT64CONST(10000000000000000000)
};

/*
 * The fast path of the float8 conversion, for 1e-7 <= |x| < 1e14.
 *
 * |x| = m / 2^s exactly (m the 53-bit significand).  With k chosen so that
 * round(|x| * 10^k) has exactly 15 digits, that rounded integer q is the
 * digit string "%.15g" prints and the value is q / 10^k.  m * 10^k is
 * computed exactly in 128 bits (k <= 22 here), so the only rounding is the
 * final, correctly rounded one.  k is first estimated from the binary
 * exponent (floor(log10 2^e) = (e * 78913) >> 18 for |e| < 1000) and then
 * corrected: the estimate is at most one digit off.  Returns false outside
 * the range.
 */
static inline bool
float8_to_fixed_fast(double x, Fixed *out)
{
	double		ax = fabs(x);
	int			exp2,
				s,
				k,
				tries;
	uint64		m,
				v;
	uint128		q = 0;

	if (!(ax >= 1e-7 && ax < 1e14))
		return false;
	m = (uint64) ldexp(frexp(ax, &exp2), 53);	/* ax = m * 2^(exp2 - 53) */
	s = 53 - exp2;				/* 6 <= s <= 76 in this range */
	/* 2^(exp2-1) <= ax < 2^exp2: log10(ax) >= (exp2 - 1) * log10(2) */
	k = FLOAT_DIGITS - 1 - (((exp2 - 1) * 78913) >> 18);
	for (tries = 0; tries < 3; tries++)
	{
		uint128		n;

		if (k < 0 || k > 22)
			return false;		/* cannot happen; let numeric decide */
		if (k <= 19)
			n = (uint128) m * pow10_u64[k];
		else
			n = (uint128) (m * pow10_u64[k - 19]) * pow10_u64[19];	/* m * 1000 < 2^63 */
		q = shift_round_even(n, s);
		if (q >= (uint128) pow10_u64[FLOAT_DIGITS])
			k--;
		else if (q < (uint128) pow10_u64[FLOAT_DIGITS - 1])
			k++;
		else
			break;
	}
	if (tries == 3 || k < 0)
		return false;			/* cannot happen; let numeric decide */

	/* "%.15g" drops trailing zeros: so does numeric's display scale */
	v = (uint64) q;
	while (k >= 8 && v % UINT64CONST(100000000) == 0)
	{
		v /= UINT64CONST(100000000);
		k -= 8;
	}
	if (k >= 4 && v % 10000 == 0)
	{
		v /= 10000;
		k -= 4;
	}
	if (k >= 2 && v % 100 == 0)
	{
		v /= 100;
		k -= 2;
	}
	if (k >= 1 && v % 10 == 0)
	{
		v /= 10;
		k -= 1;
	}
	out->v = x < 0 ? -(int128) v : (int128) v;
	out->scale = k;
	return true;
}

/*
 * A double amount as the exact decimal PostgreSQL's float8 -> numeric cast
 * gives; NaN and infinities are refused like the numeric NaN.
 */
static void
float8_to_fixed(double x, Fixed *out)
{
	Datum		n;

	if (isnan(x) || isinf(x))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: amount must be a finite number, not NaN or infinity", FN)));
	if (x == 0.0)
	{
		out->v = 0;
		out->scale = 0;
		return;
	}
	if (float8_to_fixed_fast(x, out))
		return;
	/* tiny or huge magnitudes: rare, so let numeric do it (one palloc) */
	n = DirectFunctionCall1(float8_numeric, Float8GetDatum(x));
	if (!spm_numeric_decode_arg(n, out, FN, "amount", 0))
		elog(ERROR, "float8_numeric returned a non-finite numeric");
	pfree(DatumGetPointer(n));
}

/* Transition for double precision amounts, converted as described above. */
Datum
spm_commission_trans_float8(PG_FUNCTION_ARGS)
{
	CommissionState *st = spm_commission_begin(fcinfo);
	Fixed		a;

	if (!PG_ARGISNULL(1))
	{
		float8_to_fixed(PG_GETARG_FLOAT8(1), &a);
		spm_commission_add(st, a.v, a.scale);
		st->count++;
	}
	PG_RETURN_POINTER(st);
}
