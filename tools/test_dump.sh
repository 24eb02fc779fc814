#!/usr/bin/env bash
# tools/test_dump.sh — backup and restore of spm_payout, and the upgrade from
# spm 0.1.0 (TAP).
#
#   1. a database with a payout catalog (source, hierarchy, plans, quotas, a
#      draw, adjustments, roles and policies), two periods run and closed, a
#      late deal, a third period run (open), and what 0.3.0 stores (plan
#      components with an MBO score and a SPIFF, held lines and an acceptance,
#      an exchange rate, a payroll batch, a settled inquiry, an approved quota
#      cascade); pg_dump -Fc, then createdb and
#      pg_restore -d as a DBA does:
#        - pg_dump and pg_restore exit 0 with nothing on stderr
#        - every spm_payout table (credit_line partition by partition) has the
#          same rows; the audit log has no extra rows; statuses, policies and
#          grants are the same
#        - rerunning the open period gives the same rows in both databases
#          (nothing booked twice), and it can be closed in both
#        - new catalog rows get fresh ids (the identity sequences are restored)
#   2. DROP EXTENSION spm is refused while spm_payout is installed (2BP01)
#   3. spm 0.1.0 with its payout catalog and results, ALTER EXTENSION spm
#      UPDATE: the old tables and rows are kept in schema spm_legacy_0_1, are
#      no longer members of spm, and CREATE EXTENSION spm_payout then works
#
# Needs a running server named by the PG* variables (superuser; spm and
# spm_payout installed), as tools/test.sh provides.  Creates and drops its
# own databases (and the spm_* roles if it had to create them).
set -uo pipefail

export PAGER=cat PSQL_PAGER=cat
if [[ -x /usr/lib/postgresql/15/bin/pg_dump ]]; then
    export PATH=/usr/lib/postgresql/15/bin:$PATH
fi

SRC=spm_dump_src_$$
DST=spm_dump_dst_$$
UPG=spm_dump_upg_$$
TMP=$(mktemp -d /tmp/spm-dump.XXXXXX)
N=0
MADE_ROLES=0

cleanup() {
    local d
    for d in "$SRC" "$DST" "$UPG"; do
        [[ -n ${SPM_KEEP_TMP:-} ]] || psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1 || true
    done
    if [[ $MADE_ROLES == 1 ]]; then
        psql -X -q -d postgres -c 'DROP ROLE IF EXISTS spm_admin, spm_analyst, spm_rep' >/dev/null 2>&1 || true
    fi
    [[ -n ${SPM_KEEP_TMP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT

ok() {   # ok EXIT-STATUS DESCRIPTION [DIAGNOSTIC FILE...]
    local rc=$1 desc=$2 f
    shift 2
    N=$((N + 1))
    if [[ $rc -eq 0 ]]; then
        echo "ok $N - $desc"
    else
        echo "not ok $N - $desc"
        for f in "$@"; do
            [[ -f $f ]] && sed 's/^/#   /' "$f" | head -n 60
        done
    fi
}
is() {   # is HAVE WANT DESCRIPTION
    local have=$1 want=$2 desc=$3
    N=$((N + 1))
    if [[ $have == "$want" ]]; then
        echo "ok $N - $desc"
    else
        echo "not ok $N - $desc"
        printf '#   have: %s\n#   want: %s\n' "$have" "$want"
    fi
}
q() {    # q DB SQL: the value(s), one per line
    psql -X -qAt -d "$1" -v ON_ERROR_STOP=1 -c "$2" 2>&1
}
# a digest of a query's rows: md5 of the ordered rows, and their count
digest() {
    q "$1" "SELECT md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) || ' ' || count(*) FROM ($2) x"
}

# ----------------------------------------------- 1. the original database --
if ! psql -X -qAt -d postgres -c "SELECT 1 FROM pg_roles WHERE rolname = 'spm_admin'" | grep -q 1; then
    MADE_ROLES=1
fi
{
    psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $SRC" &&
    psql -X -q -d "$SRC" -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION spm_payout CASCADE;
SELECT spm_payout.create_roles();
CREATE SCHEMA crm;
CREATE TABLE crm.deals (id int PRIMARY KEY, rep text, amount numeric(12,2), closed date);
CREATE TABLE crm.org (rep text, mgr text, valid daterange);
INSERT INTO crm.deals VALUES
  (1, 'ann', 12000, '2025-01-10'), (2, 'bob', 4000, '2025-01-15'), (3, 'ann', 3000, '2025-02-03'),
  (4, 'bob', 9000, '2025-02-20'), (5, 'ann', 1500, '2025-03-04'), (6, 'bob', 2500, '2025-03-18');
INSERT INTO crm.org VALUES ('ann', 'mia', '(,)'), ('bob', 'mia', '(,)'), ('mia', NULL, '(,)');
SELECT count(*) FROM spm_payout.add_pay_periods('2025-01-01', '2025-04-30');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('crm', 'crm.deals', 'rep', 'id', 'amount', 'closed');
INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column)
VALUES ('crm.org', 'rep', 'mgr', 'valid');
INSERT INTO spm_payout.plan (name) VALUES ('rep plan'), ('mgr plan');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule, base)
SELECT plan_id, 1, CASE name WHEN 'rep plan' THEN 'marginal(0: 0.05, 1: 0.10)' ELSE 'marginal(0: 0.01)' END::spm.schedule,
       CASE name WHEN 'rep plan' THEN 'quota' ELSE 'amount' END
  FROM spm_payout.plan;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, (SELECT plan_id FROM spm_payout.plan WHERE name = CASE r WHEN 'mia' THEN 'mgr plan' ELSE 'rep plan' END), '[2025-01-01,)'
  FROM unnest('{ann,bob,mia}'::text[]) r;
INSERT INTO spm_payout.quota SELECT r, p.period_id, 10000 FROM unnest('{ann,bob}'::text[]) r, spm_payout.pay_period p;
INSERT INTO spm_payout.draw_agreement (rep, kind, amount, term) VALUES ('bob', 'recoverable', 1000, '[2025-01-01,2025-04-01)');
INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason)
SELECT 'ann', period_id, 150, 'spiff' FROM spm_payout.pay_period WHERE label = '2025-02-01..2025-02-28';
INSERT INTO spm_payout.rep_login VALUES ('spm_rep', 'ann');
CALL spm_payout.run_payout('2025-01-01..2025-01-31');
CALL spm_payout.close_period('2025-01-01..2025-01-31');
CALL spm_payout.run_payout('2025-02-01..2025-02-28');
CALL spm_payout.close_period('2025-02-01..2025-02-28');
-- a late deal of January, booked in March as a late change to a closed period
INSERT INTO crm.deals VALUES (7, 'bob', 800, '2025-01-28');
INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason)
SELECT 'bob', period_id, -40, 'clawback' FROM spm_payout.pay_period WHERE label = '2025-03-01..2025-03-31';
-- what 0.3.0 stores: a plan with components (revenue, an MBO score, a SPIFF)
-- under the acceptance policy hold, not accepted by cat (its lines are held);
-- bob's acceptance of his plan; an exchange rate; a
-- payroll batch of the closed months; an inquiry settled with an adjustment;
-- an approved quota cascade for April
INSERT INTO crm.deals VALUES (8, 'cat', 5000, '2025-03-10');
INSERT INTO crm.org VALUES ('cat', 'mia', '[2025-03-01,)');
INSERT INTO spm_payout.plan (name, acceptance_policy) VALUES ('ae plan', 'hold');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule, base, target_incentive, valid)
SELECT plan_id, 1, 'marginal(0: 0)', 'attainment', 1000, '[2025-03-01,)' FROM spm_payout.plan WHERE name = 'ae plan';
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT 'cat', plan_id, '[2025-03-01,)' FROM spm_payout.plan WHERE name = 'ae plan';
INSERT INTO spm_payout.quota SELECT 'cat', period_id, 10000 FROM spm_payout.pay_period WHERE lower(period) >= '2025-03-01';
SELECT v.version_id AS ae, (SELECT source_id FROM spm_payout.source) AS src
  FROM spm_payout.plan_version v JOIN spm_payout.plan USING (plan_id) WHERE name = 'ae plan' \gset
INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, base, schedule, weight)
VALUES (:ae, 'revenue', 'credit', :src, 'attainment', 'curve(0: 0, 1: 1, 2: 3)', 0.7);
INSERT INTO spm_payout.plan_component (version_id, name, kind, schedule, weight)
VALUES (:ae, 'objectives', 'mbo', 'curve(0: 0, 1: 1)', 0.3);
INSERT INTO spm_payout.plan_component (version_id, name, kind, source_id, spiff_window, spiff_amount)
VALUES (:ae, 'march spiff', 'spiff', :src, '[2025-03-01,2025-04-01)', 250);
INSERT INTO spm_payout.mbo_score (rep, period_id, component_id, score)
SELECT 'cat', p.period_id, c.component_id, 0.8 FROM spm_payout.pay_period p, spm_payout.plan_component c
 WHERE p.label = '2025-03-01..2025-03-31' AND c.name = 'objectives';
INSERT INTO spm_payout.fx_rate (from_currency, to_currency, rate_date, rate) VALUES ('EUR', 'USD', '2025-03-01', 1.0835);
INSERT INTO spm_payout.employee (rep, employee_id) VALUES ('ann', 'E1'), ('bob', 'E2'), ('mia', 'E3'), ('cat', 'E4');
INSERT INTO spm_payout.earning_code (pays, code) VALUES ('commission', 'COM'), ('prior_year', 'PY'), ('manual', 'ADJ'),
                                                        ('draw', 'DRW'), ('recovery', 'REC');
SELECT spm_payout.export_payroll('2025-03-05');
SELECT spm_payout.accept_plan_for('bob', 'rep plan', 1);
SET ROLE spm_rep;
SELECT spm_payout.raise_inquiry('2025-02-01..2025-02-28', 'Is my February right?',
       (SELECT min(l.line_id) FROM spm_payout.payout_line l JOIN spm_payout.pay_period p USING (period_id)
         WHERE p.label = '2025-02-01..2025-02-28' AND l.rep = 'ann'));
RESET ROLE;
SELECT spm_payout.resolve_inquiry((SELECT max(inquiry_id) FROM spm_payout.inquiry), 'a deal was missed', 25,
                                  '2025-03-01..2025-03-31');
SELECT spm_payout.create_cascade('2025-04-01..2025-04-30', 'mia', 30000, 0.1) AS cid \gset
SELECT spm_payout.compute_cascade(:cid);
SELECT spm_payout.approve_cascade(:cid, true);
CALL spm_payout.run_payout('2025-03-01..2025-03-31');
SQL
} >"$TMP/setup.out" 2>&1
ok $? "setup: $SRC with a catalog, January and February run and closed, March run (open)" "$TMP/setup.out"
is "$(q "$SRC" "SELECT string_agg(status, ',' ORDER BY lower(period)) FROM spm_payout.pay_period")" \
   "closed,closed,open,open" "setup: two periods closed, two open"
for t in plan_component mbo_score plan_acceptance payout_hold fx_rate employee earning_code payroll_batch payroll_line \
         inquiry goal_cascade cascade_goal; do
    is "$(q "$SRC" "SELECT count(*) > 0 FROM spm_payout.$t")" "t" "setup: 0.3.0 data in spm_payout.$t"
done
is "$(q "$SRC" "SELECT count(*) > 0 FROM spm_payout.credit_line l JOIN spm_payout.pay_period p ON p.period_id = l.period_id
                 WHERE l.for_period_id <> l.period_id AND p.label = '2025-03-01..2025-03-31'")" \
   "t" "setup: March booked the late January deal as a late credit line"

# ------------------------------------------------------- dump and restore --
pg_dump -Fc -d "$SRC" -f "$TMP/src.dump" 2>"$TMP/pg_dump.err"
ok $? "pg_dump -Fc exits 0" "$TMP/pg_dump.err"
[[ ! -s $TMP/pg_dump.err ]]
ok $? "pg_dump prints nothing on stderr" "$TMP/pg_dump.err"
createdb "$DST" 2>"$TMP/createdb.err"
ok $? "createdb $DST" "$TMP/createdb.err"
pg_restore -d "$DST" "$TMP/src.dump" >"$TMP/pg_restore.out" 2>&1
ok $? "pg_restore -d $DST exits 0" "$TMP/pg_restore.out"
[[ ! -s $TMP/pg_restore.out ]]
ok $? "pg_restore prints no error or warning" "$TMP/pg_restore.out"

# --------------------------------------------------- identical contents ----
TABLES=$(q "$SRC" "SELECT c.oid::regclass FROM pg_class c
                    WHERE c.relnamespace = 'spm_payout'::regnamespace AND c.relkind IN ('r', 'p')
                    ORDER BY c.relname")
is "$(q "$DST" "SELECT string_agg(c.oid::regclass::text, ' ' ORDER BY c.relname) FROM pg_class c
                 WHERE c.relnamespace = 'spm_payout'::regnamespace AND c.relkind IN ('r', 'p')")" \
   "$(tr '\n' ' ' <<<"$TABLES" | sed 's/ $//')" "the restored database has the same spm_payout tables and credit_line partitions"
is "$(q "$DST" "SELECT string_agg(c.oid::regclass::text || ' ' || pg_get_expr(c.relpartbound, c.oid), '; ' ORDER BY c.relname)
                 FROM pg_class c WHERE c.relispartition AND c.relnamespace = 'spm_payout'::regnamespace")" \
   "$(q "$SRC" "SELECT string_agg(c.oid::regclass::text || ' ' || pg_get_expr(c.relpartbound, c.oid), '; ' ORDER BY c.relname)
                 FROM pg_class c WHERE c.relispartition AND c.relnamespace = 'spm_payout'::regnamespace")" \
   "the credit_line partitions are attached with the same bounds"
for t in $TABLES; do
    have=$(digest "$DST" "SELECT * FROM $t")
    want=$(digest "$SRC" "SELECT * FROM $t")
    is "$have" "$want" "same rows in $t (md5 and count: ${want#* } rows)"
done
is "$(q "$DST" "SELECT count(*) FROM spm_payout.audit_log")" "$(q "$SRC" "SELECT count(*) FROM spm_payout.audit_log")" \
   "the audit log has no extra rows (the restore was not audited)"
is "$(q "$DST" "SELECT string_agg(label || '=' || status, ',' ORDER BY period_id) FROM spm_payout.pay_period")" \
   "$(q "$SRC" "SELECT string_agg(label || '=' || status, ',' ORDER BY period_id) FROM spm_payout.pay_period")" \
   "pay period statuses are identical"
is "$(digest "$DST" "SELECT c.relname, c.relrowsecurity, c.relacl::text FROM pg_class c WHERE c.relnamespace = 'spm_payout'::regnamespace")" \
   "$(digest "$SRC" "SELECT c.relname, c.relrowsecurity, c.relacl::text FROM pg_class c WHERE c.relnamespace = 'spm_payout'::regnamespace")" \
   "grants and row-level security flags are identical"
# pg_dump does not dump policies on an extension's tables; CREATE EXTENSION
# re-creates them during the restore, since the roles exist in the cluster
# (docs/security.md, "Backup and restore")
is "$(digest "$DST" "SELECT schemaname, tablename, policyname, roles::text, cmd, qual FROM pg_policies WHERE schemaname = 'spm_payout'")" \
   "$(digest "$SRC" "SELECT schemaname, tablename, policyname, roles::text, cmd, qual FROM pg_policies WHERE schemaname = 'spm_payout'")" \
   "the row-level security policies are identical after the restore"
is "$(q "$DST" "SET ROLE spm_analyst; SELECT count(*) FROM spm_payout.payout_line")" \
   "$(q "$SRC" "SET ROLE spm_analyst; SELECT count(*) FROM spm_payout.payout_line")" "an analyst reads every line of the restored database"
is "$(q "$DST" "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c
                 WHERE c.relnamespace = 'spm_payout'::regnamespace AND c.relkind IN ('r', 'p', 'S')
                   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
                   AND NOT c.relispartition")" "" "every restored spm_payout table and sequence (but the partitions) is a member of the extension"

# --------------------------------------------------- the next run of March --
MAR='2025-03-01..2025-03-31'
LATE_BEFORE=$(q "$SRC" "SELECT count(*) FROM spm_payout.credit_line l JOIN spm_payout.pay_period p ON p.period_id = l.period_id
                         WHERE l.for_period_id <> l.period_id AND p.label = '$MAR'")
for db in "$SRC" "$DST"; do
    q "$db" "SET client_min_messages = warning; CALL spm_payout.run_payout('$MAR')" >"$TMP/rerun.$db.out" 2>&1
    ok $? "rerun of March in $db" "$TMP/rerun.$db.out"
done
for spec in \
    "payout lines of March|SELECT l.* FROM spm_payout.payout_line l JOIN spm_payout.pay_period p USING (period_id) WHERE p.label = '$MAR'" \
    "credit lines booked in March|SELECT l.* FROM spm_payout.credit_line l JOIN spm_payout.pay_period p USING (period_id) WHERE p.label = '$MAR'" \
    "payout summaries of March|SELECT s.* FROM spm_payout.payout_summary s JOIN spm_payout.pay_period p USING (period_id) WHERE p.label = '$MAR'" \
    "period credit computed by March's runs|SELECT c.* FROM spm_payout.period_credit c JOIN spm_payout.pay_period p USING (period_id) WHERE p.label = '$MAR'" \
    "periods examined by March's rerun|SELECT c.* FROM spm_payout.period_check c JOIN spm_payout.pay_period p USING (period_id) WHERE p.label = '$MAR'" \
    "the rerun's run row (but its times)|SELECT run_id, period_id, status, run_by, credit_rows, lines, reps, examined, changed, input_fingerprint FROM spm_payout.run WHERE run_id = (SELECT max(run_id) FROM spm_payout.run)"; do
    is "$(digest "$DST" "${spec#*|}")" "$(digest "$SRC" "${spec#*|}")" "after the rerun: same ${spec%%|*} in both databases"
done
is "$(q "$DST" "SELECT array_to_string(changed, ',') FROM spm_payout.run WHERE run_id = (SELECT max(run_id) FROM spm_payout.run)")" \
   "2025-01-01..2025-01-31" \
   "the restored database's rerun finds only January changed (its late deal), not February (the restore changed no input)"
is "$(q "$DST" "SELECT count(*) FROM spm_payout.credit_line l JOIN spm_payout.pay_period p ON p.period_id = l.period_id
                 WHERE l.for_period_id <> l.period_id AND p.label = '$MAR'")" "$LATE_BEFORE" \
   "the late January deal is booked once ($LATE_BEFORE late credit lines, as before the rerun)"
for db in "$SRC" "$DST"; do
    q "$db" "CALL spm_payout.close_period('$MAR')" >"$TMP/close.$db.out" 2>&1
    ok $? "March closes in $db (its inputs match its last run)" "$TMP/close.$db.out"
done

# --------------------------------------------- fresh ids in the restored db --
for spec in "plan|plan_id|INSERT INTO spm_payout.plan (name) VALUES ('restored plan') RETURNING plan_id" \
            "plan_version|version_id|INSERT INTO spm_payout.plan_version (plan_id, version, schedule) SELECT plan_id, 1, 'marginal(0: 0.02)' FROM spm_payout.plan WHERE name = 'restored plan' RETURNING version_id" \
            "pay_period|period_id|INSERT INTO spm_payout.pay_period (label, period) VALUES ('2025-05', '[2025-05-01,2025-06-01)') RETURNING period_id" \
            "adjustment|adjustment_id|INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason) SELECT 'ann', period_id, 10, 'after restore' FROM spm_payout.pay_period WHERE label = '2025-04-01..2025-04-30' RETURNING adjustment_id" \
            "assignment|assignment_id|INSERT INTO spm_payout.assignment (rep, plan_id, valid) SELECT 'cy', plan_id, '[2025-05-01,)' FROM spm_payout.plan WHERE name = 'restored plan' RETURNING assignment_id" \
            "draw_agreement|draw_id|INSERT INTO spm_payout.draw_agreement (rep, kind, amount, term) VALUES ('cy', 'advance', 100, '[2025-05-01,2025-06-01)') RETURNING draw_id"; do
    IFS='|' read -r t col sql <<<"$spec"
    max=$(q "$SRC" "SELECT coalesce(max($col), 0) FROM spm_payout.$t")
    have=$(q "$DST" "$sql" | head -n 1)
    is "$have" "$((max + 1))" "a new $t row in the restored database gets a fresh id ($col $((max + 1)))"
done
is "$(q "$DST" "SELECT count(*) FROM spm_payout.audit_log WHERE audit_id > (SELECT max(audit_id) FROM spm_payout.audit_log a
                 WHERE a.operation = 'UPDATE' AND a.table_name = 'pay_period')")" "6" \
   "the new rows are audited with fresh audit ids"
q "$DST" "SET client_min_messages = warning; CALL spm_payout.run_payout('2025-04-01..2025-04-30')" >"$TMP/april.out" 2>&1
ok $? "the restored database runs April" "$TMP/april.out"

# ------------------------------------------------- 2. DROP EXTENSION spm ----
psql -X -q -d "$SRC" -v VERBOSITY=verbose -c '\set VERBOSITY verbose' -c 'DROP EXTENSION spm' >"$TMP/drop.out" 2>&1
grep -q 'ERROR: *2BP01' "$TMP/drop.out"
ok $? "DROP EXTENSION spm is refused while spm_payout is installed (2BP01)" "$TMP/drop.out"
is "$(q "$SRC" "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension WHERE extname LIKE 'spm%'")" "spm,spm_payout" \
   "... and both extensions are still there"

# ------------------------------------------- 3. upgrade from spm 0.1.0 ------
{
    psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $UPG" &&
    psql -X -q -d "$UPG" -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION spm VERSION '0.1.0';
CREATE SCHEMA crm;
CREATE TABLE crm.deals (id int PRIMARY KEY, rep text, amount numeric(12,2), closed date);
INSERT INTO crm.deals VALUES (1, 'ann', 12000, '2025-01-10'), (2, 'bob', 4000, '2025-01-15'), (3, 'ann', 2000, '2025-02-10');
SELECT count(*) FROM spm.add_pay_periods('2025-01-01', '2025-02-28');
INSERT INTO spm.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('crm', 'crm.deals', 'rep', 'id', 'amount', 'closed');
INSERT INTO spm.plan (name, schedule, base) VALUES ('rep plan', 'marginal(0: 0.05, 1: 0.10)', 'quota');
INSERT INTO spm.assignment (rep, plan_id, valid)
SELECT r, (SELECT plan_id FROM spm.plan WHERE name = 'rep plan'), '[2025-01-01,)' FROM unnest('{ann,bob}'::text[]) r;
INSERT INTO spm.quota SELECT r, p.period_id, 10000 FROM unnest('{ann,bob}'::text[]) r, spm.pay_period p;
INSERT INTO spm.adjustment (rep, period_id, amount, reason)
SELECT 'bob', period_id, 25, 'spiff' FROM spm.pay_period WHERE label = '2025-02-01..2025-02-28';
CALL spm.run_payout('2025-01-01..2025-01-31');
CALL spm.close_period('2025-01-01..2025-01-31');
CALL spm.run_payout('2025-02-01..2025-02-28');
SQL
} >"$TMP/upg_setup.out" 2>&1
ok $? "spm 0.1.0 with its payout catalog, a closed and an open period" "$TMP/upg_setup.out"
OLD_TABLES=(pay_period source split_rule hierarchy_rule plan assignment quota draw_agreement adjustment
            rep_login audit_log run credit_line payout_line payout_summary)
declare -A BEFORE
for t in "${OLD_TABLES[@]}"; do
    BEFORE[$t]=$(digest "$UPG" "SELECT * FROM spm.$t")
done
is "$(q "$UPG" "SELECT count(*) FROM spm.payout_line")" "$(q "$UPG" "SELECT count(*) FROM spm.payout_line WHERE true")" \
   "0.1.0 wrote payout lines ($(q "$UPG" "SELECT count(*) FROM spm.payout_line") rows)"
q "$UPG" "ALTER EXTENSION spm UPDATE" >"$TMP/update.out" 2>&1
ok $? "ALTER EXTENSION spm UPDATE" "$TMP/update.out"
is "$(q "$UPG" "SELECT extversion FROM pg_extension WHERE extname = 'spm'")" \
   "$(q "$UPG" "SELECT default_version FROM pg_available_extensions WHERE name = 'spm'")" "spm is at its default version"
for t in "${OLD_TABLES[@]}"; do
    is "$(digest "$UPG" "SELECT * FROM spm_legacy_0_1.$t")" "${BEFORE[$t]}" \
       "spm_legacy_0_1.$t keeps every row of spm.$t (${BEFORE[$t]#* } rows)"
done
is "$(q "$UPG" "SELECT count(*) FROM pg_class c WHERE c.relnamespace = 'spm'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')")" "0" \
   "schema spm has no tables, views or sequences left"
is "$(q "$UPG" "SELECT count(*) FROM pg_depend d JOIN pg_class c ON d.classid = 'pg_class'::regclass AND c.oid = d.objid
                 WHERE d.deptype = 'e' AND c.relnamespace = 'spm_legacy_0_1'::regnamespace")" "0" \
   "no relation of spm_legacy_0_1 is a member of an extension"
is "$(q "$UPG" "SELECT count(*) FROM pg_depend d WHERE d.deptype = 'e' AND d.classid = 'pg_namespace'::regclass
                 AND d.objid = 'spm_legacy_0_1'::regnamespace")" "0" "schema spm_legacy_0_1 is not a member of an extension"
is "$(q "$UPG" "SELECT count(*) FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid WHERE c.relnamespace = 'spm_legacy_0_1'::regnamespace")
$(q "$UPG" "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = 'spm_legacy_0_1'::regnamespace AND NOT t.tgisinternal")" \
   "0
0" "the legacy tables keep no policies or triggers of 0.1.0"
q "$UPG" "SET client_min_messages = warning; CREATE EXTENSION spm_payout CASCADE" >"$TMP/create_payout.out" 2>&1
ok $? "CREATE EXTENSION spm_payout CASCADE after the upgrade" "$TMP/create_payout.out"
q "$UPG" "SET client_min_messages = warning;
          INSERT INTO spm_payout.pay_period (label, period) SELECT label, period FROM spm_legacy_0_1.pay_period;
          INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
          SELECT name, relation, rep_column, deal_column, amount_column, date_column FROM spm_legacy_0_1.source;
          INSERT INTO spm_payout.plan (name) SELECT DISTINCT name FROM spm_legacy_0_1.plan;
          INSERT INTO spm_payout.plan_version (plan_id, version, schedule, base, valid)
          SELECT n.plan_id, o.version, o.schedule, o.base, o.valid FROM spm_legacy_0_1.plan o JOIN spm_payout.plan n USING (name);
          INSERT INTO spm_payout.assignment (rep, plan_id, valid)
          SELECT a.rep, n.plan_id, a.valid FROM spm_legacy_0_1.assignment a JOIN spm_legacy_0_1.plan o USING (plan_id)
            JOIN spm_payout.plan n ON n.name = o.name;
          INSERT INTO spm_payout.quota SELECT q.rep, n.period_id, q.amount FROM spm_legacy_0_1.quota q
            JOIN spm_legacy_0_1.pay_period o USING (period_id) JOIN spm_payout.pay_period n USING (label);
          CALL spm_payout.run_payout('2025-01-01..2025-01-31');" >"$TMP/migrate.out" 2>&1
ok $? "the legacy catalog copies into spm_payout and January runs" "$TMP/migrate.out"
is "$(digest "$UPG" "SELECT rep, earned FROM spm_payout.payout_line WHERE line_kind = 'commission'")" \
   "$(digest "$UPG" "SELECT l.rep, l.earned FROM spm_legacy_0_1.payout_line l JOIN spm_legacy_0_1.pay_period p USING (period_id)
                     WHERE p.label = '2025-01-01..2025-01-31' AND l.line_kind = 'commission'")" \
   "spm_payout computes January as 0.1.0 did"

echo "1..$N"
