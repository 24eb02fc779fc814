/*
 * draw_calibrate.c — the draw level history says is affordable.
 *
 *   spm.draw_calibrate_budget(rep, earned, kind, recovery_limit, budget
 *                             [, balance_is_cost] ORDER BY rep, period)
 *       the largest draw, in cents, whose company cost per rep-period stays
 *       within budget;
 *   spm.draw_calibrate_coverage(earned, share)
 *       the smallest draw, in cents, that tops up at least `share` of the
 *       rep-periods.
 *
 * Both aggregates collect the history once, in the aggregate context
 * (earned as int128 at the largest scale seen, in arrays that double), and
 * answer in the final function.  The budget search replays every rep's
 * ledger through spm_draw_step, the rules of spm.draw_ledger, for each
 * candidate draw of a binary search over integer cents; the company cost
 * is non-decreasing in the draw (docs/draws.md gives the argument), so the
 * search is exact.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/typcache.h"

#include "commission.h"
#include "draw.h"

PG_FUNCTION_INFO_V1(spm_draw_calibrate_budget_trans);
PG_FUNCTION_INFO_V1(spm_draw_calibrate_budget_final);
PG_FUNCTION_INFO_V1(spm_draw_calibrate_coverage_trans);
PG_FUNCTION_INFO_V1(spm_draw_calibrate_coverage_final);

#define FN_BUDGET	"spm.draw_calibrate_budget"
#define FN_COVER	"spm.draw_calibrate_coverage"

/* aggregate argument positions (after the state) of the budget form */
#define B_REP		1
#define B_EARNED	2
#define B_KIND		3
#define B_RHO		4
#define B_BUDGET	5
#define B_BALCOST	6

/* Earned amounts of every period, in input order, at one scale. */
typedef struct History
{
	int128	   *v;
	int64		n;
	int64		cap;
	int32		scale;
} History;

typedef struct BudgetState
{
	History		h;
	int64	   *rep_start;		/* first row of each rep */
	int64		nreps;
	int64		rep_cap;
	/* the candidate and the target, fixed by the first row */
	SpmDrawKind kind;
	Fixed		rho;
	Fixed		budget;
	bool		balance_is_cost;
	bool		kind_const;
	bool		rho_const;
	bool		budget_const;
	bool		balcost_const;
	/* the rep of the previous row, and how to compare reps */
	Datum		rep;
	bool		rep_byval;
	int16		rep_len;
	Oid			collation;
	FmgrInfo	cmp;
} BudgetState;

typedef struct CoverageState
{
	History		h;				/* max(earned, 0) */
	Fixed		share;
	bool		share_const;
} CoverageState;

/* Append v / 10^scale, raising the scale of the whole history if needed. */
static void
history_push(MemoryContext ctx, History *h, Fixed f)
{
	if (h->n == h->cap)
	{
		int64		cap = h->cap == 0 ? 64 : 2 * h->cap;

		h->v = h->v == NULL
			? MemoryContextAllocHuge(ctx, cap * sizeof(int128))
			: repalloc_huge(h->v, cap * sizeof(int128));
		h->cap = cap;
	}
	if (f.scale > h->scale)
	{
		int64		i;

		for (i = 0; i < h->n; i++)
		{
			CHECK_FOR_INTERRUPTS();
			h->v[i] = spm_rescale(h->v[i], h->scale, f.scale);
		}
		h->scale = f.scale;
	}
	h->v[h->n++] = spm_rescale(f.v, f.scale, h->scale);
}

/* A parameter of the search (budget, share): not NULL, finite, in range. */
static Fixed
search_param(const char *fn, const char *argname, bool isnull, Datum d, bool is_share)
{
	Fixed		f;

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s must not be NULL", fn, argname)));
	f = spm_draw_amount(fn, argname, false, d);
	if (f.v < 0 || (is_share && f.v > spm_pow10(f.scale)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 is_share ? errmsg("%s: %s must be between 0 and 1", fn, argname)
				 : errmsg("%s: %s must not be negative", fn, argname),
				 errdetail("%s is %s.", argname, spm_fixed_to_cstring(f.v, f.scale))));
	return spm_normalize(f);
}

/*
 * The candidate draw and the target describe the whole calibration; a
 * value changing between rows is a mistake in the query, not data.
 */
static void
report_not_constant(const char *fn, const char *argname) pg_attribute_noreturn();

static void
report_not_constant(const char *fn, const char *argname)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: %s must be the same on every row", fn, argname),
			 errhint("A calibration asks about one candidate draw; run one query per candidate.")));
}

/* Same value written the same way (inputs are normalized first). */
static bool
fixed_eq(Fixed a, Fixed b)
{
	return a.v == b.v && a.scale == b.scale;
}

/*
 * First row of the budget aggregate: fix the candidate (kind, recovery
 * limit), the budget and the cost rule, and look up how to compare reps.
 */
static BudgetState *
budget_start(FunctionCallInfo fcinfo, MemoryContext ctx)
{
	BudgetState *st = MemoryContextAllocZero(ctx, sizeof(BudgetState));
	Oid			rep_type = get_fn_expr_argtype(fcinfo->flinfo, B_REP);
	TypeCacheEntry *tc;

	if (!OidIsValid(rep_type))
		elog(ERROR, "%s: could not determine the type of rep", FN_BUDGET);
	tc = lookup_type_cache(rep_type, TYPECACHE_CMP_PROC_FINFO);
	if (!OidIsValid(tc->cmp_proc_finfo.fn_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("%s: rep of type %s has no default ordering", FN_BUDGET,
						format_type_be(rep_type)),
				 errhint("Pass a rep key that can be sorted, such as an id or a name.")));
	fmgr_info_copy(&st->cmp, &tc->cmp_proc_finfo, ctx);
	st->rep_byval = tc->typbyval;
	st->rep_len = tc->typlen;
	st->collation = PG_GET_COLLATION();

	st->kind = spm_draw_kind(FN_BUDGET, PG_ARGISNULL(B_KIND), PG_GETARG_DATUM(B_KIND));
	st->rho = spm_draw_rho(FN_BUDGET, PG_ARGISNULL(B_RHO), PG_GETARG_DATUM(B_RHO));
	st->budget = search_param(FN_BUDGET, "budget", PG_ARGISNULL(B_BUDGET),
							  PG_GETARG_DATUM(B_BUDGET), false);
	st->balance_is_cost = true;
	if (PG_NARGS() > B_BALCOST)
	{
		if (PG_ARGISNULL(B_BALCOST))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: balance_is_cost must not be NULL", FN_BUDGET)));
		st->balance_is_cost = PG_GETARG_BOOL(B_BALCOST);
	}
	if (!st->balance_is_cost && st->kind != SPM_DRAW_NON_RECOVERABLE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: %s draws cost nothing unless outstanding balances count as cost",
						FN_BUDGET, st->kind == SPM_DRAW_ADVANCE ? "advance" : "recoverable"),
				 errhint("Pass balance_is_cost true, or calibrate a non_recoverable draw.")));

	st->kind_const = spm_call_arg_is_const(fcinfo, B_KIND - 1);
	st->rho_const = spm_call_arg_is_const(fcinfo, B_RHO - 1);
	st->budget_const = spm_call_arg_is_const(fcinfo, B_BUDGET - 1);
	st->balcost_const = PG_NARGS() <= B_BALCOST || spm_call_arg_is_const(fcinfo, B_BALCOST - 1);
	return st;
}

/* Later rows: the candidate and the target must not change. */
static void
budget_check_constants(FunctionCallInfo fcinfo, const BudgetState *st)
{
	if (!st->kind_const &&
		spm_draw_kind(FN_BUDGET, PG_ARGISNULL(B_KIND), PG_GETARG_DATUM(B_KIND)) != st->kind)
		report_not_constant(FN_BUDGET, "kind");
	if (!st->rho_const &&
		!fixed_eq(spm_draw_rho(FN_BUDGET, PG_ARGISNULL(B_RHO), PG_GETARG_DATUM(B_RHO)), st->rho))
		report_not_constant(FN_BUDGET, "recovery_limit");
	if (!st->budget_const &&
		!fixed_eq(search_param(FN_BUDGET, "budget", PG_ARGISNULL(B_BUDGET),
							   PG_GETARG_DATUM(B_BUDGET), false), st->budget))
		report_not_constant(FN_BUDGET, "budget");
	if (!st->balcost_const &&
		(PG_ARGISNULL(B_BALCOST) || PG_GETARG_BOOL(B_BALCOST) != st->balance_is_cost))
		report_not_constant(FN_BUDGET, "balance_is_cost");
}

/*
 * Note the row's rep: a new rep starts a new ledger.  Reps must arrive in
 * ascending order (ORDER BY rep, period), which also catches a call that
 * orders by period alone and would interleave the reps' ledgers.
 */
static void
budget_note_rep(FunctionCallInfo fcinfo, MemoryContext ctx, BudgetState *st)
{
	Datum		rep;
	MemoryContext old;

	if (PG_ARGISNULL(B_REP))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: rep must not be NULL", FN_BUDGET)));
	rep = PG_GETARG_DATUM(B_REP);
	if (st->nreps > 0)
	{
		int32		c = DatumGetInt32(FunctionCall2Coll(&st->cmp, st->collation, rep, st->rep));

		if (c == 0)
			return;
		if (c < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: rows must be ordered by rep, then period", FN_BUDGET),
					 errhint("Write ORDER BY rep, period inside the aggregate call.")));
	}
	if (st->nreps == st->rep_cap)
	{
		int64		cap = st->rep_cap == 0 ? 16 : 2 * st->rep_cap;

		st->rep_start = st->rep_start == NULL
			? MemoryContextAllocHuge(ctx, cap * sizeof(int64))
			: repalloc_huge(st->rep_start, cap * sizeof(int64));
		st->rep_cap = cap;
	}
	st->rep_start[st->nreps++] = st->h.n;
	if (!st->rep_byval && st->nreps > 1)
		pfree(DatumGetPointer(st->rep));
	old = MemoryContextSwitchTo(ctx);
	st->rep = datumCopy(rep, st->rep_byval, st->rep_len);
	MemoryContextSwitchTo(old);
}

/*
 * Transition: (state, rep, earned, kind, recovery_limit, budget
 * [, balance_is_cost]).  Not strict: NULL earned counts as 0.
 */
Datum
spm_draw_calibrate_budget_trans(PG_FUNCTION_ARGS)
{
	MemoryContext ctx;
	BudgetState *st;

	if (!AggCheckCallContext(fcinfo, &ctx))
		elog(ERROR, "spm_draw_calibrate_budget_trans called in non-aggregate context");
	if (PG_ARGISNULL(0))
		st = budget_start(fcinfo, ctx);
	else
	{
		st = (BudgetState *) PG_GETARG_POINTER(0);
		budget_check_constants(fcinfo, st);
	}
	budget_note_rep(fcinfo, ctx, st);
	history_push(ctx, &st->h, spm_draw_amount(FN_BUDGET, "earned", PG_ARGISNULL(B_EARNED),
											  PG_GETARG_DATUM(B_EARNED)));
	PG_RETURN_POINTER(st);
}

/*
 * Does drawing d (at scale w) every period keep the company's cost within
 * limit?  Replays each rep's ledger from zero; cost is what was forgiven
 * plus, when balances count, what is still owed at the end.  Stops as soon
 * as the running cost passes the limit (it only grows).
 */
static bool
within_budget(const BudgetState *st, const int128 *earned, int w, int128 d, int128 limit)
{
	SpmDrawInput in;
	SpmDrawLine line;
	int128		cost = 0;
	int64		r;

	in.kind = st->kind;
	in.earned.scale = w;
	in.draw.v = d;
	in.draw.scale = w;
	in.rho = st->rho;
	in.forgive = false;
	for (r = 0; r < st->nreps; r++)
	{
		SpmDrawLedger lg = {0, w, 0};
		int64		end = r + 1 < st->nreps ? st->rep_start[r + 1] : st->h.n;
		int64		i;

		for (i = st->rep_start[r]; i < end; i++)
		{
			CHECK_FOR_INTERRUPTS();
			in.earned.v = earned[i];
			spm_draw_step(&lg, &in, &line);
			cost = spm_add(cost, line.forgiven);
		}
		if (st->balance_is_cost)
			cost = spm_add(cost, lg.balance);
		if (cost > limit)
			return false;
	}
	return true;
}

/*
 * Final: the largest draw in cents whose cost is at most budget times the
 * number of rep-periods, or NULL when even no draw at all costs more.
 * Binary search between 0 (affordable) and a draw proven unaffordable.
 */
Datum
spm_draw_calibrate_budget_final(PG_FUNCTION_ARGS)
{
	BudgetState *st;
	int			w;
	int128	   *earned;
	int128		cent,
				limit,
				sum_p = 0,
				lo,
				hi;
	int64		i;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "spm_draw_calibrate_budget_final called in non-aggregate context");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (BudgetState *) PG_GETARG_POINTER(0);

	/* working scale: cents, earned and budget exact, times rho exact */
	w = Max(Max(st->h.scale, st->budget.scale), 2) + st->rho.scale;
	if (w > SPM_MAX_SCALE)
		spm_report_overflow();
	cent = spm_pow10(w - 2);
	earned = palloc_extended(st->h.n * sizeof(int128), MCXT_ALLOC_HUGE);
	for (i = 0; i < st->h.n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		earned[i] = spm_rescale(st->h.v[i], st->h.scale, w);
		if (earned[i] > 0)
			sum_p = spm_add(sum_p, earned[i]);
	}
	limit = spm_mul(spm_rescale(st->budget.v, st->budget.scale, w), st->h.n);

	if (!within_budget(st, earned, w, 0, limit))
		PG_RETURN_NULL();

	/*
	 * Every payout is at least the draw, so cost >= n*d - sum(earned) >=
	 * n*d - sum(max(earned, 0)): any draw above budget + sum_p / n costs more
	 * than the budget.  hi is the first cent amount above that bound.
	 */
	lo = 0;
	hi = spm_add(limit, sum_p) / spm_mul(st->h.n, cent) + 1;
	while (hi - lo > 1)
	{
		int128		mid = lo + (hi - lo) / 2;

		CHECK_FOR_INTERRUPTS();
		if (within_budget(st, earned, w, spm_mul(mid, cent), limit))
			lo = mid;
		else
			hi = mid;
	}
	pfree(earned);
	PG_RETURN_DATUM(spm_fixed_to_numeric(lo, 2));
}

/* Transition: (state, earned, share).  Not strict: NULL earned counts as 0. */
Datum
spm_draw_calibrate_coverage_trans(PG_FUNCTION_ARGS)
{
	MemoryContext ctx;
	CoverageState *st;
	Fixed		share,
				e;

	if (!AggCheckCallContext(fcinfo, &ctx))
		elog(ERROR, "spm_draw_calibrate_coverage_trans called in non-aggregate context");
	if (PG_ARGISNULL(0))
	{
		st = MemoryContextAllocZero(ctx, sizeof(CoverageState));
		st->share = search_param(FN_COVER, "share", PG_ARGISNULL(2), PG_GETARG_DATUM(2), true);
		st->share_const = spm_call_arg_is_const(fcinfo, 1);
	}
	else
	{
		st = (CoverageState *) PG_GETARG_POINTER(0);
		if (!st->share_const)
		{
			share = search_param(FN_COVER, "share", PG_ARGISNULL(2), PG_GETARG_DATUM(2), true);
			if (!fixed_eq(share, st->share))
				report_not_constant(FN_COVER, "share");
		}
	}
	e = spm_draw_amount(FN_COVER, "earned", PG_ARGISNULL(1), PG_GETARG_DATUM(1));
	if (e.v < 0)
		e.v = 0;
	history_push(ctx, &st->h, e);
	PG_RETURN_POINTER(st);
}

/* qsort order of int128 earnings (no subtraction: it could overflow int). */
static int
cmp_int128(const void *a, const void *b)
{
	int128		x = *(const int128 *) a;
	int128		y = *(const int128 *) b;

	return x < y ? -1 : x > y;
}

/*
 * Final: the smallest cent amount D with at least ceil(share * n) periods
 * earning less than D (topped up by a draw of D).  That is one cent above
 * the k-th smallest earning rounded down to the cent; share 0 gives 0.
 */
Datum
spm_draw_calibrate_coverage_final(PG_FUNCTION_ARGS)
{
	CoverageState *st;
	int128		den,
				k,
				pk;
	int128	   *sorted;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "spm_draw_calibrate_coverage_final called in non-aggregate context");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (CoverageState *) PG_GETARG_POINTER(0);

	den = spm_pow10(st->share.scale);
	k = (spm_mul(st->share.v, st->h.n) + den - 1) / den;
	if (k == 0)
		PG_RETURN_DATUM(spm_fixed_to_numeric(0, 2));

	sorted = palloc_extended(st->h.n * sizeof(int128), MCXT_ALLOC_HUGE);
	memcpy(sorted, st->h.v, st->h.n * sizeof(int128));
	qsort(sorted, st->h.n, sizeof(int128), cmp_int128);
	pk = sorted[k - 1];
	pfree(sorted);
	if (st->h.scale >= 2)
		pk /= spm_pow10(st->h.scale - 2);	/* >= 0: truncation is floor */
	else
		pk = spm_mul(pk, spm_pow10(2 - st->h.scale));
	PG_RETURN_DATUM(spm_fixed_to_numeric(spm_add(pk, 1), 2));
}
