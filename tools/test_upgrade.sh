#!/usr/bin/env bash
# tools/test_upgrade.sh — ALTER EXTENSION UPDATE from the last release (TAP).
#
#   1. spm and spm_payout at 0.2.0 with a payout history (a closed period, an
#      open one run, roles and policies), then ALTER EXTENSION spm UPDATE and
#      ALTER EXTENSION spm_payout UPDATE:
#        - both are at their default version
#        - every row of every 0.2.0 table is kept (its 0.2.0 columns)
#        - the open period reruns to the same lines, the next period runs,
#          and nothing is paid twice
#   2. the upgraded database and a fresh install of the default versions
#      describe every member object of both extensions identically
#      (tools/ext_catalog.sql: functions and their bodies, columns in order,
#      constraints, indexes, triggers, views, policies, comments, grants,
#      what pg_dump dumps)
#
# Needs a running server named by the PG* variables (superuser; spm and
# spm_payout installed), as tools/test.sh provides.
set -uo pipefail

export PAGER=cat PSQL_PAGER=cat
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OLD=0.2.0
UPG=spm_upg_old_$$
NEW=spm_upg_new_$$
TMP=$(mktemp -d /tmp/spm-upgrade.XXXXXX)
N=0
MADE_ROLES=0

cleanup() {
    local d
    for d in "$UPG" "$NEW"; do
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
        printf '#   have: %s\n#   want: %s\n' "$have" "$want" | head -n 40
    fi
}
q() {    # q DB SQL: the value(s), one per line
    psql -X -qAt -d "$1" -v ON_ERROR_STOP=1 -c "$2" 2>&1
}
digest() {   # md5 and count of a query's rows
    q "$1" "SELECT md5(coalesce(string_agg(x::text, E'\\n' ORDER BY x::text), '')) || ' ' || count(*) FROM ($2) x"
}

if [[ $(q postgres "SELECT count(*) FROM pg_roles WHERE rolname IN ('spm_admin', 'spm_analyst', 'spm_rep')") != 3 ]]; then
    MADE_ROLES=1
fi

# ------------------------------------------------ 1. a 0.2.0 history -------
{
    psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $UPG" &&
    psql -X -q -d "$UPG" -v ON_ERROR_STOP=1 <<SQL
SET client_min_messages = warning;
CREATE EXTENSION spm VERSION '$OLD';
CREATE EXTENSION spm_payout VERSION '$OLD' CASCADE;
SELECT spm_payout.create_roles();
CREATE SCHEMA crm;
CREATE TABLE crm.deals (id int PRIMARY KEY, rep text, amount numeric(12,2), closed date);
INSERT INTO crm.deals VALUES (1, 'ann', 12000, '2025-01-10'), (2, 'bob', 4000, '2025-01-15'),
                             (3, 'ann', 2000, '2025-02-10'), (4, 'bob', 9000, '2025-03-03');
CREATE TABLE crm.org (rep text, manager text, valid daterange);
INSERT INTO crm.org VALUES ('ann', 'mia', '[2025-01-01,)'), ('bob', 'mia', '[2025-01-01,)');
SELECT count(*) FROM spm_payout.add_pay_periods('2025-01-01', '2025-03-31');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('crm', 'crm.deals', 'rep', 'id', 'amount', 'closed');
INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column)
VALUES ('crm.org', 'rep', 'manager', 'valid');
INSERT INTO spm_payout.plan (name) VALUES ('reps'), ('managers');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule, base)
SELECT plan_id, 1, CASE name WHEN 'reps' THEN 'marginal(0: 0.05, 1: 0.10)' ELSE 'marginal(0: 0.01)' END::spm.schedule,
       CASE name WHEN 'reps' THEN 'quota' ELSE 'amount' END FROM spm_payout.plan;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, (SELECT plan_id FROM spm_payout.plan WHERE name = 'reps'), '[2025-01-01,)' FROM unnest('{ann,bob}'::text[]) r;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT 'mia', plan_id, '[2025-01-01,)' FROM spm_payout.plan WHERE name = 'managers';
INSERT INTO spm_payout.quota SELECT r, p.period_id, 10000 FROM unnest('{ann,bob}'::text[]) r, spm_payout.pay_period p;
INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason)
SELECT 'bob', period_id, 25, 'spiff' FROM spm_payout.pay_period WHERE label = '2025-02-01..2025-02-28';
INSERT INTO spm_payout.rep_login VALUES ('spm_rep', 'ann');
CALL spm_payout.run_payout('2025-01-01..2025-01-31');
CALL spm_payout.close_period('2025-01-01..2025-01-31');
CALL spm_payout.run_payout('2025-02-01..2025-02-28');
SQL
} >"$TMP/setup.out" 2>&1
ok $? "spm and spm_payout $OLD with two periods run, one closed" "$TMP/setup.out"

# every table of spm_payout, by its 0.2.0 columns
mapfile -t TABLES < <(q "$UPG" "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'spm_payout'::regnamespace
                                   AND c.relkind IN ('r', 'p') ORDER BY 1")
declare -A COLS BEFORE
for t in "${TABLES[@]}"; do
    COLS[$t]=$(q "$UPG" "SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
                          WHERE attrelid = 'spm_payout.$t'::regclass AND attnum > 0 AND NOT attisdropped")
    BEFORE[$t]=$(digest "$UPG" "SELECT ${COLS[$t]} FROM spm_payout.$t")
done
is "$(q "$UPG" "SELECT count(*) > 0 FROM spm_payout.payout_line")" "t" "$OLD wrote payout lines"

q "$UPG" "ALTER EXTENSION spm UPDATE; ALTER EXTENSION spm_payout UPDATE" >"$TMP/update.out" 2>&1
ok $? "ALTER EXTENSION spm UPDATE; ALTER EXTENSION spm_payout UPDATE" "$TMP/update.out"
for e in spm spm_payout; do
    is "$(q "$UPG" "SELECT extversion FROM pg_extension WHERE extname = '$e'")" \
       "$(q "$UPG" "SELECT default_version FROM pg_available_extensions WHERE name = '$e'")" "$e is at its default version"
done
for t in "${TABLES[@]}"; do
    is "$(digest "$UPG" "SELECT ${COLS[$t]} FROM spm_payout.$t")" "${BEFORE[$t]}" \
       "spm_payout.$t keeps every row (${BEFORE[$t]#* } rows)"
done

LINES_BEFORE=$(digest "$UPG" "SELECT rep, line_kind, earned FROM spm_payout.payout_line WHERE period_id =
                              (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-02-01..2025-02-28')")
q "$UPG" "SET client_min_messages = warning; CALL spm_payout.run_payout('2025-02-01..2025-02-28')" >"$TMP/rerun.out" 2>&1
ok $? "the open period reruns after the upgrade" "$TMP/rerun.out"
is "$(digest "$UPG" "SELECT rep, line_kind, earned FROM spm_payout.payout_line WHERE period_id =
                     (SELECT period_id FROM spm_payout.pay_period WHERE label = '2025-02-01..2025-02-28')")" "$LINES_BEFORE" \
   "the rerun gives the same lines"
q "$UPG" "SET client_min_messages = warning; CALL spm_payout.close_period('2025-02-01..2025-02-28'); CALL spm_payout.run_payout('2025-03-01..2025-03-31')" \
    >"$TMP/next.out" 2>&1
ok $? "February closes and March runs" "$TMP/next.out"
# cumulative plan year: what the three months paid equals E(credit to date)
# for each rep: ann 14000 on quota 30000: 0.05 * 14000 = 700.00; bob
# 13000: 650.00 + 25 adjustment; mia (1% of 27000) = 270.00
is "$(q "$UPG" "SELECT string_agg(rep || '=' || s, ' ' ORDER BY rep) FROM (SELECT rep, sum(earned) AS s
                 FROM spm_payout.payout_line GROUP BY rep) x")" \
   "ann=700.00 bob=675.00 mia=270.00" "paid over the quarter: each amount once (hand-checked)"

# ----------------------------------- 2. upgraded = fresh, object by object ---
{
    psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $NEW" &&
    psql -X -q -d "$NEW" -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning; CREATE EXTENSION spm_payout CASCADE;
                                                 SELECT spm_payout.create_roles();"
} >"$TMP/fresh.out" 2>&1
ok $? "a fresh install of the default versions" "$TMP/fresh.out"
for e in spm spm_payout; do
    psql -X -qAt -d "$UPG" -v ON_ERROR_STOP=1 -v ext="$e" -f "$HERE/ext_catalog.sql" >"$TMP/$e.upgraded" 2>&1 &&
    psql -X -qAt -d "$NEW" -v ON_ERROR_STOP=1 -v ext="$e" -f "$HERE/ext_catalog.sql" >"$TMP/$e.fresh" 2>&1 &&
    diff "$TMP/$e.fresh" "$TMP/$e.upgraded" >"$TMP/$e.diff"
    ok $? "$e: the upgraded database has the same $(wc -l <"$TMP/$e.fresh") catalog facts as a fresh install" \
       "$TMP/$e.diff" "$TMP/$e.fresh" "$TMP/$e.upgraded"
done

echo "1..$N"
