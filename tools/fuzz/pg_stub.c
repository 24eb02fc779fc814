/*
 * pg_stub.c — the little of the PostgreSQL backend that spm's schedule
 * parsers and fixed-point kernels call, so they can be linked into a
 * libFuzzer binary without a server.
 *
 * - palloc and friends: malloc, each block on a list that the harness frees
 *   after every input (so a leak in spm is not reported as one here, and a
 *   use after the input is a heap-use-after-free for AddressSanitizer).
 * - ereport/elog: errstart/errfinish record the SQLSTATE and, for ERROR,
 *   siglongjmp back to the harness (stub_catch).  An ERROR without an
 *   errcode is SQLSTATE XX000: the harness treats it as a finding, since
 *   spm must give every user-reachable error a proper SQLSTATE.
 * - check_stack_depth: a real depth check against the stack at the start of
 *   the input, with PostgreSQL's default limit of 2 MB minus a margin.
 * - pq_getmsg*: the backend's checks (08P01 when the message is short).
 *
 * Nothing here is for production use.
 */
#include "postgres.h"

#include <setjmp.h>

#include "fmgr.h"
#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "pg_stub.h"

/* ------------------------------------------------------------ memory --- */

typedef struct StubBlock
{
	struct StubBlock *prev;
	struct StubBlock *next;
	Size		size;
	/* payload follows, MAXALIGNed */
} StubBlock;

#define STUB_HDR	MAXALIGN(sizeof(StubBlock))

static StubBlock *blocks;
MemoryContext CurrentMemoryContext = NULL;
volatile sig_atomic_t InterruptPending = false;

static void *
stub_alloc(Size size, bool zero)
{
	StubBlock  *b;

	if (size > MaxAllocHugeSize)
		elog(ERROR, "stub: invalid memory alloc request size %zu", size);
	b = malloc(STUB_HDR + size);
	if (b == NULL)
		abort();
	if (zero)
		memset((char *) b + STUB_HDR, 0, size);
	b->size = size;
	b->prev = NULL;
	b->next = blocks;
	if (blocks)
		blocks->prev = b;
	blocks = b;
	return (char *) b + STUB_HDR;
}

static void
stub_unlink(StubBlock *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else
		blocks = b->next;
	if (b->next)
		b->next->prev = b->prev;
}

void *
palloc(Size size)
{
	return stub_alloc(size, false);
}

void *
palloc0(Size size)
{
	return stub_alloc(size, true);
}

void *
palloc_extended(Size size, int flags)
{
	return stub_alloc(size, (flags & MCXT_ALLOC_ZERO) != 0);
}

void *
MemoryContextAlloc(MemoryContext context, Size size)
{
	return stub_alloc(size, false);
}

void *
MemoryContextAllocZero(MemoryContext context, Size size)
{
	return stub_alloc(size, true);
}

void *
MemoryContextAllocZeroAligned(MemoryContext context, Size size)
{
	return stub_alloc(size, true);
}

void *
MemoryContextAllocHuge(MemoryContext context, Size size)
{
	return stub_alloc(size, false);
}

void
pfree(void *p)
{
	StubBlock  *b = (StubBlock *) ((char *) p - STUB_HDR);

	stub_unlink(b);
	free(b);
}

void *
repalloc(void *p, Size size)
{
	StubBlock  *b = (StubBlock *) ((char *) p - STUB_HDR);
	void	   *n = stub_alloc(size, false);

	memcpy(n, p, Min(size, b->size));
	pfree(p);
	return n;
}

void *
repalloc_huge(void *p, Size size)
{
	return repalloc(p, size);
}

char *
pstrdup(const char *s)
{
	return pnstrdup(s, strlen(s));
}

char *
pnstrdup(const char *in, Size len)
{
	char	   *out;

	len = strnlen(in, len);
	out = palloc(len + 1);
	memcpy(out, in, len);
	out[len] = '\0';
	return out;
}

char *
psprintf(const char *fmt,...)
{
	StringInfoData buf;
	va_list		args;

	initStringInfo(&buf);
	for (;;)
	{
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(&buf, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(&buf, needed);
	}
	return buf.data;
}

/* Free everything palloc'd since the last call: end of one fuzz input. */
void
stub_reset_memory(void)
{
	while (blocks)
	{
		StubBlock  *b = blocks;

		blocks = b->next;
		free(b);
	}
}

struct varlena *
pg_detoast_datum(struct varlena *datum)
{
	/* the harness builds plain 4-byte-header values only */
	if (VARATT_IS_EXTENDED(datum))
		elog(ERROR, "stub: toasted or short-header datum");
	return datum;
}

/* -------------------------------------------------------- StringInfo --- */

void
initStringInfo(StringInfo str)
{
	str->maxlen = 64;
	str->data = palloc(str->maxlen);
	resetStringInfo(str);
}

void
resetStringInfo(StringInfo str)
{
	str->data[0] = '\0';
	str->len = 0;
	str->cursor = 0;
}

void
enlargeStringInfo(StringInfo str, int needed)
{
	int			newlen;

	if (needed < 0 || ((Size) needed) >= (MaxAllocSize - (Size) str->len))
		elog(ERROR, "stub: string buffer overflow");
	needed += str->len + 1;
	if (needed <= str->maxlen)
		return;
	newlen = 2 * str->maxlen;
	while (needed > newlen)
		newlen = 2 * newlen;
	if (newlen > (int) MaxAllocSize)
		newlen = (int) MaxAllocSize;
	str->data = repalloc(str->data, newlen);
	str->maxlen = newlen;
}

int
appendStringInfoVA(StringInfo str, const char *fmt, va_list args)
{
	int			avail = str->maxlen - str->len;
	size_t		nprinted;

	nprinted = pvsnprintf(str->data + str->len, (size_t) avail, fmt, args);
	if (nprinted < (size_t) avail)
	{
		str->len += (int) nprinted;
		return 0;
	}
	str->data[str->len] = '\0';
	return (int) nprinted;
}

size_t
pvsnprintf(char *buf, size_t len, const char *fmt, va_list args)
{
	int			nprinted = vsnprintf(buf, len, fmt, args);

	if (nprinted < 0)
		abort();
	if ((size_t) nprinted < len)
		return (size_t) nprinted;
	return (size_t) nprinted + 1;
}

void
appendStringInfo(StringInfo str, const char *fmt,...)
{
	for (;;)
	{
		va_list		args;
		int			needed;

		va_start(args, fmt);
		needed = appendStringInfoVA(str, fmt, args);
		va_end(args);
		if (needed == 0)
			break;
		enlargeStringInfo(str, needed);
	}
}

void
appendBinaryStringInfo(StringInfo str, const char *data, int datalen)
{
	enlargeStringInfo(str, datalen);
	memcpy(str->data + str->len, data, datalen);
	str->len += datalen;
	str->data[str->len] = '\0';
}

void
appendStringInfoString(StringInfo str, const char *s)
{
	appendBinaryStringInfo(str, s, strlen(s));
}

void
appendStringInfoChar(StringInfo str, char ch)
{
	if (str->len + 1 >= str->maxlen)
		enlargeStringInfo(str, 1);
	str->data[str->len] = ch;
	str->len++;
	str->data[str->len] = '\0';
}

/* ------------------------------------------------------------ pqformat --- */

void
pq_begintypsend(StringInfo buf)
{
	initStringInfo(buf);
	appendStringInfoString(buf, "    ");	/* room for the varlena header */
}

bytea *
pq_endtypsend(StringInfo buf)
{
	bytea	   *result = (bytea *) buf->data;

	SET_VARSIZE(result, buf->len);
	return result;
}

void
pq_sendbytes(StringInfo buf, const char *data, int datalen)
{
	appendBinaryStringInfo(buf, data, datalen);
}

static void
short_message(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_PROTOCOL_VIOLATION),
			 errmsg("insufficient data left in message")));
}

int
pq_getmsgbyte(StringInfo msg)
{
	if (msg->cursor >= msg->len)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("no data left in message")));
	return (unsigned char) msg->data[msg->cursor++];
}

void
pq_copymsgbytes(StringInfo msg, char *buf, int datalen)
{
	if (datalen < 0 || datalen > (msg->len - msg->cursor))
		short_message();
	memcpy(buf, &msg->data[msg->cursor], datalen);
	msg->cursor += datalen;
}

unsigned int
pq_getmsgint(StringInfo msg, int b)
{
	unsigned char v[4];

	if (b != 4)
		elog(ERROR, "stub: unsupported integer size %d", b);
	pq_copymsgbytes(msg, (char *) v, 4);
	return ((unsigned int) v[0] << 24) | ((unsigned int) v[1] << 16) |
		((unsigned int) v[2] << 8) | v[3];
}

int64
pq_getmsgint64(StringInfo msg)
{
	unsigned char v[8];
	uint64		r = 0;
	int			i;

	pq_copymsgbytes(msg, (char *) v, 8);
	for (i = 0; i < 8; i++)
		r = (r << 8) | v[i];
	return (int64) r;
}

void
pq_getmsgend(StringInfo msg)
{
	if (msg->cursor != msg->len)
		ereport(ERROR,
				(errcode(ERRCODE_PROTOCOL_VIOLATION),
				 errmsg("invalid message format")));
}

/* ----------------------------------------------------------- elog.c --- */

static int	cur_elevel;
static int	cur_sqlstate;
sigjmp_buf *stub_catch;
int			stub_last_sqlstate;
char		stub_last_message[256];

bool
errstart(int elevel, const char *domain)
{
	if (elevel < ERROR)
		return false;			/* spm raises nothing below ERROR */
	cur_elevel = elevel;
	cur_sqlstate = 0;
	stub_last_message[0] = '\0';
	return true;
}

bool
errstart_cold(int elevel, const char *domain)
{
	return errstart(elevel, domain);
}

int
errcode(int sqlerrcode)
{
	cur_sqlstate = sqlerrcode;
	return 0;
}

int
errmsg(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	vsnprintf(stub_last_message, sizeof(stub_last_message), fmt, args);
	va_end(args);
	return 0;
}

int
errmsg_internal(const char *fmt,...)
{
	va_list		args;

	va_start(args, fmt);
	vsnprintf(stub_last_message, sizeof(stub_last_message), fmt, args);
	va_end(args);
	return 0;
}

int
errdetail(const char *fmt,...)
{
	return 0;
}

int
errhint(const char *fmt,...)
{
	return 0;
}

void
errfinish(const char *filename, int lineno, const char *funcname)
{
	/* ERROR without errcode() is XX000, as in elog.c */
	stub_last_sqlstate = cur_sqlstate ? cur_sqlstate : ERRCODE_INTERNAL_ERROR;
	if (cur_elevel > ERROR || stub_catch == NULL)
	{
		fprintf(stderr, "stub: %s at %s:%d: %s\n",
				cur_elevel > ERROR ? "FATAL/PANIC" : "ERROR outside a catch",
				filename, lineno, stub_last_message);
		abort();
	}
	siglongjmp(*stub_catch, 1);
}

void
ExceptionalCondition(const char *conditionName, const char *errorType,
					 const char *fileName, int lineNumber)
{
	fprintf(stderr, "stub: assertion \"%s\" failed at %s:%d\n",
			conditionName, fileName, lineNumber);
	abort();
}

/* ------------------------------------------------------ miscellanea --- */

char	   *stub_stack_base;

/* PostgreSQL's default max_stack_depth, 2 MB, minus its 512 kB margin */
#define STUB_STACK_LIMIT	(2048L * 1024 - 512L * 1024)

void
check_stack_depth(void)
{
	char		here;
	long		depth = stub_stack_base - &here;

	if (depth < 0)
		depth = -depth;
	if (stub_stack_base != NULL && depth > STUB_STACK_LIMIT)
		ereport(ERROR,
				(errcode(ERRCODE_STATEMENT_TOO_COMPLEX),
				 errmsg("stack depth limit exceeded")));
}

void
ProcessInterrupts(void)
{
	InterruptPending = false;
}

int
pg_strncasecmp(const char *s1, const char *s2, size_t n)
{
	while (n-- > 0)
	{
		unsigned char ch1 = (unsigned char) *s1++;
		unsigned char ch2 = (unsigned char) *s2++;

		if (ch1 != ch2)
		{
			if (ch1 >= 'A' && ch1 <= 'Z')
				ch1 += 'a' - 'A';
			if (ch2 >= 'A' && ch2 <= 'Z')
				ch2 += 'a' - 'A';
			if (ch1 != ch2)
				return (int) ch1 - (int) ch2;
		}
		if (ch1 == 0)
			break;
	}
	return 0;
}
