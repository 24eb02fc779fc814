/*
 * schedule_json.c — casts between spm.schedule and jsonb.
 *
 * JSON form, one object per node, wrappers outside:
 *   {"kind": "marginal" | "retroactive", "breaks": [...], "rates": [...]}
 *   {"kind": "curve", "xs": [...], "ys": [...]}
 *   {"kind": "cap",  "max": n,       "schedule": {...}}
 *   {"kind": "gate", "threshold": n, "schedule": {...}}
 * Numbers are JSON numbers (jsonb keeps them exact).  Unknown keys, missing
 * keys and wrong types are 22P02 with the JSON path of the problem; rule
 * violations are 22023 from the shared builder.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"

#include "schedule.h"

PG_FUNCTION_INFO_V1(spm_schedule_to_jsonb);
PG_FUNCTION_INFO_V1(spm_schedule_from_jsonb);

static void
append_array(StringInfo buf, const char *key, const Fixed *v, int n)
{
	int			i;

	appendStringInfo(buf, ", \"%s\": [", key);
	for (i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		spm_append_fixed(buf, v[i].v, v[i].scale);
	}
	appendStringInfoChar(buf, ']');
}

/*
 * Write wrapper `level` (and everything inside it) as JSON.  Recursion is
 * bounded by SPM_MAX_WRAPS (a stored value has at most that many levels).
 */
static void
append_node(StringInfo buf, const SpmScheduleSpec *spec, int level)
{
	check_stack_depth();
	if (level < 0)
	{
		bool		tiers = spec->base != SPM_CURVE;

		appendStringInfo(buf, "{\"kind\": \"%s\"", spm_base_name(spec->base));
		append_array(buf, tiers ? "breaks" : "xs", spec->xs, spec->npoints);
		append_array(buf, tiers ? "rates" : "ys", spec->ys, spec->npoints);
		appendStringInfoChar(buf, '}');
		return;
	}
	appendStringInfo(buf, "{\"kind\": \"%s\", \"%s\": ", spm_wrap_name(spec->wkind[level]),
					 spec->wkind[level] == SPM_CAP ? "max" : "threshold");
	spm_append_fixed(buf, spec->wval[level].v, spec->wval[level].scale);
	appendStringInfoString(buf, ", \"schedule\": ");
	append_node(buf, spec, level - 1);
	appendStringInfoChar(buf, '}');
}

Datum
spm_schedule_to_jsonb(PG_FUNCTION_ARGS)
{
	SpmSchedule *s = PG_GETARG_SPM_SCHEDULE(0);
	SpmScheduleSpec spec;
	StringInfoData buf;

	spm_schedule_unpack(s, &spec);
	initStringInfo(&buf);
	append_node(&buf, &spec, spec.nwraps - 1);
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(buf.data));
}

/*
 * A JSON path, built on the stack as the parser descends and rendered
 * ("$.schedule.rates[2]") only when an error needs it: formatting every
 * path up front made a deep value cost O(depth^2) time and memory.
 */
typedef struct JPath
{
	const struct JPath *parent;
	const char *key;			/* ".key" step, or NULL for an index step */
	int			index;			/* "[index]" step when key is NULL; -1: root */
} JPath;

/* Append path p to buf, root first (depth is bounded by the wrap limit). */
static void
append_path(StringInfo buf, const JPath *p)
{
	check_stack_depth();
	if (p->parent == NULL)
	{
		appendStringInfoChar(buf, '$');
		return;
	}
	append_path(buf, p->parent);
	if (p->key)
		appendStringInfo(buf, ".%s", p->key);
	else
		appendStringInfo(buf, "[%d]", p->index);
}

static char *
path_string(const JPath *p)
{
	StringInfoData buf;

	initStringInfo(&buf);
	append_path(&buf, p);
	return buf.data;
}

static void
json_error(const JPath *path, const char *problem) pg_attribute_noreturn();

/* A malformed node: 22P02 with its JSON path. */
static void
json_error(const JPath *path, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid jsonb for type spm.schedule"),
			 errdetail("At %s: %s.", path_string(path), problem)));
}

/* obj.key, which must be present. */
static JsonbValue *
get_key(JsonbContainer *obj, const char *key, const JPath *path)
{
	JsonbValue *v = getKeyJsonValueFromContainer(obj, key, strlen(key), NULL);

	if (v == NULL)
	{
		JPath		kp = {path, key, 0};

		json_error(&kp, "key is missing");
	}
	return v;
}

/*
 * A JSON number as an exact decimal.  A number beyond spm's exact range is
 * 22003 naming its path (it used to reach spm_pow10 and fail as XX000).
 */
static Fixed
json_number(JsonbValue *v, const JPath *path)
{
	Fixed		f;
	int			rc;

	if (v->type != jbvNumeric)
		json_error(path, "expected a number");
	rc = spm_numeric_decode_try(NumericGetDatum(v->val.numeric), &f);
	if (rc == SPM_DECODE_NONFINITE)
		json_error(path, "expected a finite number");
	if (rc == SPM_DECODE_RANGE)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("spm.schedule: the number at %s is out of range", path_string(path)),
				 errdetail("Schedule parameters have at most %d integer digits and %d decimal places.",
						   SPM_PARAM_MAX_INT, SPM_PARAM_MAX_SCALE)));
	return f;
}

/*
 * obj.key as an array of numbers.  Its length is checked against the
 * point limit before any element is decoded.
 */
static Fixed *
json_numbers(JsonbContainer *obj, const char *key, const JPath *path, int base, int *n)
{
	JsonbValue *v = get_key(obj, key, path);
	JPath		ap = {path, key, 0};
	JPath		ep = {&ap, NULL, 0};
	JsonbContainer *arr;
	Fixed	   *out;
	int			i;

	if (v->type != jbvBinary || JsonContainerIsObject(v->val.binary.data) ||
		JsonContainerIsScalar(v->val.binary.data))
		json_error(&ap, "expected an array of numbers");
	arr = v->val.binary.data;
	*n = JsonContainerSize(arr);
	spm_check_npoints(base, *n, 0);
	out = palloc((*n > 0 ? *n : 1) * sizeof(Fixed));
	for (i = 0; i < *n; i++)
	{
		CHECK_FOR_INTERRUPTS();
		ep.index = i;
		out[i] = json_number(getIthJsonbValueFromContainer(arr, i), &ep);
	}
	return out;
}

/*
 * Parse one node; depth is the number of caps and gates around it.
 * Wrappers recurse first so the spec lists them inside out, after the
 * nesting limit is checked: recursion is bounded by SPM_MAX_WRAPS, not by
 * the depth of the jsonb value.
 */
static void
parse_node(JsonbContainer *obj, const JPath *path, SpmScheduleSpec *spec, int depth)
{
	JsonbValue *kindv;
	char	   *kind;
	int			nkeys;
	int			ny;
	JPath		kp = {path, "kind", 0};

	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (!JsonContainerIsObject(obj))
		json_error(path, "expected an object");
	kindv = get_key(obj, "kind", path);
	if (kindv->type != jbvString)
		json_error(&kp, "expected a string");
	kind = pnstrdup(kindv->val.string.val, kindv->val.string.len);
	nkeys = JsonContainerSize(obj);

	if (strcmp(kind, "marginal") == 0 || strcmp(kind, "retroactive") == 0 ||
		strcmp(kind, "curve") == 0)
	{
		bool		tiers = kind[0] != 'c';

		spec->base = strcmp(kind, "marginal") == 0 ? SPM_MARGINAL
			: tiers ? SPM_RETROACTIVE : SPM_CURVE;
		spec->xs = json_numbers(obj, tiers ? "breaks" : "xs", path, spec->base, &spec->npoints);
		spec->ys = json_numbers(obj, tiers ? "rates" : "ys", path, spec->base, &ny);
		if (ny != spec->npoints)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("%s and %s must have the same length",
							tiers ? "breaks" : "xs", tiers ? "rates" : "ys"),
					 errdetail("At %s: %d and %d elements.", path_string(path),
							   spec->npoints, ny)));
	}
	else if (strcmp(kind, "cap") == 0 || strcmp(kind, "gate") == 0)
	{
		bool		cap = strcmp(kind, "cap") == 0;
		const char *vkey = cap ? "max" : "threshold";
		JsonbValue *inner = get_key(obj, "schedule", path);
		JPath		ip = {path, "schedule", 0};
		JPath		vp = {path, vkey, 0};
		Fixed		v;

		v = json_number(get_key(obj, vkey, path), &vp);
		if (inner->type != jbvBinary)
			json_error(&ip, "expected an object");
		spm_check_wrap_depth(depth + 1);
		parse_node(inner->val.binary.data, &ip, spec, depth + 1);
		spm_spec_add_wrap(spec, cap ? SPM_CAP : SPM_GATE, v);
	}
	else
		json_error(&kp,
				   psprintf("unknown kind \"%s\" (expected marginal, retroactive, curve, cap or gate)", kind));
	if (nkeys != 3)
		json_error(path, "unexpected keys (each node has exactly \"kind\" and two others)");
}

/* jsonb -> spm.schedule: parse, then let the builder check the rules. */
Datum
spm_schedule_from_jsonb(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	SpmScheduleSpec spec;
	JPath		root = {NULL, NULL, -1};

	memset(&spec, 0, sizeof(spec));
	if (JsonContainerIsScalar(&jb->root))
		json_error(&root, "expected an object");
	parse_node(&jb->root, &root, &spec, 0);
	PG_RETURN_POINTER(spm_schedule_build(&spec));
}
