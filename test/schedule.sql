-- test/schedule.sql — pgTAP: the spm.schedule type (docs/schedules.md, docs/errors.md).
--
-- Errors of every user-callable entry point (SQLSTATE and message), NULL
-- handling, text / jsonb / binary round trips, and evaluation with spm.apply
-- against values computed by hand (the arithmetic is in the comments) or by
-- an independent plain-SQL formula.  Assumes CREATE EXTENSION pgtap, spm.
BEGIN;
SELECT plan(268);

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

-- docs/schedules.md's example schedule, marginal and retroactive.
\set T 'spm.tiers(''{0,10000,50000}''::numeric[], ''{0.02,0.04,0.07}''::numeric[])'
\set R 'spm.tiers(''{0,10000,50000}''::numeric[], ''{0.02,0.04,0.07}''::numeric[], ''retroactive'')'
-- (0,0) (100,10) (200,40): slopes 0.1 then 0.3
\set C 'spm.curve(''{0,100,200}''::numeric[], ''{0,10,40}''::numeric[])'

------------------------------------------------------------------------------
-- 1. Text input: malformed literals (22P02, position in errdetail)
------------------------------------------------------------------------------
SELECT throws_ok($$SELECT 'marginal(0 0.1)'::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: "marginal(0 0.1)"', 'text: missing ":"');
SELECT throws_ok($$SELECT 'bogus(0: 1)'::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: "bogus(0: 1)"', 'text: unknown keyword');
SELECT throws_ok($$SELECT ''::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: ""', 'text: empty string');
SELECT throws_ok($$SELECT 'marginal(0: 0.1'::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: "marginal(0: 0.1"', 'text: missing ")"');
SELECT throws_ok($$SELECT 'marginal()'::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: "marginal()"', 'text: no tiers');
SELECT throws_ok($$SELECT 'marginal(0: 0.1) x'::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: "marginal(0: 0.1) x"', 'text: trailing garbage');
SELECT throws_ok($$SELECT 'cap(marginal(0: 0.1))'::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: "cap(marginal(0: 0.1))"', 'text: cap without maximum');
SELECT throws_ok($$SELECT 'cap(marginal(0: 0.1), )'::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: "cap(marginal(0: 0.1), )"', 'text: cap with empty maximum');
SELECT throws_ok($$SELECT 'marginal(0: abc)'::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: "marginal(0: abc)"', 'text: rate is not a number');
SELECT throws_ok($$SELECT 'marginal(0: 0.1,)'::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: "marginal(0: 0.1,)"', 'text: trailing comma');
SELECT throws_ok($$SELECT 'marginal 0: 0.1'::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: "marginal 0: 0.1"', 'text: missing "("');
SELECT throws_ok($$SELECT 'marginal(1..2: 0.1)'::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: "marginal(1..2: 0.1)"', 'text: two decimal points');
SELECT throws_ok($$SELECT 'marginal(0: 10%%)'::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: "marginal(0: 10%%)"', 'text: double percent sign');
SELECT throws_ok($$SELECT 'marginal(0: 1e-2)'::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: "marginal(0: 1e-2)"', 'text: no exponent notation');
SELECT throws_ok($$SELECT 'gate(curve(0: 1) 5)'::spm.schedule$$, '22P02',
  'invalid input syntax for type spm.schedule: "gate(curve(0: 1) 5)"', 'text: gate without comma');

-- errdetail names the position (1-based character) and what was found
SELECT is(pg_temp.err_detail($$SELECT 'marginal(0 0.1)'::spm.schedule$$),
  'Expected ":" at character 12, found "0.1)".', 'text: detail of a missing ":"');
SELECT is(pg_temp.err_detail($$SELECT 'marginal(0: 0.1'::spm.schedule$$),
  'Expected "," or ")" at character 16, found end of input.', 'text: detail of a missing ")"');
SELECT is(pg_temp.err_detail($$SELECT 'marginal(0: 0.1) x'::spm.schedule$$),
  'Expected end of input at character 18, found "x".', 'text: detail of trailing garbage');
SELECT is(pg_temp.err_detail($$SELECT 'bogus(0: 1)'::spm.schedule$$),
  'Expected marginal, retroactive, curve, cap or gate at character 1, found "bogus(0: 1".',
  'text: detail of an unknown keyword');
SELECT is(pg_temp.err_detail($$SELECT 'marginal(0: abc)'::spm.schedule$$),
  'Expected a number at character 13, found "abc)".', 'text: detail of a missing number');

------------------------------------------------------------------------------
-- 2. Text input: rules (22023) and ranges (22003)
------------------------------------------------------------------------------
SELECT throws_ok($$SELECT 'marginal(10: 0.1, 5: 0.2)'::spm.schedule$$, '22023',
  'breaks must be strictly increasing', 'text: unsorted breaks');
SELECT is(pg_temp.err_detail($$SELECT 'marginal(10: 0.1, 5: 0.2)'::spm.schedule$$),
  'Break 2 (5) is not greater than break 1 (10).', 'text: detail of unsorted breaks');
SELECT throws_ok($$SELECT 'marginal(0: 0.1, 0.00: 0.2)'::spm.schedule$$, '22023',
  'breaks must be strictly increasing', 'text: equal breaks (different scales)');
SELECT throws_ok($$SELECT 'retroactive(-1: 0.1)'::spm.schedule$$, '22023',
  'the first break must not be negative: -1', 'text: negative first break');
SELECT throws_ok($$SELECT 'marginal(0: -0.1)'::spm.schedule$$, '22023',
  'rate 1 must not be negative: -0.1', 'text: negative rate');
SELECT throws_ok($$SELECT 'cap(marginal(0: 0.1), -5)'::spm.schedule$$, '22023',
  'cap maximum must not be negative: -5', 'text: negative cap maximum');
SELECT throws_ok($$SELECT 'gate(marginal(0: 0.1), -0.5)'::spm.schedule$$, '22023',
  'gate threshold must not be negative: -0.5', 'text: negative gate threshold');
SELECT throws_ok($$SELECT 'curve(1: 0, 0: 1)'::spm.schedule$$, '22023',
  'curve xs must be strictly increasing', 'text: unsorted curve xs');
SELECT throws_ok($$SELECT 'curve(1: 0, 1.0: 1)'::spm.schedule$$, '22023',
  'curve xs must be strictly increasing', 'text: equal curve xs');
SELECT throws_ok(format($$SELECT %L::spm.schedule$$,
    repeat('cap(', 17) || 'marginal(0: 0.1)' || repeat(', 1)', 17)), '22023',
  'a schedule can nest at most 16 caps and gates', 'text: 17 nested caps');
SELECT throws_ok(format($$SELECT %L::spm.schedule$$,
    'marginal(' || (SELECT string_agg(i || ': 0.01', ', ') FROM generate_series(0, 1000) i) || ')'),
  '22023', 'a schedule has at most 1000 tiers', 'text: 1001 tiers (stops at point 1001)');
SELECT throws_ok($$SELECT 'marginal(0: 0.1, 1234567890123456: 0.2)'::spm.schedule$$, '22003',
  'break 2 is out of range: 1234567890123456', 'text: break with 16 integer digits');
SELECT throws_ok($$SELECT 'marginal(0: 0.1234567890123456)'::spm.schedule$$, '22003',
  'rate 1 is out of range: 0.1234567890123456', 'text: rate with 16 decimal places');
SELECT throws_ok($$SELECT 'marginal(0: 0.12345678901234%)'::spm.schedule$$, '22003',
  'rate 1 is out of range: 0.0012345678901234', 'text: % pushes a rate to 16 decimal places');
SELECT throws_ok($$SELECT 'curve(0: 0, 1: 9999999999999999)'::spm.schedule$$, '22003',
  'curve y 2 is out of range: 9999999999999999', 'text: curve y with 16 integer digits');
SELECT throws_ok($$SELECT 'cap(marginal(0: 0.1), 1234567890123456)'::spm.schedule$$, '22003',
  'cap maximum is out of range: 1234567890123456', 'text: cap maximum too large');
SELECT throws_ok($$SELECT 'gate(marginal(0: 0.1), 0.0000000000000001)'::spm.schedule$$, '22003',
  'gate threshold is out of range: 0.0000000000000001', 'text: gate threshold with 16 decimal places');
SELECT throws_ok($$SELECT 'marginal(0: 1234567890123456789012345678901234567)'::spm.schedule$$, '22003',
  'number too long in spm.schedule literal at character 49', 'text: 37-digit number');
SELECT lives_ok($$SELECT 'marginal(0: 0.123456789012345, 999999999999999: 0.5)'::spm.schedule$$,
  'text: 15 decimal places and 15 integer digits are accepted');
SELECT is('marginal(0: 0.10000000000000000000)'::spm.schedule::text, 'marginal(0: 0.1)',
  'text: trailing zeros beyond 15 places are not significant');
SELECT lives_ok(format($$SELECT %L::spm.schedule$$,
    repeat('gate(', 16) || 'marginal(0: 0.1)' || repeat(', 1)', 16)), 'text: 16 nested gates are accepted');

------------------------------------------------------------------------------
-- 3. spm.tiers (2 and 3 arguments)
------------------------------------------------------------------------------
SELECT throws_ok($$SELECT spm.tiers('{0,10000,5000}', '{0.02,0.04,0.07}')$$, '22023',
  'breaks must be strictly increasing', 'tiers: unsorted breaks');
SELECT throws_ok($$SELECT spm.tiers('{0,10000,10000.0}', '{0.02,0.04,0.07}')$$, '22023',
  'breaks must be strictly increasing', 'tiers: equal breaks');
SELECT throws_ok($$SELECT spm.tiers('{-100,10000}', '{0.02,0.04}')$$, '22023',
  'the first break must not be negative: -100', 'tiers: negative first break');
SELECT throws_ok($$SELECT spm.tiers('{0,10000}', '{0.02,-0.01}')$$, '22023',
  'rate 2 must not be negative: -0.01', 'tiers: negative rate');
SELECT throws_ok($$SELECT spm.tiers('{0,NULL}', '{0.02,0.04}')$$, '22023',
  'breaks must not contain NULL (element 2 is NULL)', 'tiers: NULL break');
SELECT throws_ok($$SELECT spm.tiers('{0,10000}', '{NULL,0.04}')$$, '22023',
  'rates must not contain NULL (element 1 is NULL)', 'tiers: NULL rate');
SELECT throws_ok($$SELECT spm.tiers('{NaN,10000}', '{0.02,0.04}')$$, '22023',
  'breaks must contain finite numbers (element 1 is NaN or infinity)', 'tiers: NaN break');
SELECT throws_ok($$SELECT spm.tiers('{0,Infinity}', '{0.02,0.04}')$$, '22023',
  'breaks must contain finite numbers (element 2 is NaN or infinity)', 'tiers: infinite break');
SELECT throws_ok($$SELECT spm.tiers('{0,10000}', '{0.02,-Infinity}')$$, '22023',
  'rates must contain finite numbers (element 2 is NaN or infinity)', 'tiers: infinite rate');
SELECT throws_ok($$SELECT spm.tiers('{}', '{}')$$, '22023',
  'a tiered schedule needs at least one tier', 'tiers: empty arrays');
SELECT throws_ok($$SELECT spm.tiers('{0,10000}', '{0.02}')$$, '2202E',
  'breaks and rates must have the same length', 'tiers: arrays of different lengths');
SELECT throws_ok($$SELECT spm.tiers('{{0,10000}}', '{0.02,0.04}')$$, '2202E',
  'breaks must be a one-dimensional array', 'tiers: two-dimensional breaks');
SELECT throws_ok($$SELECT spm.tiers('{0,10000}', '{{0.02},{0.04}}')$$, '2202E',
  'rates must be a one-dimensional array', 'tiers: two-dimensional rates');
SELECT throws_ok($$SELECT spm.tiers('{0,1234567890123456}', '{0.02,0.04}')$$, '22003',
  'break 2 is out of range: 1234567890123456', 'tiers: break too large');
SELECT throws_ok($$SELECT spm.tiers('{0}', '{0.0000000000000001}')$$, '22003',
  'rate 1 is out of range: 0.0000000000000001', 'tiers: rate with 16 decimal places');
SELECT throws_ok(
  $$SELECT spm.tiers(array(SELECT i::numeric FROM generate_series(0, 1000) i),
                     array(SELECT 0.01 FROM generate_series(0, 1000) i))$$, '22023',
  'a schedule has at most 1000 tiers, not 1001', 'tiers: 1001 tiers');
SELECT throws_ok($$SELECT spm.tiers('{0,10000}', '{0.02,0.04}', 'tiered')$$, '22023',
  'unknown tier mode "tiered"', 'tiers/3: unknown mode');
SELECT throws_ok($$SELECT spm.tiers('{0,10000}', '{0.02,0.04}', '')$$, '22023',
  'unknown tier mode ""', 'tiers/3: empty mode');
SELECT throws_ok($$SELECT spm.tiers('{10000,0}', '{0.02,0.04}', 'retroactive')$$, '22023',
  'breaks must be strictly increasing', 'tiers/3: unsorted breaks');
SELECT throws_ok($$SELECT spm.tiers('{-1}', '{0.02}', 'retroactive')$$, '22023',
  'the first break must not be negative: -1', 'tiers/3: negative first break');
SELECT throws_ok($$SELECT spm.tiers('{0,1}', '{0.02,-0.5}', 'marginal')$$, '22023',
  'rate 2 must not be negative: -0.5', 'tiers/3: negative rate');
SELECT throws_ok($$SELECT spm.tiers('{0,1}', '{0.02,NULL}', 'retroactive')$$, '22023',
  'rates must not contain NULL (element 2 is NULL)', 'tiers/3: NULL rate');
SELECT throws_ok($$SELECT spm.tiers('{0,NaN}', '{0.02,0.03}', 'retroactive')$$, '22023',
  'breaks must contain finite numbers (element 2 is NaN or infinity)', 'tiers/3: NaN break');
SELECT throws_ok($$SELECT spm.tiers('{}', '{}', 'retroactive')$$, '22023',
  'a tiered schedule needs at least one tier', 'tiers/3: empty arrays');
SELECT throws_ok($$SELECT spm.tiers('{0}', '{0.02,0.04}', 'retroactive')$$, '2202E',
  'breaks and rates must have the same length', 'tiers/3: arrays of different lengths');
SELECT throws_ok($$SELECT spm.tiers('{{0},{1}}', '{0.02,0.04}', 'retroactive')$$, '2202E',
  'breaks must be a one-dimensional array', 'tiers/3: two-dimensional breaks');
SELECT throws_ok($$SELECT spm.tiers('{0}', '{12345678901234567}', 'retroactive')$$, '22003',
  'rate 1 is out of range: 12345678901234567', 'tiers/3: rate too large');
SELECT is(spm.tiers('{0,10000}', '{0.02,0.04}', 'RETROACTIVE')::text, 'retroactive(0: 0.02, 10000: 0.04)',
  'tiers/3: mode is case-insensitive (RETROACTIVE)');
SELECT is(spm.tiers('{0,10000}', '{0.02,0.04}', 'Marginal')::text, 'marginal(0: 0.02, 10000: 0.04)',
  'tiers/3: mode is case-insensitive (Marginal)');
SELECT ok(spm.tiers('{0,10000.00}', '{0.050,0.10}') OPERATOR(spm.=)
          spm.tiers('{0,10000}', '{0.05,0.1}', 'marginal'), 'tiers/2 is mode marginal');
SELECT is(spm.tiers('{0,10000.00}', '{0.050,0.10}')::text, 'marginal(0: 0.05, 10000: 0.1)',
  'tiers: canonical output in lowest terms');

------------------------------------------------------------------------------
-- 4. spm.curve
------------------------------------------------------------------------------
SELECT throws_ok($$SELECT spm.curve('{0,200,100}', '{0,10,40}')$$, '22023',
  'curve xs must be strictly increasing', 'curve: unsorted xs');
SELECT is(pg_temp.err_detail($$SELECT spm.curve('{0,200,100}', '{0,10,40}')$$),
  'Curve x 3 (100) is not greater than curve x 2 (200).', 'curve: detail of unsorted xs');
SELECT throws_ok($$SELECT spm.curve('{0,100,100}', '{0,10,40}')$$, '22023',
  'curve xs must be strictly increasing', 'curve: equal xs');
SELECT throws_ok($$SELECT spm.curve('{NULL,100}', '{0,10}')$$, '22023',
  'xs must not contain NULL (element 1 is NULL)', 'curve: NULL x');
SELECT throws_ok($$SELECT spm.curve('{0,100}', '{0,NULL}')$$, '22023',
  'ys must not contain NULL (element 2 is NULL)', 'curve: NULL y');
SELECT throws_ok($$SELECT spm.curve('{0,100}', '{NaN,10}')$$, '22023',
  'ys must contain finite numbers (element 1 is NaN or infinity)', 'curve: NaN y');
SELECT throws_ok($$SELECT spm.curve('{-Infinity,100}', '{0,10}')$$, '22023',
  'xs must contain finite numbers (element 1 is NaN or infinity)', 'curve: infinite x');
SELECT throws_ok($$SELECT spm.curve('{}', '{}')$$, '22023',
  'a curve needs at least one point', 'curve: empty arrays');
SELECT throws_ok($$SELECT spm.curve('{0,100,200}', '{0,10}')$$, '2202E',
  'xs and ys must have the same length', 'curve: arrays of different lengths');
SELECT throws_ok($$SELECT spm.curve('{0,100}', '{{0,10}}')$$, '2202E',
  'ys must be a one-dimensional array', 'curve: two-dimensional ys');
SELECT throws_ok($$SELECT spm.curve('{0,10000000000000000}', '{0,10}')$$, '22003',
  'curve x 2 is out of range: 10000000000000000', 'curve: x too large');
SELECT throws_ok($$SELECT spm.curve('{0}', '{0.1234567890123456}')$$, '22003',
  'curve y 1 is out of range: 0.1234567890123456', 'curve: y with 16 decimal places');
SELECT is(spm.curve('{-100.50,0,100}', '{-3.250,0,10.0}')::text, 'curve(-100.5: -3.25, 0: 0, 100: 10)',
  'curve: negative points allowed, canonical output');

------------------------------------------------------------------------------
-- 5. spm.cap and spm.gate
------------------------------------------------------------------------------
SELECT throws_ok($$SELECT spm.cap(spm.tiers('{0}', '{0.1}'), -1)$$, '22023',
  'cap maximum must not be negative: -1', 'cap: negative maximum');
SELECT throws_ok($$SELECT spm.cap(spm.tiers('{0}', '{0.1}'), 'NaN')$$, '22023',
  'cap maximum must be a finite number, not NaN or infinity', 'cap: NaN maximum');
SELECT throws_ok($$SELECT spm.cap(spm.tiers('{0}', '{0.1}'), 'Infinity')$$, '22023',
  'cap maximum must be a finite number, not NaN or infinity', 'cap: infinite maximum');
SELECT throws_ok($$SELECT spm.cap(spm.tiers('{0}', '{0.1}'), 1234567890123456)$$, '22003',
  'cap maximum is out of range: 1234567890123456', 'cap: maximum too large');
SELECT throws_ok($$SELECT spm.cap(spm.tiers('{0}', '{0.1}'), 0.0000000000000001)$$, '22003',
  'cap maximum is out of range: 0.0000000000000001', 'cap: maximum with 16 decimal places');
SELECT throws_ok(format($$SELECT spm.cap(%L::spm.schedule, 1)$$,
    repeat('gate(', 16) || 'marginal(0: 0.1)' || repeat(', 1)', 16)), '22023',
  'a schedule can nest at most 16 caps and gates', 'cap: a 17th wrapper');
SELECT throws_ok($$SELECT spm.gate(spm.tiers('{0}', '{0.1}'), -0.01)$$, '22023',
  'gate threshold must not be negative: -0.01', 'gate: negative threshold');
SELECT throws_ok($$SELECT spm.gate(spm.tiers('{0}', '{0.1}'), 'NaN')$$, '22023',
  'gate threshold must be a finite number, not NaN or infinity', 'gate: NaN threshold');
SELECT throws_ok($$SELECT spm.gate(spm.tiers('{0}', '{0.1}'), '-Infinity')$$, '22023',
  'gate threshold must be a finite number, not NaN or infinity', 'gate: infinite threshold');
SELECT throws_ok($$SELECT spm.gate(spm.tiers('{0}', '{0.1}'), 99999999999999999)$$, '22003',
  'gate threshold is out of range: 99999999999999999', 'gate: threshold too large');
SELECT throws_ok(format($$SELECT spm.gate(%L::spm.schedule, 1)$$,
    repeat('cap(', 16) || 'curve(0: 1)' || repeat(', 1)', 16)), '22023',
  'a schedule can nest at most 16 caps and gates', 'gate: a 17th wrapper');
SELECT is(spm.cap(spm.gate(:T, 5000.00), 2500.50)::text,
  'cap(gate(marginal(0: 0.02, 10000: 0.04, 50000: 0.07), 5000), 2500.5)', 'cap(gate(...)) canonical output');
SELECT ok(spm.cap(spm.gate(:T, 5000), 2500.5) OPERATOR(spm.=)
          'cap(gate(marginal(0: 2%, 10000: 4%, 50000: 7%), 5000), 2500.5)'::spm.schedule,
  'constructors and text literal give equal schedules');

------------------------------------------------------------------------------
-- 6. spm.apply (2 and 3 arguments)
------------------------------------------------------------------------------
SELECT throws_ok($$SELECT spm.apply('marginal(0: 0.1)', 'NaN')$$, '22023',
  'amount must be a finite number, not NaN or infinity', 'apply: NaN amount');
SELECT throws_ok($$SELECT spm.apply('marginal(0: 0.1)', '-Infinity')$$, '22023',
  'amount must be a finite number, not NaN or infinity', 'apply: infinite amount');
SELECT throws_ok($$SELECT spm.apply('marginal(0: 0.1)', 2e38)$$, '22003',
  'spm.apply: amount is out of range for spm''s exact arithmetic', 'apply: amount beyond 128 bits');
SELECT throws_ok($$SELECT spm.apply('marginal(0: 0.7)', 1e38)$$, '22003',
  'value out of range for spm''s exact arithmetic', 'apply: result beyond 128 bits');
SELECT throws_ok($$SELECT spm.apply('marginal(0: 0.1)', 1.0000000000000000000000000000001)$$, '22003',
  'spm.apply: amount is out of range for spm''s exact arithmetic', 'apply: amount with 31 decimal places');
SELECT throws_ok($$SELECT spm.apply('marginal(0: 0.1)', 100, -1)$$, '22023',
  'quota must not be negative: -1', 'apply/3: negative quota');
SELECT throws_ok($$SELECT spm.apply('marginal(0: 0.1)', 100, 'NaN')$$, '22023',
  'quota must be a finite number, not NaN or infinity', 'apply/3: NaN quota');
SELECT throws_ok($$SELECT spm.apply('marginal(0: 0.1)', 100, 'Infinity')$$, '22023',
  'quota must be a finite number, not NaN or infinity', 'apply/3: infinite quota');
SELECT throws_ok($$SELECT spm.apply('marginal(0: 0.1)', 'NaN', 100)$$, '22023',
  'amount must be a finite number, not NaN or infinity', 'apply/3: NaN amount');
SELECT throws_ok($$SELECT spm.apply('marginal(0: 0.1)', 100, -0.01)$$, '22023',
  'quota must not be negative: -0.01', 'apply/3: slightly negative quota');

------------------------------------------------------------------------------
-- 7. jsonb cast
------------------------------------------------------------------------------
SELECT throws_ok($$SELECT '{"kind":"marginal","breaks":[0]}'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: missing key');
SELECT is(pg_temp.err_detail($$SELECT '{"kind":"marginal","breaks":[0]}'::jsonb::spm.schedule$$),
  'At $.rates: key is missing.', 'jsonb: detail names the missing key');
SELECT throws_ok($$SELECT '{"breaks":[0],"rates":[0.1]}'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: missing kind');
SELECT throws_ok($$SELECT '{"kind":"marginal","breaks":[0],"rates":[0.1],"mode":"x"}'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: unknown extra key');
SELECT throws_ok($$SELECT '{"kind":"curve","breaks":[0],"rates":[0.1]}'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: curve with tier keys');
SELECT throws_ok($$SELECT '{"kind":"step","breaks":[0],"rates":[0.1]}'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: unknown kind');
SELECT throws_ok($$SELECT '{"kind":1,"breaks":[0],"rates":[0.1]}'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: kind is not a string');
SELECT throws_ok($$SELECT '{"kind":"marginal","breaks":"0","rates":[0.1]}'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: breaks is not an array');
SELECT throws_ok($$SELECT '{"kind":"marginal","breaks":[0],"rates":["0.1"]}'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: a rate is a string');
SELECT throws_ok($$SELECT '{"kind":"marginal","breaks":[0,null],"rates":[0.1,0.2]}'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: a break is null');
SELECT throws_ok($$SELECT '{"kind":"marginal","breaks":[[0]],"rates":[0.1]}'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: nested array');
SELECT throws_ok($$SELECT '{"kind":"cap","max":"5","schedule":{"kind":"marginal","breaks":[0],"rates":[0.1]}}'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: cap max is a string');
SELECT throws_ok($$SELECT '{"kind":"gate","threshold":5,"schedule":[1]}'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: gate schedule is not an object');
SELECT is(pg_temp.err_detail($$SELECT '{"kind":"cap","max":5,"schedule":{"kind":"marginal","breaks":[0],"rates":[true]}}'::jsonb::spm.schedule$$),
  'At $.schedule.rates[0]: expected a number.', 'jsonb: detail gives the path of a nested problem');
SELECT throws_ok($$SELECT '{"kind":"cap","max":5}'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: cap without schedule');
SELECT throws_ok($$SELECT '5'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: a scalar');
SELECT throws_ok($$SELECT '[{"kind":"marginal","breaks":[0],"rates":[0.1]}]'::jsonb::spm.schedule$$, '22P02',
  'invalid jsonb for type spm.schedule', 'jsonb: an array');
SELECT throws_ok($$SELECT '{"kind":"marginal","breaks":[5,1],"rates":[0.1,0.2]}'::jsonb::spm.schedule$$, '22023',
  'breaks must be strictly increasing', 'jsonb: unsorted breaks');
SELECT throws_ok($$SELECT '{"kind":"retroactive","breaks":[-5],"rates":[0.1]}'::jsonb::spm.schedule$$, '22023',
  'the first break must not be negative: -5', 'jsonb: negative first break');
SELECT throws_ok($$SELECT '{"kind":"marginal","breaks":[0],"rates":[-0.1]}'::jsonb::spm.schedule$$, '22023',
  'rate 1 must not be negative: -0.1', 'jsonb: negative rate');
SELECT throws_ok($$SELECT '{"kind":"marginal","breaks":[],"rates":[]}'::jsonb::spm.schedule$$, '22023',
  'a tiered schedule needs at least one tier', 'jsonb: empty arrays');
SELECT throws_ok($$SELECT '{"kind":"curve","xs":[],"ys":[]}'::jsonb::spm.schedule$$, '22023',
  'a curve needs at least one point', 'jsonb: empty curve');
SELECT throws_ok($$SELECT '{"kind":"cap","max":-1,"schedule":{"kind":"marginal","breaks":[0],"rates":[0.1]}}'::jsonb::spm.schedule$$, '22023',
  'cap maximum must not be negative: -1', 'jsonb: negative cap maximum');
SELECT throws_ok($$SELECT '{"kind":"gate","threshold":-1,"schedule":{"kind":"marginal","breaks":[0],"rates":[0.1]}}'::jsonb::spm.schedule$$, '22023',
  'gate threshold must not be negative: -1', 'jsonb: negative gate threshold');
SELECT throws_ok($$SELECT '{"kind":"marginal","breaks":[0,1],"rates":[0.1]}'::jsonb::spm.schedule$$, '2202E',
  'breaks and rates must have the same length', 'jsonb: arrays of different lengths');
SELECT throws_ok($$SELECT '{"kind":"curve","xs":[0,1],"ys":[0]}'::jsonb::spm.schedule$$, '2202E',
  'xs and ys must have the same length', 'jsonb: curve arrays of different lengths');
SELECT throws_ok($$SELECT '{"kind":"marginal","breaks":[0],"rates":[1e20]}'::jsonb::spm.schedule$$, '22003',
  'rate 1 is out of range: 100000000000000000000', 'jsonb: rate too large');
SELECT throws_ok(format($$SELECT %L::jsonb::spm.schedule$$,
    repeat('{"kind":"cap","max":1,"schedule":', 17) || '{"kind":"marginal","breaks":[0],"rates":[0.1]}' || repeat('}', 17)),
  '22023', 'a schedule can nest at most 16 caps and gates', 'jsonb: 17 nested caps');
SELECT is(:T::jsonb, '{"kind": "marginal", "breaks": [0, 10000, 50000], "rates": [0.02, 0.04, 0.07]}'::jsonb,
  'jsonb: tiers to jsonb');
SELECT is(spm.cap(spm.gate(:C, 50), 30)::jsonb,
  '{"kind": "cap", "max": 30, "schedule": {"kind": "gate", "threshold": 50, "schedule":
    {"kind": "curve", "xs": [0, 100, 200], "ys": [0, 10, 40]}}}'::jsonb, 'jsonb: cap(gate(curve)) to jsonb');
SELECT ok('{"kind":"retroactive","breaks":[0, 1.00e4, 50000.000],"rates":[2e-2,0.040,0.07]}'::jsonb::spm.schedule
          OPERATOR(spm.=) :R, 'jsonb: numbers in any spelling give the canonical schedule');

------------------------------------------------------------------------------
-- 8. NULL in, NULL out
------------------------------------------------------------------------------
SELECT ok(spm.tiers(NULL, '{0.1}') IS NULL, 'tiers: NULL breaks');
SELECT ok(spm.tiers('{0}', NULL) IS NULL, 'tiers: NULL rates');
SELECT ok(spm.tiers('{0}', '{0.1}', NULL) IS NULL, 'tiers/3: NULL mode');
SELECT ok(spm.tiers(NULL, NULL, 'marginal') IS NULL, 'tiers/3: NULL arrays');
SELECT ok(spm.curve(NULL, '{1}') IS NULL, 'curve: NULL xs');
SELECT ok(spm.curve('{1}', NULL) IS NULL, 'curve: NULL ys');
SELECT ok(spm.cap(NULL, 10) IS NULL, 'cap: NULL schedule');
SELECT ok(spm.cap(:T, NULL) IS NULL, 'cap: NULL maximum');
SELECT ok(spm.gate(NULL, 10) IS NULL, 'gate: NULL schedule');
SELECT ok(spm.gate(:T, NULL) IS NULL, 'gate: NULL threshold');
SELECT is(spm.apply(NULL::spm.schedule, 100), NULL, 'apply: NULL schedule');
SELECT is(spm.apply(:T, NULL), NULL, 'apply: NULL amount');
SELECT is(spm.apply(NULL::spm.schedule, 100, 1000), NULL, 'apply/3: NULL schedule');
SELECT is(spm.apply(:T, NULL, 1000), NULL, 'apply/3: NULL amount');
SELECT is(spm.apply(:T, 100, NULL), NULL, 'apply/3: NULL quota');
SELECT is(spm.apply(:T, 100, 0), NULL, 'apply/3: quota 0');
SELECT is(spm.apply(:T, 100, 0.000), NULL, 'apply/3: quota 0.000');
SELECT ok(NULL::jsonb::spm.schedule IS NULL, 'jsonb cast: NULL');
SELECT is(NULL::spm.schedule::jsonb, NULL, 'to jsonb: NULL');
SELECT ok((NULL::text)::spm.schedule IS NULL, 'text cast: NULL');

------------------------------------------------------------------------------
-- 9. Round trips: text, jsonb, binary COPY
------------------------------------------------------------------------------
CREATE TEMP TABLE lits (id int PRIMARY KEY, lit text);
INSERT INTO lits VALUES
  (1, 'marginal(0: 0.02, 10000: 0.04, 50000: 0.07)'),
  (2, 'retroactive(0: 0.02, 10000: 0.04, 50000: 0.07)'),
  (3, 'curve(0: 0, 100: 10, 200: 40)'),
  (4, 'curve(-100.5: -3.25, 0: 0, 1.000000000001: 7)'),
  (5, 'curve(1: 5)'),
  (6, 'cap(marginal(0: 0.1), 3000)'),
  (7, 'gate(retroactive(0: 0.05, 1: 0.1), 0.8)'),
  (8, 'cap(gate(marginal(0: 0.02, 10000: 0.04), 5000), 2500.5)'),
  (9, 'gate(cap(curve(1: 5, 2: 3), 3), 0)'),
  (10, 'marginal(0: 0)'),
  (11, 'marginal(999999999999999: 0.000000000000001)'),
  (12, 'retroactive(0.000000000000001: 999999999999999)'),
  (13, 'curve(-999999999999999.999999999999999: 123456789012345.123456789012345)'),
  (14, 'cap(cap(marginal(0: 0.1), 100), 50)'),
  (15, 'marginal(5000: 1)'),
  (16, 'curve(0: 0, 0.5: -0.25, 3: 12.125)'),
  (17, repeat('gate(', 8) || repeat('cap(', 8) || 'retroactive(0: 0.01, 10: 0.02)'
       || repeat(', 7)', 8) || repeat(', 0.25)', 8)),
  (18, 'marginal(' || (SELECT string_agg(i || ': ' || trim_scale((i + 1) / 10000.0), ', ' ORDER BY i)
                       FROM generate_series(0, 999) i) || ')');

SELECT is_empty($$SELECT id, lit, lit::spm.schedule::text FROM lits WHERE lit::spm.schedule::text <> lit$$,
  'text -> schedule -> text is the identity on canonical literals');
SELECT is_empty($$SELECT id, lit FROM lits
                   WHERE NOT (lit::spm.schedule::jsonb::spm.schedule OPERATOR(spm.=) lit::spm.schedule)$$,
  'schedule -> jsonb -> schedule gives an equal schedule');
SELECT is_empty($$SELECT id, lit FROM lits
                   WHERE lit::spm.schedule::jsonb::spm.schedule::text <> lit$$,
  'schedule -> jsonb -> schedule -> text is the identity');
SELECT is_empty($$SELECT id, lit FROM lits
                   WHERE lit::spm.schedule OPERATOR(spm.<>) lit::spm.schedule$$,
  'spm.<> is false for equal schedules');
SELECT is_empty($$SELECT a.id, b.id FROM lits a JOIN lits b ON a.id <> b.id
                   WHERE a.lit::spm.schedule OPERATOR(spm.=) b.lit::spm.schedule$$,
  'distinct literals give unequal schedules');

CREATE TEMP TABLE bin_src (id int, s spm.schedule);
INSERT INTO bin_src SELECT id, lit::spm.schedule FROM lits;
INSERT INTO bin_src VALUES (100, NULL);
CREATE TEMP TABLE bin_dst (id int, s spm.schedule);
DO $do$
DECLARE f text := format('/tmp/spm_tap_schedule_%s.bin', pg_backend_pid());
BEGIN
  EXECUTE format('COPY bin_src TO %L (FORMAT binary)', f);
  EXECUTE format('COPY bin_dst FROM %L (FORMAT binary)', f);
  EXECUTE format('COPY (SELECT 1 WHERE false) TO PROGRAM %L', 'rm -f ' || f);
END $do$;
SELECT is((SELECT count(*) FROM bin_dst), 19::bigint, 'binary COPY: every row came back');
SELECT is_empty($$SELECT a.id FROM bin_src a LEFT JOIN bin_dst b USING (id)
                   WHERE b.id IS NULL OR (a.s IS NULL) <> (b.s IS NULL)
                      OR NOT coalesce(a.s OPERATOR(spm.=) b.s, true)
                      OR a.s::text IS DISTINCT FROM b.s::text$$,
  'binary COPY round trip gives equal schedules (and NULL stays NULL)');

-- Canonical output of non-canonical input
SELECT is('MARGINAL ( 0 : 2% , 10000.00: 0.040 )'::spm.schedule::text, 'marginal(0: 0.02, 10000: 0.04)',
  'canonical: case, spaces, % and trailing zeros');
SELECT is(E'Cap(\tGate(Retroactive(+0:5%,\n1.50:12.5%),+1.0),0050.00)'::spm.schedule::text,
  'cap(gate(retroactive(0: 0.05, 1.5: 0.125), 1), 50)', 'canonical: mixed case, tabs, newlines, signs, leading zeros');
SELECT is('curve(-0.000: 100%, 2: 250%)'::spm.schedule::text, 'curve(0: 1, 2: 2.5)',
  'canonical: negative zero and percentages on curves');
SELECT ok('marginal(0: 0.050)'::spm.schedule OPERATOR(spm.=) 'marginal(0.0: 5%)'::spm.schedule,
  'equality is by value, not spelling');
SELECT ok('marginal(0: 0.05)'::spm.schedule OPERATOR(spm.<>) 'retroactive(0: 0.05)'::spm.schedule,
  'marginal and retroactive differ');
SELECT ok(:T OPERATOR(spm.<>) spm.cap(:T, 1000000), 'a cap makes a different schedule');

------------------------------------------------------------------------------
-- 10. Evaluation: the worked examples of docs/schedules.md
------------------------------------------------------------------------------
-- 10000*0.02 + 40000*0.04 + 10000*0.07 = 200 + 1600 + 700
SELECT is(spm.apply(:T, 60000), 2500.00, 'docs/schedules.md: marginal E(60000) = 2500.00');
SELECT is(spm.apply(:T, 60000)::text, '2500.00', 'docs/schedules.md: printed with the rates'' 2 places');
-- 60000*0.07
SELECT is(spm.apply(:R, 60000), 4200.00, 'docs/schedules.md: retroactive E(60000) = 4200.00');
SELECT is(spm.apply(spm.cap(:T, 3000), 60000), 2500::numeric, 'docs/schedules.md: capped marginal = 2500');
SELECT is(spm.apply(spm.cap(:R, 3000), 60000), 3000::numeric, 'docs/schedules.md: capped retroactive = 3000');

------------------------------------------------------------------------------
-- 11. Tiers around the breaks (a total on a break belongs to the higher tier)
------------------------------------------------------------------------------
-- marginal: E(x) = 0.02 x (x < 10000); 200 + 0.04 (x-10000) (< 50000); 1800 + 0.07 (x-50000)
SELECT is(spm.apply(:T, -500), 0::numeric, 'marginal: negative total -> 0');
SELECT is(spm.apply(:T, 0), 0::numeric, 'marginal: 0 -> 0');
SELECT is(spm.apply(:T, 9999.99), 199.9998, 'marginal: just below the break, 9999.99*0.02');
SELECT is(spm.apply(:T, 10000), 200::numeric, 'marginal: on the break, 200');
SELECT is(spm.apply(:T, 10000.01), 200.0004, 'marginal: just above the break, 200 + 0.01*0.04');
SELECT is(spm.apply(:T, 49999.99), 1799.9996, 'marginal: 200 + 39999.99*0.04');
SELECT is(spm.apply(:T, 50000), 1800::numeric, 'marginal: on the top break, 200 + 1600');
SELECT is(spm.apply(:T, 50000.01), 1800.0007, 'marginal: 1800 + 0.01*0.07');
-- retroactive: rate of the highest break <= x, times x
SELECT is(spm.apply(:R, -500), 0::numeric, 'retroactive: negative total -> 0');
SELECT is(spm.apply(:R, 9999.99), 199.9998, 'retroactive: 9999.99*0.02');
SELECT is(spm.apply(:R, 10000), 400::numeric, 'retroactive: on the break, 10000*0.04');
SELECT is(spm.apply(:R, 10000.01), 400.0004, 'retroactive: 10000.01*0.04');
SELECT is(spm.apply(:R, 49999.99), 1999.9996, 'retroactive: 49999.99*0.04');
SELECT is(spm.apply(:R, 50000), 3500::numeric, 'retroactive: on the top break, 50000*0.07');
-- first break above zero
SELECT is(spm.apply('marginal(5000: 0.1)', 4999.99), 0::numeric, 'marginal: below a first break > 0');
SELECT is(spm.apply('marginal(5000: 0.1)', 5000), 0::numeric, 'marginal: on a first break > 0');
SELECT is(spm.apply('marginal(5000: 0.1)', 6000), 100::numeric, 'marginal: 1000*0.1 above it');
SELECT is(spm.apply('retroactive(5000: 0.1)', 4999.99), 0::numeric, 'retroactive: below a first break > 0');
SELECT is(spm.apply('retroactive(5000: 0.1)', 5000), 500::numeric, 'retroactive: on a first break > 0, 5000*0.1');
SELECT is(spm.apply('retroactive(0: 0)', 123.45), 0::numeric, 'a zero rate earns nothing');

------------------------------------------------------------------------------
-- 12. Gates and caps
------------------------------------------------------------------------------
SELECT is(spm.apply(spm.gate(:T, 20000), 19999.99), 0::numeric, 'gate: below the threshold -> 0');
SELECT is(spm.apply(spm.gate(:T, 20000), 20000), 600::numeric, 'gate: at the threshold, 200 + 10000*0.04');
SELECT is(spm.apply(spm.gate(:T, 20000), 25000), 800::numeric, 'gate: above the threshold, 200 + 15000*0.04');
SELECT is(spm.apply(spm.gate(:R, 20000), 20000), 800::numeric, 'gate on retroactive: 20000*0.04');
SELECT is(spm.apply(spm.gate(:T, 0), -10), 0::numeric, 'gate 0: negative total still 0');
SELECT is(spm.apply(spm.cap(:T, 1000), 25000), 800::numeric, 'cap: below the maximum');
SELECT is(spm.apply(spm.cap(:T, 1000), 40000), 1000::numeric, 'cap: 200 + 30000*0.04 = 1400 capped to 1000');
SELECT is(spm.apply(spm.cap(:T, 999.995), 40000), 999.995, 'cap with 3 decimal places');
SELECT is(spm.apply(spm.cap(:T, 0), 40000), 0::numeric, 'cap 0');
SELECT is(spm.apply(spm.cap(spm.gate(:T, 20000), 1000), 15000), 0::numeric, 'cap(gate): gated');
SELECT is(spm.apply(spm.cap(spm.gate(:T, 20000), 1000), 20000), 600::numeric, 'cap(gate): at threshold, under cap');
SELECT is(spm.apply(spm.cap(spm.gate(:T, 20000), 1000), 40000), 1000::numeric, 'cap(gate): capped');
SELECT is(spm.apply(spm.gate(spm.cap(:T, 1000), 20000), 19999.99), 0::numeric, 'gate(cap): gated');
SELECT is(spm.apply(spm.gate(spm.cap(:T, 1000), 20000), 40000), 1000::numeric, 'gate(cap): capped');
SELECT is(spm.apply(spm.cap(spm.gate(:R, 50000), 3000), 49999.99), 0::numeric, 'cap(gate(retroactive)): gated');
SELECT is(spm.apply(spm.cap(spm.gate(:R, 50000), 3000), 50000), 3000::numeric, 'cap(gate(retroactive)): 3500 capped');
SELECT is(spm.apply('cap(cap(marginal(0: 0.1), 100), 50)', 2000), 50::numeric, 'nested caps: the smaller wins');
SELECT is(spm.apply('gate(gate(marginal(0: 0.1), 100), 50)', 99), 0::numeric, 'nested gates: the larger wins');

------------------------------------------------------------------------------
-- 13. Curves
------------------------------------------------------------------------------
SELECT is(spm.apply(:C, -1), 0::numeric, 'curve: below the first point -> 0');
SELECT is(spm.apply(:C, 0), 0::numeric, 'curve: on the first point');
SELECT is(spm.apply(:C, 50), 5::numeric, 'curve: between points, 50*0.1');
SELECT is(spm.apply(:C, 100), 10::numeric, 'curve: on a point');
SELECT is(spm.apply(:C, 150), 25::numeric, 'curve: between points, 10 + 50*0.3');
SELECT is(spm.apply(:C, 200), 40::numeric, 'curve: on the last point');
SELECT is(spm.apply(:C, 300), 70::numeric, 'curve: beyond the last point the slope 0.3 continues');
SELECT is(spm.apply('curve(100: 10, 200: 20)', 99.99), 0::numeric, 'curve: below a first point > 0 -> 0');
SELECT is(spm.apply('curve(100: 10, 200: 20)', 100), 10::numeric, 'curve: a first point > 0 jumps to its y');
SELECT is(spm.apply('curve(1: 5)', 0.5), 0::numeric, 'single point: 0 before it');
SELECT is(spm.apply('curve(1: 5)', 1), 5::numeric, 'single point: its y on it');
SELECT is(spm.apply('curve(1: 5)', 1000000), 5::numeric, 'single point: constant after it');
SELECT is(spm.apply('curve(-100: -5, 0: 0, 100: 10)', -150), 0::numeric, 'curve: below a negative first point -> 0');
SELECT is(spm.apply('curve(-100: -5, 0: 0, 100: 10)', -50), -2.5, 'curve: negative y interpolated');
SELECT is(spm.apply('curve(0: 0, 100: -10)', 200), -20::numeric, 'curve: a falling slope continues');
-- 1/3 and 2/3 at 12 places, half away from zero
SELECT is(spm.apply('curve(0: 0, 3: 1)', 1), 0.333333333333, 'curve: 1/3 rounded at 12 places');
SELECT is(spm.apply('curve(0: 0, 3: 1)', 2), 0.666666666667, 'curve: 2/3 rounded up at 12 places');
SELECT is(spm.apply('curve(0: 0, 3: -1)', 2), -0.666666666667, 'curve: -2/3 rounded away from zero');
-- exactly half a unit in the 12th place: 0.0000000000005 -> 0.000000000001
SELECT is(spm.apply('curve(0: 0, 2: 0.000000000001)', 1), 0.000000000001, 'curve: a tie rounds away from zero');
SELECT is(spm.apply('curve(0: 0, 2: -0.000000000001)', 1), -0.000000000001, 'curve: a negative tie rounds away from zero');
SELECT is(spm.apply('curve(0: 0, 2: 0.000000000001)', 3), 0.000000000002, 'curve: a tie past the last point');
SELECT is(spm.apply(spm.cap(:C, 30), 250), 30::numeric, 'cap on a curve: 55 capped to 30');
SELECT is(spm.apply(spm.cap(:C, 30), 150), 25::numeric, 'cap on a curve: under the cap');
SELECT is(spm.apply(spm.gate(:C, 100), 99.99), 0::numeric, 'gate on a curve: below');
SELECT is(spm.apply(spm.gate(:C, 100), 100), 10::numeric, 'gate on a curve: at the threshold');

------------------------------------------------------------------------------
-- 14. Result scale
------------------------------------------------------------------------------
SELECT is(scale(spm.apply(:T, 60000)), 2, 'scale: integer total, 2-place rates -> 2');
SELECT is(scale(spm.apply(:T, 60000.5)), 3, 'scale: 1-place total, 2-place rates -> 3');
SELECT is(scale(spm.apply(:R, 60000.00)), 4, 'scale: retroactive, 2 + 2');
SELECT is(scale(spm.apply(spm.cap(:T, 999.995), 1)), 3, 'scale: a 3-place cap raises it');
SELECT is(scale(spm.apply('marginal(0: 0.05, 0.5: 0.1)', 100, 1000)), 3, 'scale: quota form, break scale 1 + rate scale 2');
SELECT is(scale(spm.apply(:C, 50)), 12, 'scale: curves give 12 places');
SELECT is(scale(spm.apply(:C, 50.0000000000001)), 13, 'scale: curves keep a finer total''s places');

------------------------------------------------------------------------------
-- 15. Quota form: quota * E(x / quota)
------------------------------------------------------------------------------
-- breaks at 0, 50%, 100% of quota 200000 = 0, 100000, 200000:
-- 100000*0.02 + 100000*0.05 + 50000*0.1 = 2000 + 5000 + 5000
SELECT is(spm.apply('marginal(0: 0.02, 0.5: 0.05, 1: 0.1)', 250000, 200000), 12000::numeric, 'quota: marginal');
-- on a break (x = quota): 2000 + 5000
SELECT is(spm.apply('marginal(0: 0.02, 0.5: 0.05, 1: 0.1)', 200000, 200000), 7000::numeric, 'quota: marginal on a break');
SELECT is(spm.apply('retroactive(0: 0.02, 0.5: 0.05, 1: 0.1)', 250000, 200000), 25000::numeric, 'quota: retroactive 250000*0.1');
SELECT is(spm.apply('retroactive(0: 0.02, 0.5: 0.05, 1: 0.1)', 199999.99, 200000), 9999.9995, 'quota: retroactive just below 100%');
SELECT is(spm.apply('retroactive(0: 0.02, 0.5: 0.05, 1: 0.1)', -5, 200000), 0::numeric, 'quota: negative total');
-- docs/schedules.md's schedule as fractions of quota 50000: breaks 0, 10000, 50000
SELECT is(spm.apply('marginal(0: 0.02, 0.2: 0.04, 1: 0.07)', 60000, 50000), 2500::numeric, 'quota: docs/schedules.md tiers as fractions');
-- cap of 5% of quota 200000 = 10000 limits 150000*0.1 = 15000
SELECT is(spm.apply('cap(marginal(0: 0.1), 0.05)', 150000, 200000), 10000::numeric, 'quota: cap scales with quota');
-- gate at 80% of 200000 = 160000
SELECT is(spm.apply('gate(marginal(0: 0.02, 0.5: 0.05, 1: 0.1), 0.8)', 159999.99, 200000), 0::numeric, 'quota: below the gate');
-- 100000*0.02 + 60000*0.05
SELECT is(spm.apply('gate(marginal(0: 0.02, 0.5: 0.05, 1: 0.1), 0.8)', 160000, 200000), 5000::numeric, 'quota: at the gate');
-- % literal: gate at 80% of 1000, 10% rate
SELECT is(spm.apply('gate(marginal(0: 10%), 80%)', 799.99, 1000), 0::numeric, 'quota: % gate, below');
SELECT is(spm.apply('gate(marginal(0: 10%), 80%)', 800, 1000), 80::numeric, 'quota: % gate, at');
-- curve points (0,0) (100000,10000) (150000,25000): 10000 + 20000*15000/50000
SELECT is(spm.apply('curve(0: 0, 1: 0.1, 1.5: 0.25)', 120000, 100000), 16000::numeric, 'quota: curve interpolation');
-- past the last point the slope 0.3 continues: 25000 + 50000*0.3
SELECT is(spm.apply('curve(0: 0, 1: 0.1, 1.5: 0.25)', 200000, 100000), 40000::numeric, 'quota: curve past the last point');
SELECT is(spm.apply('curve(0.5: 0.01, 1: 0.1)', 400, 1000), 0::numeric, 'quota: curve below the first point');
-- fractional quota 0.5: breaks 0, 50 -> 50*0.1 + 30*0.2
SELECT is(spm.apply('marginal(0: 0.1, 100: 0.2)', 80, 0.5), 11::numeric, 'quota: a fractional quota');
SELECT is(spm.apply('marginal(0: 2%, 10000: 4%, 50000: 7%)', 60000), 2500::numeric, '% literal: docs/schedules.md tiers');

------------------------------------------------------------------------------
-- 16. Sweeps against independent plain-SQL formulas
------------------------------------------------------------------------------
CREATE TEMP TABLE xs AS
  SELECT i * 3.37 AS x FROM generate_series(-300, 21000) i
  UNION ALL VALUES (0), (10000), (50000), (9999.99), (10000.01), (49999.99), (50000.01), (20000), (19999.99);

SELECT is_empty($$
  SELECT x FROM xs
   WHERE spm.apply('marginal(0: 0.02, 10000: 0.04, 50000: 0.07)', x) <> 0.02 * greatest(0, least(x, 10000))
                          + 0.04 * greatest(0, least(x, 50000) - 10000)
                          + 0.07 * greatest(0, x - 50000)$$,
  'sweep: marginal tiers equal the plain-SQL formula');
SELECT is_empty($$
  SELECT x FROM xs
   WHERE spm.apply('retroactive(0: 0.02, 10000: 0.04, 50000: 0.07)', x) <> CASE WHEN x >= 50000 THEN 0.07 * x WHEN x >= 10000 THEN 0.04 * x
                                  WHEN x >= 0 THEN 0.02 * x ELSE 0 END$$,
  'sweep: retroactive tiers equal the plain-SQL formula');
SELECT is_empty($$
  SELECT x FROM xs
   WHERE spm.apply('cap(gate(marginal(0: 0.02, 10000: 0.04, 50000: 0.07), 20000), 1000)'::spm.schedule, x)
         <> CASE WHEN x < 20000 THEN 0
                 ELSE least(1000, 0.02 * greatest(0, least(x, 10000))
                                + 0.04 * greatest(0, least(x, 50000) - 10000)
                                + 0.07 * greatest(0, x - 50000)) END$$,
  'sweep: cap(gate(marginal)) equals the plain-SQL formula');
SELECT is_empty($$
  SELECT x FROM xs
   WHERE spm.apply('marginal(0: 0.02, 0.2: 0.04, 1: 0.07)', x, 50000) <> spm.apply('marginal(0: 0.02, 10000: 0.04, 50000: 0.07)', x)$$,
  'sweep: quota form with breaks as fractions equals absolute breaks');
-- curve (0,0) (300,7) (1000,20) (1700,20): E = ya + round_half_away((x-xa)*(yb-ya)/(xb-xa), 12),
-- the rounding done exactly with div(); 0 below the first point.  Counts the
-- points where spm agrees with the formula: must be all of them.
SELECT is(
  (SELECT count(*) FROM xs
     LEFT JOIN LATERAL (
       SELECT ya, (x - xa) * (yb - ya) AS n, (xb - xa) AS d
         FROM (VALUES (0::numeric, 0::numeric, 300::numeric, 7::numeric),
                      (300, 7, 1000, 20), (1000, 20, 1700, 20)) v(xa, ya, xb, yb)
        WHERE x >= xa AND (x < xb OR xb = 1700)) s ON true
    WHERE spm.apply('curve(0: 0, 300: 7, 1000: 20, 1700: 20)', x)
          = CASE WHEN x < 0 THEN 0
                 ELSE ya + sign(n) * div(2 * abs(n) * 1000000000000 + d, 2 * d) * 0.000000000001 END),
  (SELECT count(*) FROM xs),
  'sweep: curve interpolation rounded half away from zero at 12 places');

SELECT * FROM finish();
ROLLBACK;
