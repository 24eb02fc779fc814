/*
 * draw_simulate.c — spm.draw_simulate(earned, draw, kind [, recovery_limit,
 * forgive] ORDER BY period): one rep's draw history summed up.
 *
 * The aggregate runs the very ledger step of spm.draw_ledger row by row
 * and keeps the sums of its columns, so its totals are the sums of the
 * window function's lines by construction.  The state (ledger and sums,
 * all int128 at the ledger's scale) is allocated once per group; a row
 * costs the decodes and a few 128-bit additions.  The final function only
 * reads the state, so the aggregate also runs as a window (a running
 * summary).  Order matters: there is no combine function.
 */
#include "postgres.h"

#include "funcapi.h"

#include "draw.h"

PG_FUNCTION_INFO_V1(spm_draw_simulate_trans);
PG_FUNCTION_INFO_V1(spm_draw_simulate_final);

#define FN "spm.draw_simulate"

typedef struct SimState
{
	SpmDrawLedger lg;
	int64		periods;
	int64		topped_up;		/* periods with draw_paid > 0 */
	int128		earned;			/* these at lg.scale */
	int128		paid;
	int128		draw_paid;
	int128		recovered;
	int128		forgiven;
	int128		max_balance;
} SimState;

/* Re-express the sums when the ledger's working scale went up. */
static void
rescale_sums(SimState *st, int from, int to)
{
	if (from == to)
		return;
	st->earned = spm_rescale(st->earned, from, to);
	st->paid = spm_rescale(st->paid, from, to);
	st->draw_paid = spm_rescale(st->draw_paid, from, to);
	st->recovered = spm_rescale(st->recovered, from, to);
	st->forgiven = spm_rescale(st->forgiven, from, to);
	st->max_balance = spm_rescale(st->max_balance, from, to);
}

/*
 * Transition: (state, earned, draw, kind [, recovery_limit, forgive]).
 * Not strict, with the NULL rules of spm.draw_ledger.
 */
Datum
spm_draw_simulate_trans(PG_FUNCTION_ARGS)
{
	MemoryContext aggctx;
	SimState   *st;
	int			nargs = PG_NARGS() - 1;
	Datum		args[5];
	bool		nulls[5];
	SpmDrawInput in;
	SpmDrawLine line;
	int			i,
				old;

	if (!AggCheckCallContext(fcinfo, &aggctx))
		elog(ERROR, "spm_draw_simulate_trans called in non-aggregate context");
	if (PG_ARGISNULL(0))
		st = MemoryContextAllocZero(aggctx, sizeof(SimState));
	else
		st = (SimState *) PG_GETARG_POINTER(0);

	for (i = 0; i < nargs; i++)
	{
		nulls[i] = PG_ARGISNULL(i + 1);
		args[i] = nulls[i] ? (Datum) 0 : PG_GETARG_DATUM(i + 1);
	}
	spm_draw_read(FN, nargs, args, nulls, &in);
	old = spm_draw_fit(&st->lg, &in);
	rescale_sums(st, old, st->lg.scale);
	spm_draw_step(&st->lg, &in, &line);

	st->periods++;
	if (line.draw_paid > 0)
		st->topped_up++;
	st->earned = spm_add(st->earned, in.earned.v);
	st->paid = spm_add(st->paid, line.payout);
	st->draw_paid = spm_add(st->draw_paid, line.draw_paid);
	st->recovered = spm_add(st->recovered, line.recovered);
	st->forgiven = spm_add(st->forgiven, line.forgiven);
	if (line.balance > st->max_balance)
		st->max_balance = line.balance;
	PG_RETURN_POINTER(st);
}

/* A period count as int, which no real history comes near overflowing. */
static Datum
count_datum(int64 n)
{
	if (n > PG_INT32_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("%s: more than %d periods in one group", FN, PG_INT32_MAX)));
	return Int32GetDatum((int32) n);
}

/* Final: the spm.draw_summary of the group.  Reads the state only. */
Datum
spm_draw_simulate_final(PG_FUNCTION_ARGS)
{
	SimState   *st;
	TupleDesc	td;
	Datum		values[9];
	bool		nulls[9] = {false, false, false, false, false, false, false, false, false};
	int			w,
				ms;

	if (!AggCheckCallContext(fcinfo, NULL))
		elog(ERROR, "spm_draw_simulate_final called in non-aggregate context");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (SimState *) PG_GETARG_POINTER(0);
	td = spm_draw_result_desc(fcinfo);
	w = st->lg.scale;
	ms = st->lg.money_scale;

	values[0] = count_datum(st->periods);
	values[1] = spm_draw_numeric(st->earned, w, ms);
	values[2] = spm_draw_numeric(st->paid, w, ms);
	values[3] = spm_draw_numeric(st->draw_paid, w, ms);
	values[4] = spm_draw_numeric(st->recovered, w, ms);
	values[5] = spm_draw_numeric(st->forgiven, w, ms);
	values[6] = spm_draw_numeric(st->lg.balance, w, ms);
	values[7] = spm_draw_numeric(st->max_balance, w, ms);
	values[8] = count_datum(st->topped_up);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(td, values, nulls)));
}
