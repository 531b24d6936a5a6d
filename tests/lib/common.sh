# tests/lib/common.sh - what the shell tests share. Source it after setting
# SRC: a check helper that counts passes and failures, and the demo data
# as --input arguments with its last timestamp. Exits 77 (skip, with a
# message) when the demo data is absent. A test that makes its own input
# sets AG_NO_DEMO=1 before sourcing it: the helpers only, no demo data
# and no skip without it.

fails=0
pass=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }
# check 'shell condition' 'message shown when it is false'
check() { if eval "$1"; then ok; else bad "$2"; fi; }

if [ -z "${AG_NO_DEMO:-}" ]; then
  DEMO=("$SRC"/data/demo/*.om)
  [ -e "${DEMO[0]}" ] || { echo "skip: no demo data in $SRC/data/demo" >&2; exit 77; }
  INPUTS=()
  for f in "${DEMO[@]}"; do INPUTS+=(--input "$f"); done
  # the demo's last timestamp (Unix seconds): the end of its window
  END=$(grep -hv '^#' "${DEMO[@]}" | awk '{print $NF}' | sort -n | tail -1)
  END=${END%.*}
fi

# demo_shift DIR: writes the demo files into DIR moved in time so that
# they end a minute ago (for a Prometheus that must see them as recent);
# sets SHIFTED to the new files.
demo_shift() {
  local shift f out
  shift=$(( ($(date +%s) - 60 - END) / 60 * 60 ))
  SHIFTED=()
  for f in "${DEMO[@]}"; do
    out="$1/$(basename "$f")"
    awk -v s="$shift" '/^#/ {print; next} {n=split($0, a, " "); t=a[n]; sub(/ [0-9.]+$/, ""); printf "%s %d\n", $0, t + s}' "$f" > "$out"
    SHIFTED+=("$out")
  done
}

# Prints the closing line and returns non-zero when anything failed.
finish() {
  echo "$pass passed, $fails failed"
  [ "$fails" -eq 0 ]
}

# python_emit EMITTER FORMAT... - for a test that reads the output of a
# test binary back with Python: sets py (python3), emit (the binary
# EMITTER in AG_BINARY_DIR, default $SRC/build) and tmp (a directory
# removed on exit, by an EXIT trap), then writes "$emit FORMAT" to
# "$tmp/out.FORMAT" for each FORMAT in turn. Exits 77 (skip) without
# python3, 1 when the binary was not built or exits with an error.
python_emit() {
  local fmt
  emit="${AG_BINARY_DIR:-$SRC/build}/$1"
  shift
  py=$(command -v python3 || true)
  if [ -z "$py" ]; then
    echo "skip: python3 is absent"
    exit 77
  fi
  if [ ! -x "$emit" ]; then
    echo "FAIL: $emit was not built"
    exit 1
  fi
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  for fmt in "$@"; do
    "$emit" "$fmt" >"$tmp/out.$fmt" || {
      echo "FAIL: $emit exited with an error"
      exit 1
    }
  done
}
