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

/* Write wrapper `level` (and everything inside it) as JSON. */
static void
append_node(StringInfo buf, const SpmScheduleSpec *spec, int level)
{
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

static void
json_error(const char *path, const char *problem) pg_attribute_noreturn();

static void
json_error(const char *path, const char *problem)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid jsonb for type spm.schedule"),
			 errdetail("At %s: %s.", path, problem)));
}

static JsonbValue *
get_key(JsonbContainer *obj, const char *key, const char *path)
{
	JsonbValue *v = getKeyJsonValueFromContainer(obj, key, strlen(key), NULL);

	if (v == NULL)
		json_error(psprintf("%s.%s", path, key), "key is missing");
	return v;
}

static Fixed
json_number(JsonbValue *v, const char *path)
{
	Fixed		f;

	if (v->type != jbvNumeric)
		json_error(path, "expected a number");
	if (!spm_numeric_decode(NumericGetDatum(v->val.numeric), &f))
		json_error(path, "expected a finite number");
	return f;
}

static Fixed *
json_numbers(JsonbContainer *obj, const char *key, const char *path, int *n)
{
	JsonbValue *v = get_key(obj, key, path);
	char	   *p = psprintf("%s.%s", path, key);
	JsonbContainer *arr;
	Fixed	   *out;
	int			i;

	if (v->type != jbvBinary || JsonContainerIsObject(v->val.binary.data) ||
		JsonContainerIsScalar(v->val.binary.data))
		json_error(p, "expected an array of numbers");
	arr = v->val.binary.data;
	*n = JsonContainerSize(arr);
	out = palloc((*n > 0 ? *n : 1) * sizeof(Fixed));
	for (i = 0; i < *n; i++)
		out[i] = json_number(getIthJsonbValueFromContainer(arr, i),
							 psprintf("%s[%d]", p, i));
	return out;
}

/* Parse one node; wrappers recurse first so the spec lists them inside out. */
static void
parse_node(JsonbContainer *obj, const char *path, SpmScheduleSpec *spec)
{
	JsonbValue *kindv;
	char	   *kind;
	int			nkeys;
	int			ny;

	if (!JsonContainerIsObject(obj))
		json_error(path, "expected an object");
	kindv = get_key(obj, "kind", path);
	if (kindv->type != jbvString)
		json_error(psprintf("%s.kind", path), "expected a string");
	kind = pnstrdup(kindv->val.string.val, kindv->val.string.len);
	nkeys = JsonContainerSize(obj);

	if (strcmp(kind, "marginal") == 0 || strcmp(kind, "retroactive") == 0 ||
		strcmp(kind, "curve") == 0)
	{
		bool		tiers = kind[0] != 'c';

		spec->base = strcmp(kind, "marginal") == 0 ? SPM_MARGINAL
			: tiers ? SPM_RETROACTIVE : SPM_CURVE;
		spec->xs = json_numbers(obj, tiers ? "breaks" : "xs", path, &spec->npoints);
		spec->ys = json_numbers(obj, tiers ? "rates" : "ys", path, &ny);
		if (ny != spec->npoints)
			ereport(ERROR,
					(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
					 errmsg("%s and %s must have the same length",
							tiers ? "breaks" : "xs", tiers ? "rates" : "ys"),
					 errdetail("At %s: %d and %d elements.", path, spec->npoints, ny)));
	}
	else if (strcmp(kind, "cap") == 0 || strcmp(kind, "gate") == 0)
	{
		bool		cap = strcmp(kind, "cap") == 0;
		const char *vkey = cap ? "max" : "threshold";
		JsonbValue *inner = get_key(obj, "schedule", path);
		char	   *ipath = psprintf("%s.schedule", path);
		Fixed		v;

		v = json_number(get_key(obj, vkey, path), psprintf("%s.%s", path, vkey));
		if (inner->type != jbvBinary)
			json_error(ipath, "expected an object");
		parse_node(inner->val.binary.data, ipath, spec);
		spm_spec_add_wrap(spec, cap ? SPM_CAP : SPM_GATE, v);
	}
	else
		json_error(psprintf("%s.kind", path),
				   psprintf("unknown kind \"%s\" (expected marginal, retroactive, curve, cap or gate)", kind));
	if (nkeys != 3)
		json_error(path, "unexpected keys (each node has exactly \"kind\" and two others)");
}

Datum
spm_schedule_from_jsonb(PG_FUNCTION_ARGS)
{
	Jsonb	   *jb = PG_GETARG_JSONB_P(0);
	SpmScheduleSpec spec;

	memset(&spec, 0, sizeof(spec));
	if (JsonContainerIsScalar(&jb->root))
		json_error("$", "expected an object");
	parse_node(&jb->root, "$", &spec);
	PG_RETURN_POINTER(spm_schedule_build(&spec));
}
