#!/usr/bin/env bash
# tools/test_jdbc.sh — spm_payout's views as BI tools read them, through the
# PostgreSQL JDBC driver (TAP).
#
# Installs Debian's libpostgresql-jdbc-java and default-jdk-headless if they
# are missing (as root, or with sudo -n; the test is skipped only if that is
# impossible), compiles tools/jdbc/ViewCheck.java into a temporary directory
# and runs it as an analyst (a LOGIN member of spm_analyst) and as a rep:
#   - every view is listed by DatabaseMetaData and readable by the analyst
#   - no column maps to java.sql.Types OTHER, STRUCT, DISTINCT, ARRAY or
#     JAVA_OBJECT (ResultSetMetaData and DatabaseMetaData.getColumns)
#   - the analyst sees every rep and cannot write; the rep sees only its rows
#
# The JDBC driver needs TCP.  When PGHOST names a TCP host, that server is
# used; otherwise (a socket directory, as tools/test.sh's throwaway cluster)
# the script starts its own small cluster on 127.0.0.1 (a free port) with
# the PostgreSQL 15 binaries, as user postgres when run as root, and removes
# it at the end.  Either way it creates and drops its own database.
set -uo pipefail

export PAGER=cat PSQL_PAGER=cat
PGBIN=${SPM_PGBIN:-/usr/lib/postgresql/15/bin}
export PATH=$PGBIN:$PATH
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
JAR=/usr/share/java/postgresql.jar
TMP=$(mktemp -d /tmp/spm-jdbc.XXXXXX)
DB=spm_jdbc_$$
SUFFIX=$$
N=0
OWN_CLUSTER=0

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
    else return 1
    fi
}
as_owner() {   # server binaries of our own cluster
    if [[ $(id -u) -eq 0 ]]; then (cd "$TMP" && runuser -u postgres -- "$@"); else (cd "$TMP" && "$@"); fi
}

cleanup() {
    if [[ $OWN_CLUSTER == 1 ]]; then
        as_owner "$PGBIN/pg_ctl" -D "$TMP/data" -m immediate -w stop >/dev/null 2>&1 || true
    else
        psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
        psql -X -q -d postgres -c "DROP ROLE IF EXISTS jdbc_analyst_$SUFFIX, jdbc_rep_$SUFFIX" >/dev/null 2>&1 || true
    fi
    rm -rf "$TMP"
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
            [[ -f $f ]] && sed 's/^/#   /' "$f" | head -n 40
        done
    fi
}
is() {
    N=$((N + 1))
    if [[ $1 == "$2" ]]; then
        echo "ok $N - $3"
    else
        echo "not ok $N - $3"
        printf '#   have: %s\n#   want: %s\n' "$1" "$2"
    fi
}
skip_all() {
    echo "1..1"
    echo "ok 1 - jdbc # SKIP $1"
    exit 0
}

# ------------------------------------------------------------ packages -----
if [[ ! -f $JAR ]] || ! command -v javac >/dev/null 2>&1; then
    {
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null &&
        as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            libpostgresql-jdbc-java default-jdk-headless </dev/null
    } >"$TMP/apt.log" 2>&1 ||
        skip_all "cannot install libpostgresql-jdbc-java and default-jdk-headless (not root, no sudo -n, or apt-get failed)"
    [[ -f $JAR ]] && command -v javac >/dev/null 2>&1 ||
        skip_all "libpostgresql-jdbc-java / default-jdk-headless installed but $JAR or javac is missing"
fi
mkdir -p "$TMP/classes"
javac -d "$TMP/classes" "$HERE/jdbc/ViewCheck.java" >"$TMP/javac.out" 2>&1
ok $? "javac tools/jdbc/ViewCheck.java" "$TMP/javac.out"

# -------------------------------------------------------------- server -----
if [[ -n ${PGHOST:-} && ${PGHOST:0:1} != / ]]; then
    HOST=$PGHOST
    PORT=${PGPORT:-5432}
else
    port=55480
    while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || [[ -e /tmp/.s.PGSQL.$port ]]; do
        port=$((port + 1))
        [[ $port -lt 55680 ]] || { echo "1..$((N + 1))"; ok 1 "no free loopback port"; exit 1; }
    done
    [[ $(id -u) -eq 0 ]] && chown postgres: "$TMP"
    OWN_CLUSTER=1
    {
        as_owner "$PGBIN/initdb" -D "$TMP/data" --auth=trust --username=postgres --encoding=UTF8 --locale=C &&
        cat >>"$TMP/data/postgresql.conf" <<EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$TMP'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 20
shared_buffers = 32MB
EOF
        as_owner "$PGBIN/pg_ctl" -D "$TMP/data" -l "$TMP/server.log" -w -t 60 start
    } >"$TMP/cluster.out" 2>&1
    ok $? "a cluster of its own on 127.0.0.1:$port (PGHOST ${PGHOST:-unset} is a socket directory)" "$TMP/cluster.out" "$TMP/server.log"
    HOST=127.0.0.1
    PORT=$port
    export PGHOST=$HOST PGPORT=$PORT PGUSER=postgres
fi
export PGHOST=$HOST PGPORT=$PORT
ANALYST=jdbc_analyst_$SUFFIX
REP=jdbc_rep_$SUFFIX

{
    psql -X -q -d postgres -v ON_ERROR_STOP=1 -c "CREATE DATABASE $DB" &&
    psql -X -q -d "$DB" -v ON_ERROR_STOP=1 -v analyst="$ANALYST" -v rep="$REP" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION spm_payout CASCADE;
SELECT spm_payout.create_roles();
CREATE ROLE :"analyst" LOGIN IN ROLE spm_analyst;
CREATE ROLE :"rep" LOGIN IN ROLE spm_rep;
CREATE SCHEMA crm;
CREATE TABLE crm.deals (id int PRIMARY KEY, rep text, amount numeric(12,2), closed timestamptz);
CREATE TABLE crm.org (rep text, mgr text, valid daterange);
INSERT INTO crm.deals VALUES
  (1, 'ann', 12000, '2025-01-10 10:00+00'), (2, 'bob', 4000, '2025-01-15 12:00+00'), (3, 'ann', 3000, '2025-02-03 09:00+00'),
  (4, 'bob', 9000, '2025-02-20 16:00+00');
INSERT INTO crm.org VALUES ('ann', 'mia', '(,)'), ('bob', 'mia', '(,)'), ('mia', NULL, '(,)');
SELECT count(*) FROM spm_payout.add_pay_periods('2025-01-01', '2025-03-31');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column, time_zone)
VALUES ('crm', 'crm.deals', 'rep', 'id', 'amount', 'closed', 'Europe/Paris');
INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column) VALUES ('crm.org', 'rep', 'mgr', 'valid');
INSERT INTO spm_payout.plan (name) VALUES ('rep plan'), ('mgr plan');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule, base)
SELECT plan_id, 1, CASE name WHEN 'rep plan' THEN 'marginal(0: 0.05, 1: 0.10)' ELSE 'marginal(0: 0.01)' END::spm.schedule,
       CASE name WHEN 'rep plan' THEN 'quota' ELSE 'amount' END FROM spm_payout.plan;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r, (SELECT plan_id FROM spm_payout.plan WHERE name = CASE r WHEN 'mia' THEN 'mgr plan' ELSE 'rep plan' END), '[2025-01-01,)'
  FROM unnest('{ann,bob,mia}'::text[]) r;
INSERT INTO spm_payout.quota SELECT r, p.period_id, 10000 FROM unnest('{ann,bob}'::text[]) r, spm_payout.pay_period p;
INSERT INTO spm_payout.draw_agreement (rep, kind, amount, term) VALUES ('bob', 'recoverable', 1000, '[2025-01-01,2025-04-01)');
INSERT INTO spm_payout.adjustment (rep, period_id, amount, reason)
SELECT 'ann', period_id, 150, 'spiff' FROM spm_payout.pay_period WHERE label = '2025-02-01..2025-02-28';
INSERT INTO spm_payout.rep_login VALUES (:'rep', 'ann');
CALL spm_payout.run_payout('2025-01-01..2025-01-31');
CALL spm_payout.close_period('2025-01-01..2025-01-31');
CALL spm_payout.run_payout('2025-02-01..2025-02-28');
SQL
} >"$TMP/setup.out" 2>&1
ok $? "setup: database $DB with two periods run, an analyst and a rep that LOGIN" "$TMP/setup.out"

URL="jdbc:postgresql://$HOST:$PORT/$DB"
VIEWS=$(psql -X -qAt -d "$DB" -c "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_class c
                                   WHERE c.relnamespace = 'spm_payout'::regnamespace AND c.relkind = 'v'")
BAD='OTHER|STRUCT|DISTINCT|ARRAY|JAVA_OBJECT|UNKNOWN_[0-9-]+'

# ------------------------------------------------------------- analyst -----
java -cp "$TMP/classes:$JAR" ViewCheck "$URL" "$ANALYST" >"$TMP/analyst.out" 2>&1
ok $? "the analyst connects over TCP through JDBC and reads the views" "$TMP/analyst.out"
grep -q '^CONNECTED PostgreSQL' "$TMP/analyst.out"
ok $? "... connected to PostgreSQL ($(sed -n 's/^CONNECTED //p' "$TMP/analyst.out"))" "$TMP/analyst.out"
is "$(sed -n 's/^VIEWS //p' "$TMP/analyst.out")" "$(wc -w <<<"$VIEWS" | tr -d ' ')" \
   "DatabaseMetaData.getTables lists every view of spm_payout ($VIEWS)"
# the views of the payout history have rows here; the others (coaching at
# today's date, payroll batches, cascades, ...) are read, maybe empty
HISTORY=" attainment_by_rep credit_statement draw_balance leaderboard payout_statement payout_summary_view run_log run_phase_log "
for v in $VIEWS; do
    if [[ $HISTORY == *" $v "* ]]; then
        grep -q "^ROWS $v [1-9]" "$TMP/analyst.out"
    else
        grep -q "^ROWS $v [0-9]" "$TMP/analyst.out"
    fi
    ok $? "the analyst reads $v ($(sed -n "s/^ROWS $v \([0-9]*\).*/\1/p" "$TMP/analyst.out") rows)" "$TMP/analyst.out"
    bad=$(grep -E "^(COL|MDCOL) $v " "$TMP/analyst.out" | awk '{print $1 == "COL" ? $5 : $4, $3}' | grep -E "^($BAD) " || true)
    echo "$bad" >"$TMP/bad.$v"
    [[ -z $bad && $(grep -c "^COL $v " "$TMP/analyst.out") -gt 0 ]]
    ok $? "every column of $v maps to a standard JDBC type ($(grep "^COL $v " "$TMP/analyst.out" | awk '{print $5}' | sort -u | paste -sd, -))" \
        "$TMP/bad.$v"
done
is "$(grep -c '^COL ' "$TMP/analyst.out")" "$(grep -c '^MDCOL ' "$TMP/analyst.out")" \
   "DatabaseMetaData.getColumns and ResultSetMetaData agree on the number of columns"
is "$(grep '^COL ' "$TMP/analyst.out" | awk '{print $2, $3, $5}' | sort)" \
   "$(grep '^MDCOL ' "$TMP/analyst.out" | awk '{print $2, $3, $4}' | sort)" \
   "... and on every column's JDBC type"
is "$(sed -n 's/^ROWS payout_statement [0-9]* //p' "$TMP/analyst.out")" "ann,bob,mia" "the analyst sees every rep's statement"
is "$(sed -n 's/^WRITE //p' "$TMP/analyst.out")" "42501" "the analyst cannot write (INSERT refused 42501)"

# ----------------------------------------------------------------- rep -----
java -cp "$TMP/classes:$JAR" ViewCheck "$URL" "$REP" >"$TMP/rep.out" 2>&1
ok $? "the rep connects over TCP through JDBC" "$TMP/rep.out"
for v in payout_statement payout_summary_view credit_statement attainment_by_rep draw_balance; do
    want=$(psql -X -qAt -d "$DB" -c "SELECT count(*) FROM spm_payout.$v WHERE rep = 'ann'")
    is "$(sed -n "s/^ROWS $v //p" "$TMP/rep.out")" "$want ann" "the rep reads $v: only its own rows ($want, rep ann)"
done
for v in leaderboard run_log run_phase_log; do
    is "$(sed -n "s/^DENIED $v //p" "$TMP/rep.out")" "42501" "the rep cannot read $v (42501)"
done
is "$(sed -n 's/^WRITE //p' "$TMP/rep.out")" "42501" "the rep cannot write (42501)"

echo "1..$N"
