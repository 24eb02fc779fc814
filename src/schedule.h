/*
 * schedule.h — the spm.schedule type: an earnings rule E(x).
 *
 * A schedule is one base rule (marginal tiers, retroactive tiers or a
 * piecewise-linear curve) wrapped by zero or more caps and gates, innermost
 * first.  Every parameter is an exact decimal; on disk all x-domain values
 * (breaks, curve xs, gate thresholds) share one scale, all y-domain values
 * (curve ys, cap maxima) another, and tier rates a third, so evaluation
 * needs no per-value scale bookkeeping.  Parameters are kept in lowest
 * terms (0.050 is stored as 0.05), which makes the representation of a
 * value unique: equality is a byte comparison.
 */
#ifndef SPM_SCHEDULE_H
#define SPM_SCHEDULE_H

#include "postgres.h"
#include "fmgr.h"

#include "fixed.h"

#define SPM_MARGINAL		1
#define SPM_RETROACTIVE		2
#define SPM_CURVE			3

#define SPM_CAP				1
#define SPM_GATE			2

#define SPM_MAX_WRAPS		16		/* caps and gates around one base */
#define SPM_MAX_POINTS		1000	/* tiers or curve points */
#define SPM_PARAM_MAX_SCALE	15		/* decimal places of one parameter */
#define SPM_PARAM_MAX_INT	15		/* integer digits of one parameter */
#define SPM_CURVE_SCALE		12		/* decimal places of curve results */

#define SPM_SCHEDULE_FORMAT	1

typedef struct SpmSchedule
{
	int32		vl_len_;		/* varlena header (do not touch directly) */
	uint8		format;			/* SPM_SCHEDULE_FORMAT */
	uint8		base;			/* SPM_MARGINAL, SPM_RETROACTIVE, SPM_CURVE */
	uint8		nwraps;
	uint8		xscale;			/* scale of breaks, curve xs, thresholds */
	uint8		yscale;			/* scale of curve ys, cap maxima */
	uint8		rscale;			/* scale of tier rates */
	uint8		wkind[SPM_MAX_WRAPS];	/* SPM_CAP / SPM_GATE, innermost first */
	int32		npoints;
	int128		data[FLEXIBLE_ARRAY_MEMBER];	/* xs[n], ys[n], wval[nwraps] */
} SpmSchedule;

#define SPM_XS(s)		((s)->data)
#define SPM_YS(s)		((s)->data + (s)->npoints)
#define SPM_WVAL(s)		((s)->data + 2 * (s)->npoints)
#define SPM_YSCALE_OF_BASE(s) ((s)->base == SPM_CURVE ? (s)->yscale : (s)->rscale)

/* An unpacked schedule: what parsers build and printers read. */
typedef struct SpmScheduleSpec
{
	int			base;
	int			npoints;
	Fixed	   *xs;
	Fixed	   *ys;
	int			nwraps;
	int			wkind[SPM_MAX_WRAPS];
	Fixed		wval[SPM_MAX_WRAPS];
} SpmScheduleSpec;

#define DatumGetSpmSchedule(d)	((SpmSchedule *) PG_DETOAST_DATUM(d))
#define PG_GETARG_SPM_SCHEDULE(n) DatumGetSpmSchedule(PG_GETARG_DATUM(n))

/* schedule_build.c */
extern SpmSchedule *spm_schedule_build(const SpmScheduleSpec *spec);
extern void spm_schedule_unpack(const SpmSchedule *s, SpmScheduleSpec *spec);
extern void spm_spec_add_wrap(SpmScheduleSpec *spec, int kind, Fixed value);
extern void spm_check_wrap_depth(int nwraps);
extern void spm_check_npoints(int base, int n, int where);
extern const char *spm_base_name(int base);
extern const char *spm_wrap_name(int kind);

/* schedule_io.c */
extern char *spm_schedule_to_cstring(const SpmSchedule *s);

/* eval.c */
typedef struct SpmEval
{
	const SpmSchedule *s;
	int			xin_scale;		/* scale of the totals fed in */
	int			sx;				/* working scale of totals and points */
	int			sy;				/* scale of results */
	int128	   *px;				/* x-domain points, times quota, at sx */
	int128	   *py;				/* curve ys, times quota, at sy */
	int128	   *pw;				/* wrapper values, times quota */
	int128		qv;				/* quota (1 when absent) */
	int			qs;
} SpmEval;

extern void spm_eval_init(SpmEval *ev, const SpmSchedule *s, int xin_scale,
						  const Fixed *quota, MemoryContext mcxt);
extern int128 spm_eval_at(const SpmEval *ev, int128 x);
extern Fixed spm_apply_fixed(const SpmSchedule *s, Fixed x, const Fixed *quota);
extern bool spm_quota_arg(Datum d, const char *fn, Fixed *q);

#endif
