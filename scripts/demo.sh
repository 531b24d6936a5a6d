#!/bin/sh
# make demo: recommend requests and limits for the bundled demo cluster
# (data/demo/, cut from public traces) with the VPA algorithm, then KRR.
set -eu
AUGUR=${1:-build/release/augur}
cd "$(dirname "$0")/.."
DB=build/demo.db
rm -f "$DB" "$DB-wal" "$DB-shm"
set -- data/demo/*.om
echo "== augur recommend --algorithm vpa --input data/demo/*.om"
"$AUGUR" recommend --db "$DB" --algorithm vpa $(printf -- '--input %s ' "$@")
echo
echo "== augur recommend --algorithm krr (from the store this time, no re-reading)"
"$AUGUR" recommend --db "$DB" --algorithm krr --history 8d
echo
echo "== augur history"
"$AUGUR" history --db "$DB"
