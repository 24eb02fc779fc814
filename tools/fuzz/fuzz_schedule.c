/*
 * fuzz_schedule.c — libFuzzer target for spm's schedule inputs and the
 * int128 kernels behind them, linked against the real sources
 * (src/schedule_io.c, schedule_build.c, eval.c, and fixed.c, included here
 * so its static 256-bit helpers can be checked) and tools/fuzz/pg_stub.c.
 *
 * The first byte of an input picks what the rest is:
 *   0  schedule text (spm_schedule_in)
 *   1  schedule binary send form (spm_schedule_recv)
 *   2  three int128s for spm_muldiv_round / spm_mul_divmod
 *   3  a schedule text, then x and quota for evaluation
 *
 * A finding is: a crash or sanitizer report; an ERROR with SQLSTATE XX000
 * (elog, i.e. a can't-happen reached from user input); or a broken
 * property:
 *   - text accepted -> output -> input gives the same bytes;
 *   - binary accepted -> text -> text input accepts it, same bytes
 *     (binary input accepts exactly what text input accepts);
 *   - send -> recv gives the same bytes;
 *   - q*c + r == a*b and 0 <= r < c for the 256-bit division;
 *   - a rounded quotient differs from a*b/c by at most one half.
 */
#include "postgres.h"

#include <setjmp.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/errcodes.h"

#include "schedule.h"
#include "pg_stub.h"

/* fixed.c's static helpers are part of what is under test */
#include "../../src/fixed.c"

extern Datum spm_schedule_in(PG_FUNCTION_ARGS);
extern Datum spm_schedule_recv(PG_FUNCTION_ARGS);
extern Datum spm_schedule_send(PG_FUNCTION_ARGS);

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
finding(const char *what)
{
	fprintf(stderr, "fuzz_schedule: %s (last error: %s)\n", what, stub_last_message);
	abort();
}

/* Call a one-argument fmgr function directly. */
static Datum
call1(PGFunction fn, Datum arg)
{
	LOCAL_FCINFO(fcinfo, 1);

	InitFunctionCallInfoData(*fcinfo, NULL, 1, InvalidOid, NULL, NULL);
	fcinfo->args[0].value = arg;
	fcinfo->args[0].isnull = false;
	return fn(fcinfo);
}

static bool
same_schedule(const SpmSchedule *a, const SpmSchedule *b)
{
	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

/* send -> recv must give the same bytes; text -> in as well. */
static void
check_round_trips(SpmSchedule *s)
{
	bytea	   *wire = DatumGetByteaP(call1(spm_schedule_send, PointerGetDatum(s)));
	StringInfoData buf;
	SpmSchedule *again;
	char	   *txt;

	buf.data = VARDATA(wire);
	buf.len = VARSIZE(wire) - VARHDRSZ;
	buf.maxlen = buf.len;
	buf.cursor = 0;
	again = (SpmSchedule *) DatumGetPointer(call1(spm_schedule_recv, PointerGetDatum(&buf)));
	if (!same_schedule(s, again))
		finding("send -> recv changed the value");
	txt = spm_schedule_to_cstring(s);
	again = (SpmSchedule *) DatumGetPointer(call1(spm_schedule_in, CStringGetDatum(txt)));
	if (!same_schedule(s, again))
		finding("output -> text input changed the value");
}

/* a * b as 256 bits, compared with q * c + r. */
static void
check_divmod(int128 a, int128 b, int128 c)
{
	int128		q,
				r;
	uint128		h1,
				l1,
				h2,
				l2;

	if (a < 0 || b < 0 || c <= 0)
		return;
	if (!spm_mul_divmod(a, b, c, &q, &r))
	{
		/* only allowed when the quotient really exceeds int128 */
		umul_256((uint128) a, (uint128) b, &h1, &l1);
		if (h1 < (uint128) c && udiv_256(h1, l1, (uint128) c, &l2) <= (uint128) SPM_INT128_MAX)
			finding("spm_mul_divmod refused a quotient that fits");
		return;
	}
	if (r < 0 || r >= c || q < 0)
		finding("spm_mul_divmod: remainder out of [0, c)");
	umul_256((uint128) a, (uint128) b, &h1, &l1);
	umul_256((uint128) q, (uint128) c, &h2, &l2);
	l2 += (uint128) r;
	if (l2 < (uint128) r)
		h2++;
	if (h1 != h2 || l1 != l2)
		finding("spm_mul_divmod: q * c + r != a * b");
}

/*
 * |a*b/c - q| <= 1/2, i.e. |a*b - q*c| <= |c|/2, checked in 256 bits on
 * magnitudes (signs are checked separately).
 */
static void
check_muldiv(int128 a, int128 b, int128 c)
{
	int128		q;
	uint128		ua = uabs128(a),
				ub = uabs128(b),
				uc = uabs128(c),
				uq,
				h1,
				l1,
				h2,
				l2,
				dh,
				dl;
	bool		neg;

	if (c == 0)
		return;
	q = spm_muldiv_round(a, b, c);	/* may raise 22003: fine */
	neg = ((a < 0) != (b < 0)) != (c < 0);
	if (q != 0 && (q < 0) != neg && !(a == 0 || b == 0))
		finding("spm_muldiv_round: wrong sign");
	uq = uabs128(q);
	umul_256(ua, ub, &h1, &l1);
	umul_256(uq, uc, &h2, &l2);
	/* d = |(h1,l1) - (h2,l2)| */
	if (h1 > h2 || (h1 == h2 && l1 >= l2))
	{
		dh = h1 - h2 - (l1 < l2);
		dl = l1 - l2;
	}
	else
	{
		dh = h2 - h1 - (l2 < l1);
		dl = l2 - l1;
	}
	/* 2d <= uc */
	if (dh != 0 || (dl >> 127) != 0 || (dl << 1) > uc)
		finding("spm_muldiv_round: result more than one half away");
}

static int128
read_int128(const uint8_t *p)
{
	uint128		u = 0;
	int			i;

	for (i = 0; i < 16; i++)
		u = (u << 8) | p[i];
	return (int128) u;
}

static void
one_input(const uint8_t *data, size_t size)
{
	uint8_t		mode = data[0] % 4;

	data++;
	size--;
	switch (mode)
	{
		case 0:
		case 3:
			{
				char	   *str = palloc(size + 1);
				SpmSchedule *s;
				char	   *nul;

				memcpy(str, data, size);
				str[size] = '\0';
				nul = memchr(str, '\0', size + 1);
				/* mode 3: text, NUL, then x (int128, scale byte) and quota */
				s = (SpmSchedule *) DatumGetPointer(call1(spm_schedule_in, CStringGetDatum(str)));
				check_round_trips(s);
				if (mode == 3 && (size_t) (nul - str) + 1 + 34 <= size)
				{
					const uint8_t *p = data + (nul - str) + 1;
					Fixed		x = {read_int128(p), p[16] % (SPM_MAX_SCALE + 1)};
					Fixed		q = {read_int128(p + 17), p[33] % (SPM_MAX_SCALE + 1)};

					(void) spm_apply_fixed(s, x, NULL);
					if (q.v > 0)
						(void) spm_apply_fixed(s, x, &q);
				}
				break;
			}
		case 1:
			{
				StringInfoData buf;
				SpmSchedule *s;

				buf.data = palloc(size + 1);
				memcpy(buf.data, data, size);
				buf.data[size] = '\0';
				buf.len = (int) size;
				buf.maxlen = (int) size + 1;
				buf.cursor = 0;
				s = (SpmSchedule *) DatumGetPointer(call1(spm_schedule_recv, PointerGetDatum(&buf)));
				/* whatever binary accepts, text must accept identically */
				check_round_trips(s);
				break;
			}
		case 2:
			if (size >= 48)
			{
				int128		a = read_int128(data),
							b = read_int128(data + 16),
							c = read_int128(data + 32);

				check_divmod(a, b, c);
				check_divmod(uabs128(a) >> 1, uabs128(b) >> 1, uabs128(c) >> 1);
				check_muldiv(a, b, c);
			}
			break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sigjmp_buf	jb;
	char		base;

	if (size < 1)
		return 0;
	stub_stack_base = &base;
	stub_catch = &jb;
	if (sigsetjmp(jb, 0) == 0)
		one_input(data, size);
	else if (stub_last_sqlstate == ERRCODE_INTERNAL_ERROR)
		finding("ERROR with SQLSTATE XX000 (elog) from user input");
	stub_catch = NULL;
	stub_reset_memory();
	return 0;
}
