#!/usr/bin/env bash
# tools/fuzz.sh — fuzz spm's schedule inputs for a fixed budget; exit non-zero
# on any crash, sanitizer report, broken round trip, or XX000 from spm.
#
#   flock /tmp/spm-install.lock bash tools/fuzz.sh      (it runs `make install`)
#
# Stage 1: libFuzzer (clang, ASan + UBSan, assertions on) on schedule text,
#          binary recv and the 256-bit kernels, linked against src/ and a stub
#          of the PostgreSQL runtime (tools/fuzz/) — no server needed.
# Stage 2: a seeded SQL-level mutator of the jsonb -> spm.schedule cast against
#          a throwaway cluster (or the server named by PG*), through tools/lib.sh.
#
# Knobs: FUZZ_SECONDS=60 (stage 1), FUZZ_JSONB_SECONDS=20 (stage 2 generation
# budget), FUZZ_SEED=1, FUZZ_JOBS=1 (parallel libFuzzer workers),
# FUZZ_ARTIFACTS=/tmp/spm-fuzz-artifacts (crash reproducers),
# FUZZ_STAGES="libfuzzer jsonb".  See docs/fuzzing.md.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SPM_ROOT"

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_JSONB_SECONDS=${FUZZ_JSONB_SECONDS:-20}
FUZZ_SEED=${FUZZ_SEED:-1}
FUZZ_JOBS=${FUZZ_JOBS:-1}
FUZZ_ARTIFACTS=${FUZZ_ARTIFACTS:-/tmp/spm-fuzz-artifacts}
FUZZ_STAGES=${FUZZ_STAGES:-libfuzzer jsonb}
FAILED=0

WORK=$(mktemp -d /tmp/spm-fuzz.XXXXXX)
SPM_CLEANUP_PATHS+=("$WORK")
mkdir -p "$FUZZ_ARTIFACTS"

stage_libfuzzer() {
    local pgconfig_inc bin=$WORK/fuzz_schedule rc=0
    command -v clang >/dev/null || { spm_err "clang not found (apt-get install clang libclang-rt-14-dev)"; return 1; }
    pgconfig_inc=$("$SPM_PG_CONFIG" --includedir-server)
    spm_log "libFuzzer: building $bin"
    clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -DUSE_ASSERT_CHECKING -Wall -Wno-unused-parameter -Wno-ignored-attributes \
        -Isrc -Itools/fuzz -I"$pgconfig_inc" \
        tools/fuzz/fuzz_schedule.c tools/fuzz/pg_stub.c \
        src/schedule_io.c src/schedule_build.c src/eval.c \
        "$("$SPM_PG_CONFIG" --pkglibdir)/libpgport.a" -o "$bin" || {
        spm_err "building the fuzz target failed"; return 1; }
    python3 tools/fuzz/make_corpus.py "$WORK/corpus"
    spm_log "libFuzzer: ${FUZZ_SECONDS}s, seed $FUZZ_SEED, $FUZZ_JOBS job(s); reproducers go to $FUZZ_ARTIFACTS/"
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
        "$bin" -max_total_time="$FUZZ_SECONDS" -seed="$FUZZ_SEED" -max_len=8192 \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -jobs="$FUZZ_JOBS" -workers="$FUZZ_JOBS" \
        -artifact_prefix="$FUZZ_ARTIFACTS/" "$WORK/corpus" >"$WORK/libfuzzer.log" 2>&1 || rc=$?
    tail -n 25 "$WORK/libfuzzer.log"
    # with -jobs the workers log to fuzz-N.log in the current directory
    if compgen -G 'fuzz-*.log' >/dev/null; then
        cat fuzz-*.log >>"$WORK/libfuzzer.log"; rm -f fuzz-*.log
    fi
    if [[ $rc -ne 0 ]] || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|fuzz_schedule: ' "$WORK/libfuzzer.log"; then
        spm_err "libFuzzer found a problem (exit $rc); reproduce with: $bin $FUZZ_ARTIFACTS/<crash-file>"
        grep -E 'runtime error:|ERROR: |fuzz_schedule: |stub: ' "$WORK/libfuzzer.log" | head -n 20 >&2 || true
        return 1
    fi
    spm_log "libFuzzer: no findings"
}

stage_jsonb() {
    local out=$WORK/jsonb.out rc=0
    spm_install_packages
    spm_build_install || return 1
    spm_cluster_start || return 1
    PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists spm_fuzz && createdb spm_fuzz
    spm_psql -d spm_fuzz -c 'CREATE EXTENSION spm' || return 1
    spm_log "jsonb mutator: ${FUZZ_JSONB_SECONDS}s of documents, seed $FUZZ_SEED"
    python3 tools/fuzz/jsonb_mutator.py "$FUZZ_JSONB_SECONDS" "$FUZZ_SEED" |
        psql -X -q -At -v ON_ERROR_STOP=1 -d spm_fuzz >"$out" 2>&1 || rc=$?
    tail -n 3 "$out"
    if [[ $rc -ne 0 ]]; then
        spm_err "jsonb mutator: psql failed (exit $rc): server crash or lost connection?"
        tail -n 20 "$out" >&2
        return 1
    fi
    if grep -q '^FUZZ-FINDING' "$out"; then
        spm_err "jsonb mutator: findings:"
        grep '^FUZZ-FINDING' "$out" | head -n 20 >&2
        cp "$out" "$FUZZ_ARTIFACTS/jsonb-findings.txt"
        return 1
    fi
    spm_log "jsonb mutator: no findings"
}

for stage in $FUZZ_STAGES; do
    case $stage in
        libfuzzer) stage_libfuzzer || FAILED=1 ;;
        jsonb) stage_jsonb || FAILED=1 ;;
        *) spm_err "unknown stage $stage"; FAILED=1 ;;
    esac
done
spm_cluster_stop
if [[ $FAILED -ne 0 ]]; then
    echo "fuzz: FAILED"
    exit 1
fi
echo "fuzz: passed"
