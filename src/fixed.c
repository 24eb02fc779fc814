/*
 * fixed.c — int128 fixed-point decimals and the numeric on-disk format.
 *
 * spm reads numeric values straight from their varlena bytes into an int128
 * and builds numeric results the same way.  That keeps the per-row paths of
 * the aggregates and window functions free of palloc and of numeric's
 * general-purpose arithmetic.  The layout decoded here is numeric's on-disk
 * format, which PostgreSQL keeps stable across major versions (pg_upgrade
 * relies on it); the constants mirror those in numeric.c.
 */
#include "postgres.h"

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "utils/numeric.h"

#include "fixed.h"

#define SPM_NBASE					10000
#define SPM_NUMERIC_SIGN_MASK		0xC000
#define SPM_NUMERIC_NEG				0x4000
#define SPM_NUMERIC_SHORT			0x8000
#define SPM_NUMERIC_SPECIAL			0xC000
#define SPM_SHORT_SIGN_MASK			0x2000
#define SPM_SHORT_DSCALE_MASK		0x1F80
#define SPM_SHORT_DSCALE_SHIFT		7
#define SPM_SHORT_DSCALE_MAX		(SPM_SHORT_DSCALE_MASK >> SPM_SHORT_DSCALE_SHIFT)
#define SPM_SHORT_WEIGHT_SIGN_MASK	0x0040
#define SPM_SHORT_WEIGHT_MASK		0x003F
#define SPM_SHORT_WEIGHT_MAX		SPM_SHORT_WEIGHT_MASK
#define SPM_SHORT_WEIGHT_MIN		(-(SPM_SHORT_WEIGHT_MASK + 1))
#define SPM_DSCALE_MASK				0x3FFF

static const int64 pow10_small[] = {
	1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL,
	100000000LL, 1000000000LL, 10000000000LL, 100000000000LL,
	1000000000000LL, 10000000000000LL, 100000000000000LL,
	1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
	1000000000000000000LL
};

/*
 * 10^k for 0 <= k <= 38, the range int128 can hold.  Callers never ask for
 * more; asking is a bug, not a user error.
 */
int128
spm_pow10(int k)
{
	int128		r;

	if (k < 0 || k > 38)
		elog(ERROR, "spm_pow10: exponent %d out of range", k);
	if (k <= 18)
		return (int128) pow10_small[k];
	r = (int128) pow10_small[18];
	k -= 18;
	while (k > 18)
	{
		r *= (int128) pow10_small[18];
		k -= 18;
	}
	return r * (int128) pow10_small[k];
}

/*
 * 10^k where k comes from user-controlled scales: 22003 past 10^38
 * instead of spm_pow10's internal error.
 */
int128
spm_pow10_checked(int k)
{
	Assert(k >= 0);
	if (k > 38)
		spm_report_overflow();
	return spm_pow10(k);
}

/*
 * One message for every overflow, so users learn the single rule: spm's
 * exact arithmetic holds about 38 significant digits.
 */
void
spm_report_overflow(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value out of range for spm's exact arithmetic"),
			 errdetail("spm computes exactly in 128-bit fixed point: about 38 significant digits, at most %d decimal places.",
					   SPM_MAX_SCALE),
			 errhint("Round amounts and parameters to fewer decimal places.")));
}

/*
 * The overflow of one argument, named: "spm.apply: amount is out of range
 * for spm's exact arithmetic", or "... weights element 2 is ..." when elem
 * > 0.  fn may be NULL (the message then starts with the argument); what
 * NULL falls back to the unnamed message.
 */
void
spm_report_arg_overflow(const char *fn, const char *what, int elem)
{
	if (what == NULL)
		spm_report_overflow();
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 elem > 0
			 ? errmsg("%s%s%s element %d is out of range for spm's exact arithmetic",
					  fn ? fn : "", fn ? ": " : "", what, elem)
			 : errmsg("%s%s%s is out of range for spm's exact arithmetic",
					  fn ? fn : "", fn ? ": " : "", what),
			 errdetail("spm computes exactly in 128-bit fixed point: about 38 significant digits, at most %d decimal places.",
					   SPM_MAX_SCALE)));
}

/* Checked int128 arithmetic: 22003 instead of a wrapped value. */
int128
spm_add(int128 a, int128 b)
{
	int128		r;

	if (__builtin_add_overflow(a, b, &r))
		spm_report_overflow();
	return r;
}

int128
spm_sub(int128 a, int128 b)
{
	int128		r;

	if (__builtin_sub_overflow(a, b, &r))
		spm_report_overflow();
	return r;
}

int128
spm_mul(int128 a, int128 b)
{
	int128		r;

	if (__builtin_mul_overflow(a, b, &r))
		spm_report_overflow();
	return r;
}

/* Re-express v from scale `from` at the larger or equal scale `to`. */
int128
spm_rescale(int128 v, int from, int to)
{
	Assert(to >= from);
	if (to == from || v == 0)
		return v;
	if (to - from > 38)
		spm_report_overflow();
	return spm_mul(v, spm_pow10(to - from));
}

/* |v| as unsigned: defined for every int128, INT128_MIN included. */
static inline uint128
uabs128(int128 v)
{
	return v < 0 ? -(uint128) v : (uint128) v;
}

/*
 * num / den rounded half away from zero: the one rounding rule spm uses
 * where a division cannot be exact (curve interpolation).  Computed on
 * magnitudes, so no operand (-2^127 included) can overflow; a quotient
 * beyond int128 is 22003.
 */
int128
spm_div_round(int128 num, int128 den)
{
	uint128		un = uabs128(num),
				ud = uabs128(den),
				q,
				r;

	Assert(den != 0);
	q = un / ud;
	r = un % ud;
	if (r >= ud - r)			/* 2r >= den without overflowing */
		q++;
	if (q > (uint128) SPM_INT128_MAX)
		spm_report_overflow();
	return ((num < 0) != (den < 0)) ? -(int128) q : (int128) q;
}

/*
 * The full 256-bit product of two unsigned 128-bit values, as (hi, lo):
 * schoolbook multiplication on 64-bit limbs.  Only the slow paths of
 * spm_muldiv_round and spm_mul_divmod use it.
 */
static void
umul_256(uint128 a, uint128 b, uint128 *hi, uint128 *lo)
{
	uint128		a0 = (uint64) a,
				a1 = a >> 64,
				b0 = (uint64) b,
				b1 = b >> 64;
	uint128		p00 = a0 * b0,
				p01 = a0 * b1,
				p10 = a1 * b0,
				p11 = a1 * b1;
	uint128		mid = (p00 >> 64) + (uint64) p01 + (uint64) p10;

	*lo = (mid << 64) | (uint64) p00;
	*hi = p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64);
}

/*
 * (hi, lo) / den for a 256-bit dividend whose quotient fits 128 bits
 * (hi < den): restoring long division, one bit per step.  128 steps of
 * 128-bit shifts and compares: slow next to a hardware divide, but it only
 * runs when a product does not fit 128 bits, which money never needs.
 */
static uint128
udiv_256(uint128 hi, uint128 lo, uint128 den, uint128 *rem)
{
	uint128		q = 0,
				r = hi;
	int			i;

	Assert(hi < den);
	for (i = 127; i >= 0; i--)
	{
		bool		carry = (r >> 127) != 0;

		r = (r << 1) | ((lo >> i) & 1);
		if (carry || r >= den)
		{
			r -= den;
			q |= ((uint128) 1) << i;
		}
	}
	*rem = r;
	return q;
}

/*
 * a * b / c rounded half away from zero, c != 0, where the product a * b
 * may exceed 128 bits but the result must not (22003 if it does).  Curve
 * interpolation, attainment and prorate divide a product: the product is an
 * intermediate that needs no range of its own, only the final quotient
 * does.  Fast path: the product fits, one multiply and one division.
 */
int128
spm_muldiv_round(int128 a, int128 b, int128 c)
{
	int128		p;
	uint128		hi,
				lo,
				uc,
				q,
				r;
	bool		neg;

	Assert(c != 0);
	if (likely(!__builtin_mul_overflow(a, b, &p)))
		return spm_div_round(p, c);
	neg = ((a < 0) != (b < 0)) != (c < 0);
	uc = uabs128(c);
	umul_256(uabs128(a), uabs128(b), &hi, &lo);
	if (hi >= uc)
		spm_report_overflow();
	q = udiv_256(hi, lo, uc, &r);
	if (r >= uc - r)			/* 2r >= c without overflowing */
		q++;
	if (q > (uint128) SPM_INT128_MAX)
		spm_report_overflow();
	return neg ? -(int128) q : (int128) q;
}

/*
 * floor(a * b / c) and (a * b) mod c for a, b >= 0 and c > 0, the product
 * possibly beyond 128 bits; false if the quotient does not fit int128.
 * The largest-remainder allocation needs the exact remainder, so it cannot
 * use a rounded division.
 */
bool
spm_mul_divmod(int128 a, int128 b, int128 c, int128 *q, int128 *r)
{
	int128		p;
	uint128		hi,
				lo,
				uq,
				ur;

	Assert(a >= 0 && b >= 0 && c > 0);
	if (likely(!__builtin_mul_overflow(a, b, &p)))
	{
		*q = p / c;
		*r = p % c;
		return true;
	}
	umul_256((uint128) a, (uint128) b, &hi, &lo);
	if (hi >= (uint128) c)
		return false;
	uq = udiv_256(hi, lo, (uint128) c, &ur);
	if (uq > (uint128) SPM_INT128_MAX)
		return false;
	*q = (int128) uq;
	*r = (int128) ur;
	return true;
}

/* Strip trailing decimal zeros: 0.050 becomes 0.05 (v=5, scale=2). */
Fixed
spm_normalize(Fixed f)
{
	while (f.scale > 0 && f.v % 10 == 0)
	{
		f.v /= 10;
		f.scale--;
	}
	if (f.v == 0)
		f.scale = 0;
	return f;
}

/*
 * Decode a numeric datum into v / 10^scale with scale = the value's display
 * scale.  Returns SPM_DECODE_OK, SPM_DECODE_NONFINITE for NaN and
 * infinities, or SPM_DECODE_RANGE for a finite value beyond int128 or with
 * more than SPM_MAX_SCALE significant decimal places; raises nothing, so
 * each caller words its own error.  Reads the varlena in place (short or
 * long header) and allocates nothing unless the datum is toasted.
 */
int
spm_numeric_decode_try(Datum d, Fixed *out)
{
	struct varlena *p = (struct varlena *) DatumGetPointer(d);
	const char *data;
	Size		len;
	uint16		hdr;
	bool		neg;
	int			weight,
				dscale,
				ndigits,
				last_exp,
				shift,
				i;
	const char *digp;
	int128		acc;

	if (VARATT_IS_EXTERNAL(p) || VARATT_IS_COMPRESSED(p))
		p = pg_detoast_datum(p);
	data = VARDATA_ANY(p);
	len = VARSIZE_ANY_EXHDR(p);
	memcpy(&hdr, data, sizeof(uint16));

	if ((hdr & SPM_NUMERIC_SIGN_MASK) == SPM_NUMERIC_SPECIAL)
		return SPM_DECODE_NONFINITE;
	if ((hdr & SPM_NUMERIC_SIGN_MASK) == SPM_NUMERIC_SHORT)
	{
		neg = (hdr & SPM_SHORT_SIGN_MASK) != 0;
		dscale = (hdr & SPM_SHORT_DSCALE_MASK) >> SPM_SHORT_DSCALE_SHIFT;
		weight = (hdr & SPM_SHORT_WEIGHT_SIGN_MASK) ? (~SPM_SHORT_WEIGHT_MASK | (hdr & SPM_SHORT_WEIGHT_MASK))
			: (hdr & SPM_SHORT_WEIGHT_MASK);
		digp = data + sizeof(uint16);
		ndigits = (len - sizeof(uint16)) / sizeof(int16);
	}
	else
	{
		int16		w;

		neg = (hdr & SPM_NUMERIC_SIGN_MASK) == SPM_NUMERIC_NEG;
		dscale = hdr & SPM_DSCALE_MASK;
		memcpy(&w, data + sizeof(uint16), sizeof(int16));
		weight = w;
		digp = data + 2 * sizeof(uint16);
		ndigits = (len - 2 * sizeof(uint16)) / sizeof(int16);
	}

	if (ndigits == 0)
	{
		out->v = 0;
		out->scale = Min(dscale, SPM_MAX_SCALE);
		return SPM_DECODE_OK;
	}

	/* decimal exponent of the last stored base-10000 digit */
	last_exp = 4 * (weight - (ndigits - 1));
	if (dscale > SPM_MAX_SCALE)
	{
		/* keep only the places that hold non-zero digits */
		int16		dl;
		int			need = -last_exp;

		memcpy(&dl, digp + (ndigits - 1) * sizeof(int16), sizeof(int16));
		while (need > 0 && dl % 10 == 0)
		{
			dl /= 10;
			need--;
		}
		if (need > SPM_MAX_SCALE)
			return SPM_DECODE_RANGE;
		dscale = Max(need, 0);
	}
	shift = last_exp + dscale;	/* >= -3: digits past dscale are zero */

	if (ndigits + (shift > 0 ? (shift + 3) / 4 : 0) > 9)
	{
		/*
		 * May not fit: accumulate with overflow checks.  The first digit is
		 * not zero, so weight 10 means at least 10^40, beyond int128; and a
		 * shift past 10^38 is refused before spm_pow10 is asked for it
		 * (|x| >= 1e40 used to reach spm_pow10 out of its range: XX000).
		 */
		if (weight > 9)
			return SPM_DECODE_RANGE;
		acc = 0;
		for (i = 0; i < ndigits; i++)
		{
			int16		dg;
			int64		m;

			memcpy(&dg, digp + i * sizeof(int16), sizeof(int16));
			if (i == ndigits - 1 && shift < 0)
			{
				m = pow10_small[4 + shift];
				dg = dg / pow10_small[-shift];
			}
			else
				m = SPM_NBASE;
			if (__builtin_mul_overflow(acc, (int128) m, &acc) ||
				__builtin_add_overflow(acc, (int128) dg, &acc))
				return SPM_DECODE_RANGE;
		}
		if (shift > 0 &&
			(shift > 38 || __builtin_mul_overflow(acc, spm_pow10(shift), &acc)))
			return SPM_DECODE_RANGE;
	}
	else
	{
		/* at most 36 digits: plain arithmetic, int64 while it fits */
		int64		a64 = 0;

		for (i = 0; i < ndigits && i < 4; i++)
		{
			int16		dg;

			memcpy(&dg, digp + i * sizeof(int16), sizeof(int16));
			if (i == ndigits - 1 && shift < 0)
				a64 = a64 * pow10_small[4 + shift] + dg / pow10_small[-shift];
			else
				a64 = a64 * SPM_NBASE + dg;
		}
		acc = a64;
		for (; i < ndigits; i++)
		{
			int16		dg;

			memcpy(&dg, digp + i * sizeof(int16), sizeof(int16));
			if (i == ndigits - 1 && shift < 0)
				acc = acc * pow10_small[4 + shift] + dg / pow10_small[-shift];
			else
				acc = acc * SPM_NBASE + dg;
		}
		if (shift > 0)
			acc *= (shift <= 18) ? (int128) pow10_small[shift] : spm_pow10(shift);
	}

	out->v = neg ? -acc : acc;
	out->scale = dscale;
	return SPM_DECODE_OK;
}

/*
 * spm_numeric_decode_try for an argument: false for NaN and infinities,
 * 22003 naming the argument (see spm_report_arg_overflow) when out of
 * range.
 */
bool
spm_numeric_decode_arg(Datum d, Fixed *out, const char *fn, const char *what,
					   int elem)
{
	int			rc = spm_numeric_decode_try(d, out);

	if (likely(rc == SPM_DECODE_OK))
		return true;
	if (rc == SPM_DECODE_RANGE)
		spm_report_arg_overflow(fn, what, elem);
	return false;
}

/*
 * Decode a numeric argument that must be finite; `what` names it in the
 * errors a caller sees, prefixed with the SQL function fn when not NULL.
 */
Fixed
spm_numeric_arg(Datum d, const char *fn, const char *what)
{
	Fixed		f;

	if (!spm_numeric_decode_arg(d, &f, fn, what, 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a finite number, not NaN or infinity", what)));
	return f;
}

/* Base-10000 digits of u, most significant first; returns how many. */
static int
nbase_digits(uint128 u, int16 *out, int maxdigits)
{
	int16		rev[12];
	int			n = 0,
				i;

	while (u > (uint128) PG_UINT64_MAX)
	{
		rev[n++] = (int16) (u % SPM_NBASE);
		u /= SPM_NBASE;
	}
	{
		uint64		s = (uint64) u;

		while (s > 0)
		{
			rev[n++] = (int16) (s % SPM_NBASE);
			s /= SPM_NBASE;
		}
	}
	Assert(n <= maxdigits);
	for (i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	return n;
}

/*
 * Build a numeric equal to v / 10^scale with display scale `scale`, in the
 * same canonical form numeric's own arithmetic produces (short header when
 * it fits, no leading or trailing zero digits).
 */
Datum
spm_fixed_to_numeric(int128 v, int scale)
{
	uint128		u = v < 0 ? -(uint128) v : (uint128) v;
	uint128		p,
				ip,
				fp;
	int16		digits[24];
	int			nint,
				nfrac,
				ndig,
				weight,
				start,
				i;
	bool		neg = v < 0;
	Numeric		result;
	Size		len;

	Assert(scale >= 0 && scale <= SPM_MAX_SCALE);
	nfrac = (scale + 3) / 4;
	if (u <= (uint128) PG_UINT64_MAX && scale <= 16)
	{
		/*
		 * Money-sized values: 64-bit division is several times cheaper than
		 * 128-bit, and the scaled fraction stays below 10^16.
		 */
		uint64		u64 = (uint64) u;
		uint64		p64 = (uint64) pow10_small[scale];
		uint64		f64 = (u64 % p64) * (uint64) pow10_small[4 * nfrac - scale];

		nint = nbase_digits(u64 / p64, digits, 10);
		for (i = nfrac - 1; i >= 0; i--)
		{
			digits[nint + i] = (int16) (f64 % SPM_NBASE);
			f64 /= SPM_NBASE;
		}
	}
	else
	{
		p = (uint128) spm_pow10(scale);
		ip = u / p;
		fp = u % p;

		nint = nbase_digits(ip, digits, 10);
		if (nfrac > 0)
		{
			fp *= (uint128) pow10_small[4 * nfrac - scale];
			for (i = nfrac - 1; i >= 0; i--)
			{
				digits[nint + i] = (int16) (fp % SPM_NBASE);
				fp /= SPM_NBASE;
			}
		}
	}
	ndig = nint + nfrac;
	weight = nint - 1;

	start = 0;
	while (start < ndig && digits[start] == 0)
	{
		start++;
		weight--;
	}
	while (ndig > start && digits[ndig - 1] == 0)
		ndig--;
	ndig -= start;
	if (ndig == 0)
	{
		weight = 0;
		neg = false;
	}

	if (scale <= SPM_SHORT_DSCALE_MAX && weight <= SPM_SHORT_WEIGHT_MAX &&
		weight >= SPM_SHORT_WEIGHT_MIN)
	{
		uint16		hdr;

		len = VARHDRSZ + sizeof(uint16) + ndig * sizeof(int16);
		result = (Numeric) palloc(len);
		SET_VARSIZE(result, len);
		hdr = SPM_NUMERIC_SHORT |
			(neg ? SPM_SHORT_SIGN_MASK : 0) |
			(scale << SPM_SHORT_DSCALE_SHIFT) |
			(weight < 0 ? SPM_SHORT_WEIGHT_SIGN_MASK : 0) |
			(weight & SPM_SHORT_WEIGHT_MASK);
		memcpy(VARDATA(result), &hdr, sizeof(uint16));
		memcpy(VARDATA(result) + sizeof(uint16), digits + start, ndig * sizeof(int16));
	}
	else
	{
		uint16		sd = (neg ? SPM_NUMERIC_NEG : 0) | (scale & SPM_DSCALE_MASK);
		int16		w = (int16) weight;

		len = VARHDRSZ + 2 * sizeof(uint16) + ndig * sizeof(int16);
		result = (Numeric) palloc(len);
		SET_VARSIZE(result, len);
		memcpy(VARDATA(result), &sd, sizeof(uint16));
		memcpy(VARDATA(result) + sizeof(uint16), &w, sizeof(int16));
		memcpy(VARDATA(result) + 2 * sizeof(uint16), digits + start, ndig * sizeof(int16));
	}
	return NumericGetDatum(result);
}

/* Append v / 10^scale as plain decimal text ("-12.50"). */
void
spm_append_fixed(StringInfo buf, int128 v, int scale)
{
	char		tmp[48];
	int			n = 0;
	uint128		u = v < 0 ? -(uint128) v : (uint128) v;

	do
	{
		tmp[n++] = '0' + (int) (u % 10);
		u /= 10;
	} while (u > 0);
	while (n <= scale)
		tmp[n++] = '0';
	if (v < 0)
		appendStringInfoChar(buf, '-');
	while (n > 0)
	{
		if (n == scale)
			appendStringInfoChar(buf, '.');
		appendStringInfoChar(buf, tmp[--n]);
	}
}

char *
spm_fixed_to_cstring(int128 v, int scale)
{
	StringInfoData buf;

	initStringInfo(&buf);
	spm_append_fixed(&buf, v, scale);
	return buf.data;
}

/*
 * The wire form of an int128 in spm's binary formats (schedule send/recv,
 * the aggregate's serialized state): high then low 64 bits, big-endian.
 */
void
spm_send_int128(StringInfo buf, int128 v)
{
	pq_sendint64(buf, (int64) (v >> 64));
	pq_sendint64(buf, (int64) (uint64) v);
}

int128
spm_recv_int128(StringInfo buf)
{
	int64		hi = pq_getmsgint64(buf);
	uint64		lo = (uint64) pq_getmsgint64(buf);

	return (int128) (((uint128) (uint64) hi << 64) | lo);
}
