/*
 * fiscal.c — month-based fiscal calendars: spm.fiscal_period,
 * spm.fiscal_label, spm.fiscal_year and spm.fiscal_periods.
 *
 * A fiscal year starts on day 1 of fiscal_start_month (January when the
 * argument is left out) and is named by the calendar year in which it
 * ends: with fiscal_start_month 2, February 2025 .. January 2026 is
 * FY2026.  The arithmetic lives in calendar.c.
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"

#include "calendar.h"

PG_FUNCTION_INFO_V1(spm_fiscal_period);
PG_FUNCTION_INFO_V1(spm_fiscal_label);
PG_FUNCTION_INFO_V1(spm_fiscal_year);
PG_FUNCTION_INFO_V1(spm_fiscal_periods);

/*
 * The calendar of a call whose fiscal_start_month is argument argno when
 * present: the shorter overloads mean January.
 */
static void
calendar_arg(FunctionCallInfo fcinfo, int argno, SpmCalendar *cal)
{
	spm_month_calendar(cal, PG_NARGS() > argno ? PG_GETARG_INT32(argno) : 1);
}

/* spm.fiscal_period(d, grain [, fiscal_start_month]) → daterange */
Datum
spm_fiscal_period(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);
	SpmGrain	g = spm_grain_arg(PG_GETARG_TEXT_PP(1), false);
	SpmCalendar cal;
	DateADT		lo,
				hi;
	int			fy;

	calendar_arg(fcinfo, 2, &cal);
	spm_date_arg(d, "d");
	spm_cal_find(&cal, d, g, &fy, &lo, &hi);
	PG_RETURN_DATUM(spm_daterange(spm_daterange_typcache(fcinfo), lo, hi));
}

/* spm.fiscal_label(d, grain [, fiscal_start_month]) → 'FY2026-Q1' */
Datum
spm_fiscal_label(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);
	SpmGrain	g = spm_grain_arg(PG_GETARG_TEXT_PP(1), false);
	SpmCalendar cal;
	DateADT		lo,
				hi;
	int			fy,
				number;

	calendar_arg(fcinfo, 2, &cal);
	spm_date_arg(d, "d");
	number = spm_cal_find(&cal, d, g, &fy, &lo, &hi);
	PG_RETURN_TEXT_P(cstring_to_text(spm_cal_label(fy, g, number)));
}

/* spm.fiscal_year(d [, fiscal_start_month]) → the year it ends in */
Datum
spm_fiscal_year(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);
	SpmCalendar cal;

	calendar_arg(fcinfo, 1, &cal);
	spm_date_arg(d, "d");
	PG_RETURN_INT32(spm_cal_year_of(&cal, d));
}

/*
 * spm.fiscal_periods(fy, grain [, fiscal_start_month]): the periods of one
 * fiscal year as rows, for BI tools to join facts to.
 */
Datum
spm_fiscal_periods(PG_FUNCTION_ARGS)
{
	if (SRF_IS_FIRSTCALL())
	{
		int32		fy = PG_GETARG_INT32(0);
		SpmGrain	g = spm_grain_arg(PG_GETARG_TEXT_PP(1), false);
		SpmCalendar cal;

		calendar_arg(fcinfo, 2, &cal);
		spm_year_arg(fy, "fy");
		spm_periods_begin(fcinfo, &cal, fy, g);
	}
	return spm_periods_next(fcinfo);
}
