# tests/lib/common.sh - what the shell tests share. Source it after setting
# SRC: a check helper that counts passes and failures, and the demo data
# as --input arguments with its last timestamp. Exits 77 (skip, with a
# message) when the demo data is absent.

fails=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# check 'shell condition' 'message shown when it is false'
check() { if eval "$1"; then ok; else bad "$2"; fi; }

DEMO=("$SRC"/data/demo/*.om)
[ -e "${DEMO[0]}" ] || { echo "skip: no demo data in $SRC/data/demo" >&2; exit 77; }
INPUTS=()
for f in "${DEMO[@]}"; do INPUTS+=(--input "$f"); done
# the demo's last timestamp (Unix seconds): the end of its window
END=$(grep -hv '^#' "${DEMO[@]}" | awk '{print $NF}' | sort -n | tail -1)
END=${END%.*}

# Prints the closing line and returns non-zero when anything failed.
finish() {
  echo "$pass passed, $fails failed"
  [ "$fails" -eq 0 ]
}
