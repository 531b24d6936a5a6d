# tests/lib/victoriametrics.sh - start and stop a real single-node
# VictoriaMetrics on 127.0.0.1 loaded with OpenMetrics files. Source it;
# call vm_start FILE..., use $VM_URL, and vm_stop (also run on exit by the
# trap it installs; a test that sets its own trap calls vm_stop in it).
# vm_start may be called again after vm_stop; $VM_FLAGS adds server flags.
# Exits 77 (skip) when victoria-metrics is not installed (Debian package
# victoria-metrics).

command -v victoria-metrics >/dev/null || {
  echo "skip: victoria-metrics not installed (Debian package victoria-metrics)" >&2
  exit 77
}

VM_DIR=$(mktemp -d)
VM_PID=
VM_URL=
VM_FLAGS=${VM_FLAGS:-}

vm_stop() {
  if [ -n "$VM_PID" ] && kill -0 "$VM_PID" 2>/dev/null; then
    kill -TERM "$VM_PID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$VM_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$VM_PID" 2>/dev/null
    wait "$VM_PID" 2>/dev/null
  fi
  VM_PID=
  rm -rf "$VM_DIR"
}
trap vm_stop EXIT

vm_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# vm_samples FILE...: the sample lines of OpenMetrics files as Prometheus
# text with millisecond timestamps, which /api/v1/import/prometheus takes.
# Comment lines (# TYPE, # UNIT, # HELP, # EOF) are dropped; VM keeps no
# metadata. Timestamps may have decimals (OpenMetrics seconds).
vm_samples() {
  awk '/^#/ || NF < 3 { next }
       { ts = $NF; $NF = ""; printf "%s%.0f\n", $0, ts * 1000 }' "$@"
}

# vm_start FILE...: start VictoriaMetrics on a free loopback port, import
# the files, flush, and wait until every sample is queryable (at most 30 s).
vm_start() {
  local port lines i n
  mkdir -p "$VM_DIR" || return 1
  port=$(vm_free_port)
  VM_URL="http://127.0.0.1:$port"
  # -retentionPeriod=100y: the data is from 2024 and must not be dropped as
  # too old. -search.latencyOffset=0: do not hide the newest 30 s.
  # -search.disableCache: the response cache must not keep answers from
  # before the import finished.
  # shellcheck disable=SC2086 # VM_FLAGS is a list of flags
  victoria-metrics -httpListenAddr="127.0.0.1:$port" -storageDataPath="$VM_DIR/data" \
    -retentionPeriod=100y -search.latencyOffset=0 -search.disableCache \
    -loggerLevel=WARN $VM_FLAGS >"$VM_DIR/vm.log" 2>&1 &
  VM_PID=$!
  for i in $(seq 300); do
    curl -sf "$VM_URL/health" >/dev/null 2>&1 && break
    kill -0 "$VM_PID" 2>/dev/null || break
    sleep 0.1
  done
  curl -sf "$VM_URL/health" >/dev/null 2>&1 || {
    echo "victoria-metrics did not become ready:" >&2; cat "$VM_DIR/vm.log" >&2; return 1; }
  vm_samples "$@" > "$VM_DIR/import.txt"
  lines=$(wc -l < "$VM_DIR/import.txt")
  curl -sf --data-binary @"$VM_DIR/import.txt" "$VM_URL/api/v1/import/prometheus" \
    >"$VM_DIR/import.log" 2>&1 || {
    echo "victoria-metrics import failed:" >&2; cat "$VM_DIR/import.log" "$VM_DIR/vm.log" >&2
    return 1; }
  # Imported rows sit in in-memory buffers for up to a few seconds; flush
  # them and count the samples until all are visible.
  for i in $(seq 60); do
    curl -sf "$VM_URL/internal/force_flush" >/dev/null 2>&1
    n=$(curl -sf "$VM_URL/api/v1/export" --data-urlencode 'match[]={__name__!=""}' 2>/dev/null |
        python3 -c 'import sys, json; print(sum(len(json.loads(l)["values"]) for l in sys.stdin if l.strip()))' 2>/dev/null)
    [ "${n:-0}" -ge "$lines" ] && return 0
    sleep 0.5
  done
  echo "victoria-metrics: only ${n:-0} of $lines imported samples visible after 30 s" >&2
  cat "$VM_DIR/vm.log" >&2
  return 1
}
