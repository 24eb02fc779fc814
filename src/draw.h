/*
 * draw.h — the draw ledger's rules, shared by spm.draw_ledger (window),
 * spm.draw_simulate (aggregate) and the calibration aggregates.
 *
 * There is exactly one implementation of docs/draws.md's per-row rules:
 * spm_draw_step.  Everything else decodes arguments into an SpmDrawInput,
 * lines them up at the ledger's working scale (spm_draw_fit) and calls it.
 */
#ifndef SPM_DRAW_H
#define SPM_DRAW_H

#include "postgres.h"
#include "fmgr.h"
#include "access/tupdesc.h"

#include "fixed.h"

typedef enum SpmDrawKind
{
	SPM_DRAW_RECOVERABLE,
	SPM_DRAW_NON_RECOVERABLE,
	SPM_DRAW_ADVANCE
} SpmDrawKind;

/*
 * One rep's running ledger: the balance B (what the rep owes) at the
 * working scale, and the largest display scale of earned and draw seen,
 * which sets the display scale of results.
 */
typedef struct SpmDrawLedger
{
	int128		balance;
	int32		scale;			/* working scale W of every int128 here */
	int32		money_scale;	/* largest scale of earned and draw seen */
} SpmDrawLedger;

/*
 * One period's inputs.  After spm_draw_fit, earned and draw are at the
 * ledger's scale; rho keeps its own (normalized) scale.
 */
typedef struct SpmDrawInput
{
	SpmDrawKind kind;
	Fixed		earned;
	Fixed		draw;
	Fixed		rho;			/* recovery limit in [0,1], trailing zeros stripped */
	bool		forgive;
} SpmDrawInput;

/* One period's results, all at the ledger's scale. */
typedef struct SpmDrawLine
{
	int128		payout;
	int128		draw_paid;
	int128		recovered;
	int128		forgiven;
	int128		balance;
} SpmDrawLine;

/* argument positions shared by draw_ledger and draw_simulate */
#define SPM_DRAW_ARG_EARNED		0
#define SPM_DRAW_ARG_DRAW		1
#define SPM_DRAW_ARG_KIND		2
#define SPM_DRAW_ARG_RHO		3
#define SPM_DRAW_ARG_FORGIVE	4

extern SpmDrawKind spm_draw_kind(const char *fn, bool isnull, Datum kind);
extern Fixed spm_draw_amount(const char *fn, const char *argname, bool isnull, Datum d);
extern Fixed spm_draw_rho(const char *fn, bool isnull, Datum d);
extern void spm_draw_read(const char *fn, int nargs, const Datum *args,
						  const bool *nulls, SpmDrawInput *in);
extern int	spm_draw_fit(SpmDrawLedger *lg, SpmDrawInput *in);
extern void spm_draw_step(SpmDrawLedger *lg, const SpmDrawInput *in, SpmDrawLine *out);
extern Datum spm_draw_numeric(int128 v, int scale, int min_scale);
extern TupleDesc spm_draw_result_desc(FunctionCallInfo fcinfo);

#endif
