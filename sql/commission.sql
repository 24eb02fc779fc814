-- Commission aggregate and increments: the example of docs/commission.md and hand-computed cases.
SET search_path = spm, public;
CREATE TABLE deals (rep text, seq int, amount numeric(12,2));
INSERT INTO deals VALUES
  ('ann', 1, 8000), ('ann', 2, 8000), ('ann', 3, 40000), ('ann', 4, -6000),
  ('bob', 1, 12000), ('bob', 2, NULL), ('bob', 3, 3000.50),
  ('cy',  1, NULL);

-- docs/commission.md: increments 160, 280, 1780, -420 (sum 1800 = E(50000))
SELECT rep, seq, amount,
       commission_increment(amount, 'marginal(0: 0.02, 10000: 0.04, 50000: 0.07)') OVER w AS increment
  FROM deals WINDOW w AS (PARTITION BY rep ORDER BY seq) ORDER BY rep, seq;
-- bob: 12000 crosses 10000: 200 + 2000*0.04 = 280; NULL skipped; 3000.50*0.04 = 120.02
-- cy: no amount at all: NULL

SELECT rep, commission(amount, 'marginal(0: 0.02, 10000: 0.04, 50000: 0.07)') AS got,
       sum(amount) AS total
  FROM deals GROUP BY rep ORDER BY rep;
-- ann E(50000) = 1800; bob E(15000.50) = 200 + 5000.50*0.04 = 400.02; cy NULL

-- Peers in ORDER BY are still taken one row at a time: the three 5000 deals
-- (all seq 1) cross the 10000 break inside the peer group.
SELECT sum(i) AS total_increments, count(*) AS n
  FROM (SELECT commission_increment(a, 'marginal(0: 0.02, 10000: 0.04)') OVER (ORDER BY k) AS i
          FROM (VALUES (1, 5000), (1, 5000), (1, 5000)) v(k, a)) s;
-- E(15000) = 200 + 200 = 400

-- Quota-relative: quota 20000, breaks at 0 and 100% of quota
SELECT rep, commission(amount, 'marginal(0: 0.05, 1: 0.1)', 20000) AS got
  FROM deals WHERE rep IN ('ann', 'bob') GROUP BY rep ORDER BY rep;
-- ann 50000: 20000*0.05 + 30000*0.1 = 4000; bob 15000.50: 750.025
SELECT seq, commission_increment(amount, 'marginal(0: 0.05, 1: 0.1)', 20000) OVER (ORDER BY seq) AS increment
  FROM deals WHERE rep = 'ann' ORDER BY seq;
-- E(8000) = 400; E(16000) = 800 -> 400; E(56000) = 20000*0.05 + 36000*0.1 = 4600 -> 3800;
-- E(50000) = 1000 + 3000 = 4000 -> -600

-- Retroactive tiers: increments jump when a break lifts the whole total
SELECT seq, commission_increment(amount, 'retroactive(0: 0.02, 10000: 0.04)') OVER (ORDER BY seq) AS increment
  FROM deals WHERE rep = 'ann' ORDER BY seq;
-- E(8000)=160; E(16000)=640 -> 480; E(56000)=2240 -> 1600; E(50000)=2000 -> -240

-- A schedule from a joined table works when it is the same within a group
CREATE TABLE plans (rep text, s schedule);
INSERT INTO plans VALUES ('ann', 'marginal(0: 0.1)'), ('bob', 'marginal(0: 0.2)');
SELECT d.rep, commission(d.amount, p.s) FROM deals d JOIN plans p USING (rep) GROUP BY d.rep ORDER BY 1;
-- ann 50000 * 0.1 = 5000; bob 15000.50 * 0.2 = 3000.100
-- ... but not when it changes inside the group
SELECT commission(d.amount, p.s) FROM deals d JOIN plans p USING (rep);
SELECT commission_increment(d.amount, p.s) OVER () FROM deals d JOIN plans p USING (rep);
SELECT commission(amount, 'marginal(0: 0.1)', CASE WHEN seq = 1 THEN 100 ELSE 200 END) FROM deals;
-- quota checks: negative is an error, 0 gives NULL
SELECT commission(amount, 'marginal(0: 0.1)', -1) FROM deals;
SELECT commission(amount, 'marginal(0: 0.1)', 0) IS NULL AS zero_quota_null FROM deals;
-- NaN amounts are refused
SELECT commission(a, 'marginal(0: 0.1)') FROM (VALUES ('NaN'::numeric)) v(a);
