/*
 * pg_stub.h — the harness's view of pg_stub.c (see there).
 */
#ifndef SPM_PG_STUB_H
#define SPM_PG_STUB_H

#include <setjmp.h>

extern sigjmp_buf *stub_catch;		/* where an ERROR jumps to */
extern int	stub_last_sqlstate;		/* SQLSTATE of the last ERROR */
extern char stub_last_message[256];
extern char *stub_stack_base;		/* for check_stack_depth */

extern void stub_reset_memory(void);

#endif
