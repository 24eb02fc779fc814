-- pgTAP: what spm_payout accepts when a sales table is registered.  Runs
-- fingerprint the rep and deal columns of every source (and the rep of a
-- split table), so their types must have a hash function: refused at
-- registration (42804), not at the first run.
BEGIN;
SELECT plan(6);
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

SELECT * FROM finish();
ROLLBACK;
