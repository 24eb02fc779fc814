#!/usr/bin/env bash
# tools/doctest.sh — check that the SQL examples of the documentation are true.
#
#   bash tools/doctest.sh                  # README.md and docs/*.md
#   bash tools/doctest.sh docs/draws.md    # some files
#
# Needs a running server named by the usual PG* variables (PGHOST, PGPORT,
# PGUSER, ...) on which spm is installed (`make install`) and the user may
# create databases.  It does not build, install or start anything.
#
# The convention (docs/README.md, "Examples are tested"):
#   - every fenced block whose info string is exactly `sql` is run with psql;
#   - if the next fenced block (only blank lines in between) has an empty
#     info string or `text`, it is the expected output: psql's output of the
#     sql block (aligned format, no "(N rows)" footer, no command tags, error
#     messages without psql's "psql:FILE:LINE: " prefix) must equal it, up to
#     trailing blanks on each line and blank lines at the start and the end;
#   - a `sql` block without an output block must run without an error;
#   - ```sql norun marks SQL that is shown but not run (fragments, syntax);
#   - the blocks of one file run in order, each in its own psql session, in
#     a fresh database doctest_FILE where CREATE EXTENSION spm has been run
#     and data/sample.sql loaded (it only defines spm_sample.generate());
#   - a file containing the line `<!-- doctest: skip -->` is skipped;
#     `<!-- doctest: no-extension -->` leaves out CREATE EXTENSION spm;
#     `<!-- doctest: payout -->` runs CREATE EXTENSION spm_payout CASCADE instead.
#
# Prints one line per failure with a diff, and last 'doctest: N passed, N failed'.
# Exit status 0 when nothing failed.  DOCTEST_KEEP=1 keeps the databases.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT" || exit 2
PSQL=(psql -X -q -P footer=off -v VERBOSITY=default)

if [[ $# -gt 0 ]]; then
    files=("$@")
else
    files=(README.md docs/*.md)
fi

tmp=$(mktemp -d /tmp/spm-doctest.XXXXXX) || exit 2
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
skipped_files=()

# extract FILE DIR — write DIR/NNNN.sql, DIR/NNNN.line and, when the block
# has an output block, DIR/NNNN.out.
extract() {
    perl -e '
        use strict; use warnings;
        my ($file, $dir) = @ARGV;
        open(my $fh, "<", $file) or die "$file: $!";
        my @lines = <$fh>;
        close $fh;
        my $n = 0; my $i = 0;
        # returns (info, first line no, body lines, index after the closing fence)
        sub block_at {
            my ($lines, $i) = @_;
            return unless $lines->[$i] =~ /^```\s*(.*?)\s*$/;
            my $info = $1; my @body; my $j = $i + 1;
            while ($j < @$lines && $lines->[$j] !~ /^```\s*$/) { push @body, $lines->[$j]; $j++; }
            die "$file:" . ($i + 1) . ": unclosed code block\n" if $j >= @$lines;
            return ($info, $i + 1, \@body, $j + 1);
        }
        while ($i < @lines) {
            my ($info, $lineno, $body, $next) = block_at(\@lines, $i);
            if (!defined $info) { $i++; next; }
            $i = $next;
            next unless $info eq "sql";
            $n++;
            my $base = sprintf("%s/%04d", $dir, $n);
            open(my $o, ">", "$base.sql") or die; print $o @$body; close $o;
            open($o, ">", "$base.line") or die; print $o "$lineno\n"; close $o;
            my $k = $i;
            $k++ while $k < @lines && $lines[$k] =~ /^\s*$/;
            if ($k < @lines) {
                my ($oinfo, undef, $obody, $onext) = block_at(\@lines, $k);
                if (defined $oinfo && ($oinfo eq "" || $oinfo eq "text")) {
                    open($o, ">", "$base.out") or die; print $o @$obody; close $o;
                    $i = $onext;
                }
            }
        }
    ' "$1" "$2"
}

# normalize < psql output: drop psql's script-position prefix and trailing
# blanks, and blank lines at the start and the end.
normalize() {
    perl -e '
        my @l = map { s/^psql:[^:]*:\d+: //; s/\s+$//; $_ } <STDIN>;
        shift @l while @l && $l[0] eq "";
        pop @l while @l && $l[-1] eq "";
        print map { "$_\n" } @l;
    '
}

for f in "${files[@]}"; do
    [[ -f $f ]] || { echo "doctest: $f: no such file"; failed=$((failed + 1)); continue; }
    if grep -q '^<!-- doctest: skip -->' "$f"; then
        skipped_files+=("$f")
        continue
    fi
    # docs/draws.md -> docs_draws, README.md -> readme
    name=$(printf '%s' "${f%.md}" | tr -c 'a-zA-Z0-9' '_' | tr 'A-Z' 'a-z')
    db="doctest_$name"
    dir="$tmp/$name"
    mkdir -p "$dir"
    if ! extract "$f" "$dir"; then
        echo "doctest: $f: cannot extract the examples"
        failed=$((failed + 1))
        continue
    fi
    compgen -G "$dir/*.sql" >/dev/null || continue

    PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" dropdb --if-exists "$db" || exit 2
    createdb "$db" || { echo "doctest: cannot create database $db"; exit 2; }
    setup="SET client_min_messages = warning;"
    if grep -q '^<!-- doctest: payout -->' "$f"; then
        setup+=" CREATE EXTENSION spm_payout CASCADE;"
    elif ! grep -q '^<!-- doctest: no-extension -->' "$f"; then
        setup+=" CREATE EXTENSION spm;"
    fi
    if ! "${PSQL[@]}" -v ON_ERROR_STOP=1 -d "$db" -c "$setup" -f data/sample.sql >"$dir/setup.log" 2>&1; then
        echo "doctest: $f: set-up failed (is spm installed on this server?):"
        cat "$dir/setup.log"
        failed=$((failed + 1))
        continue
    fi

    file_pass=0 file_fail=0
    for sql in "$dir"/*.sql; do
        base=${sql%.sql}
        line=$(cat "$base.line")
        if [[ -f $base.out ]]; then
            "${PSQL[@]}" -v ON_ERROR_STOP=0 -d "$db" -f "$sql" 2>&1 | normalize >"$base.got"
            normalize <"$base.out" >"$base.want"
            if cmp -s "$base.want" "$base.got"; then
                file_pass=$((file_pass + 1))
            else
                file_fail=$((file_fail + 1))
                echo "FAILED $f:$line: the output differs (- shown in the docs, + psql's):"
                diff -u --label docs --label psql "$base.want" "$base.got" | sed 's/^/    /'
            fi
        else
            if "${PSQL[@]}" -v ON_ERROR_STOP=1 -d "$db" -f "$sql" >"$base.got" 2>&1 &&
                ! grep -q 'ERROR:' "$base.got"; then
                file_pass=$((file_pass + 1))
            else
                file_fail=$((file_fail + 1))
                echo "FAILED $f:$line: the example fails:"
                normalize <"$base.got" | sed 's/^/    /'
            fi
        fi
    done
    echo "doctest: $f: $file_pass passed, $file_fail failed"
    passed=$((passed + file_pass))
    failed=$((failed + file_fail))
    [[ ${DOCTEST_KEEP:-0} == 1 ]] ||
        PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" dropdb --if-exists "$db"
done

for f in "${skipped_files[@]}"; do
    echo "doctest: $f: skipped (<!-- doctest: skip -->)"
done
echo "doctest: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
