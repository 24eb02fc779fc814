# shellcheck shell=bash
# tools/lib.sh — helpers shared by tools/demo.sh and tools/test.sh.
#
# Source it (do not execute it):   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Functions:
#   spm_install_packages  apt-install the build/test dependencies that are missing
#   spm_build_install     make + make install against PostgreSQL 15, quietly
#                         (make's output goes to build.log)
#   spm_cluster_start     use the server named by PG* variables, or start a
#                         throwaway cluster (stopped and removed on exit)
#   spm_cluster_stop      stop + remove the throwaway cluster now (idempotent)
#   spm_psql              psql -X -v ON_ERROR_STOP=1 -q "$@"
#
# Environment knobs:
#   SPM_PGPORT=54329        first port tried for the throwaway cluster
#   SPM_KEEP_CLUSTER=1      leave the throwaway cluster running at exit
#   SPM_USE_EXISTING=0      ignore PGHOST/PGPORT/PGDATABASE, always start a throwaway cluster
#   SPM_SKIP_APT=1          never call apt-get (dependencies installed by other means)
#   SPM_WERROR=1            build with `make WERROR=1` (warnings are errors; set by the test run)
#   SPM_BUILD_LOG=FILE      where make's output goes (default: build.log in the repository)
#
# Every function returns non-zero on failure (it does not rely on `set -e`),
# so it is safe to call inside `if`/`||`.
#
# Sourcing this file installs an EXIT trap (spm__on_exit: stops the throwaway
# cluster, removes the paths listed in SPM_CLEANUP_PATHS); scripts must not
# replace it.

set -euo pipefail

SPM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
SPM_PGBIN=/usr/lib/postgresql/15/bin
SPM_PG_CONFIG="$SPM_PGBIN/pg_config"
SPM_PACKAGES=(
    build-essential
    postgresql-15
    postgresql-server-dev-15
    postgresql-15-pgtap
    postgresql-15-cron
    libtap-parser-sourcehandler-pgtap-perl
)

# No pagers, no TTY needed; PostgreSQL 15 client binaries first on PATH
# (pg_prove and pg_regress's callers run plain `psql`).
export PAGER=cat PSQL_PAGER=cat
export PATH="$SPM_PGBIN:$PATH"

spm_log()  { printf '==> %s\n' "$*"; }
spm_warn() { printf '==> WARNING: %s\n' "$*" >&2; }
spm_err()  { printf '==> ERROR: %s\n' "$*" >&2; }
spm_die()  { spm_err "$*"; exit 1; }

spm_is_root() { [[ $(id -u) -eq 0 ]]; }

# Run a command as root: directly when root, else through passwordless sudo.
spm_as_root() {
    if spm_is_root; then
        "$@"
    else
        if ! command -v sudo >/dev/null 2>&1; then
            spm_err "need root for: $*  (not root, and sudo is not installed)"
            return 1
        fi
        if ! sudo -n true 2>/dev/null; then
            spm_err "need root for: $*  (not root, and 'sudo -n' is not allowed without a password;" \
                "run 'sudo -v' first or configure passwordless sudo)"
            return 1
        fi
        sudo -n "$@"
    fi
}

spm_pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

spm_install_packages() {
    local missing=() p
    for p in "${SPM_PACKAGES[@]}"; do
        spm_pkg_installed "$p" || missing+=("$p")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        spm_log "all required Debian packages are installed"
        return 0
    fi
    if [[ ${SPM_SKIP_APT:-0} == 1 ]]; then
        spm_warn "SPM_SKIP_APT=1: not installing missing packages: ${missing[*]}"
        return 0
    fi
    spm_log "installing missing Debian packages: ${missing[*]}"
    spm_as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q </dev/null || {
        spm_err "apt-get update failed"; return 1; }
    spm_as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
        --no-install-recommends "${missing[@]}" </dev/null || {
        spm_err "apt-get install failed for: ${missing[*]}"; return 1; }
    for p in "${missing[@]}"; do
        spm_pkg_installed "$p" || { spm_err "package $p is still not installed"; return 1; }
    done
}

spm_build_install() {
    [[ -x $SPM_PG_CONFIG ]] || {
        spm_err "$SPM_PG_CONFIG not found (is postgresql-server-dev-15 installed?)"; return 1; }
    # make's command lines go to a log file; the console gets one line per
    # step, the compiler's warnings, and the log's tail when a step fails.
    local log=${SPM_BUILD_LOG:-$SPM_ROOT/build.log} werror=() nwarn
    if [[ ${SPM_WERROR:-0} == 1 ]]; then werror=(WERROR=1); fi
    : >"$log" || { spm_err "cannot write the build log $log"; return 1; }
    if ! (cd "$SPM_ROOT" && make -j"$(nproc 2>/dev/null || echo 2)" PG_CONFIG="$SPM_PG_CONFIG" \
              "${werror[@]}") >>"$log" 2>&1; then
        spm_err "build failed (make PG_CONFIG=$SPM_PG_CONFIG ${werror[*]}); last lines of $log:"
        tail -n 40 "$log" >&2
        return 1
    fi
    nwarn=$(grep -c 'warning:' "$log" || true)
    if [[ $nwarn -gt 0 ]]; then
        spm_warn "the build printed $nwarn compiler warning(s):"
        grep -A3 'warning:' "$log" >&2 || true
    fi
    spm_log "built spm (log: $log)"
    if ! (cd "$SPM_ROOT" && spm_as_root make install PG_CONFIG="$SPM_PG_CONFIG") >>"$log" 2>&1; then
        spm_err "make install failed; last lines of $log:"
        tail -n 40 "$log" >&2
        return 1
    fi
    spm_log "installed spm into PostgreSQL 15 ($("$SPM_PG_CONFIG" --sharedir)/extension)"
}

# ---------------------------------------------------------------- cluster ---

SPM_PGTMP=""        # temp dir of the throwaway cluster ("" when none)
SPM_PGDATA=""
SPM_PGLOG=""
SPM_CLEANUP_PATHS=()   # extra temp files/dirs removed at exit (append to it)

# Run a server-side PostgreSQL binary (initdb, pg_ctl) as the cluster owner.
spm__as_owner() {
    if spm_is_root; then
        (cd "$SPM_PGTMP" && runuser -u postgres -- "$@")
    else
        (cd "$SPM_PGTMP" && "$@")
    fi
}

spm__port_busy() {
    local p=$1 d
    for d in /tmp /var/run/postgresql /run/postgresql; do
        [[ -e $d/.s.PGSQL.$p ]] && return 0
    done
    # Something listening on TCP localhost:$p?
    if timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$p" 2>/dev/null; then
        return 0
    fi
    return 1
}

# Stop the throwaway cluster and remove its directory (or, with
# SPM_KEEP_CLUSTER=1, print how to use and stop it).  Idempotent; also run by
# the EXIT trap, so scripts call it explicitly only to control output order.
spm_cluster_stop() {
    [[ -n $SPM_PGTMP && -d $SPM_PGTMP ]] || { SPM_PGTMP=""; return 0; }
    if [[ ${SPM_KEEP_CLUSTER:-0} == 1 ]]; then
        local stop="$SPM_PGBIN/pg_ctl -D $SPM_PGDATA -m fast stop && rm -rf $SPM_PGTMP"
        spm_is_root && stop="runuser -u postgres -- $stop"
        spm_log "SPM_KEEP_CLUSTER=1: throwaway cluster left running (log: $SPM_PGLOG)"
        spm_log "  connect: PGHOST=$SPM_PGTMP PGPORT=$PGPORT PGUSER=postgres psql -d postgres"
        spm_log "  stop:    $stop"
    else
        spm_log "stopping throwaway cluster and removing $SPM_PGTMP"
        if [[ -f $SPM_PGDATA/postmaster.pid ]]; then
            spm__as_owner "$SPM_PGBIN/pg_ctl" -D "$SPM_PGDATA" -m immediate -w stop >/dev/null 2>&1 ||
                spm_warn "pg_ctl stop failed"
        fi
        rm -rf "$SPM_PGTMP" || spm_warn "could not remove $SPM_PGTMP"
    fi
    SPM_PGTMP=""
}

spm__on_exit() {
    local rc=$?
    cd / || true
    spm_cluster_stop || true
    if [[ ${#SPM_CLEANUP_PATHS[@]} -gt 0 ]]; then
        rm -rf "${SPM_CLEANUP_PATHS[@]}" || true
    fi
    return "$rc"
}
trap spm__on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

spm_cluster_start() {
    if [[ ${SPM_USE_EXISTING:-1} != 0 &&
          -n "${PGHOST:-}${PGHOSTADDR:-}${PGPORT:-}${PGDATABASE:-}${PGSERVICE:-}" ]]; then
        spm_log "using the existing server from the environment" \
            "(PGHOST=${PGHOST:-} PGPORT=${PGPORT:-} PGUSER=${PGUSER:-} PGDATABASE=${PGDATABASE:-}); set SPM_USE_EXISTING=0 to start a throwaway cluster instead"
        if ! pg_isready -q -t 10; then
            spm_err "the server named by the PG* variables does not answer (pg_isready):"
            pg_isready -t 1 >&2 || true
            return 1
        fi
        local v spl
        v=$(psql -X -qAt -c 'SELECT version()' 2>&1) || {
            spm_err "cannot run queries on the existing server: $v"; return 1; }
        spm_log "server: $v"
        spl=$(psql -X -qAt -c 'SHOW shared_preload_libraries' 2>/dev/null || true)
        [[ $spl == *pg_cron* ]] ||
            spm_warn "pg_cron is not in shared_preload_libraries on this server (scheduling features/tests may fail)"
        return 0
    fi

    [[ -x $SPM_PGBIN/initdb && -x $SPM_PGBIN/pg_ctl ]] || {
        spm_err "$SPM_PGBIN/initdb not found (is postgresql-15 installed?)"; return 1; }

    local port=${SPM_PGPORT:-54329} tries=0
    while spm__port_busy "$port"; do
        port=$((port + 1)); tries=$((tries + 1))
        [[ $tries -lt 200 ]] || { spm_err "no free port found from ${SPM_PGPORT:-54329}"; return 1; }
    done

    SPM_PGTMP=$(mktemp -d /tmp/spm-pg.XXXXXX) || { spm_err "mktemp failed"; return 1; }
    SPM_PGDATA=$SPM_PGTMP/data
    SPM_PGLOG=$SPM_PGTMP/server.log

    if spm_is_root; then
        if ! id -u postgres >/dev/null 2>&1; then
            spm_log "creating the postgres OS user"
            useradd --system --user-group --home-dir /var/lib/postgresql --shell /bin/bash postgres ||
                { spm_err "useradd postgres failed"; return 1; }
        fi
        chown postgres: "$SPM_PGTMP" || { spm_err "chown $SPM_PGTMP failed"; return 1; }
    fi

    spm_log "creating throwaway cluster in $SPM_PGTMP (port $port)"
    spm__as_owner "$SPM_PGBIN/initdb" -D "$SPM_PGDATA" --auth=trust --username=postgres \
        --encoding=UTF8 --locale=C >"$SPM_PGTMP/initdb.log" 2>&1 || {
        spm_err "initdb failed:"; cat "$SPM_PGTMP/initdb.log" >&2; return 1; }

    cat >>"$SPM_PGDATA/postgresql.conf" <<EOF

# ---- added by tools/lib.sh (throwaway test cluster) ----
port = $port
listen_addresses = ''
unix_socket_directories = '$SPM_PGTMP'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
max_parallel_workers = 8
max_parallel_workers_per_gather = 2
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
logging_collector = off
EOF

    spm_log "starting throwaway cluster"
    if ! spm__as_owner "$SPM_PGBIN/pg_ctl" -D "$SPM_PGDATA" -l "$SPM_PGLOG" -w -t 60 start >/dev/null; then
        spm_err "the server failed to start; server log ($SPM_PGLOG):"
        cat "$SPM_PGLOG" >&2 || true
        return 1
    fi

    export PGHOST=$SPM_PGTMP PGPORT=$port PGUSER=postgres PGDATABASE=postgres
    unset PGHOSTADDR PGSERVICE PGPASSWORD 2>/dev/null || true
    pg_isready -q -t 30 || {
        spm_err "server started but does not answer; log:"; cat "$SPM_PGLOG" >&2; return 1; }
    spm_log "server ready: PGHOST=$PGHOST PGPORT=$PGPORT PGUSER=$PGUSER PGDATABASE=$PGDATABASE"
}

spm_psql() {
    psql -X -v ON_ERROR_STOP=1 -q "$@"
}
