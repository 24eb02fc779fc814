/*
 * schedule_cmp.c — a total order and a hash for spm.schedule, so that the
 * type has default btree and hash operator classes (GROUP BY, DISTINCT,
 * ORDER BY, UNION, hash and merge joins, indexes).
 *
 * Equality (spm.schedule_eq in schedule_sql.c) is a byte comparison of the
 * canonical form: build stores every parameter in lowest terms at one scale
 * per domain, so two schedules that mean the same thing have the same bytes
 * (docs/schedules.md, "Equality, ordering and hashing").  Both functions
 * here stay consistent with it:
 *
 *   - the hash is hash_any over the bytes after the varlena header;
 *   - the comparison returns 0 exactly when the bytes are equal.  It orders
 *     by base kind (marginal < retroactive < curve), then by the points as
 *     (x, y) pairs compared numerically, pair by pair, a prefix first (as
 *     arrays compare), then by the caps and gates innermost first (cap <
 *     gate, then the value).  Numerically equal parameters have equal
 *     bytes, so the structured comparison can only return 0 for equal bytes;
 *     a final memcmp keeps the order total even for a value that somehow
 *     broke that rule.
 *
 * The order exists for sorting and indexing; it does not rank schedules by
 * how much they pay.
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "fmgr.h"

#include "schedule.h"

PG_FUNCTION_INFO_V1(spm_schedule_cmp);
PG_FUNCTION_INFO_V1(spm_schedule_lt);
PG_FUNCTION_INFO_V1(spm_schedule_le);
PG_FUNCTION_INFO_V1(spm_schedule_gt);
PG_FUNCTION_INFO_V1(spm_schedule_ge);
PG_FUNCTION_INFO_V1(spm_schedule_hash);
PG_FUNCTION_INFO_V1(spm_schedule_hash_extended);

/* -1, 0, 1 for a < b, a = b, a > b, whatever their scales */
static int
cmp_fixed(int128 a, int ascale, int128 b, int bscale)
{
	int			sc = Max(ascale, bscale);

	/* parameters have at most 15 + 15 digits: rescaling cannot overflow */
	a = spm_rescale(a, ascale, sc);
	b = spm_rescale(b, bscale, sc);
	return a < b ? -1 : (a > b ? 1 : 0);
}

static int
cmp_int(int a, int b)
{
	return a < b ? -1 : (a > b ? 1 : 0);
}

static int
wrap_scale(const SpmSchedule *s, int i)
{
	return s->wkind[i] == SPM_CAP ? s->yscale : s->xscale;
}

static int
schedule_cmp(const SpmSchedule *a, const SpmSchedule *b)
{
	int			n,
				i,
				c;
	Size		la = VARSIZE(a),
				lb = VARSIZE(b);

	if (la == lb && memcmp(a, b, la) == 0)
		return 0;
	if (a->format != SPM_SCHEDULE_FORMAT || b->format != SPM_SCHEDULE_FORMAT)
		elog(ERROR, "corrupt spm.schedule value");

	if ((c = cmp_int(a->base, b->base)) != 0)
		return c;
	n = Min(a->npoints, b->npoints);
	for (i = 0; i < n; i++)
	{
		if ((c = cmp_fixed(SPM_XS(a)[i], a->xscale, SPM_XS(b)[i], b->xscale)) != 0)
			return c;
		if ((c = cmp_fixed(SPM_YS(a)[i], SPM_YSCALE_OF_BASE(a),
						   SPM_YS(b)[i], SPM_YSCALE_OF_BASE(b))) != 0)
			return c;
	}
	if ((c = cmp_int(a->npoints, b->npoints)) != 0)
		return c;
	n = Min(a->nwraps, b->nwraps);
	for (i = 0; i < n; i++)
	{
		if ((c = cmp_int(a->wkind[i], b->wkind[i])) != 0)
			return c;
		if ((c = cmp_fixed(SPM_WVAL(a)[i], wrap_scale(a, i),
						   SPM_WVAL(b)[i], wrap_scale(b, i))) != 0)
			return c;
	}
	if ((c = cmp_int(a->nwraps, b->nwraps)) != 0)
		return c;

	/* not reached for values made by spm_schedule_build */
	c = memcmp(a, b, Min(la, lb));
	if (c != 0)
		return c < 0 ? -1 : 1;
	return cmp_int(la, lb);
}

static int
schedule_cmp_args(FunctionCallInfo fcinfo)
{
	SpmSchedule *a = PG_GETARG_SPM_SCHEDULE(0);
	SpmSchedule *b = PG_GETARG_SPM_SCHEDULE(1);
	int			c = schedule_cmp(a, b);

	PG_FREE_IF_COPY(a, 0);
	PG_FREE_IF_COPY(b, 1);
	return c;
}

/* spm.schedule_cmp(a, b): -1, 0 or 1; btree support function 1 */
Datum
spm_schedule_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(schedule_cmp_args(fcinfo));
}

Datum
spm_schedule_lt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(schedule_cmp_args(fcinfo) < 0);
}

Datum
spm_schedule_le(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(schedule_cmp_args(fcinfo) <= 0);
}

Datum
spm_schedule_gt(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(schedule_cmp_args(fcinfo) > 0);
}

Datum
spm_schedule_ge(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(schedule_cmp_args(fcinfo) >= 0);
}

/* spm.schedule_hash(s): hash support function 1, over the canonical bytes */
Datum
spm_schedule_hash(PG_FUNCTION_ARGS)
{
	SpmSchedule *s = PG_GETARG_SPM_SCHEDULE(0);
	Datum		h = hash_any((unsigned char *) VARDATA(s), VARSIZE(s) - VARHDRSZ);

	PG_FREE_IF_COPY(s, 0);
	return h;
}

/* spm.schedule_hash_extended(s, seed): hash support function 2 */
Datum
spm_schedule_hash_extended(PG_FUNCTION_ARGS)
{
	SpmSchedule *s = PG_GETARG_SPM_SCHEDULE(0);
	Datum		h = hash_any_extended((unsigned char *) VARDATA(s), VARSIZE(s) - VARHDRSZ,
									  PG_GETARG_INT64(1));

	PG_FREE_IF_COPY(s, 0);
	return h;
}
