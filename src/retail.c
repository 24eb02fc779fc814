/*
 * retail.c — week-based retail calendars: spm.retail_period,
 * spm.retail_label, spm.retail_year and spm.retail_periods.
 *
 * A retail fiscal year ends on a given weekday nearest to (or last on or
 * before) the end of a given month — the NRF calendar is the Saturday
 * nearest the end of January — so it has 52 weeks, or 53 when the drift
 * of the calendar has added up to a whole week.  Quarters are 13 weeks,
 * split into three periods by the pattern (4-4-5, 4-5-4, 5-4-4); a 53rd
 * week is added to the year's last period.  Years are named by the year of
 * the month they end in or near.  The arithmetic lives in calendar.c.
 */
#include "postgres.h"

#include "funcapi.h"
#include "utils/builtins.h"

#include "calendar.h"

PG_FUNCTION_INFO_V1(spm_retail_period);
PG_FUNCTION_INFO_V1(spm_retail_label);
PG_FUNCTION_INFO_V1(spm_retail_year);
PG_FUNCTION_INFO_V1(spm_retail_periods);

/*
 * The calendar of the (x, grain, pattern, year_end_month, year_end_dow,
 * rule) functions; SQL supplies the defaults.
 */
static void
calendar_args(FunctionCallInfo fcinfo, SpmCalendar *cal)
{
	spm_retail_calendar(cal, PG_GETARG_TEXT_PP(2), PG_GETARG_INT32(3),
						PG_GETARG_INT32(4), PG_GETARG_TEXT_PP(5));
}

/* spm.retail_period(d, grain, pattern, year_end_month, year_end_dow, rule) */
Datum
spm_retail_period(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);
	SpmGrain	g = spm_grain_arg(PG_GETARG_TEXT_PP(1), true);
	SpmCalendar cal;
	DateADT		lo,
				hi;
	int			fy;

	calendar_args(fcinfo, &cal);
	spm_date_arg(d, "d");
	spm_cal_find(&cal, d, g, &fy, &lo, &hi);
	PG_RETURN_DATUM(spm_daterange(spm_daterange_typcache(fcinfo), lo, hi));
}

/* spm.retail_label(d, grain, ...) → 'FY2026-W05', 'FY2026-P02', ... */
Datum
spm_retail_label(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);
	SpmGrain	g = spm_grain_arg(PG_GETARG_TEXT_PP(1), true);
	SpmCalendar cal;
	DateADT		lo,
				hi;
	int			fy,
				number;

	calendar_args(fcinfo, &cal);
	spm_date_arg(d, "d");
	number = spm_cal_find(&cal, d, g, &fy, &lo, &hi);
	PG_RETURN_TEXT_P(cstring_to_text(spm_cal_label(fy, g, number)));
}

/* spm.retail_year(d, year_end_month, year_end_dow, rule) → fiscal year */
Datum
spm_retail_year(PG_FUNCTION_ARGS)
{
	DateADT		d = PG_GETARG_DATEADT(0);
	SpmCalendar cal;

	spm_retail_calendar(&cal, NULL, PG_GETARG_INT32(1), PG_GETARG_INT32(2),
						PG_GETARG_TEXT_PP(3));
	spm_date_arg(d, "d");
	PG_RETURN_INT32(spm_cal_year_of(&cal, d));
}

/*
 * spm.retail_periods(fy, grain, ...): the weeks, periods, quarters, halves
 * or the whole of one retail year as rows.
 */
Datum
spm_retail_periods(PG_FUNCTION_ARGS)
{
	if (SRF_IS_FIRSTCALL())
	{
		int32		fy = PG_GETARG_INT32(0);
		SpmGrain	g = spm_grain_arg(PG_GETARG_TEXT_PP(1), true);
		SpmCalendar cal;

		calendar_args(fcinfo, &cal);
		spm_year_arg(fy, "fy");
		spm_periods_begin(fcinfo, &cal, fy, g);
	}
	return spm_periods_next(fcinfo);
}
