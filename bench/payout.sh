#!/usr/bin/env bash
# bench/payout.sh — the payout benchmark (docs/payout.md, "Performance"):
# a quarterly payout run against the hand-written set-based SQL that stores
# the same deal-level credit rows with the same roll-ups and computes the
# same per-rep lines, in the same run, alternating (also with the reps'
# plan paying two components); reruns; a monthly plan's
# December run (eleven closed months) against its January run; 10M against
# 1M deals; backend peak memory.
#
#   bash bench/payout.sh                  # default: 10,000,000 deals over 5 years (2M a year)
#   bash bench/payout.sh --deals 2000000  # smaller
#   bash bench/payout.sh --no-build --existing   # use the PG* server, spm already installed
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=../tools/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tools/lib.sh"
cd "$SPM_ROOT"

DEALS=${SPM_BENCH_DEALS:-10000000}
YEARS=5
SEED=${SPM_BENCH_SEED:-1}
OUT=${SPM_BENCH_PAYOUT_OUT:-bench/payout_results.md}
BUILD=1
while [[ $# -gt 0 ]]; do
    case $1 in
        --deals) DEALS=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --existing) export SPM_USE_EXISTING=1; shift ;;
        -h|--help) sed -n 2,12p "$0"; exit 0 ;;
        *) spm_die "unknown argument: $1" ;;
    esac
done
[[ $DEALS =~ ^[0-9]+$ && $DEALS -ge 10000 ]] || spm_die "--deals must be an integer >= 10000"
SMALL=$((DEALS / 10))
LAST=$((2020 + YEARS))

if [[ $BUILD == 1 ]]; then
    spm_install_packages
    spm_build_install
fi
spm_cluster_start
if [[ -n $SPM_PGTMP ]]; then
    spm_psql -d postgres -c "ALTER SYSTEM SET shared_buffers = '2GB'" -c "ALTER SYSTEM SET work_mem = '256MB'" \
        -c "ALTER SYSTEM SET maintenance_work_mem = '1GB'" -c "ALTER SYSTEM SET max_wal_size = '8GB'"
    spm__as_owner "$SPM_PGBIN/pg_ctl" -D "$SPM_PGDATA" -l "$SPM_PGLOG" -w -t 120 restart >/dev/null ||
        spm_die "restart failed; server log: $SPM_PGLOG"
fi
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning -c jit=off"

# make_db NAME DEALS GRAIN
make_db() {
    spm_log "database $1: $2 deals over $YEARS years, $3 pay periods in $LAST${4:+ (reps paid on two plan components)}"
    dropdb --if-exists "$1"
    createdb "$1"
    spm_psql -d "$1" -v deals="$2" -v years="$YEARS" -v grain="$3" -v seed="$SEED" -v components="${4:-0}" \
        -f bench/payout_setup.sql >/dev/null
}

# timed DB SQL: runs SQL in a fresh backend; prints "ms peak_mb"
timed() {
    psql -X -qAt -v ON_ERROR_STOP=1 -d "$1" <<SQL | sed -n 's/^T|//p' | tr '|' ' '
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
$2;
SELECT 'T', round((extract(epoch FROM clock_timestamp()) - :t0) * 1000), pb.peak_mb();
SQL
}

median() { printf '%s\n' "$@" | sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

Q1="$LAST-01-01..$LAST-03-31"
declare -A R
# quarterly: hand, first run, hand, rerun, hand, rerun (per size)
for size in small big comp; do
    n=$([[ $size == small ]] && echo "$SMALL" || echo "$DEALS")
    db=pb_q_$size
    make_db "$db" "$n" quarter "$([[ $size == comp ]] && echo 1 || true)"
    hands=(); reruns=()
    read -r ms peak < <(timed "$db" "SELECT pb.hand('$LAST-01-01', '$LAST-04-01')"); hands+=("$ms")
    read -r ms peak < <(timed "$db" "CALL spm_payout.run_payout('$Q1')"); R[first_$size]=$ms; R[peak_$size]=$peak
    for i in 1 2; do
        read -r ms peak < <(timed "$db" "SELECT pb.hand('$LAST-01-01', '$LAST-04-01')"); hands+=("$ms")
        read -r ms peak < <(timed "$db" "CALL spm_payout.run_payout('$Q1')"); reruns+=("$ms")
    done
    R[hand_$size]=$(median "${hands[@]}")
    R[rerun_$size]=$(median "${reruns[@]}")
    R[rows_$size]=$(psql -X -qAt -d "$db" -c "SELECT credit_rows || ' credit rows, ' || lines || ' lines' FROM spm_payout.run ORDER BY run_id DESC LIMIT 1")
    same=$(psql -X -qAt -d "$db" -c "SELECT (SELECT sum(earned) FROM spm_payout.payout_line) = (SELECT sum(earned) FROM pb.hand_line)
                                            AND (SELECT count(*) FROM spm_payout.credit_line) = (SELECT count(*) FROM pb.hand_credit)")
    [[ $same == t ]] || spm_die "$db: the run and the hand-written SQL disagree"
    spm_log "$db: hand ${hands[*]} ms; run ${R[first_$size]} ms; reruns ${reruns[*]} ms; ${R[rows_$size]}; same totals: $same"
done

# monthly: January (no closed period) against December (eleven closed)
db=pb_m
make_db "$db" "$DEALS" month
for m in $(seq 1 12); do
    label=$(psql -X -qAt -d "$db" -c "SELECT label FROM spm_payout.pay_period WHERE lower(period) = make_date($LAST, $m, 1)")
    read -r ms peak < <(timed "$db" "CALL spm_payout.run_payout('$label')")
    [[ $m == 1 ]] && R[jan]=$ms
    [[ $m == 12 ]] && R[dec]=$ms && R[peak_dec]=$peak
    [[ $m == 12 ]] || spm_psql -d "$db" -c "CALL spm_payout.close_period('$label')"
done
R[dec_examined]=$(psql -X -qAt -d "$db" -c "SELECT examined_periods || ' / changed: ' || coalesce(nullif(changed_periods, ''), 'none') FROM spm_payout.run_log ORDER BY run_id DESC LIMIT 1" | awk -F', ' '{ print NF " examined" }')
spm_log "monthly: January ${R[jan]} ms, December ${R[dec]} ms (${R[dec_examined]})"

{
    echo "# Payout benchmark"
    echo
    echo "\`bash bench/payout.sh --deals $DEALS\` on $(nproc) cores, $(date -u +%Y-%m-%d), $(psql -X -qAt -d postgres -c 'SHOW server_version')."
    echo "1,000 people (10 directors, 90 managers, 900 reps), deals spread over $YEARS years; times in ms, one backend each."
    echo
    echo "| case | measured | target |"
    echo "|---|---|---|"
    echo "| quarterly run, $DEALS deals (${R[rows_big]}) ÷ hand-written SQL | ${R[first_big]} ÷ ${R[hand_big]} = $(ratio "${R[first_big]}" "${R[hand_big]}") | ≤ 2 (aim 1.3) |"
    echo "| rerun ÷ first run | ${R[rerun_big]} ÷ ${R[first_big]} = $(ratio "${R[rerun_big]}" "${R[first_big]}") | ≤ 1.1 |"
    echo "| December run (${R[dec_examined]} closed months) ÷ January run, monthly plan | ${R[dec]} ÷ ${R[jan]} = $(ratio "${R[dec]}" "${R[jan]}") | ≤ 1.5 |"
    echo "| quarterly run, the reps' plan in two components, $DEALS deals (${R[rows_comp]}) ÷ hand-written SQL | ${R[first_comp]} ÷ ${R[hand_comp]} = $(ratio "${R[first_comp]}" "${R[hand_comp]}") | ≤ 2 |"
    echo "| quarterly run, $DEALS ÷ $SMALL deals | ${R[first_big]} ÷ ${R[first_small]} = $(ratio "${R[first_big]}" "${R[first_small]}") | ≤ 11 |"
    echo "| quarterly run, $SMALL deals (${R[rows_small]}) ÷ hand-written SQL | ${R[first_small]} ÷ ${R[hand_small]} = $(ratio "${R[first_small]}" "${R[hand_small]}") | |"
    echo "| backend peak memory (RSS less shared memory), quarterly run / December run | ${R[peak_big]} MB / ${R[peak_dec]} MB | bounded |"
} | tee "$OUT"
spm_cluster_stop
