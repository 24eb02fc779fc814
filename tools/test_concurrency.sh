#!/usr/bin/env bash
# tools/test_concurrency.sh — spm_payout under concurrent sessions (TAP).
#
# Two psql sessions run at once (background processes); the script watches
# pg_stat_activity to see one wait for the other, and every wait is bounded.
#   1. overlapping assignments for one rep under REPEATABLE READ: exactly one
#      commits, the other fails 23P01 (or 40001)
#   2. an adjustment left open while close_period runs: the close waits,
#      then refuses 55000; a close left open while an adjustment is
#      inserted: the insert waits, then fails 55000 — never both committed
#   3. a second run (or a close) while a run is in progress fails 55P03 at once
#   4. a failed run called as its own statement leaves a 'failed' run row
#
# Needs a running server named by the PG* variables (superuser; spm and
# spm_payout installed), as tools/test.sh provides.  Creates and drops its
# own database.
set -uo pipefail

export PAGER=cat PSQL_PAGER=cat
if [[ -x /usr/lib/postgresql/15/bin/psql ]]; then
    export PATH=/usr/lib/postgresql/15/bin:$PATH
fi

DB=spm_conc_$$
TMP=$(mktemp -d /tmp/spm-conc.XXXXXX)
HOLD=4          # seconds a session keeps its transaction open
WAIT=30         # upper bound of every wait, in seconds
N=0
BG_PIDS=()

cleanup() {
    local p
    for p in "${BG_PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
    [[ -n ${SPM_KEEP_TMP:-} ]] || rm -rf "$TMP"
}
trap cleanup EXIT

ok() {   # ok CONDITION-EXIT-STATUS DESCRIPTION [DIAGNOSTIC FILE...]
    local rc=$1 desc=$2 f
    shift 2
    N=$((N + 1))
    if [[ $rc -eq 0 ]]; then
        echo "ok $N - $desc"
    else
        echo "not ok $N - $desc"
        for f in "$@"; do
            [[ -f $f ]] && sed 's/^/#   /' "$f"
        done
    fi
}

q() {    # q SQL: one value, from the test database
    psql -X -qAt -d "$DB" -v ON_ERROR_STOP=1 -c "$1"
}

# bg NAME SQL: a session in the background; output in $TMP/NAME.out, exit status in $TMP/NAME.rc
bg() {
    local name=$1 sql=$2
    rm -f "$TMP/$name.rc"
    ( PGAPPNAME=$name timeout $((WAIT + HOLD)) psql -X -d "$DB" -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
          -c '\set VERBOSITY verbose' -f - <<<"$sql" >"$TMP/$name.out" 2>&1
      echo $? >"$TMP/$name.rc" ) &
    BG_PIDS+=($!)
}

# finished NAME: wait (bounded) for a background session to end
finished() {
    local i
    for ((i = 0; i < WAIT * 10; i++)); do
        [[ -f $TMP/$1.rc ]] && return 0
        sleep 0.1
    done
    return 1
}

# state NAME CONDITION: wait (bounded) until the session's row of
# pg_stat_activity satisfies CONDITION (SQL over its columns)
state() {
    local i
    for ((i = 0; i < WAIT * 10; i++)); do
        [[ $(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$1' AND ($2)") -gt 0 ]] && return 0
        sleep 0.1
    done
    return 1
}

rc_of() { cat "$TMP/$1.rc" 2>/dev/null || echo none; }
has() { grep -qE "$2" "$TMP/$1.out"; }

# ------------------------------------------------------------------ setup ---
setup_ok=0
{
    psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB" &&
    psql -X -q -d "$DB" -v ON_ERROR_STOP=1 <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION spm_payout CASCADE;
CREATE SCHEMA crm;
CREATE TABLE crm.deals (id int PRIMARY KEY, rep text, amount numeric(12,2), closed date);
INSERT INTO crm.deals VALUES (1, 'ann', 1000, '2025-01-10'), (2, 'bob', 2000, '2025-01-20'), (3, 'ann', 500, '2025-02-05');
SELECT count(*) FROM spm_payout.add_pay_periods('2025-01-01', '2025-04-30');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('crm', 'crm.deals', 'rep', 'id', 'amount', 'closed');
INSERT INTO spm_payout.plan (name) VALUES ('conc plan');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule)
SELECT plan_id, 1, 'marginal(0: 0.1)' FROM spm_payout.plan;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, plan_id, '[2025-01-01,)' FROM spm_payout.plan, unnest('{ann,bob}'::text[]) r;
CALL spm_payout.run_payout('2025-01-01..2025-01-31');
SQL
} >"$TMP/setup.out" 2>&1 || setup_ok=1
ok $setup_ok "setup: database $DB with a catalog, January run" "$TMP/setup.out"
if [[ $setup_ok -ne 0 ]]; then
    echo "1..$N"
    exit 1
fi
PLAN=$(q "SELECT plan_id FROM spm_payout.plan WHERE name = 'conc plan'")
JAN='2025-01-01..2025-01-31'
FEB='2025-02-01..2025-02-28'

# ------------------------- 1. overlapping assignments, REPEATABLE READ ------
bg rr_a "BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM spm_payout.assignment;
INSERT INTO spm_payout.assignment (rep, plan_id, valid) VALUES ('zoe', $PLAN, '[2025-01-01,2025-07-01)');
SELECT pg_sleep($HOLD);
COMMIT;"
state rr_a "query LIKE '%pg_sleep%'"
bg rr_b "BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM spm_payout.assignment;
INSERT INTO spm_payout.assignment (rep, plan_id, valid) VALUES ('zoe', $PLAN, '[2025-03-01,2025-12-01)');
COMMIT;"
state rr_b "wait_event_type = 'Lock'"
ok $? "REPEATABLE READ: the second overlapping assignment waits for the first transaction"
finished rr_a; finished rr_b
[[ $(rc_of rr_a) == 0 && $(rc_of rr_b) != 0 ]]
ok $? "REPEATABLE READ: the first commits, the second fails" "$TMP/rr_a.out" "$TMP/rr_b.out"
has rr_b 'ERROR: +(23P01|40001)'
ok $? "REPEATABLE READ: the second fails 23P01 (or 40001)" "$TMP/rr_b.out"
[[ $(q "SELECT count(*) FROM spm_payout.assignment WHERE rep = 'zoe'") == 1 ]]
ok $? "REPEATABLE READ: one assignment for the rep"

# the second transaction's snapshot predates the first's commit, and it
# inserts only after that commit: the committed row it cannot see still refuses it
bg rr_c "BEGIN ISOLATION LEVEL REPEATABLE READ;
SELECT count(*) FROM spm_payout.assignment;
SELECT pg_sleep($HOLD);
INSERT INTO spm_payout.assignment (rep, plan_id, valid) VALUES ('yan', $PLAN, '[2025-03-01,2025-12-01)');
COMMIT;"
state rr_c "query LIKE '%pg_sleep%'"
q "INSERT INTO spm_payout.assignment (rep, plan_id, valid) VALUES ('yan', $PLAN, '[2025-01-01,2025-07-01)')" >"$TMP/rr_d.out" 2>&1
ok $? "REPEATABLE READ: another session commits an assignment while the first transaction is open" "$TMP/rr_d.out"
finished rr_c
[[ $(rc_of rr_c) != 0 ]] && has rr_c 'ERROR: +(23P01|40001)'
ok $? "REPEATABLE READ: the older snapshot's overlapping insert fails 23P01 (or 40001)" "$TMP/rr_c.out"
[[ $(q "SELECT count(*) FROM spm_payout.assignment WHERE rep = 'yan'") == 1 ]]
ok $? "REPEATABLE READ: one assignment for that rep"

# --------------------------------- 2. adjustments against close_period -----
bg adj_a "BEGIN;
INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason)
SELECT 'ann', period_id, 50, 'open while closing' FROM spm_payout.pay_period WHERE label = '$JAN';
SELECT pg_sleep($HOLD);
COMMIT;"
state adj_a "query LIKE '%pg_sleep%'"
bg close_b "CALL spm_payout.close_period('$JAN');"
state close_b "wait_event_type = 'Lock'"
ok $? "an open adjustment insert: close_period waits for it"
finished adj_a; finished close_b
[[ $(rc_of adj_a) == 0 ]]
ok $? "... the adjustment commits" "$TMP/adj_a.out"
[[ $(rc_of close_b) != 0 ]] && has close_b 'ERROR: +55000: the inputs of pay period'
ok $? "... then close_period refuses 55000 (inputs changed since the last run)" "$TMP/close_b.out"
[[ $(q "SELECT status FROM spm_payout.pay_period WHERE label = '$JAN'") == open ]]
ok $? "... and the period is still open"

q "CALL spm_payout.run_payout('$JAN')" >"$TMP/rerun.out" 2>&1
ok $? "rerun January with the adjustment" "$TMP/rerun.out"
bg close_c "BEGIN;
CALL spm_payout.close_period('$JAN');
SELECT pg_sleep($HOLD);
COMMIT;"
state close_c "query LIKE '%pg_sleep%'"
bg adj_d "INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason)
SELECT 'bob', period_id, 70, 'while closing' FROM spm_payout.pay_period WHERE label = '$JAN';"
state adj_d "wait_event_type = 'Lock'"
ok $? "an open close_period: an adjustment insert waits for it"
finished close_c; finished adj_d
[[ $(rc_of close_c) == 0 ]]
ok $? "... the close commits" "$TMP/close_c.out"
[[ $(rc_of adj_d) != 0 ]] && has adj_d 'ERROR: +55000: pay period .* is closed'
ok $? "... then the insert fails 55000 (the period is closed)" "$TMP/adj_d.out"
[[ $(q "SELECT status FROM spm_payout.pay_period WHERE label = '$JAN'") == closed &&
   $(q "SELECT count(*) FROM spm_payout.adjustment WHERE reason = 'while closing'") == 0 ]]
ok $? "... the period is closed and the adjustment is not there (never both)"

# -------------------------------------- 3. one run at a time (55P03) --------
bg run_a "BEGIN;
CALL spm_payout.run_payout('$FEB');
SELECT pg_sleep($HOLD);
COMMIT;"
state run_a "query LIKE '%pg_sleep%'"
t0=$(date +%s%N)
q "CALL spm_payout.run_payout('$FEB')" >"$TMP/run_b.out" 2>&1
rc=$?
t1=$(date +%s%N)
[[ $rc -ne 0 ]] && grep -q 'another spm_payout run or close is in progress' "$TMP/run_b.out" &&
    [[ $(psql -X -qAt -d "$DB" -v VERBOSITY=verbose -c '\set VERBOSITY verbose' \
           -c "CALL spm_payout.run_payout('$FEB')" 2>&1 | grep -c 'ERROR: *55P03') == 1 ]]
ok $? "a second run while one is in progress fails 55P03" "$TMP/run_b.out"
[[ $(((t1 - t0) / 1000000)) -lt $((HOLD * 1000 / 2)) ]]
ok $? "... at once, without waiting for the first ($(((t1 - t0) / 1000000)) ms)"
psql -X -qAt -d "$DB" -c '\set VERBOSITY verbose' -c "CALL spm_payout.close_period('$FEB')" >"$TMP/close_e.out" 2>&1
grep -q 'ERROR: *55P03' "$TMP/close_e.out"
ok $? "a close while a run is in progress fails 55P03" "$TMP/close_e.out"
finished run_a
[[ $(rc_of run_a) == 0 &&
   $(q "SELECT count(*) FROM spm_payout.run r JOIN spm_payout.pay_period p USING (period_id)
         WHERE p.label = '$FEB' AND r.status = 'succeeded'") == 1 ]]
ok $? "... the first run commits its results" "$TMP/run_a.out"

# ------------------------------ 4. a failed run leaves a 'failed' row -------
q "INSERT INTO crm.deals VALUES (9, NULL, 100, '2025-02-10')"
psql -X -qAt -d "$DB" -c '\set VERBOSITY verbose' -c "CALL spm_payout.run_payout('$FEB')" >"$TMP/fail.out" 2>&1
grep -q 'ERROR: *23502: source crm: deal 9 has a NULL rep' "$TMP/fail.out"
ok $? "a run over a NULL rep fails 23502 naming the source and the deal" "$TMP/fail.out"
[[ $(q "SELECT format('%s %s %s', status, error_sqlstate, failed_phase) FROM spm_payout.run ORDER BY run_id DESC LIMIT 1") \
   == 'failed 23502 credit' ]]
ok $? "... and, called as its own statement, leaves a committed run row: failed, 23502, phase credit"

echo "1..$N"
