/*
 * fingerprint.c — spm.fingerprint(VARIADIC "any"): an order-independent
 * fingerprint of a set of rows, in constant memory.
 *
 * Why: a payout run must tell cheaply whether the rows behind a closed
 * period changed since it was computed, over millions of rows, without
 * concatenating them into one value (1 GB limit) and without depending on
 * the session's DateStyle or TimeZone.  Each row is hashed column by column
 * from binary values (so output settings do not matter; equal numerics hash
 * alike whatever their display scale): common types by a fast path (see
 * FpKind), others by the type's own extended hash function.  The row hashes
 * are mixed and added into two independent 64-bit sums, plus a row count.  Addition is commutative, so row order, parallel workers and
 * partial aggregation give the same answer.  See docs/payout.md,
 * "Fingerprints".
 */
#include "postgres.h"

#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"

#include "fixed.h"

PG_FUNCTION_INFO_V1(spm_fingerprint_trans);
PG_FUNCTION_INFO_V1(spm_fingerprint_combine);
PG_FUNCTION_INFO_V1(spm_fingerprint_final);
PG_FUNCTION_INFO_V1(spm_fingerprint_serialize);
PG_FUNCTION_INFO_V1(spm_fingerprint_deserialize);
PG_FUNCTION_INFO_V1(spm_fingerprint_merge_trans);

typedef struct FingerprintState
{
	uint64		rows;
	uint64		sum1;
	uint64		sum2;
} FingerprintState;

/*
 * How an argument is hashed.  Equal values must hash alike: integers and
 * dates by their datum, text by its bytes (deterministic collations compare
 * bytes), numeric by its normalized exact value (1.0 = 1.00), and any other
 * type by its own extended hash function.  The fast paths avoid the
 * function call and the detoasting copy that numeric's hash makes per row.
 */
typedef enum FpKind
{
	FP_DATUM,					/* int2, int4, int8, date, timestamp(tz), oid, bool */
	FP_BYTES,					/* text, varchar */
	FP_NUMERIC,
	FP_GENERIC
} FpKind;

/* per call site: how each argument is hashed, looked up once */
typedef struct FingerprintCache
{
	int			nargs;
	FpKind	   *kind;
	FmgrInfo	hash[FLEXIBLE_ARRAY_MEMBER];
} FingerprintCache;

/* splitmix64's finalizer: a bijective 64-bit mix */
static inline uint64
mix64(uint64 x)
{
	x ^= x >> 30;
	x *= UINT64CONST(0xbf58476d1ce4e5b9);
	x ^= x >> 27;
	x *= UINT64CONST(0x94d049bb133111eb);
	x ^= x >> 31;
	return x;
}

/* Looks up each argument's extended hash function once per call site. */
static FingerprintCache *
fingerprint_cache(FunctionCallInfo fcinfo)
{
	FingerprintCache *cache = (FingerprintCache *) fcinfo->flinfo->fn_extra;
	int			nargs = PG_NARGS() - 1;

	if (cache != NULL && cache->nargs == nargs)
		return cache;
	cache = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt,
								   offsetof(FingerprintCache, hash) + sizeof(FmgrInfo) * Max(nargs, 1));
	cache->nargs = nargs;
	cache->kind = MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(FpKind) * Max(nargs, 1));
	for (int i = 0; i < nargs; i++)
	{
		Oid			typid = get_fn_expr_argtype(fcinfo->flinfo, i + 1);
		Oid			base;
		TypeCacheEntry *tc;

		if (!OidIsValid(typid))
			elog(ERROR, "spm.fingerprint: could not determine the type of argument %d", i + 1);
		base = getBaseType(typid);
		switch (base)
		{
			case INT2OID:
			case INT4OID:
			case INT8OID:
			case DATEOID:
			case TIMESTAMPOID:
			case TIMESTAMPTZOID:
			case OIDOID:
			case BOOLOID:
				cache->kind[i] = FP_DATUM;
				break;
			case TEXTOID:
			case VARCHAROID:
				cache->kind[i] = FP_BYTES;
				break;
			case NUMERICOID:
				cache->kind[i] = FP_NUMERIC;
				break;
			default:
				cache->kind[i] = FP_GENERIC;
		}
		tc = lookup_type_cache(base, TYPECACHE_HASH_EXTENDED_PROC_FINFO);
		if (!OidIsValid(tc->hash_extended_proc_finfo.fn_oid))
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_FUNCTION),
					 errmsg("spm.fingerprint: type %s of argument %d has no extended hash function",
							format_type_be(typid), i + 1),
					 errhint("Cast the argument to text.")));
		fmgr_info_cxt(tc->hash_extended_proc_finfo.fn_oid, &cache->hash[i], fcinfo->flinfo->fn_mcxt);
	}
	fcinfo->flinfo->fn_extra = cache;
	return cache;
}

/* One argument's hash, seeded by its position (see FpKind). */
static inline uint64
hash_arg(FingerprintCache *cache, int i, Datum d)
{
	uint64		seed = (uint64) i + 1;

	switch (cache->kind[i])
	{
		case FP_DATUM:
			return mix64((uint64) d ^ (seed * UINT64CONST(0x9e3779b97f4a7c15)));
		case FP_BYTES:
			{
				text	   *t = (text *) PG_DETOAST_DATUM_PACKED(d);

				return hash_bytes_extended((const unsigned char *) VARDATA_ANY(t),
										   VARSIZE_ANY_EXHDR(t), seed);
			}
		case FP_NUMERIC:
			{
				Fixed		f;

				if (spm_numeric_decode_try(d, &f) == SPM_DECODE_OK)
				{
					f = spm_normalize(f);
					return mix64(mix64((uint64) f.v ^ seed) ^ (uint64) (f.v >> 64)
								 ^ ((uint64) f.scale << 56));
				}
				break;			/* NaN, infinities, beyond int128: numeric's own hash */
			}
		case FP_GENERIC:
			break;
	}
	return DatumGetUInt64(FunctionCall2Coll(&cache->hash[i], C_COLLATION_OID, d, UInt64GetDatum(seed)));
}

static FingerprintState *
state_of(FunctionCallInfo fcinfo, int argno)
{
	MemoryContext ctx;

	if (!AggCheckCallContext(fcinfo, &ctx))
		elog(ERROR, "spm.fingerprint called in non-aggregate context");
	if (PG_ARGISNULL(argno))
		return MemoryContextAllocZero(ctx, sizeof(FingerprintState));
	return (FingerprintState *) PG_GETARG_POINTER(argno);
}

/* Adds one row: column hashes seeded by position, mixed into a row hash. */
Datum
spm_fingerprint_trans(PG_FUNCTION_ARGS)
{
	FingerprintState *st = state_of(fcinfo, 0);
	FingerprintCache *cache = fingerprint_cache(fcinfo);
	uint64		row = UINT64CONST(0x9e3779b97f4a7c15);

	for (int i = 0; i < cache->nargs; i++)
	{
		uint64		h;

		if (PG_ARGISNULL(i + 1))
			h = UINT64CONST(0x6a09e667f3bcc909) + (uint64) i;
		else
			h = hash_arg(cache, i, PG_GETARG_DATUM(i + 1));
		row = mix64(row ^ h) + (uint64) i;
	}
	st->rows++;
	st->sum1 += mix64(row);
	st->sum2 += mix64(row ^ UINT64CONST(0xd6e8feb86659fd93));
	PG_RETURN_POINTER(st);
}

/* Partial states add up (parallel and partial aggregation). */
Datum
spm_fingerprint_combine(PG_FUNCTION_ARGS)
{
	FingerprintState *st;
	FingerprintState *other;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_POINTER(PG_GETARG_POINTER(0));
	}
	st = state_of(fcinfo, 0);
	other = (FingerprintState *) PG_GETARG_POINTER(1);
	st->rows += other->rows;
	st->sum1 += other->sum1;
	st->sum2 += other->sum2;
	PG_RETURN_POINTER(st);
}

/* The fingerprint as text: 32 hex digits, a slash, the row count. */
Datum
spm_fingerprint_final(PG_FUNCTION_ARGS)
{
	FingerprintState zero = {0, 0, 0};
	FingerprintState *st = PG_ARGISNULL(0) ? &zero : (FingerprintState *) PG_GETARG_POINTER(0);

	PG_RETURN_TEXT_P(cstring_to_text(psprintf("%016" INT64_MODIFIER "x%016" INT64_MODIFIER "x/" UINT64_FORMAT,
											  st->sum1, st->sum2, st->rows)));
}

Datum
spm_fingerprint_serialize(PG_FUNCTION_ARGS)
{
	FingerprintState *st = (FingerprintState *) PG_GETARG_POINTER(0);
	bytea	   *out = palloc(VARHDRSZ + sizeof(FingerprintState));

	SET_VARSIZE(out, VARHDRSZ + sizeof(FingerprintState));
	memcpy(VARDATA(out), st, sizeof(FingerprintState));
	PG_RETURN_BYTEA_P(out);
}

/* Any 24 bytes are a valid state; anything else is refused. */
Datum
spm_fingerprint_deserialize(PG_FUNCTION_ARGS)
{
	bytea	   *in = PG_GETARG_BYTEA_PP(0);
	FingerprintState *st;

	if (VARSIZE_ANY_EXHDR(in) != sizeof(FingerprintState))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("spm.fingerprint: serialized state has %zu bytes, expected %zu",
						(size_t) VARSIZE_ANY_EXHDR(in), sizeof(FingerprintState))));
	st = palloc(sizeof(FingerprintState));
	memcpy(st, VARDATA_ANY(in), sizeof(FingerprintState));
	PG_RETURN_POINTER(st);
}

/* the value of one hex digit, or -1 */
static inline int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * spm.fingerprint_merge(text): adds fingerprints of disjoint row sets into
 * the fingerprint of their union.  Why: the text form holds the whole state
 * (both sums and the row count), so fingerprints computed per group (per
 * rep, on the shard that owns the rep's rows) add up to exactly the
 * fingerprint of all the rows, and only one row per group has to travel
 * (docs/sharding.md, "Payout runs").  NULL inputs are skipped; anything
 * that is not 32 lower-case hex digits, a slash and a row count is refused.
 */
Datum
spm_fingerprint_merge_trans(PG_FUNCTION_ARGS)
{
	FingerprintState *st = state_of(fcinfo, 0);
	text	   *t;
	const char *p;
	int			len;
	uint64		sums[2] = {0, 0};
	uint64		rows = 0;
	int			i;

	if (PG_ARGISNULL(1))
		PG_RETURN_POINTER(st);
	t = PG_GETARG_TEXT_PP(1);
	p = VARDATA_ANY(t);
	len = VARSIZE_ANY_EXHDR(t);
	if (len < 34 || len > 33 + 20 || p[32] != '/')
		goto malformed;
	for (i = 0; i < 32; i++)
	{
		int			v = hex_value(p[i]);

		if (v < 0)
			goto malformed;
		sums[i / 16] = (sums[i / 16] << 4) | (uint64) v;
	}
	for (i = 33; i < len; i++)
	{
		if (p[i] < '0' || p[i] > '9' || rows > (PG_UINT64_MAX - (uint64) (p[i] - '0')) / 10)
			goto malformed;
		rows = rows * 10 + (uint64) (p[i] - '0');
	}
	st->sum1 += sums[0];
	st->sum2 += sums[1];
	st->rows += rows;
	PG_RETURN_POINTER(st);

malformed:
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid fingerprint: \"%s\"", text_to_cstring(t)),
			 errdetail("A fingerprint is 32 lower-case hexadecimal digits, a slash and a row count, as spm.fingerprint returns.")));
}
