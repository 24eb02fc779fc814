/*
 * draw.c — the draw rules of docs/draws.md, one period at a time.
 *
 * A draw ledger keeps one number per rep, the balance B the rep owes.  Each
 * period reads earned e, draw d, kind, recovery limit rho and forgive, pays
 * out, possibly tops up, recovers or forgives, and moves B; the identity
 * payout - earned = (B after - B before) + forgiven holds on every row.
 *
 * All arithmetic is exact int128 fixed point.  The ledger works at a scale
 * W large enough that rho * (p - d) is exact: W >= max(scale(e), scale(d))
 * + scale(rho), raised (and B re-expressed) when a row needs more.
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"

#include "draw.h"

/*
 * The kind argument: 'recoverable', 'non_recoverable' or 'advance', in any
 * letter case (as the tier modes of spm.tiers).  Compares the text in place
 * so that a row costs no allocation.
 */
SpmDrawKind
spm_draw_kind(const char *fn, bool isnull, Datum kind)
{
	text	   *t;
	const char *s;
	int			len;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: kind must not be NULL", fn),
				 errhint("kind must be 'recoverable', 'non_recoverable' or 'advance'.")));
	t = DatumGetTextPP(kind);
	s = VARDATA_ANY(t);
	len = VARSIZE_ANY_EXHDR(t);
	if (len == 11 && pg_strncasecmp(s, "recoverable", 11) == 0)
		return SPM_DRAW_RECOVERABLE;
	if (len == 15 && pg_strncasecmp(s, "non_recoverable", 15) == 0)
		return SPM_DRAW_NON_RECOVERABLE;
	if (len == 7 && pg_strncasecmp(s, "advance", 7) == 0)
		return SPM_DRAW_ADVANCE;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: unknown draw kind \"%s\"", fn, text_to_cstring(t)),
			 errhint("kind must be 'recoverable', 'non_recoverable' or 'advance'.")));
	pg_unreachable();
}

/* An amount (earned, draw): NULL counts as 0; NaN and infinities refused. */
Fixed
spm_draw_amount(const char *fn, const char *argname, bool isnull, Datum d)
{
	Fixed		f = {0, 0};

	if (!isnull && !spm_numeric_decode_arg(d, &f, fn, argname, 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must be a finite number, not NaN or infinity", fn, argname)));
	return f;
}

/*
 * The recovery limit: NULL means 1 (full recovery), otherwise a fraction in
 * [0,1].  Trailing zeros are stripped so 0.50 costs no more digits than 0.5.
 */
Fixed
spm_draw_rho(const char *fn, bool isnull, Datum d)
{
	Fixed		r = {1, 0};

	if (isnull)
		return r;
	r = spm_draw_amount(fn, "recovery_limit", false, d);
	if (r.v < 0 || r.v > spm_pow10(r.scale))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: recovery_limit must be between 0 and 1", fn),
				 errdetail("recovery_limit is %s.", spm_fixed_to_cstring(r.v, r.scale))));
	return spm_normalize(r);
}

/*
 * Decode one period's arguments in SQL order (earned, draw, kind
 * [, recovery_limit, forgive]); the 3-argument form means recovery limit 1
 * and no forgiveness.  Not strict: NULL earned and draw count as 0, NULL
 * recovery_limit as 1, NULL forgive as false.
 */
void
spm_draw_read(const char *fn, int nargs, const Datum *args, const bool *nulls,
			  SpmDrawInput *in)
{
	in->kind = spm_draw_kind(fn, nulls[SPM_DRAW_ARG_KIND], args[SPM_DRAW_ARG_KIND]);
	in->earned = spm_draw_amount(fn, "earned", nulls[SPM_DRAW_ARG_EARNED],
								 args[SPM_DRAW_ARG_EARNED]);
	in->draw = spm_draw_amount(fn, "draw", nulls[SPM_DRAW_ARG_DRAW],
							   args[SPM_DRAW_ARG_DRAW]);
	if (in->draw.v < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: draw must not be negative", fn),
				 errdetail("draw is %s.", spm_fixed_to_cstring(in->draw.v, in->draw.scale))));
	if (nargs > SPM_DRAW_ARG_FORGIVE)
	{
		in->rho = spm_draw_rho(fn, nulls[SPM_DRAW_ARG_RHO], args[SPM_DRAW_ARG_RHO]);
		in->forgive = !nulls[SPM_DRAW_ARG_FORGIVE] &&
			DatumGetBool(args[SPM_DRAW_ARG_FORGIVE]);
	}
	else
	{
		in->rho.v = 1;
		in->rho.scale = 0;
		in->forgive = false;
	}
}

/*
 * Line a period's inputs up with the ledger: raise the working scale when
 * this row needs more places for rho * (p - d) to be exact (re-expressing
 * B), then express earned and draw at it.  Returns the scale before, so a
 * caller holding other sums at the ledger's scale can re-express them too.
 */
int
spm_draw_fit(SpmDrawLedger *lg, SpmDrawInput *in)
{
	int			old = lg->scale;
	int			money = Max(in->earned.scale, in->draw.scale);
	int			need = money + in->rho.scale;

	lg->money_scale = Max(lg->money_scale, money);
	if (need > lg->scale)
	{
		if (need > SPM_MAX_SCALE)
			spm_report_overflow();
		lg->balance = spm_rescale(lg->balance, old, need);
		lg->scale = need;
	}
	in->earned.v = spm_rescale(in->earned.v, in->earned.scale, lg->scale);
	in->earned.scale = lg->scale;
	in->draw.v = spm_rescale(in->draw.v, in->draw.scale, lg->scale);
	in->draw.scale = lg->scale;
	return old;
}

/*
 * rho * x at the ledger's scale.  x carries at least scale(rho) trailing
 * zero places (spm_draw_fit made room), so the division is exact.
 */
static inline int128
rho_times(const Fixed *rho, int128 x)
{
	if (rho->scale == 0)
		return rho->v == 0 ? 0 : x;		/* normalized: 0 or 1 */
	Assert(x % spm_pow10(rho->scale) == 0);
	return spm_mul(rho->v, x / spm_pow10(rho->scale));
}

/*
 * The rules of docs/draws.md (Rules) for one period, literally.  Inputs are at the
 * ledger's scale (spm_draw_fit); so are the results.  This is the only
 * implementation of the rules: the window function, the simulation and the
 * calibration searches all run through it.
 */
void
spm_draw_step(SpmDrawLedger *lg, const SpmDrawInput *in, SpmDrawLine *out)
{
	int128		e = in->earned.v;
	int128		d = in->draw.v;
	int128		p = e > 0 ? e : 0;
	int128		n = e < 0 ? spm_sub(0, e) : 0;
	int128		b = lg->balance;
	int128		top = d > p ? d - p : 0;
	int128		cap;

	memset(out, 0, sizeof(*out));
	switch (in->kind)
	{
		case SPM_DRAW_RECOVERABLE:
			if (top > 0)
			{
				out->payout = d;	/* p + top */
				out->draw_paid = top;
				b = spm_add(b, spm_add(top, n));
			}
			else
			{
				b = spm_add(b, n);
				cap = rho_times(&in->rho, p - d);
				out->recovered = Min(b, cap);
				b -= out->recovered;
				out->payout = p - out->recovered;
			}
			break;
		case SPM_DRAW_NON_RECOVERABLE:
			out->draw_paid = top;
			out->forgiven = top;
			b = spm_add(b, n);
			out->payout = spm_add(p, top);
			if (top == 0)
			{
				cap = rho_times(&in->rho, p - d);
				out->recovered = Min(b, cap);
				b -= out->recovered;
				out->payout -= out->recovered;
			}
			break;
		case SPM_DRAW_ADVANCE:
			out->payout = spm_add(p, d);
			out->draw_paid = d;
			b = spm_add(b, spm_add(d, n));
			if (d == 0)
			{
				cap = rho_times(&in->rho, p);
				out->recovered = Min(b, cap);
				b -= out->recovered;
				out->payout -= out->recovered;
			}
			break;
	}
	if (in->forgive)
	{
		out->forgiven = spm_add(out->forgiven, b);
		b = 0;
	}
	lg->balance = b;
	out->balance = b;
}

/*
 * A result as numeric: v / 10^scale shown with at least min_scale places
 * (the money scale of the inputs) and more only where the exact value
 * needs them (a recovery limit of 0.5 can leave half cents).
 */
Datum
spm_draw_numeric(int128 v, int scale, int min_scale)
{
	while (scale > min_scale && v % 10 == 0)
	{
		v /= 10;
		scale--;
	}
	return spm_fixed_to_numeric(v, scale);
}

/*
 * The result row type (spm.draw_line or spm.draw_summary), looked up once
 * per query and kept in fn_extra: rows then cost no catalog access.
 */
TupleDesc
spm_draw_result_desc(FunctionCallInfo fcinfo)
{
	TupleDesc	td = (TupleDesc) fcinfo->flinfo->fn_extra;

	if (td == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);

		if (get_call_result_type(fcinfo, NULL, &td) != TYPEFUNC_COMPOSITE)
			elog(ERROR, "spm draw function called with a non-composite result type");
		td = BlessTupleDesc(CreateTupleDescCopy(td));
		MemoryContextSwitchTo(old);
		fcinfo->flinfo->fn_extra = td;
	}
	return td;
}
