#!/usr/bin/env bash
# tools/valgrind.sh — run spm's test suites with the server under valgrind
# memcheck and summarise the memory errors whose stacks reach spm's C code.
#
#   bash tools/valgrind.sh [build] [start] [regress] [tap] [stop] [summary]
#
# With no argument every phase runs, in that order.  Phases:
#   build    make clean; make COPT='-O0 -g' (readable stacks); make install
#   start    initdb a fresh cluster in $VG_DIR/data and start its postmaster
#            under valgrind (pg_ctl -p wrapper, -t 600); every forked backend
#            writes its own $VG_DIR/vg/PID.log
#   regress  make installcheck (pg_regress, all of sql/*.sql)
#   tap      pg_prove on test/*.sql, one file at a time, in database spm_tap;
#            $VG_SLOW (default test/commission.sql) runs last and is killed
#            after $VG_SLOW_TIMEOUT seconds (default 900)
#   stop     pg_ctl stop -m fast (the exiting processes print their leaks)
#   summary  de-duplicate and classify the errors of $VG_DIR/vg/*.log into
#            $VG_DIR/summary.txt; exit status 1 if any involves spm code
#
# The support files are written into $VG_DIR by this script (see the end of
# it): valgrind.supp (known PostgreSQL/libc noise), valgrind_palloc.c (palloc
# wrappers, below) and valgrind_summary.py (the summary).
#
# Environment:
#   PG_CONFIG        pg_config of the PostgreSQL 15 to use (default Debian's);
#                    `make install` writes into its directories
#   VG_DIR           work directory (default /tmp/spm-vg); the cluster, the
#                    logs ($VG_DIR/vg/*.log) and the timings ($VG_DIR/times)
#   VG_PORT          port of the cluster (default 55444)
#   VG_SUPP          suppression file (default $VG_DIR/valgrind.supp, written
#                    from the copy at the end of this script)
#   VG_PALLOC        1 (default): preload valgrind_palloc.so, whose wrappers
#                    mark every chunk from palloc / palloc_extended /
#                    MemoryContextAlloc[Extended] undefined, as a USE_VALGRIND
#                    build does, so reads of never-written bytes of a palloc'd
#                    chunk (struct padding, unset fields) are reported and
#                    --track-origins names the palloc call; 0: off
#   VG_ERROR_EXITCODE  valgrind --error-exitcode (default 1; 0: none)
#   VG_TAP_FILES     pgTAP files to run (default: test/*.sql)
#
# PostgreSQL is not built with USE_VALGRIND: palloc chunks inside a memory
# context block are not tracked one by one, so an overrun of a palloc'd
# chunk is only seen when it leaves the malloc'd block (chunks over 8 kB have
# their own), and a recycled chunk keeps the definedness of its earlier use
# (VG_PALLOC=1 puts that right).  The summary lists (1) errors with an spm
# frame in their stack, (2) errors whose origin (allocation, stack frame) or
# enclosing block is in spm, (3) counts of everything else, plus how often
# each suppression was used.
#
# The suppression pg_padding_wal_pwrite also hides uninitialised bytes that
# reach the WAL from a heap tuple; to see their origins, run once with
# VG_ERROR_EXITCODE=0 and VG_SUPP=a copy of $VG_DIR/valgrind.supp without that
# entry (exit code 0: the startup process's own WAL write no longer fails it).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
BINDIR=$("$PG_CONFIG" --bindir)
VG_DIR=${VG_DIR:-/tmp/spm-vg}
VG_PORT=${VG_PORT:-55444}
VG_SUPP=${VG_SUPP:-$VG_DIR/valgrind.supp}
VG_SLOW=${VG_SLOW:-test/commission.sql}
VG_SLOW_TIMEOUT=${VG_SLOW_TIMEOUT:-900}
DATA=$VG_DIR/data
export PATH="$BINDIR:$PATH" PAGER=cat
export PGHOST=$VG_DIR PGPORT=$VG_PORT PGUSER=postgres
unset PGDATABASE PGSERVICE PGHOSTADDR

log() { printf '==> [%s] %s\n' "$(date +%T)" "$*"; }
as_owner() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }

# timed LABEL CMD... — run CMD, append "LABEL SECONDS rc=RC" to $VG_DIR/times.
timed() {
    local label=$1 t0 rc
    shift
    t0=$(date +%s)
    "$@"
    rc=$?
    echo "$label $(($(date +%s) - t0))s rc=$rc" | tee -a "$VG_DIR/times"
    return $rc
}

phase_build() {
    cd "$ROOT" || return 1
    make clean PG_CONFIG="$PG_CONFIG" >/dev/null &&
        make PG_CONFIG="$PG_CONFIG" COPT='-O0 -g' >"$VG_DIR/build.log" 2>&1 &&
        make install PG_CONFIG="$PG_CONFIG" >>"$VG_DIR/build.log" 2>&1 ||
        { tail -20 "$VG_DIR/build.log"; return 1; }
    log "built and installed spm with -O0 -g"
}

phase_start() {
    if [[ -f $DATA/postmaster.pid ]]; then
        log "a cluster is already running in $DATA"; return 1
    fi
    rm -rf "$DATA" "$VG_DIR/vg" "$VG_DIR/server.log" "$VG_DIR/times" "$VG_DIR/regress.log" "$VG_DIR/tap.log"
    mkdir -p "$VG_DIR/vg"
    [[ $(id -u) -eq 0 ]] && chown postgres "$VG_DIR" "$VG_DIR/vg"
    as_owner "$BINDIR/initdb" -D "$DATA" --auth=trust -U postgres -E UTF8 --locale=C \
        >"$VG_DIR/initdb.log" 2>&1 || { cat "$VG_DIR/initdb.log"; return 1; }
    cat >>"$DATA/postgresql.conf" <<EOF
# ---- tools/valgrind.sh ----
listen_addresses = ''
port = $VG_PORT
unix_socket_directories = '$VG_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
jit = off
max_worker_processes = 16
max_parallel_workers = 8
max_parallel_workers_per_gather = 2
autovacuum = off
log_min_messages = warning
log_line_prefix = '%m [%p] '
log_connections = on
EOF
    # The postmaster is the wrapper's own pid (exec all the way), so pg_ctl's
    # pid check holds.  --error-exitcode=$VG_ERROR_EXITCODE (default 1): a
    # backend that exits 1 is an ordinary FATAL for the postmaster, any other
    # code would make it treat the exit as a crash and restart every backend.
    # An error in an auxiliary process (startup, checkpointer) still stops the
    # server: the suppression file must cover PostgreSQL's own noise.  Leaks
    # are listed (--leak-check=full) but do not set the exit code.
    local preload=""
    if [[ ${VG_PALLOC:-1} == 1 ]]; then
        cc -O2 -fPIC -shared -o "$VG_DIR/valgrind_palloc.so" "$VG_DIR/valgrind_palloc.c" || return 1
        preload="LD_PRELOAD=$VG_DIR/valgrind_palloc.so"
    fi
    cat >"$VG_DIR/postgres-vg" <<EOF
#!/bin/sh
exec env $preload valgrind --tool=memcheck --trace-children=yes --track-origins=yes \\
    --read-inline-info=yes --read-var-info=yes --error-exitcode=${VG_ERROR_EXITCODE:-1} \\
    --leak-check=full --show-leak-kinds=definite,indirect --errors-for-leak-kinds=none \\
    --num-callers=40 --gen-suppressions=all --show-error-list=yes \\
    --suppressions=$VG_SUPP --log-file=$VG_DIR/vg/%p.log \\
    $BINDIR/postgres "\$@"
EOF
    chmod 755 "$VG_DIR/postgres-vg"
    timed start as_owner "$BINDIR/pg_ctl" -D "$DATA" -l "$VG_DIR/server.log" \
        -p "$VG_DIR/postgres-vg" -w -t 600 start || { tail -30 "$VG_DIR/server.log"; return 1; }
    log "postmaster under valgrind: PGHOST=$PGHOST PGPORT=$PGPORT"
}

phase_regress() {
    cd "$ROOT" || return 1
    rm -f regression.diffs regression.out
    timed installcheck make installcheck PG_CONFIG="$PG_CONFIG" 2>&1 | tee "$VG_DIR/regress.log"
}

phase_tap() {
    local f files=() slow=""
    cd "$ROOT" || return 1
    if [[ -n ${VG_TAP_FILES:-} ]]; then
        read -r -a files <<<"$VG_TAP_FILES"
    else
        for f in test/*.sql; do
            if [[ $f == "$VG_SLOW" ]]; then slow=$f; else files+=("$f"); fi
        done
    fi
    PGOPTIONS="-c client_min_messages=warning" dropdb --if-exists spm_tap
    createdb spm_tap && psql -X -q -d spm_tap -c 'CREATE EXTENSION pgtap; CREATE EXTENSION spm_payout CASCADE;' ||
        return 1
    for f in "${files[@]}"; do
        timed "pg_prove:$f" pg_prove -d spm_tap "$f" 2>&1 | tee -a "$VG_DIR/tap.log"
    done
    if [[ -n $slow ]]; then
        timed "pg_prove:$slow(timeout ${VG_SLOW_TIMEOUT}s)" \
            timeout "$VG_SLOW_TIMEOUT" pg_prove -d spm_tap "$slow" 2>&1 | tee -a "$VG_DIR/tap.log"
    fi
}

phase_stop() {
    [[ -f $DATA/postmaster.pid ]] || { log "no cluster running"; return 0; }
    timed stop as_owner "$BINDIR/pg_ctl" -D "$DATA" -m fast -w -t 600 stop
}

phase_summary() {
    python3 "$VG_DIR/valgrind_summary.py" "$ROOT" "$VG_DIR/vg" "$VG_DIR/server.log" | tee "$VG_DIR/summary.txt"
}

write_support_files() {
    cat >"$VG_DIR/valgrind.supp" <<'VG_SUPP_EOF'
# valgrind.supp — known PostgreSQL / libc noise (written by tools/valgrind.sh).
#
# The server is Debian's stock PostgreSQL 15: not built with USE_VALGRIND and
# stripped, so only exported functions have names (static ones show as
# "obj:.../postgres").  Each entry is anchored on PostgreSQL frames that spm
# never sits between: an error with an spm.so frame in its stack is never
# matched.  Caveat: valgrind drops a suppressed error whole, origin included,
# so uninitialised bytes that spm put into a heap tuple and that reach disk
# only through the WAL write below would be hidden; spm's own reads of such
# bytes (memcmp in equality, hashing, output) are still reported.

# --- Raw binary structs with padding written to disk (as in PostgreSQL's
# own src/tools/valgrind.supp: the readers ignore the padding).

# WAL pages: XLogWrite (static) called from XLogFlush / XLogBackgroundFlush.
{
	pg_padding_wal_pwrite
	Memcheck:Param
	pwrite64(buf)
	fun:pwrite
	obj:*/bin/postgres
	fun:XLog*Flush
}
# WAL record CRC over padding bytes (XLogRecordAssemble / EndPrepare).
{
	pg_padding_xlog_crc
	Memcheck:Value8
	fun:pg_comp_crc32c*
	...
	fun:XLogInsert
}
{
	pg_padding_twophase_crc
	Memcheck:Value8
	fun:pg_comp_crc32c*
	fun:EndPrepare
}
# Relation cache init file (write_relcache_init_file, static, via fwrite).
{
	pg_padding_relcache_init_file
	Memcheck:Param
	write(buf)
	...
	fun:fwrite
	obj:*/bin/postgres
	...
	fun:RelationCacheInitializePhase3
}
# Cumulative statistics file at shutdown (pgstat_write_statsfile, static).
{
	pg_padding_pgstat_file
	Memcheck:Param
	write(buf)
	...
	fun:fwrite
	obj:*/bin/postgres
	...
	fun:pgstat_before_server_shutdown
}
{
	pg_atomic_init_u64
	Memcheck:Cond
	fun:pg_atomic_exchange_u64_impl
	fun:pg_atomic_write_u64_impl
	fun:pg_atomic_init_u64_impl
}

# --- Process-lifetime allocations the postmaster never frees (argv copies
# for ps display, the data directory name); reported as leaks in every
# forked child.
{
	pg_leak_ps_display_args
	Memcheck:Leak
	match-leak-kinds: definite,indirect
	fun:malloc
	...
	fun:save_ps_display_args
	fun:main
}
{
	pg_leak_postmaster_strdup
	Memcheck:Leak
	match-leak-kinds: definite,indirect
	fun:malloc
	fun:strdup
	fun:PostmasterMain
	fun:main
}

# --- libc / valgrind interplay.
# The regex cache moves its entries with memmove; under _FORTIFY_SOURCE that
# is __memmove_chk, which glibc aliases to __memcpy_chk, so memcheck's
# memcpy overlap check fires on a legitimate overlapping move.
{
	pg_regex_cache_memmove_chk
	Memcheck:Overlap
	fun:__memcpy_chk
	fun:RE_compile_and_cache
}
VG_SUPP_EOF
    cat >"$VG_DIR/valgrind_palloc.c" <<'VG_PALLOC_EOF'
/*
 * valgrind_palloc.c — valgrind function wrappers for PostgreSQL's palloc
 * family, preloaded into the server by tools/valgrind.sh.
 *
 * Debian's PostgreSQL is not built with USE_VALGRIND, so a chunk handed out
 * by palloc from an existing memory context block keeps whatever definedness
 * its bytes had before (defined, once any earlier chunk there was written).
 * Reads of never-written bytes of a palloc'd chunk (struct padding, a field
 * left unset, a buffer tail) then go unseen.  These wrappers mark every chunk
 * returned by a non-zeroing palloc as undefined for its requested size, which
 * is what a USE_VALGRIND build does, so memcheck reports such reads again and
 * --track-origins names the palloc call.  Only definedness is changed: no
 * byte is made inaccessible, so the allocator itself never trips on them.
 * repalloc is left alone (the old size is not known here).
 *
 * Built by the start phase: cc -O2 -fPIC -shared.
 */
#include <stddef.h>
#include <valgrind/valgrind.h>
#include <valgrind/memcheck.h>

#define MCXT_ALLOC_ZERO 0x04	/* utils/palloc.h */

/* "NONE" is valgrind's soname for the main executable, the postgres binary. */

void	   *I_WRAP_SONAME_FNNAME_ZU(NONE, palloc) (size_t size);
void	   *I_WRAP_SONAME_FNNAME_ZU(NONE, palloc_extended) (size_t size, int flags);
void	   *I_WRAP_SONAME_FNNAME_ZU(NONE, MemoryContextAlloc) (void *cxt, size_t size);
void	   *I_WRAP_SONAME_FNNAME_ZU(NONE, MemoryContextAllocExtended) (void *cxt, size_t size, int flags);

/* palloc(size): the common case. */
void *
I_WRAP_SONAME_FNNAME_ZU(NONE, palloc) (size_t size)
{
	OrigFn		fn;
	void	   *p;

	VALGRIND_GET_ORIG_FN(fn);
	CALL_FN_W_W(p, fn, size);
	if (p)
		VALGRIND_MAKE_MEM_UNDEFINED(p, size);
	return p;
}

/* palloc_extended(size, flags): undefined unless MCXT_ALLOC_ZERO. */
void *
I_WRAP_SONAME_FNNAME_ZU(NONE, palloc_extended) (size_t size, int flags)
{
	OrigFn		fn;
	void	   *p;

	VALGRIND_GET_ORIG_FN(fn);
	CALL_FN_W_WW(p, fn, size, flags);
	if (p && !(flags & MCXT_ALLOC_ZERO))
		VALGRIND_MAKE_MEM_UNDEFINED(p, size);
	return p;
}

/* MemoryContextAlloc(cxt, size): palloc into a named context. */
void *
I_WRAP_SONAME_FNNAME_ZU(NONE, MemoryContextAlloc) (void *cxt, size_t size)
{
	OrigFn		fn;
	void	   *p;

	VALGRIND_GET_ORIG_FN(fn);
	CALL_FN_W_WW(p, fn, cxt, size);
	if (p)
		VALGRIND_MAKE_MEM_UNDEFINED(p, size);
	return p;
}

/* MemoryContextAllocExtended(cxt, size, flags): as palloc_extended. */
void *
I_WRAP_SONAME_FNNAME_ZU(NONE, MemoryContextAllocExtended) (void *cxt, size_t size, int flags)
{
	OrigFn		fn;
	void	   *p;

	VALGRIND_GET_ORIG_FN(fn);
	CALL_FN_W_WWW(p, fn, cxt, size, flags);
	if (p && !(flags & MCXT_ALLOC_ZERO))
		VALGRIND_MAKE_MEM_UNDEFINED(p, size);
	return p;
}
VG_PALLOC_EOF
    cat >"$VG_DIR/valgrind_summary.py" <<'VG_SUMMARY_EOF'
#!/usr/bin/env python3
"""Summarise valgrind memcheck logs written by tools/valgrind.sh.

usage: valgrind_summary.py SPM_ROOT LOGDIR [SERVER_LOG]

Reads every LOGDIR/*.log (one per process, --log-file=%p.log), splits them
into error records, de-duplicates them by kind and stack (function and
file:line, no addresses) and prints:
  1. errors with a frame of spm's code in the failing stack,
  2. errors whose auxiliary stack (origin of an uninitialised value, block
     that an invalid address belongs to) has a frame of spm's code,
  3. counts of all other errors, by kind and top frames,
plus the suppressed counts that valgrind reports per process.
SERVER_LOG (with log_connections=on) maps a pid to its database and
application_name (pg_regress/TEST), so each record names the test(s).
Exit status 1 when section 1 or 2 is non-empty.
"""
import collections
import glob
import os
import re
import sys

SPM_FILES = set()      # basenames of spm's src/*.[ch], set by main()
PREFIX = re.compile(r"^==(\d+)== ?(.*)$")
FRAME = re.compile(r"^\s+(?:at|by) 0x[0-9A-Fa-f]+: (.*)$")
FRAME_FILE = re.compile(r"\(([^():]+):\d+\)$")


def is_spm_frame(frame):
    """A frame of spm: its source file is one of src/*.[ch], or spm.so."""
    m = FRAME_FILE.search(frame)
    if m and m.group(1) in SPM_FILES:
        return True
    return "/spm.so)" in frame


def parse_log(path):
    """Yield (pid, record) for each error record of one valgrind log.

    A record is a dict: head (first line), stacks (list of (title, frames))."""
    blocks, cur = [], []
    pid = None
    with open(path, errors="replace") as f:
        for line in f:
            m = PREFIX.match(line.rstrip("\n"))
            if not m:
                continue        # --gen-suppressions blocks, not prefixed
            pid = m.group(1)
            text = m.group(2)
            if text.strip() == "":
                if cur:
                    blocks.append(cur)
                cur = []
            else:
                cur.append(text)
    if cur:
        blocks.append(cur)
    for b in blocks:
        # --show-error-list=yes repeats every error at exit, after a line
        # "N errors in context K of M:"; count each error once.
        if re.match(r"^[\d,]+ errors in context", b[0]):
            continue
        if not any(FRAME.match(l) for l in b):
            continue
        rec = {"head": b[0], "stacks": []}
        title, frames = "", []
        for l in b[1:]:
            fm = FRAME.match(l)
            if fm:
                frames.append(fm.group(1))
            else:
                if frames or title:
                    rec["stacks"].append((title, frames))
                title, frames = l.strip(), []
        rec["stacks"].append((title, frames))
        yield pid, rec


def norm_head(head):
    """Kind of an error, without the numbers that vary between instances."""
    h = re.sub(r"0x[0-9A-Fa-f]+", "0x", head)
    h = re.sub(r"^[\d,]+ (\([\d,]+ direct, [\d,]+ indirect\) )?bytes in [\d,]+ blocks", "N bytes in N blocks", h)
    h = re.sub(r"in loss record [\d,]+ of [\d,]+", "", h)
    return h.strip()


def norm_title(t):
    t = re.sub(r"0x[0-9A-Fa-f]+", "0x", t)
    return re.sub(r"\d+ bytes", "N bytes", t)


def main():
    SPM_FILES.update(os.path.basename(p) for p in glob.glob(os.path.join(sys.argv[1], "src", "*.[ch]")))
    logdir = sys.argv[2]
    who = {}
    if len(sys.argv) > 3 and os.path.exists(sys.argv[3]):
        conn = re.compile(r"\[(\d+)\] LOG:  connection authorized: user=\S+ database=(\S+)(?: application_name=(\S+))?")
        with open(sys.argv[3], errors="replace") as f:
            for line in f:
                m = conn.search(line)
                if m:
                    who[m.group(1)] = m.group(2) + ("/" + m.group(3) if m.group(3) else "")
    spm, origin, other = {}, {}, collections.Counter()
    sections = collections.OrderedDict()
    suppressed = errors = nlogs = 0
    used = collections.Counter()
    used_re = re.compile(r"^--\d+-- used_suppression: +([\d,]+) (\S+)")
    supp_re = re.compile(r"ERROR SUMMARY: (\d+) errors from \d+ contexts \(suppressed: (\d+) from")
    for path in sorted(glob.glob(os.path.join(logdir, "*.log"))):
        nlogs += 1
        last = (0, 0)
        with open(path, errors="replace") as f:
            for line in f:
                m = supp_re.search(line)
                if m:
                    # printed twice with -s; both copies are equal
                    last = (int(m.group(1)), int(m.group(2)))
                u = used_re.match(line)
                if u:
                    used[u.group(2)] += int(u.group(1).replace(",", ""))
        errors += last[0]
        suppressed += last[1]
        for pid, rec in parse_log(path):
            main_frames = rec["stacks"][0][1]
            key = (norm_head(rec["head"]),) + tuple(
                (norm_title(t), tuple(fr)) for t, fr in rec["stacks"])
            place = who.get(pid, "pid " + pid)
            if any(is_spm_frame(fr) for fr in main_frames):
                spm.setdefault(key, []).append(place)
            elif any(is_spm_frame(fr) for _, frs in rec["stacks"][1:] for fr in frs):
                origin.setdefault(key, []).append(place)
            else:
                other[(norm_head(rec["head"]),) + tuple(main_frames[:3])] += 1

    def show(title, recs):
        print("=" * 78)
        print("%s: %d distinct, %d in all" % (title, len(recs), sum(len(v) for v in recs.values())))
        for key, places in recs.items():
            print("-" * 78)
            print("%s   [x%d; %s]" % (key[0], len(places), ", ".join(sorted(set(places)))[:300]))
            for t, frames in key[1:]:
                if t:
                    print("  " + t)
                for fr in frames:
                    print("    %s%s" % ("* " if is_spm_frame(fr) else "  ", fr))

    print("valgrind logs: %d processes; errors reported %d, errors suppressed %d"
          " (leak records matched by pg_leak_* are not errors here)" % (nlogs, errors, suppressed))
    for name, n in used.most_common():
        print("  used suppression x%-6d %s" % (n, name))
    show("1. errors with spm code in the failing stack", spm)
    show("2. errors whose origin / block is in spm code", origin)
    print("=" * 78)
    print("3. other errors (not involving spm frames): %d distinct, %d in all" % (len(other), sum(other.values())))
    for key, n in other.most_common():
        print("  x%-5d %s" % (n, key[0]))
        for fr in key[1:]:
            print("           %s" % fr)
    return 1 if spm or origin else 0


if __name__ == "__main__":
    sys.exit(main())
VG_SUMMARY_EOF
}

mkdir -p "$VG_DIR"
[[ $(id -u) -eq 0 ]] && chown postgres "$VG_DIR"
write_support_files
phases=("$@")
[[ ${#phases[@]} -gt 0 ]] || phases=(build start regress tap stop summary)
status=0
for p in "${phases[@]}"; do
    log "phase $p"
    if ! "phase_$p"; then
        [[ $p == summary ]] || { log "phase $p failed"; exit 1; }
        log "errors in spm code: see $VG_DIR/summary.txt"
        status=1
    fi
done
exit $status
