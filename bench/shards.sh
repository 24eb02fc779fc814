#!/usr/bin/env bash
# bench/shards.sh — spm over loopback shards through postgres_fdw
# (docs/sharding.md, "Performance"): the same spm.commission GROUP BY rep
# query over a local table and over 1, 2 and 4 shards (separate databases of
# one server), with the rows each plan ships and its time; the per-deal
# window (spm.commission_increment) over the same tables; and a payout run
# over the sharded source against the same run over the local table.
#
#   bash bench/shards.sh                     # default: 2,000,000 deals
#   bash bench/shards.sh --deals 200000      # smaller
#   bash bench/shards.sh --no-build --existing   # the PG* server, spm already installed
#
# Writes bench/shards_results.md.  On 2 cores the shards, the coordinator and
# the loopback connections share the same CPUs: the figures show what is
# shipped and what each step costs, not the speed-up of separate machines.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../tools/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tools/lib.sh"
cd "$SPM_ROOT"

DEALS=${SPM_BENCH_DEALS:-2000000}
REPS=${SPM_BENCH_REPS:-1000}
RUNS=${SPM_BENCH_RUNS:-3}
OUT=${SPM_BENCH_SHARDS_OUT:-bench/shards_results.md}
BUILD=1
while [[ $# -gt 0 ]]; do
    case $1 in
        --deals) DEALS=$2; shift 2 ;;
        --reps) REPS=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --existing) export SPM_USE_EXISTING=1; shift ;;
        -h|--help) sed -n 2,16p "$0"; exit 0 ;;
        *) spm_die "unknown argument: $1" ;;
    esac
done
[[ $DEALS =~ ^[0-9]+$ && $DEALS -ge 1000 ]] || spm_die "--deals must be an integer >= 1000"
[[ $REPS =~ ^[0-9]+$ && $REPS -ge 4 ]] || spm_die "--reps must be an integer >= 4"
[[ $RUNS =~ ^[0-9]+$ && $RUNS -ge 1 ]] || spm_die "--runs must be a positive integer"

if [[ $BUILD == 1 ]]; then
    spm_install_packages
    spm_build_install
fi
if [[ ${SPM_USE_EXISTING:-0} != 1 ]]; then
    export SPM_USE_EXISTING=0
fi
spm_cluster_start
if [[ -n $SPM_PGTMP ]]; then
    spm_psql -d postgres -c "ALTER SYSTEM SET shared_buffers = '1GB'" -c "ALTER SYSTEM SET work_mem = '256MB'" \
        -c "ALTER SYSTEM SET max_wal_size = '8GB'"
    spm__as_owner "$SPM_PGBIN/pg_ctl" -D "$SPM_PGDATA" -l "$SPM_PGLOG" -w -t 120 restart >/dev/null ||
        spm_die "restart failed; server log: $SPM_PGLOG"
fi

SOCK=${PGHOST:-}
if [[ -z $SOCK || $SOCK != /* ]]; then
    SOCK=$(psql -X -At -d postgres -c 'SHOW unix_socket_directories' | cut -d, -f1 | xargs)
fi
PORT=${PGPORT:-$(psql -X -At -d postgres -c 'SHOW port')}
ME=$(psql -X -At -d postgres -c 'SELECT current_user')
C=sb_coord
SHARD_DBS=()
for k in 1 2 4; do
    for i in $(seq 1 "$k"); do SHARD_DBS+=("sb_k${k}_$i"); done
done
drop_all() {
    local db
    for db in "$C" "${SHARD_DBS[@]}"; do
        PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists --force "$db" >/dev/null 2>&1 || true
    done
}
drop_all
export PGOPTIONS="-c client_min_messages=warning -c jit=off"

# ---------------------------------------------------------------- data ---
spm_log "coordinator $C: $DEALS deals of $REPS reps over 2025 (local table deals_local)"
createdb "$C"
spm_psql -d "$C" <<EOF
CREATE EXTENSION postgres_fdw;
CREATE EXTENSION spm_payout CASCADE;
CREATE TABLE deals_local (deal_id int, rep_id int, close_date date, amount numeric(12,2));
INSERT INTO deals_local
SELECT g, 1 + (g::bigint * 7919) % $REPS, date '2025-01-01' + ((g::bigint * 31) % 365)::int, round(((g::bigint * 104729) % 90000 - 6000) / 3.0, 2)
  FROM generate_series(1, $DEALS) g;
ANALYZE deals_local;
EOF

for k in 1 2 4; do
    spm_log "$k shard(s): databases sb_k${k}_1..$k, partitioned table deals_k$k on the coordinator"
    {
        echo "CREATE TABLE deals_k$k (LIKE deals_local) PARTITION BY HASH (rep_id);"
        for i in $(seq 1 "$k"); do
            echo "CREATE SERVER k${k}_$i FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host '$SOCK', port '$PORT', dbname 'sb_k${k}_$i',
                      extensions 'spm', async_capable 'true', fetch_size '10000', fdw_tuple_cost '0.2');"
            echo "CREATE USER MAPPING FOR CURRENT_USER SERVER k${k}_$i OPTIONS (user '$ME');"
            echo "CREATE FOREIGN TABLE deals_k${k}_$i PARTITION OF deals_k$k FOR VALUES WITH (MODULUS $k, REMAINDER $((i - 1)))
                      SERVER k${k}_$i OPTIONS (table_name 'deals');"
        done
    } | spm_psql -d "$C"
    for i in $(seq 1 "$k"); do
        db=sb_k${k}_$i
        createdb "$db"
        spm_psql -d "$db" -c "CREATE EXTENSION spm" \
            -c "CREATE TABLE deals (deal_id int, rep_id int, close_date date, amount numeric(12,2))"
        # each shard's rows, by COPY (faster than inserting through the FDW)
        psql -X -q -v ON_ERROR_STOP=1 -d "$C" -c "\\copy (SELECT * FROM deals_local WHERE satisfies_hash_partition('deals_k$k'::regclass, $k, $((i - 1)), rep_id)) TO STDOUT" |
            psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "\\copy deals FROM STDIN"
        spm_psql -d "$db" -c "VACUUM ANALYZE deals"
    done
    spm_psql -d "$C" -c "ANALYZE deals_k$k"
done

# ------------------------------------------------------------- measures ---
S="'marginal(0: 0.02, 10000: 0.04, 50000: 0.07)'"
AGG="SELECT rep_id, spm.commission(amount, $S) FROM @t@ GROUP BY rep_id"
WIN="SELECT sum(x) FROM (SELECT spm.commission_increment(amount, $S) OVER (PARTITION BY rep_id ORDER BY close_date, deal_id) x FROM @t@) w"
SETTINGS="SET enable_partitionwise_aggregate = on;"

# timed DB SQL: runs SQL in a fresh backend; prints its milliseconds
timed() {
    psql -X -qAt -v ON_ERROR_STOP=1 -d "$1" <<SQL | sed -n 's/^T|//p'
$SETTINGS
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
$2;
SELECT 'T', round((extract(epoch FROM clock_timestamp()) - :t0) * 1000);
SQL
}
median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
spm_psql -d "$C" <<'EOF'
CREATE FUNCTION explain_json(q text) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE j jsonb;
BEGIN
    EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF, FORMAT JSON) ' || q INTO j;
    RETURN j;
END $$;
EOF
# rows the Foreign Scans of a query return (EXPLAIN ANALYZE), and where its aggregation ran
shipped() {
    psql -X -qAt -v ON_ERROR_STOP=1 -d "$1" -v q="$2" <<'SQL' | tail -n 1
SET enable_partitionwise_aggregate = on;
SELECT coalesce(sum((n ->> 'Actual Rows')::numeric), 0) || '|' ||
       CASE WHEN bool_or(n ->> 'Remote SQL' ~ 'spm\.commission\(.*GROUP BY') THEN 'shards' ELSE 'coordinator' END
  FROM jsonb_path_query(explain_json(:'q'), 'strict $.**') n
 WHERE jsonb_typeof(n) = 'object' AND n ->> 'Node Type' = 'Foreign Scan';
SQL
}

declare -A T ROWS WHERE
for t in deals_local deals_k1 deals_k2 deals_k4; do
    IFS='|' read -r ROWS[agg_$t] WHERE[agg_$t] < <(shipped "$C" "${AGG//@t@/$t}")
    IFS='|' read -r ROWS[win_$t] WHERE[win_$t] < <(shipped "$C" "${WIN//@t@/$t}")
done
want=$(psql -X -qAt -d "$C" -c "${AGG//@t@/deals_local} ORDER BY 1" | md5sum)
for t in deals_k1 deals_k2 deals_k4; do
    [[ $(psql -X -qAt -d "$C" -c "$SETTINGS ${AGG//@t@/$t} ORDER BY 1" | md5sum) == "$want" ]] ||
        spm_die "$t: spm.commission GROUP BY rep differs from the local table"
done
# alternating runs: local, k1, k2, k4, local, ...
for kind in agg win; do
    for t in deals_local deals_k1 deals_k2 deals_k4; do T[${kind}_$t]=""; done
    for r in $(seq 1 "$RUNS"); do
        for t in deals_local deals_k1 deals_k2 deals_k4; do
            q=$([[ $kind == agg ]] && echo "${AGG//@t@/$t}" || echo "${WIN//@t@/$t}")
            T[${kind}_$t]+="$(timed "$C" "$q") "
        done
    done
    for t in deals_local deals_k1 deals_k2 deals_k4; do
        # shellcheck disable=SC2086
        T[${kind}_$t]=$(median ${T[${kind}_$t]})
        spm_log "$kind $t: ${T[${kind}_$t]} ms, ${ROWS[${kind}_$t]} rows shipped, computed on the ${WHERE[${kind}_$t]}"
    done
done

# ------------------------------------------------------------ payout run ---
spm_log "payout: January 2025 over deals_local, deals_k2 and deals_k4 (amount plan, every rep)"
spm_psql -d "$C" <<EOF >/dev/null
SELECT spm_payout.add_pay_periods('2025-01-01', '2025-12-31', 'month');
INSERT INTO spm_payout.source (name, relation, rep_column, deal_column, amount_column, date_column)
VALUES ('sales', 'deals_local', 'rep_id', 'deal_id', 'amount', 'close_date');
INSERT INTO spm_payout.plan (name) VALUES ('reps');
INSERT INTO spm_payout.plan_version (plan_id, version, schedule, base)
SELECT plan_id, 1, $S, 'amount' FROM spm_payout.plan;
INSERT INTO spm_payout.assignment (rep, plan_id, valid)
SELECT r::text, plan_id, '[2025-01-01,)' FROM spm_payout.plan, generate_series(1, $REPS) r;
EOF
lines() {
    psql -X -qAt -d "$C" -c "SELECT rep, credited, earned_to_date, earned FROM spm_payout.payout_line ORDER BY rep::int" | md5sum
}
scans() {  # seq scans of the shards' deals so far (after the FDW connections are closed)
    psql -X -qAt -d "$C" -c "SELECT postgres_fdw_disconnect_all()" >/dev/null
    sleep 1
    local db n=0 s
    for db in "$@"; do
        s=$(psql -X -qAt -d "$db" -c "SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'deals'")
        n=$((n + s))
    done
    echo "$n"
}
jan_rows=$(psql -X -qAt -d "$C" -c "SELECT count(*) FROM deals_local WHERE close_date >= '2025-01-01' AND close_date < '2025-02-01'")
declare -A PT PS PSCANS STAGE FPROWS
for t in deals_local deals_k2 deals_k4; do PT[$t]=""; done
for r in $(seq 1 "$RUNS"); do
    for t in deals_local deals_k2 deals_k4; do
        spm_psql -d "$C" -c "UPDATE spm_payout.source SET relation = '$t'"
        case $t in
            deals_k2) dbs=(sb_k2_1 sb_k2_2) ;;
            deals_k4) dbs=(sb_k4_1 sb_k4_2 sb_k4_3 sb_k4_4) ;;
            *) dbs=() ;;
        esac
        if [[ $r == 1 ]]; then
            STAGE[$t]=$(psql -X -qAt -d "$C" <<'SQL'
SELECT coalesce(string_agg(n ->> 'Actual Rows', ' + ' ORDER BY n ->> 'Relations'), '—')
  FROM spm_payout.source s,
       jsonb_path_query(explain_json(spm_payout_internal.source_sql(s, '2025-01-01', '2025-02-01')), 'strict $.**') n
 WHERE jsonb_typeof(n) = 'object' AND n ->> 'Node Type' = 'Foreign Scan';
SQL
)
            # the run's fingerprint query of January (per rep on the shards)
            FPROWS[$t]=$(psql -X -qAt -d "$C" <<'SQL'
SET enable_partitionwise_aggregate = on;
SELECT coalesce(string_agg(n ->> 'Actual Rows', ' + ' ORDER BY n ->> 'Relations'), '—')
  FROM spm_payout.source s, spm_payout.pay_period p,
       jsonb_path_query(explain_json(spm_payout_internal.source_fingerprint_sql(s, ARRAY[p.period_id],
                                     ARRAY[lower(p.period), upper(p.period)])), 'strict $.**') n
 WHERE p.label = '2025-01-01..2025-01-31' AND jsonb_typeof(n) = 'object' AND n ->> 'Node Type' = 'Foreign Scan';
SQL
)
        fi
        before=0; [[ ${#dbs[@]} -gt 0 ]] && before=$(scans "${dbs[@]}")
        PT[$t]+="$(timed "$C" "CALL spm_payout.run_payout('2025-01-15')") "
        [[ ${#dbs[@]} -gt 0 ]] && PSCANS[$t]=$(( $(scans "${dbs[@]}") - before ))
        PS[$t]=$(lines)
    done
done
[[ ${PS[deals_k2]} == "${PS[deals_local]}" && ${PS[deals_k4]} == "${PS[deals_local]}" ]] ||
    spm_die "payout lines over the sharded source differ from the local source"
for t in deals_local deals_k2 deals_k4; do
    # shellcheck disable=SC2086
    PT[$t]=$(median ${PT[$t]})
    spm_log "payout over $t: ${PT[$t]} ms; remote scans of the shards per run: ${PSCANS[$t]:-0}"
done
lines_n=$(psql -X -qAt -d "$C" -c "SELECT count(*) FROM spm_payout.payout_line")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
{
    echo "# Sharding benchmark"
    echo
    echo "\`bash bench/shards.sh --deals $DEALS\` on $(nproc) cores, $(date -u +%Y-%m-%d), $(psql -X -qAt -d postgres -c 'SHOW server_version')."
    echo "$DEALS deals of $REPS reps over 2025; shards are databases of the same server reached through"
    echo "postgres_fdw over its Unix socket (\`extensions 'spm'\`, \`async_capable 'true'\`, \`fetch_size '10000'\`,"
    echo "\`fdw_tuple_cost '0.2'\`), \`enable_partitionwise_aggregate = on\`. Medians of $RUNS alternating runs, each in a"
    echo "fresh backend, in ms. The shards share the machine's $(nproc) cores with the coordinator."
    echo
    echo "| query | table | rows shipped | computed on | ms | ÷ local |"
    echo "|---|---|---:|---|---:|---:|"
    for kind in agg win; do
        label=$([[ $kind == agg ]] && echo 'spm.commission(amount, s) GROUP BY rep_id' || echo 'spm.commission_increment(amount, s) OVER (PARTITION BY rep_id ORDER BY close_date, deal_id)')
        for t in deals_local deals_k1 deals_k2 deals_k4; do
            where=${WHERE[${kind}_$t]}
            [[ $t == deals_local ]] && where='local table'
            [[ $kind == win && $t != deals_local ]] && where='coordinator (window)'
            echo "| $label | $t | ${ROWS[${kind}_$t]} | $where | ${T[${kind}_$t]} | $(ratio "${T[${kind}_$t]}" "${T[${kind}_deals_local]}") |"
        done
    done
    echo
    echo "Payout run of January 2025 ($jan_rows deals in the period, $lines_n payout lines, equal over every source):"
    echo
    echo "| source | deal rows shipped (credit lines) | fingerprint rows shipped | remote scans of the shards per run | ms | ÷ local |"
    echo "|---|---:|---:|---:|---:|---:|"
    echo "| deals_local | — (local) | — (local) | — | ${PT[deals_local]} | 1.00 |"
    echo "| deals_k2 (2 shards) | ${STAGE[deals_k2]} | ${FPROWS[deals_k2]} | ${PSCANS[deals_k2]} | ${PT[deals_k2]} | $(ratio "${PT[deals_k2]}" "${PT[deals_local]}") |"
    echo "| deals_k4 (4 shards) | ${STAGE[deals_k4]} | ${FPROWS[deals_k4]} | ${PSCANS[deals_k4]} | ${PT[deals_k4]} | $(ratio "${PT[deals_k4]}" "${PT[deals_local]}") |"
    echo
    echo "A run ships the period's deals once (each deal's credit line is stored on the coordinator) and"
    echo "the fingerprint of the period's rows as one row per rep, computed on the shards (spm.fingerprint"
    echo "grouped by the shard key, merged with spm.fingerprint_merge). Each remote scan reads its shard's"
    echo "rows of the period. See docs/sharding.md, \"Payout runs over shards\"."
} | tee "$OUT"
drop_all
spm_cluster_stop
