/*
 * calendar.h — fiscal calendars: month-based years (any start month) and
 * week-based retail years (4-4-5, 4-5-4, 5-4-4 with 52 or 53 weeks).
 *
 * Both kinds are described by one SpmCalendar so that finding the period
 * of a date, labelling it and listing a year's periods are written once.
 * A fiscal year is named by the calendar year in which it ends (for retail
 * years: the year of the month it ends in or near).  Dates are PostgreSQL
 * DateADT values (days since 2000-01-01).
 */
#ifndef SPM_CALENDAR_H
#define SPM_CALENDAR_H

#include "postgres.h"
#include "fmgr.h"
#include "utils/date.h"
#include "utils/typcache.h"

typedef enum SpmGrain
{
	SPM_GRAIN_WEEK,
	SPM_GRAIN_MONTH,			/* a calendar month, or a retail 4/5-week period */
	SPM_GRAIN_QUARTER,
	SPM_GRAIN_HALF,
	SPM_GRAIN_YEAR
} SpmGrain;

typedef struct SpmCalendar
{
	bool		retail;
	int			start_month;	/* month-based: first month of the year */
	int			weeks[3];		/* retail: weeks of a quarter's periods */
	int			end_month;		/* retail: month the year ends in or near */
	int			end_dow;		/* retail: weekday of the year's last day */
	bool		nearest;		/* retail: nearest the month end, else last */
} SpmCalendar;

/* Most periods of one grain in one fiscal year (53 retail weeks). */
#define SPM_MAX_PERIODS		53

/* Fiscal years (and calendar years of dates) spm's calendars accept. */
#define SPM_MIN_YEAR		1
#define SPM_MAX_YEAR		9999

extern SpmGrain spm_grain_arg(text *grain, bool retail);
extern void spm_month_calendar(SpmCalendar *cal, int32 fiscal_start_month);
extern void spm_retail_calendar(SpmCalendar *cal, text *pattern, int32 year_end_month,
								int32 year_end_dow, text *rule);
extern void spm_date_arg(DateADT d, const char *argname);
extern void spm_year_arg(int32 fy, const char *argname);

extern int	spm_cal_year_of(const SpmCalendar *cal, DateADT d);
extern int	spm_cal_bounds(const SpmCalendar *cal, int fy, SpmGrain g, DateADT *b);
extern int	spm_cal_find(const SpmCalendar *cal, DateADT d, SpmGrain g,
						 int *fy, DateADT *lo, DateADT *hi);
extern char *spm_cal_label(int fy, SpmGrain g, int number);

extern TypeCacheEntry *spm_daterange_typcache(FunctionCallInfo fcinfo);
extern Datum spm_daterange(TypeCacheEntry *typcache, DateADT lo, DateADT hi);
extern void spm_periods_begin(FunctionCallInfo fcinfo, const SpmCalendar *cal,
							  int fy, SpmGrain g);
extern Datum spm_periods_next(FunctionCallInfo fcinfo);

#endif
