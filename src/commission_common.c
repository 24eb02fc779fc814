/*
 * commission_common.c — one schedule and one quota per group.
 *
 * docs/commission.md (Rules) requires the schedule and quota to be the same on every row of a
 * group or partition.  The first row fixes them; later rows are compared
 * byte for byte (a schedule's bytes are unique per meaning) without
 * detoasting or allocating.  When the argument is a constant in the query
 * the comparison is skipped altogether.
 */
#include "postgres.h"

#include "nodes/primnodes.h"
#include "nodes/pg_list.h"

#include "commission.h"

/*
 * Is argument argno of this aggregate or window call a plain constant?
 * Then every row carries the same value and need not be compared.
 */
bool
spm_call_arg_is_const(FunctionCallInfo fcinfo, int argno)
{
	Node	   *expr = NULL;
	Aggref	   *aggref = AggGetAggref(fcinfo);

	if (aggref != NULL)
	{
		if (argno < list_length(aggref->args))
			expr = (Node *) ((TargetEntry *) list_nth(aggref->args, argno))->expr;
	}
	else if (fcinfo->flinfo && fcinfo->flinfo->fn_expr &&
			 IsA(fcinfo->flinfo->fn_expr, WindowFunc))
	{
		WindowFunc *wf = (WindowFunc *) fcinfo->flinfo->fn_expr;

		if (argno < list_length(wf->args))
			expr = (Node *) list_nth(wf->args, argno);
	}
	return expr != NULL && IsA(expr, Const);
}

static bool
schedule_matches(const SpmSchedule *stored, Datum d)
{
	struct varlena *p = (struct varlena *) DatumGetPointer(d);
	bool		eq;

	if (VARATT_IS_EXTERNAL(p) || VARATT_IS_COMPRESSED(p))
	{
		struct varlena *q = pg_detoast_datum(p);

		eq = VARSIZE(q) == VARSIZE(stored) && memcmp(q, stored, VARSIZE(q)) == 0;
		pfree(q);
		return eq;
	}
	return VARSIZE_ANY_EXHDR(p) == VARSIZE(stored) - VARHDRSZ &&
		memcmp(VARDATA_ANY(p), VARDATA(stored), VARSIZE(stored) - VARHDRSZ) == 0;
}

static void
report_mixed(const char *fn, const char *what) pg_attribute_noreturn();

static void
report_mixed(const char *fn, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: the %s must be the same on every row of a group or partition", fn, what),
			 errhint("Group or partition by the plan so that each group has one schedule and one quota.")));
}

/*
 * Record (first row) or compare (later rows) the schedule and quota.
 * Decoding the quota checks it too: negative or non-finite is an error.
 */
void
spm_plan_args_check(SpmPlanArgs *pa, const char *fn,
					bool sched_null, Datum sched,
					bool quota_null, Datum quota, MemoryContext mcxt)
{
	if (!pa->set)
	{
		pa->set = true;
		pa->sched_null = sched_null;
		if (!sched_null)
		{
			SpmSchedule *s = DatumGetSpmSchedule(sched);

			if (pa->sched_const && (Pointer) s == DatumGetPointer(sched))
				pa->sched = s;	/* the query's constant outlives the group */
			else
			{
				pa->sched = MemoryContextAlloc(mcxt, VARSIZE(s));
				memcpy(pa->sched, s, VARSIZE(s));
			}
		}
		if (pa->has_quota)
		{
			pa->quota_null = quota_null;
			if (!quota_null)
				pa->quota_zero = !spm_quota_arg(quota, fn, &pa->quota);
		}
		return;
	}
	if (!pa->sched_const)
	{
		if (sched_null != pa->sched_null ||
			(!sched_null && !schedule_matches(pa->sched, sched)))
			report_mixed(fn, "schedule");
	}
	if (pa->has_quota && !pa->quota_const)
	{
		Fixed		q;

		if (quota_null != pa->quota_null)
			report_mixed(fn, "quota");
		if (!quota_null)
		{
			bool		nonzero = spm_quota_arg(quota, fn, &q);

			if (nonzero == pa->quota_zero ||
				(nonzero && (q.v != pa->quota.v || q.scale != pa->quota.scale)))
				report_mixed(fn, "quota");
		}
	}
}

/* Combine step of the parallel aggregate: both halves must agree. */
void
spm_plan_args_merge(SpmPlanArgs *into, const SpmPlanArgs *from,
					const char *fn, MemoryContext mcxt)
{
	if (!from->set)
		return;
	if (!into->set)
	{
		bool		has_quota = into->has_quota;

		*into = *from;
		into->has_quota = has_quota;
		if (from->sched)
		{
			into->sched = MemoryContextAlloc(mcxt, VARSIZE(from->sched));
			memcpy(into->sched, from->sched, VARSIZE(from->sched));
		}
		return;
	}
	if (into->sched_null != from->sched_null ||
		(!into->sched_null && (VARSIZE(into->sched) != VARSIZE(from->sched) ||
							   memcmp(into->sched, from->sched, VARSIZE(into->sched)) != 0)))
		report_mixed(fn, "schedule");
	if (into->has_quota &&
		(into->quota_null != from->quota_null || into->quota_zero != from->quota_zero ||
		 into->quota.v != from->quota.v || into->quota.scale != from->quota.scale))
		report_mixed(fn, "quota");
}

/* NULL schedule, NULL quota or quota 0: the result is NULL. */
bool
spm_plan_args_give_null(const SpmPlanArgs *pa)
{
	return pa->sched_null || (pa->has_quota && (pa->quota_null || pa->quota_zero));
}
