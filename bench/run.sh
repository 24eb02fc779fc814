#!/usr/bin/env bash
# bench/run.sh — spm's benchmark: every case against its PostgreSQL baseline,
# in one run, on a throwaway cluster.  See docs/bench.md.
#
#   bash bench/run.sh                     # the default size: 10 million deals
#   bash bench/run.sh --deals 1000000     # smaller, for a quick look
#
# It installs what is missing (tools/lib.sh), builds and installs spm, starts
# a throwaway PostgreSQL 15 cluster (removed at exit), generates the data with
# data/sample.sql's deterministic generator, warms the cache, then runs each
# group of queries RUNS times round-robin (baseline, spm, baseline, spm, ...),
# each run in a fresh backend, timed on the server.  It prints the medians,
# the ratios against their targets, the backend's peak memory and the
# machine, and writes the same as markdown to bench/results.md.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=../tools/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../tools/lib.sh"
cd "$SPM_ROOT"

DEALS=${SPM_BENCH_DEALS:-10000000}
REPS=${SPM_BENCH_REPS:-50000}
DAYS=${SPM_BENCH_DAYS:-1095}
FIRST_DAY=${SPM_BENCH_FIRST_DAY:-2023-01-01}
SEED=${SPM_BENCH_SEED:-1}
RUNS=${SPM_BENCH_RUNS:-3}
ONLY=${SPM_BENCH_ONLY:-}
OUT=${SPM_BENCH_OUT:-bench/results.md}
SHARED_BUFFERS=${SPM_BENCH_SHARED_BUFFERS:-2GB}
WORK_MEM=${SPM_BENCH_WORK_MEM:-1GB}
BUILD=1
EXISTING=0
REUSE=0
DB=spm_bench
ALL_GROUPS="agg small par types win draw split"

usage() {
    cat <<EOF
usage: bash bench/run.sh [options]
  --deals N         deals to generate (default $DEALS)
  --reps N          sales reps (default $REPS)
  --days N          days of data from $FIRST_DAY (default $DAYS)
  --seed N          generator seed (default $SEED)
  --runs N          runs of each query, at least 3 (default $RUNS)
  --only LIST       comma-separated groups among: ${ALL_GROUPS// /,}
  --out FILE        markdown results (default $OUT)
  --no-build        do not install packages, build or install spm
  --existing        use the server named by PGHOST/PGPORT/... instead of a
                    throwaway cluster (database $DB is dropped and re-created;
                    shared_buffers is then the server's)
  --reuse-data      with --existing: keep database $DB and its data when it
                    was generated with the same size and seed
Environment: SPM_BENCH_DEALS, _REPS, _DAYS, _SEED, _RUNS, _ONLY, _OUT,
SPM_BENCH_SHARED_BUFFERS (default 2GB), SPM_BENCH_WORK_MEM (default 1GB).
EOF
}

ARGS_GIVEN="$*"
while [[ $# -gt 0 ]]; do
    case $1 in
        --deals) DEALS=$2; shift 2 ;;
        --reps) REPS=$2; shift 2 ;;
        --days) DAYS=$2; shift 2 ;;
        --seed) SEED=$2; shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --only) ONLY=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        --no-build) BUILD=0; shift ;;
        --existing) EXISTING=1; shift ;;
        --reuse-data) REUSE=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; spm_die "unknown argument: $1" ;;
    esac
done
for v in DEALS REPS DAYS SEED RUNS; do
    [[ ${!v} =~ ^[0-9]+$ ]] || spm_die "--${v,,} must be a non-negative integer, not '${!v}'"
done
[[ $RUNS -ge 3 ]] || spm_die "--runs must be at least 3"
[[ $DEALS -ge 10 && $REPS -ge 3 && $DAYS -ge 1 ]] || spm_die "need --deals >= 10, --reps >= 3, --days >= 1"
GROUPS_RUN=${ONLY//,/ }
GROUPS_RUN=${GROUPS_RUN:-$ALL_GROUPS}
for g in $GROUPS_RUN; do
    [[ " $ALL_GROUPS " == *" $g "* ]] || spm_die "unknown group '$g' (groups: $ALL_GROUPS)"
done

T_START=$(date +%s)
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
WORK=$(mktemp -d /tmp/spm-bench.XXXXXX)
SPM_CLEANUP_PATHS+=("$WORK")
RUNS_TSV=$WORK/runs.tsv
: >"$RUNS_TSV"

# ------------------------------------------------------------------ setup ---

if [[ $BUILD == 1 ]]; then
    spm_install_packages
    spm_build_install
fi
[[ $EXISTING == 1 ]] || export SPM_USE_EXISTING=0
spm_cluster_start
if [[ -n $SPM_PGTMP ]]; then
    # Our own cluster: give the tables room in shared buffers (restart needed).
    spm_psql -d postgres -c "ALTER SYSTEM SET shared_buffers = '$SHARED_BUFFERS'"
    spm_log "restarting the throwaway cluster with shared_buffers = $SHARED_BUFFERS"
    spm__as_owner "$SPM_PGBIN/pg_ctl" -D "$SPM_PGDATA" -l "$SPM_PGLOG" -w -t 120 restart >/dev/null ||
        spm_die "restart failed; server log: $SPM_PGLOG"
fi

# Every run: in-memory sorts and hashes, no JIT, no parallel workers (the
# parallel variants say otherwise), quiet.
export PGOPTIONS="${PGOPTIONS:-} -c work_mem=$WORK_MEM -c max_parallel_workers_per_gather=0 -c jit=off -c client_min_messages=warning"

PARAMS="$SEED/$REPS/$DEALS/$DAYS/$FIRST_DAY"
if [[ $REUSE == 1 && $EXISTING == 1 ]] &&
    [[ $(psql -X -qAt -d "$DB" -c 'SELECT params FROM bench.meta' 2>/dev/null || true) == "$PARAMS" ]]; then
    spm_log "reusing the data of database $DB ($PARAMS)"
    T_GEN=0
else
    spm_log "creating database $DB"
    dropdb --if-exists "$DB"
    createdb "$DB"
    spm_psql -d "$DB" -c 'CREATE EXTENSION spm; CREATE EXTENSION pg_prewarm;'
    spm_psql -d "$DB" -f data/sample.sql

    spm_log "generating $DEALS deals, $REPS reps, $DAYS days (seed $SEED) and the bench tables"
    T0=$(date +%s)
    spm_psql -d "$DB" -v seed="$SEED" -v reps="$REPS" -v deals="$DEALS" -v days="$DAYS" \
        -v first_day="$FIRST_DAY" -v params="$PARAMS" -f bench/setup.sql
    T_GEN=$(($(date +%s) - T0))
fi
IFS=$'\t' read -r M_DEALS M_SMALL M_REPS M_REP_MONTHS M_SMALL_REP_MONTHS M_PERIODS M_SPLITS M_SPLIT_DEALS M_SPLIT_TOTAL < <(
    spm_psql -At -F $'\t' -d "$DB" -c 'SELECT deals, deals_small, active_reps, rep_months, small_rep_months, periods, splits, split_deals, split_total FROM bench.meta')
spm_log "data ready (${T_GEN}s): $M_DEALS deals, $M_REP_MONTHS rep-months, $M_PERIODS rep-periods, $M_SPLITS splits"

spm_log "warming the cache (pg_prewarm)"
spm_psql -At -d "$DB" -c "SELECT c, pg_prewarm(c) FROM unnest('{bench.deals,bench.deals_small,bench.periods,bench.splits,bench.tiers}'::regclass[]) c" >/dev/null

# ------------------------------------------------------------------ cases ---

S_MONTH="'marginal(0: 0.03, 50000: 0.06, 100000: 0.10)'"   # per rep and month
S_RUN="'marginal(0: 0.03, 500000: 0.06, 2000000: 0.10)'"   # a rep's running total
W_DEAL="PARTITION BY rep_id ORDER BY close_date, deal_id"
W_PERIOD="PARTITION BY rep_id ORDER BY period"
PAR2="SET max_parallel_workers_per_gather = 2"

declare -A V_SQL V_SET V_WHAT
declare -A G_VARIANTS G_TITLE
variant() { # group id what set sql
    V_WHAT[$2]=$3
    V_SET[$2]=$4
    V_SQL[$2]=$5
    G_VARIANTS[$1]="${G_VARIANTS[$1]:-} $2"
}

G_TITLE[agg]="commission per rep and month, $M_DEALS deals ($M_REP_MONTHS groups)"
variant agg agg.sum "sum(amount)" "" \
    "SELECT sum(s) FROM (SELECT sum(amount) AS s FROM bench.deals GROUP BY rep_id, period) q"
variant agg agg.spm "spm.commission(amount, s)" "" \
    "SELECT sum(c) FROM (SELECT spm.commission(amount, $S_MONTH) AS c FROM bench.deals GROUP BY rep_id, period) q"

G_TITLE[small]="the same per rep and month on the first tenth: $M_SMALL deals ($M_SMALL_REP_MONTHS groups)"
variant small small.sum "sum(amount), 1/10 of the rows" "" \
    "SELECT sum(s) FROM (SELECT sum(amount) AS s FROM bench.deals_small GROUP BY rep_id, period) q"
variant small small.spm "spm.commission(amount, s), 1/10 of the rows" "" \
    "SELECT sum(c) FROM (SELECT spm.commission(amount, $S_MONTH) AS c FROM bench.deals_small GROUP BY rep_id, period) q"

G_TITLE[par]="commission per rep over the whole period ($M_REPS groups), 0 and 2 parallel workers"
variant par par.sum "sum(amount) per rep" "" \
    "SELECT sum(s) FROM (SELECT sum(amount) AS s FROM bench.deals GROUP BY rep_id) q"
variant par par.sum2 "sum(amount) per rep, 2 workers" "$PAR2" \
    "SELECT sum(s) FROM (SELECT sum(amount) AS s FROM bench.deals GROUP BY rep_id) q"
variant par par.spm "spm.commission per rep" "" \
    "SELECT sum(c) FROM (SELECT spm.commission(amount, $S_RUN) AS c FROM bench.deals GROUP BY rep_id) q"
variant par par.spm2 "spm.commission per rep, 2 workers" "$PAR2" \
    "SELECT sum(c) FROM (SELECT spm.commission(amount, $S_RUN) AS c FROM bench.deals GROUP BY rep_id) q"

G_TITLE[types]="one aggregate over all $M_DEALS deals, per amount type"
variant types type.sum_num "sum(numeric)" "" "SELECT sum(amount) FROM bench.deals"
variant types type.spm_num "spm.commission(numeric, s)" "" "SELECT spm.commission(amount, $S_RUN) FROM bench.deals"
variant types type.sum_i8 "sum(bigint)" "" "SELECT sum(cents) FROM bench.deals"
variant types type.spm_i8 "spm.commission(bigint, s)" "" "SELECT spm.commission(cents, $S_RUN) FROM bench.deals"
variant types type.sum_i4 "sum(integer)" "" "SELECT sum(dollars) FROM bench.deals"
variant types type.spm_i4 "spm.commission(integer, s)" "" "SELECT spm.commission(dollars, $S_RUN) FROM bench.deals"
variant types type.sum_f8 "sum(double precision)" "" "SELECT sum(amount_f8) FROM bench.deals"
variant types type.spm_f8 "spm.commission(double precision, s)" "" "SELECT spm.commission(amount_f8, $S_RUN) FROM bench.deals"

G_TITLE[win]="per-deal commission in each rep's running total, $M_DEALS deals"
variant win win.sum "sum(amount) OVER w" "" \
    "SELECT sum(x) FROM (SELECT sum(amount) OVER ($W_DEAL) AS x FROM bench.deals) q"
variant win win.spm "spm.commission_increment(amount, s) OVER w" "" \
    "SELECT sum(x) FROM (SELECT spm.commission_increment(amount, $S_RUN) OVER ($W_DEAL) AS x FROM bench.deals) q"
variant win win.sql "pure SQL: running sum joined to a tier table, regrouped per deal" "" \
    "SELECT sum(x) FROM (
       SELECT r.deal_id,
              sum(t.rate * (greatest(least(r.c1, coalesce(t.hi, r.c1)), t.lo)
                            - greatest(least(r.c0, coalesce(t.hi, r.c0)), t.lo))) AS x
         FROM (SELECT deal_id, c1 - amount AS c0, c1
                 FROM (SELECT deal_id, amount, sum(amount) OVER ($W_DEAL) AS c1 FROM bench.deals) w) r
         JOIN bench.tiers t ON t.lo < greatest(r.c0, r.c1) AND (t.hi IS NULL OR t.hi > least(r.c0, r.c1))
        GROUP BY r.deal_id) q"

G_TITLE[draw]="draw ledger over $M_PERIODS rep-periods ('recoverable')"
variant draw draw.sum "sum(earned) OVER w" "" \
    "SELECT sum(x) FROM (SELECT sum(earned) OVER ($W_PERIOD) AS x FROM bench.periods) q"
variant draw draw.spm "spm.draw_ledger(earned, draw, kind) OVER w" "" \
    "SELECT sum((l).payout) FROM (SELECT spm.draw_ledger(earned, draw, 'recoverable') OVER ($W_PERIOD) AS l FROM bench.periods) q"
variant draw draw.plpgsql "PL/pgSQL loop, the same ledger" "" \
    "SELECT sum(payout) FROM bench.draw_ledger_plpgsql()"

G_TITLE[split]="credit splits: $M_SPLIT_DEALS deals x 3 reps ($M_SPLITS rows)"
variant split split.naive "naive round(amount * weight, 2)" "" \
    "SELECT sum(x) FROM (SELECT round(amount * weight, 2) AS x FROM bench.splits) q"
variant split split.sorted "naive round(amount * weight, 2), in deal order" "" \
    "SELECT sum(x) FROM (SELECT round(amount * weight, 2) AS x FROM bench.splits ORDER BY deal_id, rep_id) q"
variant split split.floor "row_number() over the same window (the cheapest window function)" "" \
    "SELECT sum(x) FROM (SELECT row_number() OVER (PARTITION BY deal_id ORDER BY rep_id) AS x FROM bench.splits) q"
variant split split.spm "spm.split_share(amount, weight) OVER (PARTITION BY deal ORDER BY rep)" "" \
    "SELECT sum(x) FROM (SELECT spm.split_share(amount, weight) OVER (PARTITION BY deal_id ORDER BY rep_id) AS x FROM bench.splits) q"

# ------------------------------------------------------------------- runs ---

# run_one ID ROUND: one timed run in a fresh backend, appended to RUNS_TSV.
run_one() {
    local id=$1 round=$2 line ms result peak shmem
    local args=(-X -qAt -F $'\t' -v ON_ERROR_STOP=1 -d "$DB")
    [[ -z ${V_SET[$id]} ]] || args+=(-c "${V_SET[$id]}")
    # load spm in every backend, baseline or not: the same start for both
    args+=(-c "LOAD 'spm'" -c "SELECT ms, result, peak_kb, shmem_kb FROM bench.timed(\$bench\$${V_SQL[$id]}\$bench\$)")
    line=$(psql "${args[@]}") || spm_die "query $id failed"
    IFS=$'\t' read -r ms result peak shmem <<<"$line"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "$round" "$ms" "$result" "${peak:-}" "${shmem:-}" >>"$RUNS_TSV"
    printf '    %-14s run %d  %10.1f ms' "$id" "$round" "$ms"
    if [[ -n $peak && -n $shmem ]]; then
        printf '  peak %7.1f MB' "$(awk -v p="$peak" -v s="$shmem" 'BEGIN { print (p - s) / 1024 }')"
    fi
    printf '\n'
}

: >"$WORK/plans.txt"
for g in $GROUPS_RUN; do
    spm_log "group $g: ${G_TITLE[$g]}"
    for id in ${G_VARIANTS[$g]}; do
        {
            echo "== $id: ${V_WHAT[$id]}"
            psql -X -qAt -d "$DB" ${V_SET[$id]:+-c "${V_SET[$id]}"} -c "EXPLAIN (COSTS OFF) ${V_SQL[$id]}"
        } >>"$WORK/plans.txt"
    done
    t0=$(date +%s)
    for ((r = 1; r <= RUNS; r++)); do
        for id in ${G_VARIANTS[$g]}; do
            run_one "$id" "$r"
        done
    done
    spm_log "group $g done in $(($(date +%s) - t0))s"
done

# ---------------------------------------------------------------- results ---

# median ID FIELD: the median over the runs of field 3 (ms) or of
# peak - shmem (FIELD=mem, in MB); empty when the variant did not run.
median() {
    awk -F'\t' -v id="$1" -v f="$2" '
        $1 == id { v = (f == "mem") ? (($5 != "" && $6 != "") ? ($5 - $6) / 1024 : "") : $3
                   if (v != "") x[n++] = v }
        END { if (n == 0) exit
              for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (x[j] < x[i]) { t = x[i]; x[i] = x[j]; x[j] = t }
              printf "%.6f", (n % 2) ? x[int(n / 2)] : (x[n / 2 - 1] + x[n / 2]) / 2 }' "$RUNS_TSV"
}
result_of() { awk -F'\t' -v id="$1" '$1 == id { print $4; exit }' "$RUNS_TSV"; }
results_agree() { # ID: every run of ID returned the same value
    [[ $(awk -F'\t' -v id="$1" '$1 == id { print $4 }' "$RUNS_TSV" | sort -u | wc -l) -le 1 ]]
}
num_eq() { [[ $(spm_psql -At -d "$DB" -c "SELECT '$1'::numeric = '$2'::numeric") == t ]]; }
secs() { awk -v m="$1" 'BEGIN { printf "%.2f", m / 1000 }'; }

CMP_ROWS=()
MISSED=0
# compare LABEL NUM DEN OP TARGET: median(NUM) / median(DEN) against the target
compare() {
    local label=$1 num=$2 den=$3 op=$4 target=$5 a b ratio verdict
    a=$(median "$num" ms)
    b=$(median "$den" ms)
    [[ -n $a && -n $b ]] || return 0
    ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
    if [[ $op == info ]]; then
        verdict=""
        target="—"
    elif awk -v r="$ratio" -v t="$target" -v op="$op" 'BEGIN { exit !((op == "<=") ? r <= t : r >= t) }'; then
        verdict="met"
        target="$op $target"
    else
        verdict="**missed**"
        target="$op $target"
        MISSED=$((MISSED + 1))
    fi
    CMP_ROWS+=("| $label | ${V_WHAT[$num]} | ${V_WHAT[$den]} | $(secs "$a") | $(secs "$b") | $ratio | $target | $verdict |")
}

compare "Aggregate by rep and month" agg.spm agg.sum "<=" 1.15
compare "Window, per-deal increments" win.spm win.sum "<=" 1.3
compare "Window vs plain SQL" win.sql win.spm ">=" 2.5
compare "Draw ledger" draw.spm draw.sum "<=" 1.2
compare "Draw ledger vs PL/pgSQL" draw.plpgsql draw.spm ">=" 1.5
compare "Credit splits" split.spm split.naive "<=" 1.5
compare "Credit splits, both in deal order" split.spm split.sorted info ""
compare "Credit splits: any window function" split.floor split.naive info ""
compare "Credit splits over that floor" split.spm split.floor info ""
compare "Parallel speed-up, spm" par.spm par.spm2 ">=" 1.6
compare "Parallel speed-up, sum" par.sum par.sum2 info ""
compare "Scaling, spm: N / (N/10) rows" agg.spm small.spm "<=" 11
compare "Scaling, sum: N / (N/10) rows" agg.sum small.sum info ""
compare "Amount type numeric(12,2)" type.spm_num type.sum_num info ""
compare "Amount type bigint" type.spm_i8 type.sum_i8 info ""
compare "Amount type integer" type.spm_i4 type.sum_i4 info ""
compare "Amount type double precision" type.spm_f8 type.sum_f8 info ""

# Checks: the compared queries compute what they claim.
CHECKS=()
check() { # TEXT CONDITION-STATUS
    if [[ $2 == 0 ]]; then CHECKS+=("- ok: $1"); else CHECKS+=("- **FAILED**: $1"); MISSED=$((MISSED + 1)); fi
}
for id in "${!V_SQL[@]}"; do
    if [[ -n $(result_of "$id") ]] && ! results_agree "$id"; then
        check "every run of $id returns the same value" 1
    fi
done
if [[ -n $(result_of win.sql) && -n $(result_of win.spm) ]]; then
    num_eq "$(result_of win.sql)" "$(result_of win.spm)"; check "plain-SQL tier increments = spm.commission_increment (total $(result_of win.spm))" $?
fi
if [[ -n $(result_of draw.plpgsql) && -n $(result_of draw.spm) ]]; then
    num_eq "$(result_of draw.plpgsql)" "$(result_of draw.spm)"; check "PL/pgSQL ledger payouts = spm.draw_ledger payouts (total $(result_of draw.spm))" $?
fi
if [[ -n $(result_of par.spm2) ]]; then
    num_eq "$(result_of par.spm2)" "$(result_of par.spm)"; check "spm.commission with 2 workers = without ($(result_of par.spm))" $?
fi
if [[ -n $(result_of type.spm_f8) ]]; then
    num_eq "$(result_of type.spm_f8)" "$(result_of type.spm_num)"; check "spm.commission over amount::float8 = over the numeric amount ($(result_of type.spm_num))" $?
fi
if [[ -n $(result_of split.spm) ]]; then
    num_eq "$(result_of split.spm)" "$M_SPLIT_TOTAL"; check "split shares add up to the split deals' total $M_SPLIT_TOTAL" $?
    CHECKS+=("- the naive shares add up to $(result_of split.naive): $(spm_psql -At -d "$DB" -c "SELECT abs('$(result_of split.naive)'::numeric - '$M_SPLIT_TOTAL'::numeric)") off")
fi

# Memory: peak backend memory apart from shared buffers, medians.
MEM_ROWS=()
mem_row() { # ID [GROUPS]
    local m per=""
    m=$(median "$1" mem)
    [[ -n $m ]] || return 0
    [[ -z ${2:-} ]] || per=$(awk -v m="$m" -v g="$2" 'BEGIN { printf "%.0f", m * 1048576 / g }')
    MEM_ROWS+=("| ${V_WHAT[$1]} | \`$1\` | $(awk -v m="$m" 'BEGIN { printf "%.0f", m }') | ${per:-—} |")
}
mem_row agg.sum "$M_REP_MONTHS"
mem_row agg.spm "$M_REP_MONTHS"
mem_row small.sum "$M_SMALL_REP_MONTHS"
mem_row small.spm "$M_SMALL_REP_MONTHS"
mem_row win.sum
mem_row win.spm
mem_row draw.sum
mem_row draw.spm
mem_row split.sorted
mem_row split.spm

# Machine.
CORES=$(nproc 2>/dev/null || echo '?')
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
MEM_GB=$(awk '/^MemTotal:/ { printf "%.1f", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo '?')
PGV=$(spm_psql -At -d "$DB" -c 'SELECT version()')
SB=$(spm_psql -At -d "$DB" -c 'SHOW shared_buffers')
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')
COMMIT=$(git -C "$SPM_ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')
[[ -z $(git -C "$SPM_ROOT" status --porcelain -- src 2>/dev/null) ]] || COMMIT="$COMMIT (with local changes to src/)"
ELAPSED=$(($(date +%s) - T_START))

{
    echo "# spm benchmark results"
    echo
    echo "Run with \`bash bench/run.sh${ARGS_GIVEN:+ $ARGS_GIVEN}\` (--deals $DEALS --reps $REPS --days $DAYS --seed $SEED --runs $RUNS)"
    echo "on $(date -u '+%Y-%m-%d %H:%M UTC'), spm at commit $COMMIT; the whole run took ${ELAPSED}s."
    echo
    echo "- Machine: $CORES cores (${CPU:-unknown CPU}), $MEM_GB GiB memory, $(uname -sr)."
    echo "- $PGV."
    if [[ -n $SPM_PGTMP ]]; then
        echo "- Server: a throwaway PostgreSQL cluster started by the run."
    else
        echo "- Server: an existing one (--existing), not restarted for the run."
    fi
    echo "- Settings: shared_buffers = $SB, work_mem = $WORK_MEM, jit = off,"
    echo "  max_parallel_workers_per_gather = 0 except in the \"2 workers\" runs."
    echo "- Load average (1, 5, 15 min) at the start: $LOAD_START; at the end: $LOAD_END."
    echo "- Data: $M_DEALS deals of $M_REPS active reps over $DAYS days from $FIRST_DAY (seed $SEED),"
    echo "  $M_REP_MONTHS rep-months, $M_PERIODS rep-periods for the draw ledger, $M_SPLITS split rows;"
    echo "  generated and loaded in ${T_GEN}s, then loaded into shared buffers with pg_prewarm."
    echo
    echo "Each query ran $RUNS times, round-robin with the other queries of its group"
    echo "(baseline, spm, baseline, spm, ...), each time in a fresh backend; the time"
    echo "is measured on the server around the query's execution. Medians in seconds;"
    echo "the ratio is median A ÷ median B."
    echo
    echo "| Case | A | B | A (s) | B (s) | A ÷ B | target | |"
    echo "|---|---|---|---:|---:|---:|---|---|"
    printf '%s\n' "${CMP_ROWS[@]}"
    echo
    echo "Checks:"
    echo
    printf '%s\n' "${CHECKS[@]}"
    if [[ ${#MEM_ROWS[@]} -gt 0 ]]; then
        echo
        echo "Peak backend memory (VmHWM less the shared buffers it mapped, median; about"
        echo "15 MB of it is any backend's own code and caches):"
        echo
        echo "| Query | run | peak (MB) | bytes per group |"
        echo "|---|---|---:|---:|"
        printf '%s\n' "${MEM_ROWS[@]}"
    fi
    echo
    echo "Every run (ms):"
    echo
    echo "| run | query | times | median |"
    echo "|---|---|---|---:|"
    for g in $GROUPS_RUN; do
        for id in ${G_VARIANTS[$g]}; do
            echo "| \`$id\` | ${V_WHAT[$id]} | $(awk -F'\t' -v id="$id" '$1 == id { printf "%s%.0f", (n++ ? ", " : ""), $3 }' "$RUNS_TSV") | $(awk -v m="$(median "$id" ms)" 'BEGIN { printf "%.0f", m }') |"
        done
    done
} >"$WORK/results.md"

mkdir -p "$(dirname "$OUT")"
cp "$WORK/results.md" "$OUT"
echo
cat "$WORK/results.md"
echo
spm_log "results written to $OUT"
if [[ $MISSED -gt 0 ]]; then
    spm_log "$MISSED target(s) missed or check(s) failed"
fi
