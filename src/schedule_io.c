/*
 * schedule_io.c — text and binary forms of spm.schedule.
 *
 * Text grammar (keywords case-insensitive, whitespace free between tokens):
 *
 *   schedule := base | wrapper
 *   base     := ("marginal" | "retroactive" | "curve") "(" pair {"," pair} ")"
 *   wrapper  := ("cap" | "gate") "(" schedule "," number ")"
 *   pair     := number ":" number          -- break: rate, or x: y
 *   number   := ["+"|"-"] digits ["." digits] ["%"]   -- "%" divides by 100
 *
 * e.g.  cap(marginal(0: 0.02, 10000: 0.04, 50000: 0.07), 3000)
 *
 * Output is canonical: lower-case keywords, ": " and ", " separators, each
 * number in lowest terms, no "%".  Binary form: a format byte, then the
 * same tree with each number as (scale byte, int128 as two int64s); receive
 * rebuilds through spm_schedule_build, so it applies every check of input.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "libpq/pqformat.h"
#include "miscadmin.h"

#include "schedule.h"

PG_FUNCTION_INFO_V1(spm_schedule_in);
PG_FUNCTION_INFO_V1(spm_schedule_out);
PG_FUNCTION_INFO_V1(spm_schedule_recv);
PG_FUNCTION_INFO_V1(spm_schedule_send);

#define SPM_MAX_LITERAL_DIGITS 36

typedef struct Parser
{
	const char *input;
	const char *p;
} Parser;

/* A syntax error, pointing at the character where parsing stopped. */
static void
syntax_error(Parser *ps, const char *expected) pg_attribute_noreturn();

static void
syntax_error(Parser *ps, const char *expected)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type spm.schedule: \"%s\"", ps->input),
			 *ps->p ? errdetail("Expected %s at character %d, found \"%.10s\".",
								expected, (int) (ps->p - ps->input) + 1, ps->p)
			 : errdetail("Expected %s at character %d, found end of input.",
						 expected, (int) (ps->p - ps->input) + 1)));
}

static void
skip_ws(Parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r')
		ps->p++;
}

static void
expect(Parser *ps, char c, const char *what)
{
	skip_ws(ps);
	if (*ps->p != c)
		syntax_error(ps, what);
	ps->p++;
}

/* Read a keyword; returns its length (0 if none). */
static int
read_word(Parser *ps, const char **start)
{
	skip_ws(ps);
	*start = ps->p;
	while ((*ps->p >= 'a' && *ps->p <= 'z') || (*ps->p >= 'A' && *ps->p <= 'Z') ||
		   *ps->p == '_')
		ps->p++;
	return ps->p - *start;
}

/* A decimal literal, read straight into fixed point (no numeric_in). */
static Fixed
read_number(Parser *ps)
{
	Fixed		f = {0, 0};
	bool		neg = false,
				any = false,
				frac = false;
	int			ndig = 0;

	skip_ws(ps);
	if (*ps->p == '+' || *ps->p == '-')
		neg = (*ps->p++ == '-');
	for (;; ps->p++)
	{
		char		c = *ps->p;

		if (c >= '0' && c <= '9')
		{
			any = true;
			if (f.v != 0 || c != '0')
				ndig++;
			if (ndig > SPM_MAX_LITERAL_DIGITS || f.scale >= SPM_MAX_SCALE)
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("number too long in spm.schedule literal at character %d",
								(int) (ps->p - ps->input) + 1)));
			f.v = f.v * 10 + (c - '0');
			if (frac)
				f.scale++;
		}
		else if (c == '.' && !frac)
			frac = true;
		else
			break;
	}
	if (!any)
		syntax_error(ps, "a number");
	if (*ps->p == '%')
	{
		ps->p++;
		f.scale += 2;
		if (f.scale > SPM_MAX_SCALE)
			spm_report_overflow();
	}
	if (neg)
		f.v = -f.v;
	return f;
}

static void parse_schedule(Parser *ps, SpmScheduleSpec *spec, int depth);

/*
 * The points of a base rule.  The point limit is checked as each point
 * starts, so an over-long literal costs at most SPM_MAX_POINTS points of
 * memory, not one per point it holds.
 */
static void
parse_base(Parser *ps, SpmScheduleSpec *spec, int base)
{
	int			cap = 8;

	spec->base = base;
	spec->npoints = 0;
	spec->nwraps = 0;
	spec->xs = palloc(cap * sizeof(Fixed));
	spec->ys = palloc(cap * sizeof(Fixed));
	expect(ps, '(', "\"(\"");
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		if (spec->npoints == SPM_MAX_POINTS)
		{
			skip_ws(ps);
			spm_check_npoints(base, -1, (int) (ps->p - ps->input) + 1);
		}
		if (spec->npoints == cap)
		{
			cap *= 2;
			spec->xs = repalloc(spec->xs, cap * sizeof(Fixed));
			spec->ys = repalloc(spec->ys, cap * sizeof(Fixed));
		}
		spec->xs[spec->npoints] = read_number(ps);
		expect(ps, ':', "\":\"");
		spec->ys[spec->npoints] = read_number(ps);
		spec->npoints++;
		skip_ws(ps);
		if (*ps->p == ')')
			break;
		if (*ps->p != ',')
			syntax_error(ps, "\",\" or \")\"");
		ps->p++;
	}
	ps->p++;
}

/*
 * One node; depth is the number of caps and gates around it.  The nesting
 * limit is checked before descending into a wrapper, so recursion is
 * bounded by SPM_MAX_WRAPS whatever the input ('cap(' * 200000 used to
 * overflow the stack).
 */
static void
parse_schedule(Parser *ps, SpmScheduleSpec *spec, int depth)
{
	const char *w;
	int			len;

	check_stack_depth();
	len = read_word(ps, &w);

#define IS(word) (len == strlen(word) && pg_strncasecmp(w, word, len) == 0)
	if (IS("marginal"))
		parse_base(ps, spec, SPM_MARGINAL);
	else if (IS("retroactive"))
		parse_base(ps, spec, SPM_RETROACTIVE);
	else if (IS("curve"))
		parse_base(ps, spec, SPM_CURVE);
	else if (IS("cap") || IS("gate"))
	{
		int			kind = IS("cap") ? SPM_CAP : SPM_GATE;
		Fixed		v;

		spm_check_wrap_depth(depth + 1);
		expect(ps, '(', "\"(\"");
		parse_schedule(ps, spec, depth + 1);
		expect(ps, ',', "\",\"");
		v = read_number(ps);
		expect(ps, ')', "\")\"");
		spm_spec_add_wrap(spec, kind, v);
	}
	else
	{
		ps->p = w;
		syntax_error(ps, "marginal, retroactive, curve, cap or gate");
	}
#undef IS
}

/* Text input: parse, then let the builder check the rules. */
Datum
spm_schedule_in(PG_FUNCTION_ARGS)
{
	char	   *str = PG_GETARG_CSTRING(0);
	Parser		ps = {str, str};
	SpmScheduleSpec spec;

	memset(&spec, 0, sizeof(spec));
	parse_schedule(&ps, &spec, 0);
	skip_ws(&ps);
	if (*ps.p != '\0')
		syntax_error(&ps, "end of input");
	PG_RETURN_POINTER(spm_schedule_build(&spec));
}

/* Canonical text: rebuilt from the tree, innermost wrapper printed deepest. */
char *
spm_schedule_to_cstring(const SpmSchedule *s)
{
	SpmScheduleSpec spec;
	StringInfoData buf;
	int			i;

	spm_schedule_unpack(s, &spec);
	initStringInfo(&buf);
	for (i = spec.nwraps - 1; i >= 0; i--)
		appendStringInfo(&buf, "%s(", spm_wrap_name(spec.wkind[i]));
	appendStringInfo(&buf, "%s(", spm_base_name(spec.base));
	for (i = 0; i < spec.npoints; i++)
	{
		if (i > 0)
			appendStringInfoString(&buf, ", ");
		spm_append_fixed(&buf, spec.xs[i].v, spec.xs[i].scale);
		appendStringInfoString(&buf, ": ");
		spm_append_fixed(&buf, spec.ys[i].v, spec.ys[i].scale);
	}
	appendStringInfoChar(&buf, ')');
	for (i = 0; i < spec.nwraps; i++)
	{
		appendStringInfoString(&buf, ", ");
		spm_append_fixed(&buf, spec.wval[i].v, spec.wval[i].scale);
		appendStringInfoChar(&buf, ')');
	}
	return buf.data;
}

Datum
spm_schedule_out(PG_FUNCTION_ARGS)
{
	PG_RETURN_CSTRING(spm_schedule_to_cstring(PG_GETARG_SPM_SCHEDULE(0)));
}

static void
send_fixed(StringInfo buf, Fixed f)
{
	pq_sendbyte(buf, (uint8) f.scale);
	spm_send_int128(buf, f.v);
}

/* Read one number; its range is checked again by the builder. */
static Fixed
recv_fixed(StringInfo buf)
{
	Fixed		f;

	f.scale = pq_getmsgbyte(buf);
	f.v = spm_recv_int128(buf);
	if (f.scale > SPM_MAX_SCALE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid scale %d in binary spm.schedule", f.scale)));
	return f;
}

Datum
spm_schedule_send(PG_FUNCTION_ARGS)
{
	SpmSchedule *s = PG_GETARG_SPM_SCHEDULE(0);
	SpmScheduleSpec spec;
	StringInfoData buf;
	int			i;

	spm_schedule_unpack(s, &spec);
	pq_begintypsend(&buf);
	pq_sendbyte(&buf, SPM_SCHEDULE_FORMAT);
	pq_sendbyte(&buf, (uint8) spec.base);
	pq_sendint32(&buf, spec.npoints);
	for (i = 0; i < spec.npoints; i++)
	{
		send_fixed(&buf, spec.xs[i]);
		send_fixed(&buf, spec.ys[i]);
	}
	pq_sendbyte(&buf, (uint8) spec.nwraps);
	for (i = 0; i < spec.nwraps; i++)
	{
		pq_sendbyte(&buf, (uint8) spec.wkind[i]);
		send_fixed(&buf, spec.wval[i]);
	}
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

Datum
spm_schedule_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	SpmScheduleSpec spec;
	int			format,
				i,
				n;

	format = pq_getmsgbyte(buf);
	if (format != SPM_SCHEDULE_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("unsupported binary spm.schedule format %d", format)));
	memset(&spec, 0, sizeof(spec));
	spec.base = pq_getmsgbyte(buf);
	if (spec.base != SPM_MARGINAL && spec.base != SPM_RETROACTIVE && spec.base != SPM_CURVE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid schedule kind %d in binary spm.schedule", spec.base)));
	n = pq_getmsgint(buf, 4);
	if (n < 1 || n > SPM_MAX_POINTS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid point count %d in binary spm.schedule", n)));
	spec.npoints = n;
	spec.xs = palloc(n * sizeof(Fixed));
	spec.ys = palloc(n * sizeof(Fixed));
	for (i = 0; i < n; i++)
	{
		spec.xs[i] = recv_fixed(buf);
		spec.ys[i] = recv_fixed(buf);
	}
	n = pq_getmsgbyte(buf);
	if (n > SPM_MAX_WRAPS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("invalid wrapper count %d in binary spm.schedule", n)));
	for (i = 0; i < n; i++)
	{
		int			kind = pq_getmsgbyte(buf);

		if (kind != SPM_CAP && kind != SPM_GATE)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
					 errmsg("invalid wrapper kind %d in binary spm.schedule", kind)));
		spm_spec_add_wrap(&spec, kind, recv_fixed(buf));
	}
	pq_getmsgend(buf);
	PG_RETURN_POINTER(spm_schedule_build(&spec));
}
