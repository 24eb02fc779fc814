#!/usr/bin/env bash
# tools/sqlsmith.sh — random SQL (sqlsmith) against a database with spm and
# its sample data, for a fixed budget; exit non-zero on a server crash or on
# SQLSTATE XX000 raised by spm (an elog of src/*.c).
#
#   flock /tmp/spm-install.lock bash tools/sqlsmith.sh   (it runs `make install`)
#
# Knobs: SQLSMITH_SECONDS=60, SQLSMITH_SEED=1, SQLSMITH_MAX_QUERIES=0 (no cap).
# Uses a throwaway cluster (tools/lib.sh), or the server named by PG*.
# See docs/fuzzing.md.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SPM_ROOT"

SQLSMITH_SECONDS=${SQLSMITH_SECONDS:-60}
SQLSMITH_SEED=${SQLSMITH_SEED:-1}
SQLSMITH_MAX_QUERIES=${SQLSMITH_MAX_QUERIES:-0}
DB=spm_smith
LOGDB=spm_smith_log

if ! command -v sqlsmith >/dev/null; then
    if [[ ${SPM_SKIP_APT:-0} == 1 ]]; then spm_die "sqlsmith is not installed (apt-get install sqlsmith)"; fi
    spm_log "installing sqlsmith"
    spm_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends sqlsmith </dev/null ||
        spm_die "apt-get install sqlsmith failed"
fi
spm_install_packages
spm_build_install || spm_die "build failed"
spm_cluster_start || spm_die "no server"

PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists "$DB"
PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists "$LOGDB"
createdb "$DB"
createdb "$LOGDB"
# sqlsmith's --log-to schema (its log.sql, which Debian does not ship)
spm_psql -d "$LOGDB" -c "
    CREATE TABLE instance (id bigserial PRIMARY KEY, rev text, target text, hostname text,
                           version text, seed text, t timestamptz DEFAULT now());
    CREATE TABLE error (id bigint, msg text, query text, target text, sqlstate text,
                        t timestamptz DEFAULT now());
    CREATE TABLE stat (id bigint, generated bigint, level float8, nodes float8, retries float8,
                       updated timestamptz, impedance jsonb);"
# spm, its sample data and the payout demo (spm_payout's catalog, runs and views)
spm_psql -d "$DB" -f data/demo.sql >/dev/null
# a few schedules for sqlsmith to find in a table
spm_psql -d "$DB" -c "CREATE TABLE public.plans AS SELECT * FROM (VALUES
    (1, 'marginal(0: 0.02, 10000: 0.04, 50000: 0.07)'::spm.schedule, 100000::numeric),
    (2, 'cap(gate(curve(0: 0, 1000000: 5000), 1000), 4000)', 0),
    (3, 'retroactive(0: 0.05, 0.5: 0.08, 1.25: 0.12)', 1683.3333333333333333)) v(id, s, quota)"
# sqlsmith never gets to exhaust the disk or wait on a lock for long
spm_psql -d "$DB" -c "ALTER DATABASE $DB SET statement_timeout = '5s'"

conn="host=$PGHOST port=$PGPORT user=${PGUSER:-postgres} dbname=$DB"
logconn="host=$PGHOST port=$PGPORT user=${PGUSER:-postgres} dbname=$LOGDB"
args=(--target="$conn" --log-to="$logconn" --seed="$SQLSMITH_SEED" --exclude-catalog)
[[ $SQLSMITH_MAX_QUERIES -gt 0 ]] && args+=(--max-queries="$SQLSMITH_MAX_QUERIES")
spm_log "sqlsmith: ${SQLSMITH_SECONDS}s, seed $SQLSMITH_SEED"
# a sentinel backend: a backend crash makes the server end every session
psql -X -qAt -d "$LOGDB" -c "SELECT pg_sleep($SQLSMITH_SECONDS + 120)" >/dev/null 2>&1 &
sentinel=$!
rc=0
timeout --signal=INT "$SQLSMITH_SECONDS" sqlsmith "${args[@]}" >"$SPM_PGTMP/sqlsmith.out" 2>&1 || rc=$?
tail -n 5 "$SPM_PGTMP/sqlsmith.out" || true

FAILED=0
if ! pg_isready -q -t 10; then
    spm_err "the server does not answer after sqlsmith"
    FAILED=1
fi
if ! kill -0 "$sentinel" 2>/dev/null; then
    spm_err "the server ended every session during sqlsmith (a backend crashed)"
    FAILED=1
else
    kill "$sentinel" 2>/dev/null || true
    psql -X -qAt -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                                  WHERE datname = '$LOGDB' AND query LIKE 'SELECT pg_sleep(%'" >/dev/null 2>&1 || true
fi
wait "$sentinel" 2>/dev/null || true
# the server log: ours, or the one tools/test.sh tells us about (SPM_SERVER_LOG)
log=${SPM_PGLOG:-${SPM_SERVER_LOG:-}}
if [[ -n $log && -f $log ]] &&
    grep -E 'terminated by signal|server process .* was terminated|PANIC' "$log"; then
    spm_err "the server crashed during sqlsmith (log above)"
    FAILED=1
fi
# sqlsmith's log: error(msg, query, sqlstate, ...) per failed query.  XX000
# from spm is an elog in src/*.c: every such message names spm, a schedule,
# numeric[] or float8_numeric (PostgreSQL's own XX000s, which random SQL over
# spm's views can also reach, are not spm's and are not counted).
SPM_XX000="sqlstate = 'XX000' AND msg ~* '(spm|schedule|numeric\\[\\]|float8_numeric|non-aggregate context|type of rep)'"
n=$(psql -X -qAt -d "$LOGDB" -c "SELECT count(*) FROM error WHERE $SPM_XX000") || {
    spm_err "cannot read sqlsmith's error log"; n=unknown; }
spm_log "sqlsmith: $(psql -X -qAt -d "$LOGDB" -c 'SELECT max(generated) FROM stat' 2>/dev/null || echo '?') queries generated, $(psql -X -qAt -d "$LOGDB" -c 'SELECT count(*) FROM error' 2>/dev/null || echo '?') errors; XX000 from spm: $n"
if [[ $n != 0 ]]; then
    spm_err "XX000 from queries calling spm:"
    psql -X -qAt -d "$LOGDB" -c "SELECT msg, left(query, 500) FROM error WHERE $SPM_XX000 LIMIT 10" >&2 || true
    FAILED=1
fi
spm_cluster_stop
if [[ $FAILED -ne 0 ]]; then echo "sqlsmith: FAILED"; exit 1; fi
echo "sqlsmith: passed"
