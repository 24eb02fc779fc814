/*
 * fixed.h — exact fixed-point decimals in int128, and their conversion to
 * and from PostgreSQL numeric.
 *
 * A Fixed is an integer v and a scale s meaning v / 10^s.  All money
 * arithmetic in spm runs on these: no floating point, no palloc, and every
 * operation that could overflow is checked and reported as SQLSTATE 22003.
 */
#ifndef SPM_FIXED_H
#define SPM_FIXED_H

#include "postgres.h"
#include "lib/stringinfo.h"
#include "utils/numeric.h"

/* Largest scale spm accepts anywhere (amounts, parameters, results). */
#define SPM_MAX_SCALE 30

typedef struct Fixed
{
	int128		v;
	int32		scale;
} Fixed;

/* int128's largest value (PostgreSQL 15 has no PG_INT128_MAX) */
#define SPM_INT128_MAX	((int128) ((((uint128) 1) << 127) - 1))

extern int128 spm_pow10(int k);
extern int128 spm_pow10_checked(int k);
/* results of spm_numeric_decode_try */
#define SPM_DECODE_OK			0
#define SPM_DECODE_NONFINITE	1	/* NaN, +-Infinity */
#define SPM_DECODE_RANGE		2	/* beyond int128 or SPM_MAX_SCALE places */

extern int	spm_numeric_decode_try(Datum d, Fixed *out);
extern bool spm_numeric_decode_arg(Datum d, Fixed *out, const char *fn,
								   const char *what, int elem);
extern Fixed spm_numeric_arg(Datum d, const char *fn, const char *what);
extern Datum spm_fixed_to_numeric(int128 v, int scale);
extern int128 spm_rescale(int128 v, int from, int to);
extern int128 spm_add(int128 a, int128 b);
extern int128 spm_sub(int128 a, int128 b);
extern int128 spm_mul(int128 a, int128 b);
extern int128 spm_div_round(int128 num, int128 den);
extern int128 spm_muldiv_round(int128 a, int128 b, int128 c);
extern bool spm_mul_divmod(int128 a, int128 b, int128 c, int128 *q, int128 *r);
extern Fixed spm_normalize(Fixed f);
extern char *spm_fixed_to_cstring(int128 v, int scale);
extern void spm_append_fixed(StringInfo buf, int128 v, int scale);
extern void spm_report_overflow(void) pg_attribute_noreturn();
extern void spm_report_arg_overflow(const char *fn, const char *what, int elem) pg_attribute_noreturn();
extern void spm_send_int128(StringInfo buf, int128 v);
extern int128 spm_recv_int128(StringInfo buf);

/*
 * A numeric datum as v / 10^scale; false for NaN and infinities.  Out of
 * range is 22003 with the unnamed message: callers that can name the
 * argument use spm_numeric_decode_arg.
 */
static inline bool
spm_numeric_decode(Datum d, Fixed *out)
{
	return spm_numeric_decode_arg(d, out, NULL, NULL, 0);
}

/* A numeric argument that must be finite, named in its errors. */
static inline Fixed
spm_numeric_to_fixed(Datum d, const char *what)
{
	return spm_numeric_arg(d, NULL, what);
}

#endif
