/*
 * schedule_sql.c — the SQL constructors of spm.schedule, spm.apply and
 * equality.
 */
#include "postgres.h"

#include "utils/builtins.h"

#include "args.h"
#include "schedule.h"

PG_FUNCTION_INFO_V1(spm_tiers);
PG_FUNCTION_INFO_V1(spm_curve);
PG_FUNCTION_INFO_V1(spm_cap);
PG_FUNCTION_INFO_V1(spm_gate);
PG_FUNCTION_INFO_V1(spm_apply);
PG_FUNCTION_INFO_V1(spm_schedule_eq);
PG_FUNCTION_INFO_V1(spm_schedule_ne);

/* Shared body of spm.tiers and spm.curve: two paired numeric arrays. */
static SpmSchedule *
build_points(FunctionCallInfo fcinfo, int base, const char *fn,
			 const char *xname, const char *yname)
{
	SpmScheduleSpec spec;
	int			nx,
				ny;

	memset(&spec, 0, sizeof(spec));
	spec.base = base;
	spec.xs = spm_numeric_array(PG_GETARG_ARRAYTYPE_P(0), fn, xname, &nx);
	spec.ys = spm_numeric_array(PG_GETARG_ARRAYTYPE_P(1), fn, yname, &ny);
	spm_check_same_length(xname, nx, yname, ny);
	spec.npoints = nx;
	return spm_schedule_build(&spec);
}

/* spm.tiers(breaks, rates [, mode]) */
Datum
spm_tiers(PG_FUNCTION_ARGS)
{
	int			base = SPM_MARGINAL;

	if (PG_NARGS() > 2)
	{
		char	   *mode = text_to_cstring(PG_GETARG_TEXT_PP(2));

		if (pg_strcasecmp(mode, "marginal") == 0)
			base = SPM_MARGINAL;
		else if (pg_strcasecmp(mode, "retroactive") == 0)
			base = SPM_RETROACTIVE;
		else
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown tier mode \"%s\"", mode),
					 errhint("mode must be 'marginal' or 'retroactive'.")));
	}
	PG_RETURN_POINTER(build_points(fcinfo, base, "spm.tiers", "breaks", "rates"));
}

/* spm.curve(xs, ys) */
Datum
spm_curve(PG_FUNCTION_ARGS)
{
	PG_RETURN_POINTER(build_points(fcinfo, SPM_CURVE, "spm.curve", "xs", "ys"));
}

/* Shared body of spm.cap and spm.gate: wrap an existing schedule. */
static Datum
wrap(FunctionCallInfo fcinfo, int kind, const char *fn, const char *what)
{
	SpmSchedule *s = PG_GETARG_SPM_SCHEDULE(0);
	SpmScheduleSpec spec;

	spm_schedule_unpack(s, &spec);
	spm_spec_add_wrap(&spec, kind, spm_numeric_arg(PG_GETARG_DATUM(1), fn, what));
	PG_RETURN_POINTER(spm_schedule_build(&spec));
}

Datum
spm_cap(PG_FUNCTION_ARGS)
{
	return wrap(fcinfo, SPM_CAP, "spm.cap", "cap maximum");
}

Datum
spm_gate(PG_FUNCTION_ARGS)
{
	return wrap(fcinfo, SPM_GATE, "spm.gate", "gate threshold");
}

/* spm.apply(s, x [, quota]): E(x), or quota * E(x / quota). */
Datum
spm_apply(PG_FUNCTION_ARGS)
{
	SpmSchedule *s = PG_GETARG_SPM_SCHEDULE(0);
	Fixed		x = spm_numeric_arg(PG_GETARG_DATUM(1), "spm.apply", "amount");
	Fixed		q,
				r;

	if (PG_NARGS() > 2)
	{
		if (!spm_quota_arg(PG_GETARG_DATUM(2), "spm.apply", &q))
			PG_RETURN_NULL();
		r = spm_apply_fixed(s, x, &q);
	}
	else
		r = spm_apply_fixed(s, x, NULL);
	PG_RETURN_DATUM(spm_fixed_to_numeric(r.v, r.scale));
}

/* Values are unique per meaning (lowest terms), so bytes decide. */
static bool
schedule_eq(FunctionCallInfo fcinfo)
{
	SpmSchedule *a = PG_GETARG_SPM_SCHEDULE(0);
	SpmSchedule *b = PG_GETARG_SPM_SCHEDULE(1);

	return VARSIZE(a) == VARSIZE(b) && memcmp(a, b, VARSIZE(a)) == 0;
}

Datum
spm_schedule_eq(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(schedule_eq(fcinfo));
}

Datum
spm_schedule_ne(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(!schedule_eq(fcinfo));
}
