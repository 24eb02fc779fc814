#!/usr/bin/env python3
"""tools/fuzz/jsonb_mutator.py SECONDS SEED — SQL-level fuzzing of the
jsonb -> spm.schedule cast (which the libFuzzer target cannot reach: it needs
the server's jsonb).  Mutates seed documents (structure and numbers: deep
nesting, huge and tiny numbers, wrong types, long arrays, unknown keys) and
prints SQL that tries each one; tools/fuzz.sh pipes it into psql and fails
on XX000 or a lost connection.  Deterministic for a given SEED.
"""
import json
import random
import sys
import time

seconds = float(sys.argv[1])
rng = random.Random(int(sys.argv[2]))

SEEDS = [
    {"kind": "marginal", "breaks": [0, 10000, 50000], "rates": [0.02, 0.04, 0.07]},
    {"kind": "retroactive", "breaks": [0, 1], "rates": [0.05, 0.1]},
    {"kind": "curve", "xs": [0, 100, 200], "ys": [0, 10, 40]},
    {"kind": "cap", "max": 3000, "schedule": {"kind": "marginal", "breaks": [0], "rates": [0.1]}},
    {"kind": "gate", "threshold": 5, "schedule": {"kind": "curve", "xs": [1], "ys": [5]}},
]
NUMBERS = ["0", "-0", "1", "-1", "1e40", "-1e100", "1e-40", "0.1", "1e15", "999999999999999.999999999999999",
           "170141183460469231731687303715884105727", "-170141183460469231731687303715884105728",
           "1.5e-30", "12345678901234567890123456789012345678901234567890", "1e1000"]
KEYS = ["kind", "breaks", "rates", "xs", "ys", "max", "threshold", "schedule", "x", ""]
KINDS = ["marginal", "retroactive", "curve", "cap", "gate", "bogus", "", "CAP"]


def rand_number():
    return rng.choice(NUMBERS) if rng.random() < 0.7 else str(rng.randint(-10**6, 10**6))


def mutate(v, depth=0):
    r = rng.random()
    if isinstance(v, dict):
        v = dict(v)
        if r < 0.15 and v:
            del v[rng.choice(list(v))]
        elif r < 0.3:
            v[rng.choice(KEYS)] = mutate(rng.choice(SEEDS), depth + 1)
        elif r < 0.4:
            v["kind"] = rng.choice(KINDS)
        elif r < 0.5:
            return {"kind": rng.choice(["cap", "gate"]), rng.choice(["max", "threshold"]): 1, "schedule": v}
        for k in list(v):
            if rng.random() < 0.3:
                v[k] = mutate(v[k], depth + 1)
        return v
    if isinstance(v, list):
        v = list(v)
        if r < 0.1:
            return v * rng.choice([2, 10, 334, 1001])
        if r < 0.2 and v:
            v.pop(rng.randrange(len(v)))
        elif r < 0.3:
            v.insert(rng.randrange(len(v) + 1), rng.choice(["x", None, [], {}, True]))
        return [mutate(x, depth + 1) if rng.random() < 0.3 else x for x in v]
    if r < 0.5:
        return RawNumber(rand_number())
    if r < 0.6:
        return rng.choice(["1", None, True, [], {}])
    return v


class RawNumber(str):
    pass


def dump(v):
    if isinstance(v, RawNumber):
        return str(v)
    if isinstance(v, dict):
        return "{" + ", ".join(json.dumps(k) + ": " + dump(x) for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(dump(x) for x in v) + "]"
    return json.dumps(v)


def deep(n):
    return ('{"kind": "cap", "max": 1, "schedule": ' * n
            + '{"kind": "marginal", "breaks": [0], "rates": [1]}' + "}" * n)


print(r"""
CREATE TEMP TABLE fuzz_errors (state text, doc text);
CREATE FUNCTION pg_temp.try(doc text) RETURNS void LANGUAGE plpgsql AS $f$
DECLARE s spm.schedule;
BEGIN
  BEGIN
    s := doc::jsonb::spm.schedule;
    -- whatever is accepted must round-trip through text and jsonb
    IF s::text::spm.schedule::text <> s::text OR s::jsonb::spm.schedule::text <> s::text THEN
      INSERT INTO fuzz_errors VALUES ('roundtrip', doc);
    END IF;
    PERFORM spm.apply(s, 12345.67), spm.apply(s, -1), spm.apply(s, 1683.3333333333333333, 3);
  EXCEPTION WHEN OTHERS THEN
    IF SQLSTATE = 'XX000' OR SQLSTATE LIKE '58%' THEN
      INSERT INTO fuzz_errors VALUES (SQLSTATE || ' ' || SQLERRM, left(doc, 2000));
    END IF;
  END;
END $f$;
""")
for n in (16, 17, 100, 5000):
    print("SELECT pg_temp.try(%s);" % ("$doc$" + deep(n) + "$doc$"))
end = time.time() + seconds
count = 0
limit = int(seconds * 200)  # psql runs slower than this generator
while time.time() < end and count < limit:
    doc = rng.choice(SEEDS)
    for _ in range(rng.randint(1, 4)):
        doc = mutate(doc)
    text = dump(doc)
    if "$doc$" in text:
        continue
    print("SELECT pg_temp.try($doc$%s$doc$);" % text)
    count += 1
print("SELECT 'FUZZ-FINDING ' || state || ' ' || doc FROM fuzz_errors;")
print("SELECT 'jsonb documents tried: %d';" % count)
