/*
 * args.h — decoding SQL arguments with the errors docs/errors.md lists.
 */
#ifndef SPM_ARGS_H
#define SPM_ARGS_H

#include "postgres.h"
#include "utils/array.h"

#include "fixed.h"

extern Fixed *spm_numeric_array(ArrayType *a, const char *fn, const char *argname, int *n);
extern void spm_check_same_length(const char *a, int na, const char *b, int nb);

#endif
