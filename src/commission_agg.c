/*
 * commission_agg.c — spm.commission(amount, s [, quota]): E(sum of amount).
 *
 * The transition state is an int128 running sum at the largest scale seen,
 * allocated once per group in the aggregate context; a row costs one
 * in-place numeric decode and one 128-bit add (no palloc, no detoast, no
 * schedule parse).  The schedule is evaluated once, in the final function.
 * The state serializes to a flat bytea so the aggregate runs in parallel.
 */
#include "postgres.h"

#include "libpq/pqformat.h"
#include "utils/builtins.h"

#include "commission.h"

PG_FUNCTION_INFO_V1(spm_commission_trans);
PG_FUNCTION_INFO_V1(spm_commission_final);
PG_FUNCTION_INFO_V1(spm_commission_combine);
PG_FUNCTION_INFO_V1(spm_commission_serialize);
PG_FUNCTION_INFO_V1(spm_commission_deserialize);

#define FN "spm.commission"
#define SERIAL_FORMAT 1

static MemoryContext
agg_context(FunctionCallInfo fcinfo, const char *what)
{
	MemoryContext ctx;

	if (!AggCheckCallContext(fcinfo, &ctx))
		elog(ERROR, "%s called in non-aggregate context", what);
	return ctx;
}

static CommissionState *
new_state(MemoryContext ctx, bool has_quota)
{
	CommissionState *st = MemoryContextAllocZero(ctx, sizeof(CommissionState));

	st->plan.has_quota = has_quota;
	return st;
}

/*
 * The per-row preamble of every transition function, whatever the amount's
 * type: (state, amount, schedule [, quota]).  Creates the group's state on
 * its first row and records or checks the schedule and quota; the caller
 * then adds the amount unless it is NULL.
 */
CommissionState *
spm_commission_begin(FunctionCallInfo fcinfo)
{
	MemoryContext ctx = agg_context(fcinfo, "spm_commission_trans");
	CommissionState *st = PG_ARGISNULL(0) ? NULL : (CommissionState *) PG_GETARG_POINTER(0);
	bool		has_quota = PG_NARGS() > 3;

	if (st == NULL)
	{
		st = new_state(ctx, has_quota);
		st->plan.sched_const = spm_call_arg_is_const(fcinfo, 1);
		st->plan.quota_const = has_quota && spm_call_arg_is_const(fcinfo, 2);
	}
	if (!(st->plan.set && st->plan.sched_const && (!has_quota || st->plan.quota_const)))
		spm_plan_args_check(&st->plan, FN,
							PG_ARGISNULL(2), PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2),
							!has_quota || PG_ARGISNULL(3),
							(has_quota && !PG_ARGISNULL(3)) ? PG_GETARG_DATUM(3) : (Datum) 0,
							ctx);
	return st;
}

/* Transition: (state, amount numeric, schedule [, quota]).  Not strict. */
Datum
spm_commission_trans(PG_FUNCTION_ARGS)
{
	CommissionState *st = spm_commission_begin(fcinfo);
	Fixed		a;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	if (!spm_numeric_decode_arg(PG_GETARG_DATUM(1), &a, FN, "amount", 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s: amount must be a finite number, not NaN or infinity", FN)));
	spm_commission_add(st, a.v, a.scale);
	st->count++;
	PG_RETURN_POINTER(st);
}

/* Final: E(sum), or quota * E(sum / quota).  Reads the state only. */
Datum
spm_commission_final(PG_FUNCTION_ARGS)
{
	CommissionState *st;
	Fixed		x,
				r;

	agg_context(fcinfo, "spm_commission_final");
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	st = (CommissionState *) PG_GETARG_POINTER(0);
	if (st->count == 0 || spm_plan_args_give_null(&st->plan))
		PG_RETURN_NULL();
	x.v = st->sum;
	x.scale = st->scale;
	r = spm_apply_fixed(st->plan.sched, x, st->plan.has_quota ? &st->plan.quota : NULL);
	PG_RETURN_DATUM(spm_fixed_to_numeric(r.v, r.scale));
}

/* Combine two partial states; both must agree on schedule and quota. */
Datum
spm_commission_combine(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = agg_context(fcinfo, "spm_commission_combine");
	CommissionState *a = PG_ARGISNULL(0) ? NULL : (CommissionState *) PG_GETARG_POINTER(0);
	CommissionState *b = PG_ARGISNULL(1) ? NULL : (CommissionState *) PG_GETARG_POINTER(1);

	if (b == NULL)
	{
		if (a == NULL)
			PG_RETURN_NULL();
		PG_RETURN_POINTER(a);
	}
	if (a == NULL)
		a = new_state(ctx, b->plan.has_quota);
	spm_plan_args_merge(&a->plan, &b->plan, FN, ctx);
	spm_commission_add(a, b->sum, b->scale);
	a->count += b->count;
	PG_RETURN_POINTER(a);
}

/*
 * Serialized form: format byte, flags byte, scale, count, sum (hi, lo),
 * quota (scale, hi, lo), then the schedule's bytes when present.
 */
#define F_SET			0x01
#define F_HAS_QUOTA		0x02
#define F_SCHED_NULL	0x04
#define F_QUOTA_NULL	0x08
#define F_QUOTA_ZERO	0x10
#define F_ALL			0x1F

Datum
spm_commission_serialize(PG_FUNCTION_ARGS)
{
	CommissionState *st = (CommissionState *) PG_GETARG_POINTER(0);
	StringInfoData buf;
	uint8		flags = 0;

	agg_context(fcinfo, "spm_commission_serialize");
	flags |= st->plan.set ? F_SET : 0;
	flags |= st->plan.has_quota ? F_HAS_QUOTA : 0;
	flags |= st->plan.sched_null ? F_SCHED_NULL : 0;
	flags |= st->plan.quota_null ? F_QUOTA_NULL : 0;
	flags |= st->plan.quota_zero ? F_QUOTA_ZERO : 0;

	pq_begintypsend(&buf);
	pq_sendbyte(&buf, SERIAL_FORMAT);
	pq_sendbyte(&buf, flags);
	pq_sendint32(&buf, st->scale);
	pq_sendint64(&buf, st->count);
	spm_send_int128(&buf, st->sum);
	pq_sendint32(&buf, st->plan.quota.scale);
	spm_send_int128(&buf, st->plan.quota.v);
	if (st->plan.set && !st->plan.sched_null)
		pq_sendbytes(&buf, (char *) st->plan.sched, VARSIZE(st->plan.sched));
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

static void
corrupt(const char *why) pg_attribute_noreturn();

static void
corrupt(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid serialized spm.commission state: %s", why)));
}

/*
 * Trust nothing: every field and the schedule itself are checked.
 *
 * The state is built in the current (per-input-row) memory context, not in
 * the aggregate's: it only lives until the combine function has added it
 * into the group's own state, and a finalize step deserializes one state
 * per group per worker, so keeping them all would grow the leader's memory
 * with every partial row.
 */
Datum
spm_commission_deserialize(PG_FUNCTION_ARGS)
{
	MemoryContext ctx = CurrentMemoryContext;
	bytea	   *raw = PG_GETARG_BYTEA_PP(0);
	StringInfoData buf;
	CommissionState *st;
	uint8		flags;

	agg_context(fcinfo, "spm_commission_deserialize");
	buf.data = VARDATA_ANY(raw);
	buf.len = VARSIZE_ANY_EXHDR(raw);
	buf.maxlen = buf.len;
	buf.cursor = 0;

	if (buf.len < 2 + 4 + 8 + 16 + 4 + 16)
		corrupt("truncated");
	if (pq_getmsgbyte(&buf) != SERIAL_FORMAT)
		corrupt("unknown format");
	flags = pq_getmsgbyte(&buf);
	if (flags & ~F_ALL)
		corrupt("unknown flags");
	st = new_state(ctx, (flags & F_HAS_QUOTA) != 0);
	st->plan.set = (flags & F_SET) != 0;
	st->plan.sched_null = (flags & F_SCHED_NULL) != 0;
	st->plan.quota_null = (flags & F_QUOTA_NULL) != 0;
	st->plan.quota_zero = (flags & F_QUOTA_ZERO) != 0;
	st->scale = pq_getmsgint(&buf, 4);
	st->count = pq_getmsgint64(&buf);
	st->sum = spm_recv_int128(&buf);
	st->plan.quota.scale = pq_getmsgint(&buf, 4);
	st->plan.quota.v = spm_recv_int128(&buf);
	if (st->scale < 0 || st->scale > SPM_MAX_SCALE || st->count < 0 ||
		st->plan.quota.scale < 0 || st->plan.quota.scale > SPM_MAX_SCALE ||
		st->plan.quota.v < 0)
		corrupt("field out of range");

	if (st->plan.set && !st->plan.sched_null)
	{
		int			len = buf.len - buf.cursor;
		SpmSchedule *s;
		SpmScheduleSpec spec;
		SpmSchedule *again;

		if (len < (int) offsetof(SpmSchedule, data))
			corrupt("truncated schedule");
		s = MemoryContextAlloc(ctx, len);
		pq_copymsgbytes(&buf, (char *) s, len);
		if ((int) VARSIZE(s) != len || s->npoints < 1 || s->npoints > SPM_MAX_POINTS ||
			s->nwraps > SPM_MAX_WRAPS ||
			len != (int) (offsetof(SpmSchedule, data) + (2 * s->npoints + s->nwraps) * sizeof(int128)))
			corrupt("inconsistent schedule size");
		spm_schedule_unpack(s, &spec);
		again = spm_schedule_build(&spec);
		if (VARSIZE(again) != VARSIZE(s) || memcmp(again, s, VARSIZE(s)) != 0)
			corrupt("schedule is not canonical");
		st->plan.sched = s;
	}
	else if (buf.cursor != buf.len)
		corrupt("trailing bytes");
	PG_RETURN_POINTER(st);
}
