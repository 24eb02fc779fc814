-- test/hardening.sql — pgTAP: defects of the C kernels found by review, one
-- or more assertions each; most failed (crash, wrong SQLSTATE, wrong message
-- or wrong value) before the fix, the rest pin the behaviour around it.  Expected values are worked out by
-- hand in the comments, or by an independent plain-numeric formula.
-- Assumes CREATE EXTENSION pgtap, spm; runs as a superuser (binary COPY via
-- a server-side file).
BEGIN;
SELECT plan(48);

-- The errdetail of a statement that fails (or '(no error)').
CREATE FUNCTION pg_temp.err_detail(q text) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE d text;
BEGIN
  EXECUTE q;
  RETURN '(no error)';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS d = PG_EXCEPTION_DETAIL;
  RETURN d;
END $f$;

-- Binary receive of one spm.schedule whose send form is `payload`: wrap it
-- in a binary COPY file (signature, flags, header extension, one tuple of
-- one field, trailer), write it server-side and COPY it in.  Returns the
-- received value as text.
CREATE TEMP TABLE recv_dst (s spm.schedule);
CREATE FUNCTION pg_temp.recv_schedule(payload bytea) RETURNS text LANGUAGE plpgsql AS $f$
DECLARE
  f text := format('/tmp/spm_tap_recv_%s.bin', pg_backend_pid());
  lo oid;
  r text;
BEGIN
  lo := lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea || '\x0000000000000000'::bytea
                         || '\x0001'::bytea || int4send(length(payload)) || payload
                         || '\xffff'::bytea);
  PERFORM lo_export(lo, f);
  PERFORM lo_unlink(lo);
  BEGIN
    TRUNCATE recv_dst;
    EXECUTE format('COPY recv_dst FROM %L (FORMAT binary)', f);
  EXCEPTION WHEN OTHERS THEN
    EXECUTE format('COPY (SELECT 1 WHERE false) TO PROGRAM %L', 'rm -f ' || f);
    RAISE;
  END;
  EXECUTE format('COPY (SELECT 1 WHERE false) TO PROGRAM %L', 'rm -f ' || f);
  SELECT s::text INTO r FROM recv_dst;
  RETURN r;
END $f$;

------------------------------------------------------------------------------
-- 1. Nesting: the limit of 16 caps and gates is checked while descending
--    (text used to recurse once per "cap(" and crash the server; jsonb was
--    O(depth^2) and reached the limit only after recursing to the bottom)
------------------------------------------------------------------------------
SELECT throws_ok($$SELECT repeat('cap(', 200000)::spm.schedule$$, '22023',
  'a schedule can nest at most 16 caps and gates', 'text: 200000 x "cap(" stops at the 17th');
SELECT throws_ok($$SELECT (repeat('gate(', 100000) || 'marginal(0: 1)')::spm.schedule$$, '22023',
  'a schedule can nest at most 16 caps and gates', 'text: 100000 x "gate(" stops at the 17th');
-- the 17th wrapper is refused before its body is read: the body is not even a schedule
SELECT throws_ok($$SELECT (repeat('cap(', 16) || 'gate(bogus')::spm.schedule$$, '22023',
  'a schedule can nest at most 16 caps and gates', 'text: depth checked before the 17th body is parsed');
SELECT is((repeat('cap(', 16) || 'marginal(0: 1)' || repeat(', 5)', 16))::spm.schedule::text,
  repeat('cap(', 16) || 'marginal(0: 1)' || repeat(', 5)', 16), 'text: 16 wrappers are still fine');

SET LOCAL statement_timeout = '1s';  -- 2 s before the fix, 25 ms after
SELECT throws_ok($$SELECT (repeat('{"kind": "cap", "max": 1, "schedule": ', 13000)
                           || '{"kind": "marginal", "breaks": [0], "rates": [1]}'
                           || repeat('}', 13000))::jsonb::spm.schedule$$, '22023',
  'a schedule can nest at most 16 caps and gates', 'jsonb: 13000 levels (442 kB) stop at the 17th, fast');
RESET statement_timeout;
SELECT throws_ok($$SELECT (repeat('{"kind": "gate", "threshold": 1, "schedule": ', 17)
                           || '{"kind": "bogus"}' || repeat('}', 17))::jsonb::spm.schedule$$, '22023',
  'a schedule can nest at most 16 caps and gates', 'jsonb: depth checked before the 17th node is read');
SELECT is(pg_temp.err_detail($$SELECT '{"kind": "cap", "max": 1, "schedule": {"kind": "gate", "threshold": 2,
    "schedule": {"kind": "curve", "xs": [0, 1], "ys": [0, "x"]}}}'::jsonb::spm.schedule$$),
  'At $.schedule.schedule.ys[1]: expected a number.', 'jsonb: the lazily built path names the element');
SELECT is(pg_temp.err_detail($$SELECT '{"kind": "cap", "max": 1, "schedule": {"kind": "gate",
    "schedule": {"kind": "curve", "xs": [0], "ys": [0]}}}'::jsonb::spm.schedule$$),
  'At $.schedule.threshold: key is missing.', 'jsonb: path of a missing key');

------------------------------------------------------------------------------
-- 2. Points: the text parser stops at point 1001 (it used to collect every
--    point of the literal first); jsonb checks an array's length first
------------------------------------------------------------------------------
-- 'curve(' is 6 characters; points 1..1000 written 'i:0,' take
-- 9*4 + 90*5 + 900*6 + 1*7 = 5893 more, so point 1001 starts at character 5900.
SELECT throws_ok(format($$SELECT %L::spm.schedule$$,
    'curve(' || (SELECT string_agg(i || ':0', ',') FROM generate_series(1, 1001) i) || ')'),
  '22023', 'a schedule has at most 1000 points', 'text: 1001 curve points');
SELECT is(pg_temp.err_detail(format($$SELECT %L::spm.schedule$$,
    'curve(' || (SELECT string_agg(i || ':0', ',') FROM generate_series(1, 1001) i) || ')')),
  'Point 1001 starts at character 5900.', 'text: the detail says where point 1001 starts');
SELECT throws_ok($$SELECT ('marginal(' || (SELECT string_agg(i || ': 0', ',') FROM generate_series(0, 199999) i)
                           || ')')::spm.schedule$$,
  '22023', 'a schedule has at most 1000 tiers', 'text: 200000 tiers stop at the 1001st');
-- the 1001st element is not even a number: the length is checked first
SELECT throws_ok($$SELECT jsonb_build_object('kind', 'marginal',
                      'breaks', (SELECT jsonb_agg(i) FROM generate_series(0, 999) i) || '["x"]'::jsonb,
                      'rates', (SELECT jsonb_agg(0) FROM generate_series(0, 1000) i))::spm.schedule$$,
  '22023', 'a schedule has at most 1000 tiers, not 1001', 'jsonb: array length checked before its elements');

------------------------------------------------------------------------------
-- 3. Binary input accepts exactly what text input accepts
------------------------------------------------------------------------------
-- send form: format 1, base 3 (curve), 1 point, x = (scale, hi, lo), y, 0 wrappers
SELECT is(pg_temp.recv_schedule(decode('01' || '03' || '00000001'
                                       || '00' || 'ffffffffffffffff' || 'fffffffffffffffb'
                                       || '00' || '0000000000000000' || '0000000000000007' || '00', 'hex')),
  'curve(-5: 7)', 'recv: a valid curve');
-- x = -2^127 (hi 0x8000..., lo 0): negating it was undefined and let it through
SELECT throws_ok($$SELECT pg_temp.recv_schedule(decode('01' || '03' || '00000001'
                                       || '00' || '8000000000000000' || '0000000000000000'
                                       || '00' || '0000000000000000' || '0000000000000000' || '00', 'hex'))$$,
  '22003', 'curve x 1 is out of range: -170141183460469231731687303715884105728',
  'recv: -2^127 is refused like its text');
SELECT throws_ok($$SELECT 'curve(-170141183460469231731687303715884105728: 0)'::spm.schedule$$,
  '22003', NULL, 'text: the same number is refused by text input');
-- the largest parameter text accepts, 15 nines . 15 nines, comes in as binary:
-- v = -(10^30 - 1) = 2^128 - 10^30 + 1 = 0xfffffff360d3632fb98b1215c0000001
-- at scale 15 (0x0f)
SELECT is(pg_temp.recv_schedule(decode('01' || '03' || '00000001'
                                       || '0f' || 'fffffff360d3632f' || 'b98b1215c0000001'
                                       || '00' || '0000000000000000' || '0000000000000000' || '00', 'hex')),
  'curve(-999999999999999.999999999999999: 0)', 'recv: the most negative accepted parameter');

------------------------------------------------------------------------------
-- 4. Curve interpolation with a product beyond 128 bits
------------------------------------------------------------------------------
-- x = 1683.3333333333333333 (16 places): (x - 0) * (5000 - 0) / (1000000 - 0)
-- = 1683.3333333333333333 * 0.005 = 8.4166666666666666665 exactly; the result
-- scale is max(12, 16) = 16 and half away from zero gives 8.4166666666666667.
-- (At scale 16 the product is 1.68e19 * 5e19 = 8.4e38 > 2^127: 22003 before.)
SELECT is(spm.apply('curve(0:0, 1000000:5000)', 1683.3333333333333333)::text, '8.4166666666666667',
  'curve: 256-bit product, rounded at the result scale');
-- mirrored: y_a = -5000 at x_a = -1000000, x - x_a = 998316.6666666666666667;
-- times 5000 / 1000000 = 4991.5833333333333333335 -> 4991.5833333333333333 at
-- 16 places; -5000 + that = -8.4166666666666667
SELECT is(spm.apply('curve(-1000000:-5000, 0:0)', -1683.3333333333333333)::text, '-8.4166666666666667',
  'curve: negative side, rounded half away from zero');
-- past the last point the slope continues: 3366.6666666666666666 * 0.005
-- = 16.833333333333333333 exactly at 18 places; round to 16: 16.8333333333333333
SELECT is(spm.apply('curve(0:0, 1000000:5000)', 3366.6666666666666666, 1)::text, '16.8333333333333333',
  'curve: quota form, same rule');
-- a/3 for a = 1..100 summed, times 5000/1000000 = sum * 0.005, rounded at the
-- sum's scale (the independent formula: numeric multiplication is exact)
SELECT is((SELECT spm.commission(a::numeric / 3, 'curve(0:0, 1000000:5000)') FROM generate_series(1, 100) a),
          (SELECT round(sum(a::numeric / 3) * 0.005, max(scale(a::numeric / 3))) FROM generate_series(1, 100) a),
  'curve: spm.commission over 100 amounts a/3');
SELECT is((SELECT sum(i) FROM (SELECT spm.commission_increment(a::numeric / 3, 'curve(0:0, 1000000:5000)')
                                        OVER (ORDER BY a) i FROM generate_series(1, 100) a) t),
          (SELECT round(sum(a::numeric / 3) * 0.005, max(scale(a::numeric / 3))) FROM generate_series(1, 100) a),
  'curve: increments over 100 amounts a/3 add up to the aggregate');
-- attainment: 1683.3333333333333333 / 0.333333333333333333333 with
-- a = (5050 - 1e-16)/3 and q = (1 - 1e-21)/3 is (5050 - 1e-16)(1 + 1e-21 + ...)
-- = 5049.99999999999999990505... -> 5049.9999999999999999 at 16 places
SELECT is(spm.attainment(1683.3333333333333333, 0.333333333333333333333)::text, '5049.9999999999999999',
  'attainment: 256-bit product of actual and the scale factor');

------------------------------------------------------------------------------
-- 5. Numbers beyond the exact range: 22003 naming the function and the
--    argument (|x| >= 1e40 used to be XX000 "spm_pow10: exponent out of range")
------------------------------------------------------------------------------
SELECT throws_ok($$SELECT spm.apply('marginal(0: 0.1)', 1e40)$$, '22003',
  'spm.apply: amount is out of range for spm''s exact arithmetic', 'apply: amount 1e40');
SELECT throws_ok($$SELECT spm.apply('marginal(0: 0.1)', -1e100)$$, '22003',
  'spm.apply: amount is out of range for spm''s exact arithmetic', 'apply: amount -1e100');
SELECT throws_ok($$SELECT spm.apply('marginal(0: 0.1)', 1e-40)$$, '22003',
  'spm.apply: amount is out of range for spm''s exact arithmetic', 'apply: amount 1e-40 (40 places)');
SELECT throws_ok($$SELECT spm.apply('marginal(0: 0.1)', 1, 1e40)$$, '22003',
  'spm.apply: quota is out of range for spm''s exact arithmetic', 'apply: quota 1e40');
SELECT throws_ok($$SELECT spm.attainment(1e100, 1)$$, '22003',
  'spm.attainment: actual is out of range for spm''s exact arithmetic', 'attainment: actual 1e100');
SELECT throws_ok($$SELECT spm.attainment(1, 1e100)$$, '22003',
  'spm.attainment: quota is out of range for spm''s exact arithmetic', 'attainment: quota 1e100');
SELECT throws_ok($$SELECT spm.allocate(1e50, '{1,1}')$$, '22003',
  'spm.allocate: amount is out of range for spm''s exact arithmetic', 'allocate: amount 1e50');
SELECT throws_ok($$SELECT spm.allocate(1, '{1,1e50}')$$, '22003',
  'spm.allocate: weights element 2 is out of range for spm''s exact arithmetic', 'allocate: weight 1e50');
SELECT throws_ok($$SELECT spm.tiers('{0,1e100}', '{0.1,0.2}')$$, '22003',
  'spm.tiers: breaks element 2 is out of range for spm''s exact arithmetic', 'tiers: break 1e100');
SELECT throws_ok($$SELECT '{"kind": "marginal", "breaks": [1e100], "rates": [1]}'::jsonb::spm.schedule$$, '22003',
  'spm.schedule: the number at $.breaks[0] is out of range', 'jsonb: break 1e100');
SELECT throws_ok($$SELECT spm.commission(a, 'marginal(0: 0.1)') FROM (VALUES (1::numeric), (1e40)) v(a)$$, '22003',
  'spm.commission: amount is out of range for spm''s exact arithmetic', 'commission: amount 1e40');
SELECT throws_ok($$SELECT spm.commission(1e300::float8, 'marginal(0: 0.1)')$$, '22003',
  'spm.commission: amount is out of range for spm''s exact arithmetic', 'commission(float8): amount 1e300');
SELECT throws_ok($$SELECT spm.prorate(1e45, '[2025-01-01,2025-02-01)', '[2025-01-01,2025-01-15)')$$, '22003',
  'spm.prorate: amount is out of range for spm''s exact arithmetic', 'prorate: amount 1e45');
SELECT throws_ok($$SELECT spm.ramp(1, 1, '{1e60}')$$, '22003',
  'spm.ramp: steps element 1 is out of range for spm''s exact arithmetic', 'ramp: step 1e60');

------------------------------------------------------------------------------
-- 6. Allocation with weights at 30 places (r * w beyond 128 bits)
------------------------------------------------------------------------------
-- 10000000 at 2 places is 1000000000 cents; exact shares 333333333.333... and
-- 666666666.666...667 cents; truncated 333333333 + 666666666 = 999999999, the
-- one cent left goes to the larger remainder (0.667 > 0.333): the second.
SELECT is(spm.allocate(10000000, array[0.333333333333333333333333333333, 0.666666666666666666666666666667]),
  '{3333333.33,6666666.67}'::numeric[], 'allocate: weights at 30 places');
SELECT is(array(SELECT spm.split_share(10000000, w) OVER (ORDER BY i)
                  FROM (VALUES (1, 0.333333333333333333333333333333), (2, 0.666666666666666666666666666667)) v(i, w)),
  '{3333333.33,6666666.67}'::numeric[], 'split_share: weights at 30 places');
-- three weights just above a third: T = 1.000000000000000000000000000005,
-- shares 3333333.333... each (below a cent apart); 1 cent left over goes to
-- the largest remainder, the third weight (...336)
SELECT is(spm.allocate(10000000, '{0.333333333333333333333333333334,0.333333333333333333333333333335,0.333333333333333333333333333336}'),
  '{3333333.33,3333333.33,3333333.34}'::numeric[], 'allocate: three weights at 30 places');

------------------------------------------------------------------------------
-- 7. Calendars: labels and period functions agree on fiscal years 1..9999
------------------------------------------------------------------------------
SELECT throws_ok($$SELECT spm.fiscal_label('9999-12-31', 'year', 2)$$, '22008',
  'date 9999-12-31 falls in fiscal year 10000, outside the supported fiscal years 1 to 9999',
  'fiscal_label: FY10000 is refused');
SELECT throws_ok($$SELECT spm.fiscal_period('9999-02-01', 'month', 2)$$, '22008',
  'date 9999-02-01 falls in fiscal year 10000, outside the supported fiscal years 1 to 9999',
  'fiscal_period: first day of FY10000');
SELECT throws_ok($$SELECT spm.fiscal_year('9999-12-31', 2)$$, '22008',
  'date 9999-12-31 falls in fiscal year 10000, outside the supported fiscal years 1 to 9999',
  'fiscal_year: FY10000');
-- 0001-01-01 is a Monday, so the Monday nearest 0000-12-31 is 0001-01-01: it closes FY0
SELECT throws_ok($$SELECT spm.retail_label('0001-01-01', 'week', '4-4-5', 12, 1, 'nearest')$$, '22008',
  'date 0001-01-01 falls in fiscal year 0, outside the supported fiscal years 1 to 9999',
  'retail_label: FY0 is refused');
SELECT is(spm.retail_label('0001-01-02', 'week', '4-4-5', 12, 1, 'nearest'), 'FY0001-W01',
  'retail_label: the day after is week 1 of FY1');
SELECT is(spm.fiscal_label('9999-01-31', 'month', 2), 'FY9999-P12', 'fiscal_label: last day of FY9999');
SELECT is((SELECT label FROM spm.fiscal_periods(9999, 'month', 2) WHERE period @> '9999-01-31'::date),
  spm.fiscal_label('9999-01-31', 'month', 2), 'fiscal_periods(9999) has the label fiscal_label gives');

------------------------------------------------------------------------------
-- 8. Long loops can be cancelled (smoke test: the statement is cancelled and
--    the session goes on; the latency itself is not asserted)
------------------------------------------------------------------------------
-- plpgsql's WHEN OTHERS (and so throws_ok) does not catch a cancel: name it
CREATE FUNCTION pg_temp.cancelled(q text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
  EXECUTE q;
  RETURN '(not cancelled)';
EXCEPTION WHEN query_canceled THEN
  RETURN SQLSTATE;
END $f$;
CREATE TEMP TABLE big_weights AS
  SELECT array_agg(0.333333333333333333333333333333 + i * 1e-30) AS w FROM generate_series(1, 300000) i;
SET LOCAL statement_timeout = '50ms';
SELECT is(pg_temp.cancelled($$SELECT spm.allocate(10000000, w) FROM big_weights$$), '57014',
  'allocate: 300000 weights at 30 places can be cancelled');
RESET statement_timeout;
SELECT is(spm.apply('marginal(0: 0.1)', 10), 1.0, 'the session goes on');

SELECT * FROM finish();
ROLLBACK;
