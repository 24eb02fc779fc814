#!/usr/bin/env bash
# tools/test_shards.sh — spm over shards reached through postgres_fdw
# (docs/sharding.md), asserted as TAP.
#
# Run by tools/test.sh with the PG* variables naming its throwaway cluster;
# it can also be run by hand against any server where spm and spm_payout are
# installed, as a superuser (PGHOST, PGPORT, PGUSER name it):
#
#   bash tools/test_shards.sh
#
# On that one server it creates separate databases and cleans them up at exit:
#   <p>_s1, <p>_s2   two shards with spm: their part of deals, quotas (by rep)
#                    and deal_splits (by deal)
#   <p>_old          a shard with spm 0.1.0          (failure mode: old version)
#   <p>_bare         a shard without spm             (failure mode: no spm)
#   <p>_c            the coordinator: postgres_fdw, spm_payout; deals, quotas
#                    and deal_splits partitioned by hash with foreign
#                    partitions, and the same rows in deals_local,
#                    quotas_local, deal_splits_local
# and asserts, from EXPLAIN (VERBOSE, COSTS OFF) and EXPLAIN ANALYZE, which
# work runs on the shards, how many rows come back, and that every result
# equals the same query on the local tables, row for row, as text.
set -uo pipefail

export PAGER=cat PSQL_PAGER=cat
if [[ -x /usr/lib/postgresql/15/bin/psql ]]; then
    export PATH="/usr/lib/postgresql/15/bin:$PATH"
fi

P=spm_shards_$$
S1=${P}_s1 S2=${P}_s2 OLD=${P}_old BARE=${P}_bare C=${P}_c
ALL_DBS=("$C" "$S1" "$S2" "$OLD" "$BARE")
DEALS=${SPM_SHARDS_DEALS:-20000}
REPS=40

N=0
FAILED=0
ok() {  # ok CONDITION-STATUS NAME [DIAG...]
    local st=$1 name=$2
    shift 2
    N=$((N + 1))
    if [[ $st == 0 ]]; then
        echo "ok $N - $name"
    else
        echo "not ok $N - $name"
        FAILED=$((FAILED + 1))
        local l
        for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
    fi
}
diag() { printf '%s\n' "$*" | sed 's/^/# /'; }

q()  { psql -X -q -v ON_ERROR_STOP=1 -d "$1" "${@:2}"; }        # q DB [psql args]
qa() { psql -X -q -v ON_ERROR_STOP=1 -At -F '|' -d "$1" "${@:2}"; }  # unaligned, tuples only

cleanup() {
    local db
    for db in "${ALL_DBS[@]}"; do
        PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists --force "$db" >/dev/null 2>&1 || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

bail() {
    diag "$@"
    ok 1 "set-up: $1"
    echo "1..$N"
    exit 1
}

# --------------------------------------------------------------- set-up ---
# The shards are databases of this same server, reached through its socket.
SOCK=${PGHOST:-}
if [[ -z $SOCK || $SOCK != /* ]]; then
    SOCK=$(psql -X -At -d postgres -c 'SHOW unix_socket_directories' 2>/dev/null | cut -d, -f1 | xargs)
fi
PORT=${PGPORT:-$(psql -X -At -d postgres -c 'SHOW port' 2>/dev/null)}
ME=$(psql -X -At -d postgres -c 'SELECT current_user' 2>/dev/null) || bail "cannot connect to the server"
[[ -n $SOCK && -n $PORT ]] || bail "cannot find the server's socket directory and port"

for db in "${ALL_DBS[@]}"; do
    createdb "$db" || bail "createdb $db failed"
done

for db in "$S1" "$S2"; do
    q "$db" <<'EOF' || bail "cannot set up shard $db"
CREATE EXTENSION spm;
CREATE TABLE deals (deal_id int, rep_id int, close_date date, close_month date, amount numeric(12,2),
                    amount_b bigint, amount_i integer, amount_f double precision);
CREATE TABLE quotas (rep_id int, quota numeric(12,2));
CREATE TABLE deal_splits (deal_id int, rep_id int, amount numeric(12,2), weight numeric);
EOF
done
q "$OLD" <<'EOF' || bail "cannot set up the shard with spm 0.1.0"
CREATE EXTENSION spm VERSION '0.1.0';
CREATE TABLE deals (deal_id int, rep_id int, close_date date, amount numeric(12,2), plan spm.schedule);
EOF
q "$BARE" -c 'CREATE TABLE deals (deal_id int, rep_id int, close_date date, amount numeric(12,2))' ||
    bail "cannot set up the shard without spm"

server() {  # server NAME DB [extra options]
    printf "CREATE SERVER %s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '%s', port '%s', dbname '%s'%s);\n" \
        "$1" "$SOCK" "$PORT" "$2" "${3:-}"
    printf "CREATE USER MAPPING FOR CURRENT_USER SERVER %s OPTIONS (user '%s');\n" "$1" "$ME"
}
SHARD_OPTS=", extensions 'spm', async_capable 'true', fetch_size '10000', fdw_tuple_cost '0.2', batch_size '1000'"

q "$C" <<EOF || bail "cannot set up the coordinator"
SET client_min_messages = warning;
CREATE EXTENSION postgres_fdw;
CREATE EXTENSION spm_payout CASCADE;
$(server shard_1 "$S1" "$SHARD_OPTS")
$(server shard_2 "$S2" "$SHARD_OPTS")
-- failure modes: an older spm, no spm, spm not declared shippable, nothing listening
$(server shard_old "$OLD" ", extensions 'spm'")
$(server shard_bare "$BARE" ", extensions 'spm'")
$(server shard_undeclared "$S1" ", async_capable 'true', fetch_size '10000', fdw_tuple_cost '0.2'")
$(server shard_down "${P}_nowhere" ", extensions 'spm'")
ALTER SERVER shard_down OPTIONS (SET port '1');

CREATE TABLE deals (deal_id int, rep_id int, close_date date, close_month date, amount numeric(12,2),
                    amount_b bigint, amount_i integer, amount_f double precision) PARTITION BY HASH (rep_id);
CREATE FOREIGN TABLE deals_1 PARTITION OF deals FOR VALUES WITH (MODULUS 2, REMAINDER 0)
    SERVER shard_1 OPTIONS (table_name 'deals');
CREATE FOREIGN TABLE deals_2 PARTITION OF deals FOR VALUES WITH (MODULUS 2, REMAINDER 1)
    SERVER shard_2 OPTIONS (table_name 'deals');
CREATE TABLE quotas (rep_id int, quota numeric(12,2)) PARTITION BY HASH (rep_id);
CREATE FOREIGN TABLE quotas_1 PARTITION OF quotas FOR VALUES WITH (MODULUS 2, REMAINDER 0)
    SERVER shard_1 OPTIONS (table_name 'quotas');
CREATE FOREIGN TABLE quotas_2 PARTITION OF quotas FOR VALUES WITH (MODULUS 2, REMAINDER 1)
    SERVER shard_2 OPTIONS (table_name 'quotas');
CREATE TABLE deal_splits (deal_id int, rep_id int, amount numeric(12,2), weight numeric) PARTITION BY HASH (deal_id);
CREATE FOREIGN TABLE deal_splits_1 PARTITION OF deal_splits FOR VALUES WITH (MODULUS 2, REMAINDER 0)
    SERVER shard_1 OPTIONS (table_name 'deal_splits');
CREATE FOREIGN TABLE deal_splits_2 PARTITION OF deal_splits FOR VALUES WITH (MODULUS 2, REMAINDER 1)
    SERVER shard_2 OPTIONS (table_name 'deal_splits');

-- the failure-mode tables
CREATE FOREIGN TABLE deals_old (deal_id int, rep_id int, close_date date, amount numeric(12,2), plan spm.schedule)
    SERVER shard_old OPTIONS (table_name 'deals');
CREATE FOREIGN TABLE deals_bare (deal_id int, rep_id int, close_date date, amount numeric(12,2))
    SERVER shard_bare OPTIONS (table_name 'deals');
CREATE FOREIGN TABLE deals_undeclared (deal_id int, rep_id int, close_date date, amount numeric(12,2))
    SERVER shard_undeclared OPTIONS (table_name 'deals');
CREATE TABLE deals_with_down (LIKE deals) PARTITION BY HASH (rep_id);
CREATE FOREIGN TABLE deals_with_down_1 PARTITION OF deals_with_down FOR VALUES WITH (MODULUS 2, REMAINDER 0)
    SERVER shard_1 OPTIONS (table_name 'deals');
CREATE FOREIGN TABLE deals_with_down_2 PARTITION OF deals_with_down FOR VALUES WITH (MODULUS 2, REMAINDER 1)
    SERVER shard_down OPTIONS (table_name 'deals');

-- the same rows, local
CREATE TABLE deals_local (LIKE deals);
CREATE TABLE quotas_local (LIKE quotas);
CREATE TABLE deal_splits_local (LIKE deal_splits);
INSERT INTO deals_local
SELECT g, 1 + (g * 17) % $REPS, date '2025-01-01' + (g * 7) % 365,
       date_trunc('month', date '2025-01-01' + (g * 7) % 365)::date,
       round(((g * 7919) % 60000 - 4000) / 3.0, 2),
       (g * 7919) % 60000 - 4000, (g * 7919) % 60000 - 4000, ((g * 7919) % 60000 - 4000) / 4.0
  FROM generate_series(1, $DEALS) g;
INSERT INTO quotas_local SELECT r, 25000 * (1 + r % 7) FROM generate_series(1, $REPS) r;
INSERT INTO deal_splits_local
SELECT d.deal_id, 1 + (d.rep_id + k) % $REPS, d.amount, 1 + (d.deal_id + k) % 3
  FROM deals_local d, generate_series(0, d.deal_id % 3) k;
-- routed to the shards by the partition key (batched inserts through postgres_fdw)
INSERT INTO deals SELECT * FROM deals_local;
INSERT INTO quotas SELECT * FROM quotas_local;
INSERT INTO deal_splits SELECT * FROM deal_splits_local;
ANALYZE deals, quotas, deal_splits, deals_local, quotas_local, deal_splits_local;

-- Every node of a plan (EXPLAIN ... FORMAT JSON), with what a Foreign Scan ships.
CREATE FUNCTION plan_nodes(query text, with_analyze boolean DEFAULT false)
RETURNS TABLE (node text, relations text, remote_sql text, actual_rows numeric)
LANGUAGE plpgsql AS \$\$
DECLARE
    j jsonb;
BEGIN
    EXECUTE format('EXPLAIN (VERBOSE, COSTS OFF, FORMAT JSON%s) %s',
                   CASE WHEN with_analyze THEN ', ANALYZE, TIMING OFF, SUMMARY OFF' ELSE '' END, query) INTO j;
    RETURN QUERY
    SELECT n ->> 'Node Type', n ->> 'Relations', n ->> 'Remote SQL', (n ->> 'Actual Rows')::numeric
      FROM jsonb_path_query(j, 'strict \$.**') n
     WHERE jsonb_typeof(n) = 'object' AND n ? 'Node Type';
END \$\$;

-- SQLSTATE and message of a query's error ('' when it succeeds).
CREATE FUNCTION error_of(query text) RETURNS text LANGUAGE plpgsql AS \$\$
BEGIN
    EXECUTE query;
    RETURN '';
EXCEPTION WHEN OTHERS THEN
    RETURN SQLSTATE || ': ' || SQLERRM;
END \$\$;
EOF

# Per-session settings of every coordinator query (docs/sharding.md, Setup).
export PGOPTIONS="-c enable_partitionwise_aggregate=on -c enable_partitionwise_join=on -c client_min_messages=warning"

shard_count() {  # shard_count DB QUERY: one number from a shard
    qa "$1" -c "$2"
}

# --------------------------------------------------- aggregates on shards ---
# pushed QUERY(with @deals@ @quotas@) FUNCTION NAME
#   1. EXPLAIN: two Foreign Scans, each with FUNCTION and GROUP BY in its
#      Remote SQL, and no aggregation left on the coordinator;
#   2. the rows equal those of the same query on the local tables.
pushed() {
    local query=$1 fn=$2 name=$3 sharded localq n bad got want
    sharded=${query//@deals@/deals}; sharded=${sharded//@quotas@/quotas}
    localq=${query//@deals@/deals_local}; localq=${localq//@quotas@/quotas_local}
    n=$(qa "$C" -v q="$sharded" -v fn="$fn" <<'EOF'
SELECT count(*) FILTER (WHERE node = 'Foreign Scan' AND position(:'fn' || '(' IN remote_sql) > 0
                              AND remote_sql LIKE '%GROUP BY%')
       || ' ' || count(*) FILTER (WHERE node = 'Foreign Scan')
       || ' ' || count(*) FILTER (WHERE node = 'Aggregate')
  FROM plan_nodes(:'q');
EOF
)
    ok "$([[ $n == '2 2 0' ]]; echo $?)" "$name: computed on the shards ($fn and GROUP BY in the Remote SQL of both foreign scans)" \
        "pushed-down scans, scans, local aggregates: $n" "$(qa "$C" -c "EXPLAIN (VERBOSE, COSTS OFF) $sharded" 2>&1)"
    got=$(qa "$C" -c "$sharded" 2>&1); want=$(qa "$C" -c "$localq" 2>&1)
    [[ $got == "$want" && -n $got ]]
    ok $? "$name: same rows as on the local table ($(wc -l <<<"$want") rows)" "sharded: ${got:0:400}" "local:   ${want:0:400}"
}

S="'marginal(0: 0.02, 10000: 0.04, 50000: 0.07)'"
SQ="'marginal(0: 0.03, 0.5: 0.06, 1: 0.10)'"
for col in amount:numeric amount_b:bigint amount_i:integer amount_f:'double precision'; do
    c=${col%%:*} t=${col#*:}
    pushed "SELECT rep_id, spm.commission($c, $S) FROM @deals@ GROUP BY rep_id ORDER BY rep_id" \
        spm.commission "spm.commission($t, schedule) GROUP BY rep"
    pushed "SELECT d.rep_id, spm.commission(d.$c, $SQ, q.quota) FROM @deals@ d JOIN @quotas@ q USING (rep_id)
             GROUP BY d.rep_id, q.quota ORDER BY d.rep_id" \
        spm.commission "spm.commission($t, schedule, quota) with the quota joined on the shard"
done
pushed "SELECT rep_id, close_month, spm.commission(amount, $S, 40000) FROM @deals@ GROUP BY 1, 2 ORDER BY 1, 2" \
    spm.commission "spm.commission(numeric, schedule, constant quota) GROUP BY rep, month"
pushed "SELECT d.rep_id, sum(d.amount), spm.attainment(sum(d.amount), q.quota)
          FROM @deals@ d JOIN @quotas@ q USING (rep_id) GROUP BY d.rep_id, q.quota ORDER BY 1" \
    spm.attainment "spm.attainment(sum(amount), quota) with the quota joined on the shard"
pushed "SELECT rep_id, spm.attainment(sum(amount), 250000) FROM @deals@ GROUP BY rep_id ORDER BY 1" \
    spm.attainment "spm.attainment(sum(amount), constant quota)"
pushed "SELECT d.rep_id, round(10000 * spm.apply('marginal(0: 0.5, 1: 1.5)', spm.attainment(sum(d.amount), q.quota)), 2)
          FROM @deals@ d JOIN @quotas@ q USING (rep_id) GROUP BY d.rep_id, q.quota ORDER BY 1" \
    spm.apply "target x spm.apply(schedule, spm.attainment(sum(amount), quota)) (attainment base)"

# Rows shipped: one per group, not per deal.
groups1=$(shard_count "$S1" 'SELECT count(DISTINCT rep_id) FROM deals')
groups2=$(shard_count "$S2" 'SELECT count(DISTINCT rep_id) FROM deals')
deals1=$(shard_count "$S1" 'SELECT count(*) FROM deals')
deals2=$(shard_count "$S2" 'SELECT count(*) FROM deals')
got=$(qa "$C" -v q="SELECT rep_id, spm.commission(amount, $S) FROM deals GROUP BY rep_id" <<'EOF'
SELECT string_agg(actual_rows::text, ' ' ORDER BY relations) FROM plan_nodes(:'q', true) WHERE node = 'Foreign Scan';
EOF
)
ok "$([[ $got == "$groups1 $groups2" ]]; echo $?)" \
    "EXPLAIN ANALYZE: spm.commission GROUP BY rep ships one row per group ($groups1 + $groups2 rows for $deals1 + $deals2 deals)" \
    "foreign scan rows: $got"
diag "rows shipped, GROUP BY rep: $got (deals on the shards: $deals1 $deals2)"

# A GROUP BY expression calling a function with a text constant
# (date_trunc('month', ...), spm.fiscal_period(d, 'month')) is not shipped
# by postgres_fdw: the aggregate then runs on the coordinator over every deal.
query="SELECT rep_id, date_trunc('month', close_date::timestamp)::date, spm.commission(amount, $S) FROM deals GROUP BY 1, 2 ORDER BY 1, 2"
got=$(qa "$C" -v q="$query" <<'EOF'
SELECT string_agg(actual_rows::text, ' ' ORDER BY relations) FROM plan_nodes(:'q', true) WHERE node = 'Foreign Scan';
EOF
)
[[ $got == "$deals1 $deals2" && $(qa "$C" -c "$query") == "$(qa "$C" -c "${query/FROM deals/FROM deals_local}")" ]]
ok $? "GROUP BY date_trunc('month', ...): not shipped (text constant), every deal fetched ($got), same result" "$got"

# Not grouped by the shard key: postgres_fdw (PG15) cannot ship partial
# aggregates; the combine function runs on the coordinator over every row.
query="SELECT spm.commission(amount, $S) FROM deals"
got=$(qa "$C" -v q="$query" <<'EOF'
SELECT string_agg(node || ':' || coalesce(actual_rows::text, ''), ' ' ORDER BY node, relations)
  FROM plan_nodes(:'q', true) WHERE node IN ('Foreign Scan', 'Aggregate');
EOF
)
ok "$([[ $got == "Aggregate:1 Aggregate:1 Aggregate:1 Foreign Scan:$deals1 Foreign Scan:$deals2" ]]; echo $?)" \
    "spm.commission over all reps: partial aggregates on the coordinator, every deal shipped" "nodes: $got"
[[ $(qa "$C" -c "$query") == "$(qa "$C" -c "${query/deals/deals_local}")" ]]
ok $? "spm.commission over all reps: same result as local"
# ...rewritten as E(sum of per-rep sums): the per-rep sums are computed on the shards
query="SELECT spm.apply($S, sum(s)) FROM (SELECT rep_id, sum(amount) s FROM deals GROUP BY rep_id) x"
got=$(qa "$C" -v q="$query" <<'EOF'
SELECT string_agg(actual_rows::text, ' ' ORDER BY relations) FROM plan_nodes(:'q', true)
 WHERE node = 'Foreign Scan' AND remote_sql LIKE '%sum(amount)%GROUP BY%';
EOF
)
[[ $got == "$groups1 $groups2" && $(qa "$C" -c "$query") == "$(qa "$C" -c "${query/deals/deals_local}")" &&
   $(qa "$C" -c "$query") == "$(qa "$C" -c "SELECT spm.commission(amount, $S) FROM deals_local")" ]]
ok $? "spm.apply(s, sum of per-rep sums): sums computed on the shards ($got rows shipped), equal to spm.commission over all deals"

# ------------------------------------------------------- window functions ---
# window QUERY(with @t@) TABLE EXPECTED-ROWS-PER-SHARD NAME
window() {
    local query=$1 table=$2 want_rows=$3 name=$4 sharded localq got want
    sharded=${query//@t@/$table}; localq=${query//@t@/${table}_local}
    got=$(qa "$C" -v q="$sharded" <<'EOF'
SELECT count(*) FILTER (WHERE node = 'WindowAgg') || ' '
       || count(*) FILTER (WHERE node = 'Foreign Scan' AND remote_sql ~ '(commission_increment|draw_ledger|split_share)') || ' '
       || string_agg(actual_rows::text, ' ' ORDER BY relations) FILTER (WHERE node = 'Foreign Scan')
  FROM plan_nodes(:'q', true);
EOF
)
    ok "$([[ $got == "1 0 $want_rows" ]]; echo $?)" \
        "$name: not pushed down, runs on the coordinator (WindowAgg local; rows shipped: $want_rows)" \
        "window nodes, pushed-down windows, rows shipped: $got" "$(qa "$C" -c "EXPLAIN (VERBOSE, COSTS OFF) $sharded" 2>&1)"
    got=$(qa "$C" -c "$sharded" 2>&1); want=$(qa "$C" -c "$localq" 2>&1)
    [[ $got == "$want" && -n $got ]]
    ok $? "$name: same rows as on the local table ($(wc -l <<<"$want") rows)" "sharded: ${got:0:400}" "local:   ${want:0:400}"
}
window "SELECT rep_id, deal_id, spm.commission_increment(amount, $S) OVER (PARTITION BY rep_id ORDER BY close_date, deal_id)
          FROM @t@ ORDER BY rep_id, close_date, deal_id" deals "$deals1 $deals2" \
    "spm.commission_increment OVER (PARTITION BY rep_id)"
window "SELECT rep_id, deal_id, spm.commission_increment(amount, $SQ, 250000) OVER (PARTITION BY rep_id ORDER BY close_date, deal_id)
          FROM @t@ ORDER BY rep_id, close_date, deal_id" deals "$deals1 $deals2" \
    "spm.commission_increment(amount, schedule, quota) OVER (PARTITION BY rep_id)"
splits1=$(shard_count "$S1" 'SELECT count(*) FROM deal_splits')
splits2=$(shard_count "$S2" 'SELECT count(*) FROM deal_splits')
window "SELECT deal_id, rep_id, spm.split_share(amount, weight) OVER (PARTITION BY deal_id ORDER BY rep_id)
          FROM @t@ ORDER BY deal_id, rep_id" deal_splits "$splits1 $splits2" \
    "spm.split_share OVER (PARTITION BY deal_id) on deal_splits sharded by deal"
months1=$(shard_count "$S1" "SELECT count(DISTINCT (rep_id, date_trunc('month', close_date))) FROM deals")
months2=$(shard_count "$S2" "SELECT count(DISTINCT (rep_id, date_trunc('month', close_date))) FROM deals")
window "SELECT rep_id, m, (spm.draw_ledger(earned, 1500, 'recoverable') OVER (PARTITION BY rep_id ORDER BY m)).*
          FROM (SELECT rep_id, close_month m, spm.commission(amount, $S) earned
                  FROM @t@ GROUP BY 1, 2) x ORDER BY rep_id, m" deals "$months1 $months2" \
    "spm.draw_ledger OVER (PARTITION BY rep_id) over monthly spm.commission (the aggregate on the shards)"
diag "rows shipped, windows over deals: $deals1 + $deals2; over deal_splits: $splits1 + $splits2; draw ledger over pushed monthly commission: $months1 + $months2"

# ------------------------------------------------------- spm's versions ---
q "$C" <<'EOF' >/dev/null
CREATE FOREIGN TABLE ext_shard_1 (extname name, extversion text) SERVER shard_1 OPTIONS (schema_name 'pg_catalog', table_name 'pg_extension');
CREATE FOREIGN TABLE ext_shard_2 (extname name, extversion text) SERVER shard_2 OPTIONS (schema_name 'pg_catalog', table_name 'pg_extension');
CREATE FOREIGN TABLE ext_shard_old (extname name, extversion text) SERVER shard_old OPTIONS (schema_name 'pg_catalog', table_name 'pg_extension');
CREATE FOREIGN TABLE ext_shard_bare (extname name, extversion text) SERVER shard_bare OPTIONS (schema_name 'pg_catalog', table_name 'pg_extension');
EOF
got=$(qa "$C" <<'EOF'
SELECT node || ':' || coalesce(v, 'none') FROM (
  SELECT 'coordinator' node, (SELECT extversion FROM pg_extension WHERE extname = 'spm') v
  UNION ALL SELECT 'shard_1', (SELECT extversion FROM ext_shard_1 WHERE extname = 'spm')
  UNION ALL SELECT 'shard_2', (SELECT extversion FROM ext_shard_2 WHERE extname = 'spm')
  UNION ALL SELECT 'shard_old', (SELECT extversion FROM ext_shard_old WHERE extname = 'spm')
  UNION ALL SELECT 'shard_bare', (SELECT extversion FROM ext_shard_bare WHERE extname = 'spm')) x;
EOF
)
ver=$(qa "$C" -c "SELECT extversion FROM pg_extension WHERE extname = 'spm'")
want="coordinator:$ver
shard_1:$ver
shard_2:$ver
shard_old:0.1.0
shard_bare:none"
[[ $got == "$want" ]]
ok $? "version check through the FDW: coordinator, shard_1, shard_2 at $ver; the old shard at 0.1.0; the bare shard without spm" "$got"

# ---------------------------------------------------------- failure modes ---
# A shard down (nothing listening): 08001 on the coordinator.
got=$(qa "$C" -c "SELECT error_of(\$q\$SELECT rep_id, spm.commission(amount, $S) FROM deals_with_down GROUP BY rep_id\$q\$)")
[[ $got == '08001: could not connect to server "shard_down"' ]]
ok $? "a shard down: 08001 could not connect to server \"shard_down\"" "$got"
diag "shard down: $got"
got=$(q "$C" -c "SELECT rep_id, spm.commission(amount, $S) FROM deals_with_down GROUP BY rep_id" 2>&1)
[[ $got == *'could not connect to server "shard_down"'*'DETAIL:  connection to server on socket'*'failed'* ]]
ok $? "a shard down: psql shows the connection error with libpq's DETAIL" "$got"
diag "$got"

# An older spm on a shard: what it lacks fails there, 42883 from the remote.
q "$OLD" -c "INSERT INTO deals SELECT deal_id, rep_id, close_date, amount, 'marginal(0: 0.02)' FROM generate_series(1, 50) deal_id,
              LATERAL (SELECT 1 + deal_id % 5 rep_id, date '2025-01-01' + deal_id close_date, deal_id * 10.5 amount) x" >/dev/null
got=$(qa "$C" -c "SELECT error_of('SELECT rep_id, plan, spm.commission(amount, plan) FROM deals_old GROUP BY rep_id, plan')")
[[ $got == '42883: could not identify an '*' operator for type spm.schedule' ]]
ok $? "a shard with spm 0.1.0: GROUP BY a schedule (operator classes of 0.2.0) fails on the shard, 42883" "$got"
diag "old shard, GROUP BY schedule: $got"
got=$(q "$C" -c "SELECT count(*) FROM deals_old WHERE spm.schedule_cmp(plan, 'marginal(0: 0.02)') = 0" 2>&1)
[[ $got == *'ERROR:  function spm.schedule_cmp(spm.schedule, spm.schedule) does not exist'*'CONTEXT:  remote SQL command:'* ]]
ok $? "a shard with spm 0.1.0: a function it lacks is pushed down and fails remotely (42883, CONTEXT: remote SQL command)" "$got"
diag "$got"
got=$(qa "$C" -c "SELECT rep_id, spm.commission(amount, 'marginal(0: 0.02)') FROM deals_old GROUP BY rep_id ORDER BY 1")
want=$(qa "$OLD" -c "SELECT rep_id, spm.commission(amount, 'marginal(0: 0.02)') FROM deals GROUP BY rep_id ORDER BY 1")
[[ -n $got && $got == "$want" ]]
ok $? "a shard with spm 0.1.0: what 0.1.0 has (spm.commission) still runs there" "$got"

# No spm on a shard that the server declares shippable: 3F000 from the remote.
got=$(qa "$C" -c "SELECT error_of(\$q\$SELECT rep_id, spm.commission(amount, $S) FROM deals_bare GROUP BY rep_id\$q\$)")
[[ $got == '3F000: schema "spm" does not exist' ]]
ok $? "a shard without spm but declared in extensions: 3F000 schema \"spm\" does not exist (remote)" "$got"
diag "bare shard: $got"

# spm not in the server's extensions option: nothing of spm is pushed down;
# the aggregate runs on the coordinator over every deal, same result.
query="SELECT rep_id, spm.commission(amount, $S) FROM deals_undeclared GROUP BY rep_id ORDER BY rep_id"
got=$(qa "$C" -v q="$query" <<'EOF'
SELECT string_agg(node || ':' || coalesce(actual_rows::text, '') || ':' || (coalesce(remote_sql, '') LIKE '%spm.%')::text, ' ' ORDER BY node)
  FROM plan_nodes(:'q', true) WHERE node IN ('Foreign Scan', 'Aggregate');
EOF
)
ok "$([[ $got == "Aggregate:$groups1:false Foreign Scan:$deals1:false" ]]; echo $?)" \
    "spm not in extensions: the aggregate runs on the coordinator, every deal shipped ($deals1 rows)" "$got"
[[ $(qa "$C" -c "$query") == "$(qa "$S1" -c "${query/deals_undeclared/deals}")" ]]
ok $? "spm not in extensions: same result"

# ------------------------------------------------------------ payout run ---
# spm_payout stages the period's source rows on the coordinator (deal level).
q "$C" <<'EOF' >/dev/null
SET client_min_messages = warning;
SELECT spm_payout.add_pay_periods('2025-01-01', '2025-12-31', 'month');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('sales', 'deals', 'rep_id', 'deal_id', 'amount', 'close_date');
INSERT INTO spm_payout.plan (name) VALUES ('reps');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule, base)
SELECT plan_id, 1, 'marginal(0: 0.05, 1: 0.10)', 'quota' FROM spm_payout.plan;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r::text, plan_id, '[2025-01-01,)' FROM spm_payout.plan, generate_series(1, 40) r;
INSERT INTO spm_payout.quota (rep, period_id, amount)
SELECT q.rep_id::text, p.period_id, q.quota / 12 FROM quotas_local q, spm_payout.pay_period p;
-- managers whose teams span the shards: 1001 over the odd reps, 1002 over
-- the even ones (hash partitioning spreads both over both shards), 1003
-- over the two; a 1% plan on their roll-up credit
CREATE TABLE org (rep text, manager text, valid daterange);
INSERT INTO org SELECT r::text, CASE WHEN r % 2 = 1 THEN '1001' ELSE '1002' END, '(,)' FROM generate_series(1, 40) r;
INSERT INTO org VALUES ('1001', '1003', '(,)'), ('1002', '1003', '(,)');
INSERT INTO spm_payout.hierarchy_rule (relation, rep_column, manager_column, valid_column) VALUES ('org', 'rep', 'manager', 'valid');
INSERT INTO spm_payout.plan (name) VALUES ('managers');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule, base)
SELECT plan_id, 1, 'marginal(0: 0.01)', 'amount' FROM spm_payout.plan WHERE name = 'managers';
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT m, plan_id, '[2025-01-01,)' FROM spm_payout.plan, unnest('{1001,1002,1003}'::text[]) m WHERE name = 'managers';
EOF
payout_rows() {
    qa "$C" <<'EOF'
SELECT p.label, l.rep, l.plan_id, l.version_id, l.line_kind, l.credited, l.late_credit, l.credited_to_date,
       l.quota_to_date, l.attainment_to_date, l.earned_to_date, l.paid_before, l.earned
  FROM spm_payout.payout_line l JOIN spm_payout.pay_period p USING (period_id)
 ORDER BY p.label, l.rep::int, l.version_id, l.line_kind;
EOF
}
run_periods() {  # prints the milliseconds of the two runs
    qa "$C" <<'EOF'
SET client_min_messages = warning;
CALL spm_payout.run_payout('2025-01-15');
CALL spm_payout.run_payout('2025-02-15');
SELECT string_agg(round(extract(epoch FROM finished_at - started_at) * 1000)::text, ' ' ORDER BY run_id)
  FROM (SELECT * FROM spm_payout.run ORDER BY run_id DESC LIMIT 2) r;
EOF
}
# shipped_by_run LABEL: runs the period with auto_explain reporting every
# statement's plan (EXPLAIN ANALYZE VERBOSE) as a NOTICE, without the
# session's partitionwise settings (the run sets what it needs), and prints
# one line per foreign scan: "fingerprint|deals ROWS"
shipped_by_run() {
    PGOPTIONS="-c client_min_messages=notice" psql -X -q -v ON_ERROR_STOP=1 -d "$C" 2>&1 >/dev/null <<EOF |
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_analyze = on;
SET auto_explain.log_timing = off;
SET auto_explain.log_verbose = on;
SET auto_explain.log_level = notice;
CALL spm_payout.run_payout('$1');
EOF
    awk '/Foreign Scan/ { if (match($0, /actual rows=[0-9]+/)) rows = substr($0, RSTART + 12, RLENGTH - 12); next }
         /Remote SQL:/ && rows != "" { print (index($0, "spm.fingerprint(") ? "fingerprint" : "deals"), rows; rows = "" }'
}
sum_of() { awk -v k="$1" '$1 == k { s += $2; n++ } END { print (n ? s : 0) " " n + 0 }'; }

jan1=$(shard_count "$S1" "SELECT count(*) FROM deals WHERE close_date >= '2025-01-01' AND close_date < '2025-02-01'")
jan2=$(shard_count "$S2" "SELECT count(*) FROM deals WHERE close_date >= '2025-01-01' AND close_date < '2025-02-01'")
feb=$(($(shard_count "$S1" "SELECT count(*) FROM deals WHERE close_date >= '2025-02-01' AND close_date < '2025-03-01'") +
       $(shard_count "$S2" "SELECT count(*) FROM deals WHERE close_date >= '2025-02-01' AND close_date < '2025-03-01'")))
reps_jan=$(($(shard_count "$S1" "SELECT count(DISTINCT rep_id) FROM deals WHERE close_date >= '2025-01-01' AND close_date < '2025-02-01'") +
            $(shard_count "$S2" "SELECT count(DISTINCT rep_id) FROM deals WHERE close_date >= '2025-01-01' AND close_date < '2025-02-01'")))
reps_janfeb=$((reps_jan +
    $(shard_count "$S1" "SELECT count(DISTINCT rep_id) FROM deals WHERE close_date >= '2025-02-01' AND close_date < '2025-03-01'") +
    $(shard_count "$S2" "SELECT count(DISTINCT rep_id) FROM deals WHERE close_date >= '2025-02-01' AND close_date < '2025-03-01'")))
scans=$(shipped_by_run '2025-01-15')
[[ $(sum_of fingerprint <<<"$scans") == "$reps_jan 2" ]]
ok $? "payout run over the sharded source: the fingerprint is computed on the shards, one row per rep ($reps_jan rows from 2 shards for $((jan1 + jan2)) deals)" \
    "foreign scans of the run (kind rows): $(tr '\n' ' ' <<<"$scans")"
[[ $(sum_of deals <<<"$scans") == "$((jan1 + jan2)) 2" ]]
ok $? "payout run over the sharded source: each deal of the period is shipped once, for its deal-level credit line ($jan1 + $jan2 rows)" \
    "foreign scans of the run (kind rows): $(tr '\n' ' ' <<<"$scans")"
diag "payout: January rows shipped: fingerprint $(sum_of fingerprint <<<"$scans"), deals $(sum_of deals <<<"$scans") (rows, scans)"
ms_sharded=$(run_periods | tail -n 1)
sharded=$(payout_rows)
diag "payout: run times sharded (Jan, Feb): $ms_sharded ms"

q "$C" -c "UPDATE spm_payout.source SET relation = 'deals_local'" >/dev/null
ms_local=$(run_periods | tail -n 1)
local_rows=$(payout_rows)
[[ -n $sharded && $sharded == "$local_rows" ]]
ok $? "payout run over the sharded source: the same payout_line rows as over the local table ($(wc -l <<<"$local_rows") lines)" \
    "sharded: ${sharded:0:400}" "local:   ${local_rows:0:400}"
# roll-ups across shards: each manager is credited its team's deals from both
# shards, computed independently from the local copy of the deals
got=$(grep '^2025-01-01\.\.2025-01-31|100[123]|' <<<"$sharded" | cut -d'|' -f2,6 | tr '\n' ' ')
want=$(qa "$C" -c "SELECT string_agg(m || '|' || s, ' ' ORDER BY m) || ' ' FROM (
                     SELECT CASE WHEN rep_id % 2 = 1 THEN '1001' ELSE '1002' END AS m, sum(amount) AS s FROM deals_local
                      WHERE close_date >= '2025-01-01' AND close_date < '2025-02-01' GROUP BY 1
                     UNION ALL SELECT '1003', sum(amount) FROM deals_local
                      WHERE close_date >= '2025-01-01' AND close_date < '2025-02-01') x")
[[ -n $got && $got == "$want" ]]
ok $? "roll-ups across shards: managers 1001, 1002 (teams on both shards) and 1003 are credited their teams' January deals exactly ($got)" \
    "have: $got" "want: $want"
diag "payout: run times local (Jan, Feb): $ms_local ms"

# The per-rep fingerprints merged on the coordinator equal the fingerprint
# of all the rows computed locally (spm.fingerprint_merge is exact).
got=$(qa "$C" <<'EOF'
CREATE FUNCTION pg_temp.fp_of(rel regclass) RETURNS jsonb LANGUAGE plpgsql AS $f$
DECLARE s spm_payout.source; j jsonb;
BEGIN
    SELECT * INTO s FROM spm_payout.source;
    s.relation := rel;
    EXECUTE spm_payout_internal.source_fingerprint_sql(s,
        (SELECT array_agg(period_id ORDER BY lower(period)) FROM spm_payout.pay_period WHERE lower(period) < '2025-03-01'),
        '{2025-01-01,2025-02-01,2025-03-01}') INTO j;
    RETURN j;
END $f$;
SELECT pg_temp.fp_of('deals') = pg_temp.fp_of('deals_local'), jsonb_typeof(pg_temp.fp_of('deals')), pg_temp.fp_of('deals_local') ->> '1';
EOF
)
[[ $got == "t|object|"*"/$((jan1 + jan2))" ]]
ok $? "the run's fingerprint of January and February over the shards (merged per rep) equals the one over the local table" "$got"

# A closed period is re-examined by fingerprint alone: after January is
# closed, February's run ships January's per-rep fingerprints, not its deals.
q "$C" -c "UPDATE spm_payout.source SET relation = 'deals'" >/dev/null
qa "$C" -c "CALL spm_payout.run_payout('2025-01-15')" -c "CALL spm_payout.close_period('2025-01-01..2025-01-31')" >/dev/null
scans=$(shipped_by_run '2025-02-15')
[[ $(sum_of fingerprint <<<"$scans") == "$reps_janfeb 2" && $(sum_of deals <<<"$scans") == "$feb 2" ]]
ok $? "with January closed, February's run ships January and February as $reps_janfeb per-rep fingerprints and only February's $feb deals" \
    "foreign scans of the run (kind rows): $(tr '\n' ' ' <<<"$scans")"
[[ $(qa "$C" -c "SELECT examined = '{2025-01-01..2025-01-31}' AND changed = '{}' FROM spm_payout.run ORDER BY run_id DESC LIMIT 1") == t ]]
ok $? "February's run examined closed January and found it unchanged"

# ---------------------------------------------------------------- cleanup ---
unset PGOPTIONS
cleanup
left=$(psql -X -At -d postgres -c "SELECT count(*) FROM pg_database WHERE datname LIKE '${P}%'")
[[ $left == 0 ]]
ok $? "the shard and coordinator databases are dropped" "left: $left"

echo "1..$N"
exit $((FAILED > 0 ? 1 : 0))
