#!/usr/bin/env bash
# tools/test.sh — install dependencies, build + install spm, start a throwaway
# PostgreSQL 15 cluster (or use the server named by PGHOST/PGPORT/PGDATABASE),
# then run
#   1. the pg_regress suite   (make installcheck: sql/*.sql vs expected/*.out)
#   2. the pgTAP suite        (pg_prove on test/*.sql, database spm_tap)
#   3. the optional hook      tools/test-extra.sh, or test/cron/*.sql
# and print a summary whose last line is exactly "N passed, N failed".
# Exit status is non-zero if anything failed.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SPM_ROOT"

TOTAL_PASSED=0
TOTAL_FAILED=0
SUITE_LINES=()

# spm_record_suite PASSED FAILED LINE... — add to the totals and remember
# LINE(s) for the summary block.  Also usable from tools/test-extra.sh.
spm_record_suite() {
    local passed=$1 failed=$2
    shift 2
    TOTAL_PASSED=$((TOTAL_PASSED + passed))
    TOTAL_FAILED=$((TOTAL_FAILED + failed))
    SUITE_LINES+=("$@")
}

spm_print_summary() {
    local l
    echo
    spm_log "================================ summary ================================"
    for l in "${SUITE_LINES[@]}"; do
        echo "$l"
    done
    if [[ $((TOTAL_PASSED + TOTAL_FAILED)) -eq 0 ]]; then
        echo "(no tests were found)"
    fi
    echo "$TOTAL_PASSED passed, $TOTAL_FAILED failed"
}

# The test build treats warnings as errors (a user's plain `make` does not).
export SPM_WERROR=1

SPM_TEST_TMP=$(mktemp -d /tmp/spm-test.XXXXXX)
SPM_CLEANUP_PATHS+=("$SPM_TEST_TMP")

# ------------------------------------------------------------------ setup ---

spm_install_packages
if ! spm_build_install; then
    spm_record_suite 0 1 "build: FAILED (make / make install, see the output above)"
    spm_print_summary
    exit 1
fi
spm_cluster_start

# ------------------------------------------------------------- pg_regress ---

spm_run_regress() {
    local log=$SPM_TEST_TMP/regress.log rc=0 passed failed n
    if ! compgen -G 'sql/*.sql' >/dev/null; then
        spm_log "pg_regress: no sql/*.sql files; skipped"
        spm_record_suite 0 0 "pg_regress: no tests (sql/ is empty), skipped"
        return 0
    fi
    spm_log "pg_regress: make installcheck"
    rm -f regression.diffs regression.out
    make installcheck PG_CONFIG="$SPM_PG_CONFIG" 2>&1 | tee "$log" || rc=$?
    # PG15 prints "test NAME ... ok  12 ms" / "     NAME ... FAILED";
    # PG16+ prints TAP-style "ok 1 - NAME" / "not ok 2 - NAME".
    passed=$(grep -cE '\.\.\. ok|^ok [0-9]+ ' "$log" || true)
    failed=$(grep -cE '\.\.\. (FAILED|failed \(ignored\))|^not ok [0-9]+ ' "$log" || true)
    if [[ $rc -ne 0 ]]; then
        if [[ -s regression.diffs ]]; then
            n=$(wc -l <regression.diffs)
            spm_log "pg_regress failed; regression.diffs ($n lines, first 400 shown):"
            head -n 400 regression.diffs
            [[ $n -le 400 ]] || echo "... ($((n - 400)) more lines in $SPM_ROOT/regression.diffs)"
        else
            spm_log "pg_regress failed (make installcheck exit status $rc, regression.diffs missing or empty)"
        fi
        if [[ $failed -eq 0 ]]; then
            spm_record_suite "$passed" 1 \
                "pg_regress: $passed passed, 0 failed, but make installcheck exited with status $rc (counted as 1 failure)"
            return 0
        fi
    fi
    spm_record_suite "$passed" "$failed" "pg_regress: $passed passed, $failed failed"
    if [[ $failed -gt 0 ]]; then
        SUITE_LINES+=("  failed: $(grep -E '\.\.\. (FAILED|failed \(ignored\))|^not ok [0-9]+ ' "$log" |
            sed -E 's/^not ok [0-9]+ +- +//; s/^test //; s/^ +//; s/ +\.\.\..*//; s/ +[0-9]+ ms$//' |
            paste -sd ' ' -)")
        SUITE_LINES+=("  diffs:  $SPM_ROOT/regression.diffs")
    fi
}

# ------------------------------------------------------------------ pgTAP ---

# spm_run_pgtap LABEL DB CREATE_DB(yes|no) SETUP_SQL DIR
#   Runs pg_prove on DIR/*.sql (not recursive) in database DB (dropped and
#   re-created first when CREATE_DB=yes) after running SETUP_SQL there, and
#   records "LABEL: M assertions in F files, K failed".
spm_run_pgtap() {
    local label=$1 db=$2 create=$3 setup=$4 dir=$5
    local log=$SPM_TEST_TMP/prove.$db.log rc=0 files tests line name nfail
    local assert_failed=0 extra_failed=0 failed_files=()

    if ! compgen -G "$dir/*.sql" >/dev/null; then
        spm_log "$label: no $dir/*.sql files; skipped"
        spm_record_suite 0 0 "$label: no tests ($dir/ has no .sql files), skipped"
        return 0
    fi
    if [[ $create == yes ]]; then
        spm_log "$label: creating database $db"
        if ! { PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" dropdb --if-exists "$db" && createdb "$db"; }; then
            spm_record_suite 0 1 "$label: FAILED to create database $db"
            return 0
        fi
    fi
    spm_log "$label: $setup"
    if ! spm_psql -d "$db" -c "$setup"; then
        spm_record_suite 0 1 "$label: FAILED to set up database $db ($setup)"
        return 0
    fi
    spm_log "$label: pg_prove --ext .sql -d $db $dir/"
    pg_prove --ext .sql -d "$db" "$dir/" 2>&1 | tee "$log" || rc=$?

    line=$(grep -E '^Files=[0-9]+, Tests=[0-9]+' "$log" | tail -n 1 || true)
    if [[ -z $line ]]; then
        spm_record_suite 0 1 "$label: FAILED, pg_prove did not report results (exit status $rc)"
        return 0
    fi
    files=$(sed -E 's/^Files=([0-9]+),.*/\1/' <<<"$line")
    tests=$(sed -E 's/^Files=[0-9]+, Tests=([0-9]+).*/\1/' <<<"$line")
    # "Test Summary Report" lines look like:
    #   test/foo.sql (Wstat: 0 Tests: 12 Failed: 2)
    while IFS= read -r line; do
        name=${line%% (Wstat:*}
        nfail=$(sed -nE 's/.*Failed: ([0-9]+)\).*/\1/p' <<<"$line")
        nfail=${nfail:-0}
        if [[ $nfail -gt 0 ]]; then
            assert_failed=$((assert_failed + nfail))
            failed_files+=("$name ($nfail failed)")
        else
            # died, bad plan, parse errors: count the file as one failure
            extra_failed=$((extra_failed + 1))
            failed_files+=("$name (died or bad plan)")
        fi
    done < <(grep -E '^[^ ].* \(Wstat: .*Tests: [0-9]+ Failed: [0-9]+\)' "$log" || true)
    if [[ $rc -ne 0 && $((assert_failed + extra_failed)) -eq 0 ]]; then
        extra_failed=1
        failed_files+=("(pg_prove exited with status $rc)")
    fi
    spm_record_suite "$((tests - assert_failed))" "$((assert_failed + extra_failed))" \
        "$label: $tests assertions in $files files, $((assert_failed + extra_failed)) failed"
    if [[ ${#failed_files[@]} -gt 0 ]]; then
        SUITE_LINES+=("  failed: ${failed_files[*]}")
    fi
}

# tools/doctest.sh: every SQL example of the docs, run and compared.
spm_run_doctest() {
    local log=$SPM_TEST_TMP/doctest.log line passed failed
    spm_log "doctest: bash tools/doctest.sh"
    bash tools/doctest.sh 2>&1 | tee "$log" || true
    line=$(grep -E '^doctest: [0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1 || true)
    if [[ -z $line ]]; then
        spm_record_suite 0 1 "doctest: FAILED, tools/doctest.sh did not report results"
        return 0
    fi
    passed=$(sed -E 's/^doctest: ([0-9]+) passed.*/\1/' <<<"$line")
    failed=$(sed -E 's/^doctest: [0-9]+ passed, ([0-9]+) failed.*/\1/' <<<"$line")
    spm_record_suite "$passed" "$failed" "doctest: $passed examples passed, $failed failed"
}

# tools/test_dump.sh: pg_dump -Fc / pg_restore of payout history, and an
# ALTER EXTENSION UPDATE from the oldest version, each asserted (TAP).
spm_run_shell_tap() {
    local label=$1 script=$2 log passed failed
    log=$SPM_TEST_TMP/$label.log
    spm_log "$label: bash $script"
    bash "$script" 2>&1 | tee "$log" || true
    passed=$(grep -cE '^ok [0-9]+' "$log" || true)
    failed=$(grep -cE '^not ok [0-9]+' "$log" || true)
    if ! grep -qE '^1\.\.[0-9]+' "$log"; then
        failed=$((failed + 1))
    fi
    spm_record_suite "$passed" "$failed" "$label: $passed passed, $failed failed"
}

spm_run_regress
spm_run_pgtap pgTAP spm_tap yes 'CREATE EXTENSION pgtap; CREATE EXTENSION spm_payout CASCADE;' test
spm_run_doctest
for t in tools/test_*.sh; do
    [[ -f $t ]] && spm_run_shell_tap "$(basename "$t" .sh)" "$t"
done

# The standing fuzzers (docs/fuzzing.md), on a short budget: a finding fails.
spm_run_fuzzer() {
    local label=$1 log=$SPM_TEST_TMP/$1.log
    shift
    spm_log "$label: $*"
    if env "$@" 2>&1 | tee "$log"; then
        spm_record_suite 1 0 "$label: no finding"
    else
        spm_record_suite 0 1 "$label: FAILED (see the output above)"
    fi
}
spm_run_fuzzer fuzz FUZZ_SECONDS="${SPM_FUZZ_SECONDS:-30}" FUZZ_JSONB_SECONDS=10 bash tools/fuzz.sh
spm_run_fuzzer sqlsmith SQLSMITH_SECONDS="${SPM_SQLSMITH_SECONDS:-30}" bash tools/sqlsmith.sh

# ------------------------------------------------------------ extra hook ---
# Hook for later scheduling (pg_cron) tests.  If tools/test-extra.sh exists it
# is sourced here, in this shell, with the server running and PG* exported; it
# can call spm_psql, spm_run_pgtap and spm_record_suite PASSED FAILED "LINE"
# so its results appear in the summary.  Without it, pgTAP files in test/cron/
# are run in pg_cron's database (cron.database_name, 'postgres' on the
# throwaway cluster), where pg_cron, pgtap and spm are created if missing.
if [[ -f tools/test-extra.sh ]]; then
    spm_log "sourcing tools/test-extra.sh"
    # shellcheck source=/dev/null
    source tools/test-extra.sh
elif [[ -d test/cron ]]; then
    if cron_db=$(psql -X -qAt -c 'SHOW cron.database_name' 2>/dev/null) && [[ -n $cron_db ]]; then
        spm_run_pgtap "pgTAP (cron)" "$cron_db" no \
            'CREATE EXTENSION IF NOT EXISTS pg_cron; CREATE EXTENSION IF NOT EXISTS pgtap; CREATE EXTENSION IF NOT EXISTS spm_payout CASCADE;' \
            test/cron
    else
        spm_record_suite 0 1 "pgTAP (cron): FAILED, pg_cron is not loaded on the server (shared_preload_libraries)"
    fi
fi

spm_cluster_stop
spm_print_summary
exit $((TOTAL_FAILED > 0 ? 1 : 0))
