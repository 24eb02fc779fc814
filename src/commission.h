/*
 * commission.h — what the commission aggregate and window function share:
 * the rule that a group or partition has one schedule and one quota.
 */
#ifndef SPM_COMMISSION_H
#define SPM_COMMISSION_H

#include "postgres.h"
#include "fmgr.h"

#include "schedule.h"

/*
 * The schedule and quota a group is computed under, fixed by its first row
 * and compared with every later row (skipped when the argument is a
 * constant in the query).
 */
typedef struct SpmPlanArgs
{
	bool		set;			/* first row seen */
	bool		has_quota;		/* 3-argument form */
	bool		sched_const;	/* schedule argument is a Const */
	bool		quota_const;	/* quota argument is a Const */
	bool		sched_null;
	bool		quota_null;
	bool		quota_zero;		/* quota 0: result NULL */
	SpmSchedule *sched;			/* copy, in the group's memory context */
	Fixed		quota;
} SpmPlanArgs;

extern bool spm_call_arg_is_const(FunctionCallInfo fcinfo, int argno);
extern void spm_plan_args_check(SpmPlanArgs *pa, const char *fn,
								bool sched_null, Datum sched,
								bool quota_null, Datum quota,
								MemoryContext mcxt);
extern void spm_plan_args_merge(SpmPlanArgs *into, const SpmPlanArgs *from,
								const char *fn, MemoryContext mcxt);
extern bool spm_plan_args_give_null(const SpmPlanArgs *pa);

/*
 * The transition state of spm.commission, shared by every amount type's
 * overload (commission_agg.c, commission_types.c) so that they all use the
 * same final, combine, serialize and deserialize functions.
 */
typedef struct CommissionState
{
	int128		sum;			/* sum of amounts, at `scale` */
	int32		scale;
	int64		count;			/* non-NULL amounts */
	SpmPlanArgs plan;
} CommissionState;

extern CommissionState *spm_commission_begin(FunctionCallInfo fcinfo);

/*
 * Add a (v, scale) amount to the sum (not to the count), raising the
 * state's scale when needed.  Inline: it runs once per row of every
 * overload.
 */
static inline void
spm_commission_add(CommissionState *st, int128 v, int scale)
{
	if (scale > st->scale)
	{
		st->sum = spm_rescale(st->sum, st->scale, scale);
		st->scale = scale;
	}
	else if (scale < st->scale)
		v = spm_rescale(v, scale, st->scale);
	if (unlikely(__builtin_add_overflow(st->sum, v, &st->sum)))
		spm_report_overflow();
}

#endif
