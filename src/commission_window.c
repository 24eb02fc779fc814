/*
 * commission_window.c — spm.commission_increment(amount, s [, quota]) OVER w.
 *
 * A true window function: it reads only the current row and keeps, per
 * partition, the running total C and the last E(C).  Each row returns
 * E(C_i) - E(C_{i-1}); the increments therefore telescope to exactly
 * E(total), row by row even among ORDER BY peers, and a credit note
 * reverses commission at the marginal rate it undoes.  State is O(1) per
 * partition; a row costs a decode, a few 128-bit operations and the
 * result's numeric.
 */
#include "postgres.h"

#include "utils/memutils.h"
#include "windowapi.h"

#include "commission.h"

PG_FUNCTION_INFO_V1(spm_commission_increment);

#define FN "spm.commission_increment"

typedef struct IncrementState
{
	bool		init;			/* evaluator prepared */
	int128		csum;			/* running total, at ev.xin_scale */
	int128		prev;			/* E(previous running total), at ev.sy */
	SpmEval		ev;
	SpmPlanArgs plan;
} IncrementState;

Datum
spm_commission_increment(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	IncrementState *st = WinGetPartitionLocalMemory(winobj, sizeof(IncrementState));
	MemoryContext pctx = GetMemoryChunkContext(st);
	bool		has_quota = PG_NARGS() > 2;
	bool		anull,
				snull,
				qnull = true;
	Datum		amount,
				sched,
				quota = (Datum) 0;
	Fixed		a;
	int128		e;

	amount = WinGetFuncArgCurrent(winobj, 0, &anull);
	if (!st->plan.set)
	{
		st->plan.has_quota = has_quota;
		st->plan.sched_const = spm_call_arg_is_const(fcinfo, 1);
		st->plan.quota_const = has_quota && spm_call_arg_is_const(fcinfo, 2);
	}
	if (!(st->plan.set && st->plan.sched_const && (!has_quota || st->plan.quota_const)))
	{
		sched = WinGetFuncArgCurrent(winobj, 1, &snull);
		if (has_quota)
			quota = WinGetFuncArgCurrent(winobj, 2, &qnull);
		spm_plan_args_check(&st->plan, FN, snull, sched, qnull, quota, pctx);
	}
	if (anull || spm_plan_args_give_null(&st->plan))
		PG_RETURN_NULL();

	if (!spm_numeric_decode_arg(amount, &a, FN, "amount", 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: amount must be a finite number, not NaN or infinity", FN)));
	if (!st->init || a.scale > st->ev.xin_scale)
	{
		/* first row, or a finer scale: (re)prepare and re-express state */
		int			oldx = st->init ? st->ev.xin_scale : a.scale;
		int			oldy = st->init ? st->ev.sy : 0;
		int			newx = Max(oldx, a.scale);

		if (st->init)
			pfree(st->ev.px);
		if (newx > SPM_MAX_SCALE)
			spm_report_overflow();
		spm_eval_init(&st->ev, st->plan.sched, newx,
					  has_quota ? &st->plan.quota : NULL, pctx);
		st->csum = spm_rescale(st->csum, oldx, newx);
		st->prev = spm_rescale(st->prev, oldy, st->ev.sy);
		st->init = true;
	}
	st->csum = spm_add(st->csum, spm_rescale(a.v, a.scale, st->ev.xin_scale));
	e = spm_eval_at(&st->ev, st->csum);
	a.v = spm_sub(e, st->prev);
	st->prev = e;
	PG_RETURN_DATUM(spm_fixed_to_numeric(a.v, st->ev.sy));
}
