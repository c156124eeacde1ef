#!/usr/bin/env bash
# Issue 6's scaling curve (1, 2, 4, 8, 16 workers) on the 16-core device machine, which has no Node.js
# and reaches no registry: everything it runs travels in .device/ (git-ignored).
#
#   here:  bash scripts/device-curve.sh prepare
#          (builds, then packs .device/: this machine's node binary, xz'd, and the built runtime,
#          about 25 MB of the 64 MiB a call may carry)
#   there: the device tool's run with command "bash scripts/device-curve.sh run", carry [".device"],
#          timeout_s 600; the rows are the arguments, by default the two below
#
# `run` writes to $OUT: machine.txt (cores, CPU, memory, node), curve.txt (the curve tables, a row as it
# ends) and curve.log (a line per run). Each row gets its share of BUDGET seconds (default 540, inside
# the tool's 600 s a command) and is stopped at it, so what finished comes back even when the rest did not.
# The default rows: the full model's v5.19 ranges=basic (about 20 s with 1 worker on the 2-core CI
# machine), with the ceiling runs (as many 1-worker runs at once, to tell the machine's limit from the
# search's); then the long row, depth 11 (about 255 s with 1 worker there), without them.
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  prepare)
    npm run build >/dev/null
    rm -rf .device
    mkdir -p .device
    xz -T0 -6 -c "$(command -v node)" >.device/node.xz
    # the runtime: the build, the CLI and the runtime dependencies (not typescript or vitest)
    deps=(node_modules/commander node_modules/immutable node_modules/piscina)
    [ -d node_modules/@napi-rs ] && deps+=(node_modules/@napi-rs) # piscina's optional thread-priority addon
    tar -cJf .device/runtime.tar.xz dist bin package.json "${deps[@]}"
    node --version >.device/node-version
    du -sh .device
    ;;
  run)
    shift
    [ -n "${OUT:-}" ] || { echo "device-curve: OUT is not set: run this on the device machine (the device tool sets it)" >&2; exit 2; }
    [ -f .device/node.xz ] || { echo "device-curve: no .device/node.xz: run 'bash scripts/device-curve.sh prepare' here and carry .device" >&2; exit 2; }
    mkdir -p /tmp/mmcheck-node/bin
    xz -dc .device/node.xz >/tmp/mmcheck-node/bin/node
    chmod +x /tmp/mmcheck-node/bin/node
    export PATH=/tmp/mmcheck-node/bin:$PATH
    tar -xJf .device/runtime.tar.xz
    {
      echo "nproc: $(nproc)"
      grep -m1 'model name' /proc/cpuinfo || true
      grep MemTotal /proc/meminfo || true
      echo "node: $(node --version) at $(command -v node)"
    } >"$OUT/machine.txt"
    # rows: "name filter[|bench flags]"
    if [ $# -eq 0 ]; then set -- 'full v5.19 P2 N4 ranges=basic' 'depth 11|--no-ceiling'; fi
    budget=${BUDGET:-540}
    start=$SECONDS
    left=$#
    status=0
    for row in "$@"; do
      only=${row%%|*}
      flags=''
      [ "$row" != "$only" ] && flags=${row#*|}
      share=$(((budget - (SECONDS - start)) / left))
      left=$((left - 1))
      echo "== $only ($share s at most)" | tee -a "$OUT/curve.txt" >>"$OUT/curve.log"
      # shellcheck disable=SC2086 # the flags are words
      timeout -s INT -k 10 "$share" node bin/mmcheck.js bench --curve 1,2,4,8,16 --only "$only" $flags >>"$OUT/curve.txt" 2>>"$OUT/curve.log" || {
        rc=$?
        echo "(stopped: exit $rc)" | tee -a "$OUT/curve.txt" >>"$OUT/curve.log"
        status=1
      }
    done
    cat "$OUT/machine.txt" "$OUT/curve.txt"
    exit $status
    ;;
  *)
    echo "usage: bash scripts/device-curve.sh prepare | run [ROW[|BENCH FLAGS]]..." >&2
    exit 2
    ;;
esac
