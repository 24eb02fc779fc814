/*
 * draw_ledger.c — spm.draw_ledger(earned, draw, kind [, recovery_limit,
 * forgive]) OVER w.
 *
 * A true window function: per partition it keeps only the ledger (the
 * balance B and two scales) in WinGetPartitionLocalMemory, reads the
 * current row and returns one spm.draw_line.  A row costs the decodes, a
 * few 128-bit operations, five numerics and the result tuple; the row type
 * is looked up once per query.
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/memutils.h"
#include "windowapi.h"

#include "draw.h"

PG_FUNCTION_INFO_V1(spm_draw_ledger);

#define FN "spm.draw_ledger"

/*
 * A result column: zero (most rows have no draw paid, nothing recovered,
 * nothing forgiven) is the same numeric every time, built once per scale
 * and kept for the session; heap_form_tuple copies it into the row.
 */
static Datum
line_numeric(int128 v, int scale, int money_scale)
{
	static Datum zeros[SPM_MAX_SCALE + 1];

	if (v != 0 || money_scale < 0 || money_scale > SPM_MAX_SCALE)
		return spm_draw_numeric(v, scale, money_scale);
	if (zeros[money_scale] == (Datum) 0)
	{
		MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

		zeros[money_scale] = spm_draw_numeric(0, money_scale, money_scale);
		MemoryContextSwitchTo(old);
	}
	return zeros[money_scale];
}

/*
 * One row: decode, fit the partition's ledger to the row's scales, take
 * the shared step, and return the line at the partition's money scale.
 */
Datum
spm_draw_ledger(PG_FUNCTION_ARGS)
{
	WindowObject winobj = PG_WINDOW_OBJECT();
	SpmDrawLedger *lg = WinGetPartitionLocalMemory(winobj, sizeof(SpmDrawLedger));
	TupleDesc	td = spm_draw_result_desc(fcinfo);
	int			nargs = PG_NARGS();
	Datum		args[5];
	bool		nulls[5];
	Datum		values[5];
	bool		rnulls[5] = {false, false, false, false, false};
	SpmDrawInput in;
	SpmDrawLine line;
	int			i;

	for (i = 0; i < nargs; i++)
		args[i] = WinGetFuncArgCurrent(winobj, i, &nulls[i]);
	spm_draw_read(FN, nargs, args, nulls, &in);
	spm_draw_fit(lg, &in);
	spm_draw_step(lg, &in, &line);

	values[0] = line_numeric(line.payout, lg->scale, lg->money_scale);
	values[1] = line_numeric(line.draw_paid, lg->scale, lg->money_scale);
	values[2] = line_numeric(line.recovered, lg->scale, lg->money_scale);
	values[3] = line_numeric(line.forgiven, lg->scale, lg->money_scale);
	values[4] = line_numeric(line.balance, lg->scale, lg->money_scale);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, rnulls)));
}
