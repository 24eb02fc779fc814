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

extern int128 spm_pow10(int k);
extern bool spm_numeric_decode(Datum d, Fixed *out);
extern Fixed spm_numeric_to_fixed(Datum d, const char *what);
extern Datum spm_fixed_to_numeric(int128 v, int scale);
extern int128 spm_rescale(int128 v, int from, int to);
extern int128 spm_add(int128 a, int128 b);
extern int128 spm_sub(int128 a, int128 b);
extern int128 spm_mul(int128 a, int128 b);
extern int128 spm_div_round(int128 num, int128 den);
extern Fixed spm_normalize(Fixed f);
extern char *spm_fixed_to_cstring(int128 v, int scale);
extern void spm_append_fixed(StringInfo buf, int128 v, int scale);
extern void spm_report_overflow(void) pg_attribute_noreturn();
extern void spm_send_int128(StringInfo buf, int128 v);
extern int128 spm_recv_int128(StringInfo buf);

#endif
