/*
 * split_window.c — spm.split_share(amount, weight [, scale]) OVER w.
 *
 * Credit splits are stored as rows (deal, rep, weight).  Each row's share
 * depends on every weight of its deal, so on the first row of a partition
 * the function reads the whole partition's arguments once, runs the same
 * largest-remainder allocation as spm.allocate (positions = rows in window
 * order, so ties go to the earlier row), and keeps the shares in
 * partition-local memory.  Every row then only looks up its own share.
 * O(partition size) memory is inherent: no share is known before the last
 * weight is.
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/memutils.h"
#include "windowapi.h"

#include "commission.h"
#include "credit.h"

PG_FUNCTION_INFO_V1(spm_split_share);

#define FN "spm.split_share"

typedef struct SplitState
{
	bool		done;			/* shares computed for this partition */
	bool		null_result;	/* amount or scale NULL: every share NULL */
	int32		scale;
	int64		nrows;
	int128	   *shares;			/* nrows shares, in units of 10^-scale */
} SplitState;

static void
report_not_same(const char *what) pg_attribute_noreturn();

/* The amount and scale describe the deal, not the row. */
static void
report_not_same(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s: the %s must be the same on every row of a partition", FN, what),
			 errhint("Partition by the deal, so that each partition splits one amount.")));
}

/*
 * Read every row of the partition, check the per-deal arguments agree and
 * the weights are valid, and allocate.  Called once per partition.
 */
static void
split_partition(WindowObject winobj, FunctionCallInfo fcinfo, SplitState *st)
{
	MemoryContext pctx = GetMemoryChunkContext(st);
	bool		has_scale = PG_NARGS() > 2;
	bool		amount_const = spm_call_arg_is_const(fcinfo, 0);
	bool		scale_const = has_scale && spm_call_arg_is_const(fcinfo, 2);
	int64		n = WinGetPartitionRowCount(winobj);
	Fixed	   *weights;
	Fixed		amount = {0, 0};
	bool		amount_null = false,
				scale_null = false,
				any = false;
	int32		scale = SPM_CREDIT_DEFAULT_SCALE;
	int64		i;

	spm_credit_check_count(n, FN);
	weights = palloc(Max(n, 1) * sizeof(Fixed));
	for (i = 0; i < n; i++)
	{
		bool		isnull,
					isout;
		Datum		d;

		CHECK_FOR_INTERRUPTS();	/* a partition can hold millions of rows */
		if (i == 0 || !amount_const)
		{
			Fixed		a = {0, 0};

			d = WinGetFuncArgInPartition(winobj, 0, i, WINDOW_SEEK_HEAD, false, &isnull, &isout);
			if (!isnull)
			{
				if (!spm_numeric_decode_arg(d, &a, FN, "amount", 0))
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("%s: amount must be a finite number, not NaN or infinity", FN)));
				a = spm_normalize(a);
			}
			if (i == 0)
			{
				amount_null = isnull;
				amount = a;
			}
			else if (isnull != amount_null || a.v != amount.v || a.scale != amount.scale)
				report_not_same("amount");
		}
		if (has_scale && (i == 0 || !scale_const))
		{
			int32		s;

			d = WinGetFuncArgInPartition(winobj, 2, i, WINDOW_SEEK_HEAD, false, &isnull, &isout);
			s = isnull ? 0 : DatumGetInt32(d);
			if (i == 0)
			{
				scale_null = isnull;
				scale = s;
			}
			else if (isnull != scale_null || s != scale)
				report_not_same("scale");
		}

		d = WinGetFuncArgInPartition(winobj, 1, i, WINDOW_SEEK_HEAD, false, &isnull, &isout);
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: weight must not be NULL (row %lld of the partition)",
							FN, (long long) (i + 1))));
		if (!spm_numeric_decode_arg(d, &weights[i], FN, "weight", 0))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: weight must be a finite number (row %lld of the partition is NaN or infinity)",
							FN, (long long) (i + 1))));
		if (weights[i].v < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s: weight must not be negative (row %lld of the partition is %s)",
							FN, (long long) (i + 1),
							spm_fixed_to_cstring(weights[i].v, weights[i].scale))));
		if (weights[i].v > 0)
			any = true;
	}
	if (!scale_null)
		spm_credit_check_scale(scale, FN);
	if (!any)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: the weights of a partition must not all be zero", FN)));

	st->nrows = n;
	st->scale = scale;
	st->null_result = amount_null || scale_null;
	if (!st->null_result)
	{
		st->shares = MemoryContextAlloc(pctx, n * sizeof(int128));
		spm_allocate_units(amount, weights, (int) n, scale, st->shares);
	}
	pfree(weights);
	st->done = true;
}

/*
 * The window function: the first row of a partition splits the deal, each
 * row returns its own share and lets the tuplestore forget earlier rows.
 */
Datum
spm_split_share(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	SplitState *st = WinGetPartitionLocalMemory(winobj, sizeof(SplitState));
	int64		pos = WinGetCurrentPosition(winobj);

	if (!st->done)
		split_partition(winobj, fcinfo, st);
	WinSetMarkPosition(winobj, pos);
	if (st->null_result)
		PG_RETURN_NULL();
	if (pos < 0 || pos >= st->nrows)
		elog(ERROR, "%s: row %lld outside its partition of %lld rows",
			 FN, (long long) pos, (long long) st->nrows);
	PG_RETURN_DATUM(spm_fixed_to_numeric(st->shares[pos], st->scale));
}
