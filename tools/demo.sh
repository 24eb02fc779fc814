#!/usr/bin/env bash
# tools/demo.sh — install dependencies, build + install spm, start a throwaway
# PostgreSQL 15 cluster (or use the server named by PGHOST/PGPORT/PGDATABASE),
# load data/demo.sql into a fresh database spm_demo and print its output.
#
#   bash tools/demo.sh                      # everything, cluster removed at the end
#   SPM_KEEP_CLUSTER=1 bash tools/demo.sh   # keep the cluster to explore spm_demo
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$SPM_ROOT"

[[ -f data/demo.sql ]] || spm_die "data/demo.sql does not exist yet in $SPM_ROOT (nothing to demo)"

spm_install_packages
spm_build_install
spm_cluster_start

spm_log "creating database spm_demo"
PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning" dropdb --if-exists spm_demo
createdb spm_demo

spm_log "running data/demo.sql"
spm_psql -d spm_demo -f data/demo.sql

spm_cluster_stop
spm_log "demo finished"
