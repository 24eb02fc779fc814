/*
 * module.c — the extension's one-time declarations.
 */
#include "postgres.h"

#include "fmgr.h"

PG_MODULE_MAGIC;
