/*
 * calendar.c — the arithmetic shared by month-based and retail fiscal
 * calendars: argument checks, year boundaries, the periods of a year for a
 * grain, labels, daterange results and the period-listing SRF.
 *
 * Everything is integer Julian-day arithmetic (date2j, j2date, j2day): no
 * intervals, no time zones, no floating point.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/rangetypes.h"

#include "calendar.h"

/* Julian day of a DateADT and back. */
#define JDAY(d)		((int) (d) + POSTGRES_EPOCH_JDATE)
#define DATEADT(j)	((DateADT) ((j) - POSTGRES_EPOCH_JDATE))

/*
 * Case-insensitive comparison of a text argument with a keyword, without
 * copying the text: grains and rules are parsed on every call.
 */
static bool
text_is(text *t, const char *word)
{
	int			len = VARSIZE_ANY_EXHDR(t);

	return len == (int) strlen(word) &&
		pg_strncasecmp(VARDATA_ANY(t), word, len) == 0;
}

/*
 * The grain argument.  'month' and 'period' are the same grain in both
 * calendars (a calendar month, or a retail 4/5-week period), so a report
 * can switch calendars without renaming its grain; weeks exist only in
 * retail calendars, since weeks do not tile calendar months.
 */
SpmGrain
spm_grain_arg(text *grain, bool retail)
{
	if (retail && text_is(grain, "week"))
		return SPM_GRAIN_WEEK;
	if (text_is(grain, "month") || text_is(grain, "period"))
		return SPM_GRAIN_MONTH;
	if (text_is(grain, "quarter"))
		return SPM_GRAIN_QUARTER;
	if (text_is(grain, "half"))
		return SPM_GRAIN_HALF;
	if (text_is(grain, "year"))
		return SPM_GRAIN_YEAR;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("unknown grain \"%s\"", text_to_cstring(grain)),
			 errhint(retail
					 ? "grain must be 'week', 'period' (or 'month'), 'quarter', 'half' or 'year'."
					 : "grain must be 'month' (or 'period'), 'quarter', 'half' or 'year'.")));
	pg_unreachable();
}

/* A month number argument: 1..12, or 22023 naming the argument. */
static void
month_arg(int32 m, const char *argname)
{
	if (m < 1 || m > 12)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between 1 and 12: %d", argname, m)));
}

/* A month-based calendar whose years start on day 1 of a given month. */
void
spm_month_calendar(SpmCalendar *cal, int32 fiscal_start_month)
{
	month_arg(fiscal_start_month, "fiscal_start_month");
	memset(cal, 0, sizeof(*cal));
	cal->start_month = fiscal_start_month;
}

/*
 * A retail calendar: years end on weekday year_end_dow (0 = Sunday, as
 * extract(dow)) nearest to, or last on or before, the end of
 * year_end_month; quarters split into periods of pattern weeks (pattern
 * NULL: a caller that needs only years, weeks and quarters).
 */
void
spm_retail_calendar(SpmCalendar *cal, text *pattern, int32 year_end_month,
					int32 year_end_dow, text *rule)
{
	static const char *const patterns[] = {"4-4-5", "4-5-4", "5-4-4"};
	int			i;

	memset(cal, 0, sizeof(*cal));
	cal->retail = true;
	for (i = 0; pattern != NULL && i < 3; i++)
	{
		if (VARSIZE_ANY_EXHDR(pattern) == 5 &&
			memcmp(VARDATA_ANY(pattern), patterns[i], 5) == 0)
			break;
	}
	if (pattern == NULL)
		i = 0;					/* years only: periods are not asked for */
	else if (i == 3)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown pattern \"%s\"", text_to_cstring(pattern)),
				 errhint("pattern must be '4-4-5', '4-5-4' or '5-4-4'.")));
	cal->weeks[0] = patterns[i][0] - '0';
	cal->weeks[1] = patterns[i][2] - '0';
	cal->weeks[2] = patterns[i][4] - '0';

	month_arg(year_end_month, "year_end_month");
	cal->end_month = year_end_month;

	if (year_end_dow < 0 || year_end_dow > 6)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("year_end_dow must be between 0 (Sunday) and 6 (Saturday): %d",
						year_end_dow)));
	cal->end_dow = year_end_dow;

	if (text_is(rule, "nearest"))
		cal->nearest = true;
	else if (text_is(rule, "last"))
		cal->nearest = false;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown rule \"%s\"", text_to_cstring(rule)),
				 errhint("rule must be 'nearest' or 'last'.")));
}

/*
 * A date argument of the calendar functions.  Infinite dates have no
 * period, and bounding years to 1..9999 keeps every boundary, label and
 * neighbouring year well inside PostgreSQL's date range.
 */
void
spm_date_arg(DateADT d, const char *argname)
{
	int			y,
				m,
				dd;

	if (!DATE_NOT_FINITE(d))
	{
		j2date(JDAY(d), &y, &m, &dd);
		if (y >= SPM_MIN_YEAR && y <= SPM_MAX_YEAR)
			return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must be a date between 0001-01-01 and 9999-12-31: %s",
					argname, DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d))))));
}

/* A fiscal year argument: 1..9999. */
void
spm_year_arg(int32 fy, const char *argname)
{
	if (fy < SPM_MIN_YEAR || fy > SPM_MAX_YEAR)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between %d and %d: %d",
						argname, SPM_MIN_YEAR, SPM_MAX_YEAR, fy)));
}

/* Julian day of day 1 of month index mi = year * 12 + (month - 1). */
static int
month_start(int mi)
{
	return date2j(mi / 12, mi % 12 + 1, 1);
}

static int	cal_year_of(const SpmCalendar *cal, DateADT d);

/*
 * Julian day of the last day of retail fiscal year fy: the chosen weekday
 * nearest the last day of end_month (within 3 days either way; 7 is odd,
 * so there is never a tie) or the last such weekday on or before it.
 */
static int
retail_year_end(const SpmCalendar *cal, int fy)
{
	int			last = month_start(fy * 12 + cal->end_month) - 1;
	int			dow = j2day(last);

	if (cal->nearest)
		return last + (cal->end_dow - dow + 10) % 7 - 3;
	return last - (dow - cal->end_dow + 7) % 7;
}

/*
 * A date inside years 1..9999 whose fiscal year lies outside them
 * (9999-12-31 with a year starting in February is in FY10000; 0001-01-01
 * before the first retail year end of a December calendar is in FY0).
 * Labels and period lists exist only for fiscal years 1..9999, so such a
 * date is refused with 22008 rather than given a label ('FY10000') that
 * spm.fiscal_periods would then refuse.
 */
static void
report_year_out_of_range(DateADT d, int fy)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATETIME_FIELD_OVERFLOW),
			 errmsg("date %s falls in fiscal year %d, outside the supported fiscal years %d to %d",
					DatumGetCString(DirectFunctionCall1(date_out, DateADTGetDatum(d))),
					fy, SPM_MIN_YEAR, SPM_MAX_YEAR)));
}

/*
 * The fiscal year holding d, named by the year it ends in; 22008 when that
 * is outside 1..9999.  Month-based: the year whose last month is the
 * fiscal year's twelfth.  Retail: first guess from the month, then one
 * step either way, since a year end lies within 6 days of the end of its
 * month.
 */
int
spm_cal_year_of(const SpmCalendar *cal, DateADT d)
{
	int			fy = cal_year_of(cal, d);

	if (fy < SPM_MIN_YEAR || fy > SPM_MAX_YEAR)
		report_year_out_of_range(d, fy);
	return fy;
}

/* spm_cal_year_of without the range check. */
static int
cal_year_of(const SpmCalendar *cal, DateADT d)
{
	int			j = JDAY(d),
				y,
				m,
				dd,
				fy;

	j2date(j, &y, &m, &dd);
	if (!cal->retail)
	{
		int			mi = y * 12 + (m - 1);
		int			first = mi - (m - cal->start_month + 12) % 12;

		return (first + 11) / 12;
	}
	fy = m > cal->end_month ? y + 1 : y;
	if (j > retail_year_end(cal, fy))
		fy++;
	else if (j <= retail_year_end(cal, fy - 1))
		fy--;
	return fy;
}

/*
 * The boundaries b[0] < b[1] < ... < b[n] of the n periods of grain g in
 * fiscal year fy; period i is [b[i-1], b[i]).  Retail years of 53 weeks
 * put the extra week at the end of the year's last period (and so of Q4
 * and H2), the NRF convention.
 */
int
spm_cal_bounds(const SpmCalendar *cal, int fy, SpmGrain g, DateADT *b)
{
	int			n,
				k;

	if (!cal->retail)
	{
		static const int months[] = {0, 1, 3, 6, 12};
		int			first = fy * 12 + (cal->start_month - 1) - (cal->start_month > 1 ? 12 : 0);
		int			len;

		Assert(g != SPM_GRAIN_WEEK);
		len = months[g];
		n = 12 / len;
		for (k = 0; k <= n; k++)
			b[k] = DATEADT(month_start(first + k * len));
		return n;
	}
	else
	{
		int			start = retail_year_end(cal, fy - 1) + 1;
		int			end = retail_year_end(cal, fy) + 1;
		int			w = 0;

		switch (g)
		{
			case SPM_GRAIN_WEEK:
				n = (end - start) / 7;
				break;
			case SPM_GRAIN_MONTH:
				n = 12;
				break;
			case SPM_GRAIN_QUARTER:
				n = 4;
				break;
			case SPM_GRAIN_HALF:
				n = 2;
				break;
			default:
				n = 1;
				break;
		}
		for (k = 0; k < n; k++)
		{
			b[k] = DATEADT(start + 7 * w);
			switch (g)
			{
				case SPM_GRAIN_WEEK:
					w += 1;
					break;
				case SPM_GRAIN_MONTH:
					w += cal->weeks[k % 3];
					break;
				case SPM_GRAIN_QUARTER:
					w += 13;
					break;
				case SPM_GRAIN_HALF:
					w += 26;
					break;
				default:
					w += 52;
					break;
			}
		}
		b[n] = DATEADT(end);	/* a 53rd week lands in the last period */
		return n;
	}
}

/*
 * The period of grain g holding d: its fiscal year, bounds [lo, hi) and
 * 1-based number within the year.
 */
int
spm_cal_find(const SpmCalendar *cal, DateADT d, SpmGrain g,
			 int *fy, DateADT *lo, DateADT *hi)
{
	DateADT		b[SPM_MAX_PERIODS + 1];
	int			n,
				i;

	*fy = spm_cal_year_of(cal, d);
	n = spm_cal_bounds(cal, *fy, g, b);
	for (i = 1; i < n && d >= b[i]; i++)
		;
	if (d < b[i - 1] || d >= b[i])
		elog(ERROR, "spm: date outside the periods of its own fiscal year");
	*lo = b[i - 1];
	*hi = b[i];
	return i;
}

/*
 * 'FY2026', 'FY2026-H1', 'FY2026-Q3', 'FY2026-P07', 'FY2026-W05': fixed
 * width within a grain, so labels sort in calendar order as text.
 */
char *
spm_cal_label(int fy, SpmGrain g, int number)
{
	switch (g)
	{
		case SPM_GRAIN_WEEK:
			return psprintf("FY%04d-W%02d", fy, number);
		case SPM_GRAIN_MONTH:
			return psprintf("FY%04d-P%02d", fy, number);
		case SPM_GRAIN_QUARTER:
			return psprintf("FY%04d-Q%d", fy, number);
		case SPM_GRAIN_HALF:
			return psprintf("FY%04d-H%d", fy, number);
		default:
			return psprintf("FY%04d", fy);
	}
}

/*
 * The daterange type's cache entry, looked up once per call site (kept in
 * fn_extra) rather than once per row.  Not for set-returning functions,
 * whose fn_extra belongs to the SRF machinery.
 */
TypeCacheEntry *
spm_daterange_typcache(FunctionCallInfo fcinfo)
{
	if (fcinfo->flinfo->fn_extra == NULL)
		fcinfo->flinfo->fn_extra = lookup_type_cache(DATERANGEOID, TYPECACHE_RANGE_INFO);
	return (TypeCacheEntry *) fcinfo->flinfo->fn_extra;
}

/*
 * The daterange [lo, hi), lo < hi.  Built already in daterange's
 * canonical form, so no call to the canonical function is needed.
 */
Datum
spm_daterange(TypeCacheEntry *typcache, DateADT lo, DateADT hi)
{
	RangeBound	lower,
				upper;

	Assert(lo < hi);
	lower.val = DateADTGetDatum(lo);
	lower.infinite = false;
	lower.inclusive = true;
	lower.lower = true;
	upper.val = DateADTGetDatum(hi);
	upper.infinite = false;
	upper.inclusive = false;
	upper.lower = false;
#if PG_VERSION_NUM >= 160000
	return RangeTypePGetDatum(range_serialize(typcache, &lower, &upper, false, NULL));
#else
	return RangeTypePGetDatum(range_serialize(typcache, &lower, &upper, false));
#endif
}

/* State of the period-listing SRFs: the year's boundaries, computed once. */
typedef struct PeriodsState
{
	TypeCacheEntry *typcache;
	int			fy;
	SpmGrain	grain;
	DateADT		b[SPM_MAX_PERIODS + 1];
} PeriodsState;

/*
 * First call of spm.fiscal_periods / spm.retail_periods (arguments already
 * checked): compute all boundaries of the year and the result row type.
 */
void
spm_periods_begin(FunctionCallInfo fcinfo, const SpmCalendar *cal, int fy, SpmGrain g)
{
	FuncCallContext *funcctx = SRF_FIRSTCALL_INIT();
	MemoryContext oldcxt = MemoryContextSwitchTo(funcctx->multi_call_memory_ctx);
	PeriodsState *st = palloc(sizeof(PeriodsState));
	TupleDesc	tupdesc;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "spm: period-listing function must return a row type");
	funcctx->tuple_desc = BlessTupleDesc(tupdesc);
	st->typcache = lookup_type_cache(DATERANGEOID, TYPECACHE_RANGE_INFO);
	st->fy = fy;
	st->grain = g;
	funcctx->max_calls = spm_cal_bounds(cal, fy, g, st->b);
	funcctx->user_fctx = st;
	MemoryContextSwitchTo(oldcxt);
}

/* Each later call: one row (label, period, fiscal_year, number). */
Datum
spm_periods_next(FunctionCallInfo fcinfo)
{
	FuncCallContext *funcctx = SRF_PERCALL_SETUP();
	PeriodsState *st = funcctx->user_fctx;

	if (funcctx->call_cntr < funcctx->max_calls)
	{
		int			i = (int) funcctx->call_cntr;
		Datum		values[4];
		bool		nulls[4] = {false, false, false, false};
		HeapTuple	tuple;

		values[0] = CStringGetTextDatum(spm_cal_label(st->fy, st->grain, i + 1));
		values[1] = spm_daterange(st->typcache, st->b[i], st->b[i + 1]);
		values[2] = Int32GetDatum(st->fy);
		values[3] = Int32GetDatum(i + 1);
		tuple = heap_form_tuple(funcctx->tuple_desc, values, nulls);
		SRF_RETURN_NEXT(funcctx, HeapTupleGetDatum(tuple));
	}
	SRF_RETURN_DONE(funcctx);
}
