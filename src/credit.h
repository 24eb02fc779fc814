/*
 * credit.h — penny-exact credit allocation shared by spm.allocate and the
 * spm.split_share window function, so both split a deal identically.
 */
#ifndef SPM_CREDIT_H
#define SPM_CREDIT_H

#include "postgres.h"

#include "utils/memutils.h"

#include "fixed.h"

/* Default number of decimal places of a share: cents. */
#define SPM_CREDIT_DEFAULT_SCALE 2

/*
 * Most positions one allocation splits among: the per-position work arrays
 * (at most 64 bytes each) must fit one palloc.
 */
#define SPM_CREDIT_MAX_POSITIONS ((int) (MaxAllocSize / 64))

extern void spm_credit_check_scale(int32 scale, const char *fn);
extern void spm_credit_check_count(int64 n, const char *fn);
extern int128 spm_credit_rounded_units(Fixed amount, int scale);
extern void spm_allocate_units(Fixed amount, const Fixed *weights, int n,
							   int scale, int128 *shares);

#endif
