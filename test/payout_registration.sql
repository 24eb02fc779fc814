-- pgTAP: what spm_payout accepts as arguments and registrations.  Runs
-- fingerprint the rep and deal columns of every source (and the rep of a
-- split table), so their types must have a hash function: refused at
-- registration (42804), not at the first run.
BEGIN;
SELECT plan(13);
SET client_min_messages = warning;

CREATE SCHEMA preg;
CREATE TABLE preg.sales (id int, deal_uuid uuid, deal_json json, seller varchar(20), seller_json json,
                         amt numeric(12,2), closed timestamptz);
CREATE TABLE preg.splits (deal int, rep_json json, rep text, w numeric);

SELECT lives_ok($$INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column, time_zone)
                  VALUES ('uuid deals', 'preg.sales', 'seller', 'deal_uuid', 'amt', 'closed', 'Europe/Paris')$$,
    'a varchar rep, a uuid deal and a timestamptz date read in a named time zone are accepted');
SELECT throws_ok($$INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
                   VALUES ('json deals', 'preg.sales', 'seller', 'deal_json', 'amt', 'closed')$$,
    '42804', 'column deal_json of relation preg.sales has type json, which has no hash function',
    'a json deal column is refused (42804): runs fingerprint it');
SELECT throws_ok($$INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
                   VALUES ('json reps', 'preg.sales', 'seller_json', 'id', 'amt', 'closed')$$,
    '42804', 'column seller_json of relation preg.sales has type json, which has no hash function',
    'a json rep column is refused (42804)');
SELECT throws_ok($$INSERT INTO spm_payout.split_rule (source_id, relation, deal_column, rep_column, weight_column)
                   SELECT source_id, 'preg.splits', 'deal', 'rep_json', 'w' FROM spm_payout.source WHERE name = 'uuid deals'$$,
    '42804', 'column rep_json of relation preg.splits has type json, which has no hash function',
    'a json rep column of a split table is refused (42804)');
SELECT lives_ok($$INSERT INTO spm_payout.split_rule (source_id, relation, deal_column, rep_column, weight_column)
                  SELECT source_id, 'preg.splits', 'deal', 'rep', 'w' FROM spm_payout.source WHERE name = 'uuid deals'$$,
    'a text rep column of a split table is accepted');
SELECT throws_ok($$UPDATE spm_payout.source SET time_zone = 'Mars/Olympus' WHERE name = 'uuid deals'$$,
    '22023', 'time zone ''Mars/Olympus'' is not known', 'an unknown time zone is refused (22023)');

-- the functions a user calls with a period
SELECT throws_ok($$SELECT * FROM spm_payout.add_pay_periods('2031-01-01', '2031-02-01', 'week')$$,
    '22023', 'unknown grain "week"', 'add_pay_periods: an unknown grain (22023)');
SELECT throws_ok($$SELECT * FROM spm_payout.add_pay_periods('2031-01-01', '2031-02-01', 'month', 13)$$,
    '22023', 'fiscal_start_month must be between 1 and 12: 13', 'add_pay_periods: a month out of range (22023)');
SELECT is((SELECT count(*)::int FROM spm_payout.add_pay_periods(NULL, '2031-02-01')), 0,
    'add_pay_periods: a NULL bound adds nothing');
SELECT is((SELECT count(*)::int FROM spm_payout.add_pay_periods('2031-01-01', '2031-03-31', 'month')), 3,
    'add_pay_periods: January to March 2031 are three months');
SELECT throws_ok($$SELECT * FROM spm_payout.add_pay_periods('2031-03-01', '2031-03-31', 'month')$$,
    '23505', NULL, 'add_pay_periods: a period that exists already is refused (its label is unique)');
SELECT throws_ok($$SELECT spm_payout.find_period('nope')$$,
    '22023', 'no pay period is labelled ''nope''', 'find_period: an unknown label (22023)');
SELECT throws_ok($$CALL spm_payout.run_payout('nope')$$,
    '22023', 'no pay period is labelled ''nope''', 'run_payout: an unknown label (22023)');

SELECT * FROM finish();
ROLLBACK;
