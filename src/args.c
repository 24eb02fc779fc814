/*
 * args.c — turning numeric[] arguments into exact fixed-point arrays.
 *
 * Every array-taking function in spm goes through here so that NULL
 * elements, multi-dimensional arrays, NaN and infinities get the same
 * errors everywhere.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/lsyscache.h"

#include "args.h"

/*
 * Decode a one-dimensional numeric[] (empty allowed: *n = 0).  Errors:
 * 2202E for more than one dimension, 22023 for a NULL or non-finite
 * element, 22003 for an element beyond spm's exact range, naming the
 * argument and the 1-based position (and the SQL function fn, for the
 * range error, when not NULL).  Checks for interrupts: arrays can hold
 * millions of weights.
 */
Fixed *
spm_numeric_array(ArrayType *a, const char *fn, const char *argname, int *n)
{
	Datum	   *elems;
	bool	   *nulls;
	Fixed	   *out;
	int			i;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", argname)));
	if (ARR_ELEMTYPE(a) != NUMERICOID)
		elog(ERROR, "%s: expected numeric[]", argname);
	deconstruct_array(a, NUMERICOID, -1, false, TYPALIGN_INT, &elems, &nulls, n);
	out = palloc((*n > 0 ? *n : 1) * sizeof(Fixed));
	for (i = 0; i < *n; i++)
	{
		Fixed		f;

		CHECK_FOR_INTERRUPTS();
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not contain NULL (element %d is NULL)", argname, i + 1)));
		if (!spm_numeric_decode_arg(elems[i], &f, fn, argname, i + 1))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must contain finite numbers (element %d is NaN or infinity)",
							argname, i + 1)));
		out[i] = f;
	}
	return out;
}

/* Paired arrays (breaks and rates, xs and ys) must match: 2202E if not. */
void
spm_check_same_length(const char *a, int na, const char *b, int nb)
{
	if (na != nb)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s and %s must have the same length", a, b),
				 errdetail("%s has %d elements, %s has %d.", a, na, b, nb)));
}
