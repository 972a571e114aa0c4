#!/usr/bin/env bash
# Instructions per call on each side of a small call, counted by callgrind (which counts
# the same whatever else the machine is doing), spinning and sleeping excluded: the
# client's from the method call to its return, the server's from the serve loop, each
# without `Signal::wait` (the wait for the other side). valgrind cannot start the 32-bit
# server, so the server's count is the 64-bit server's (`PROFILE_SERVER64=1`), the same
# code built for the other width. Needs `valgrind` (Debian package).
#
#   bash benches/instructions.sh            # 20,000 calls each
#   bash benches/instructions.sh 100000
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20000}"
cargo build --release --example profile_calls >/dev/null 2>&1
exe=target/release/examples/profile_calls
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

total() { callgrind_annotate "$1" 2>/dev/null | awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'; }

# $1 workload, $2 the client's function (a callgrind glob), $3 calls made
count() {
  local what="$1" client_fn="$2" calls="$3"
  rm -f "$out"/callgrind.out.*
  valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.out.client" \
    --collect-atstart=no "--toggle-collect=$client_fn" '--toggle-collect=*Signal*wait*' \
    "$exe" "$what" "$n" >/dev/null 2>&1
  PROFILE_SERVER64=1 valgrind --tool=callgrind --trace-children=yes \
    --callgrind-out-file="$out/callgrind.out.%p" --collect-atstart=no \
    '--toggle-collect=*serve_loop::serve*' '--toggle-collect=*Signal*wait*' \
    "$exe" "$what" "$n" >/dev/null 2>&1
  local c s
  c="$(total "$out/callgrind.out.client")"
  # The server's file is the server64 process's that ran the serve loop the most (the
  # client's own file collects too: the toggle at `Signal::wait` turns collection on in
  # a process where it was off, so the client's waits are counted there).
  local servers
  servers="$(grep -l '^cmd:.*/server64 ' "$out"/callgrind.out.[0-9]* || true)"
  if [ -z "$servers" ]; then
    echo "instructions.sh: no callgrind file of a server64 process for $what" >&2
    exit 1
  fi
  s="$(for f in $servers; do total "$f"; done | sort -n | tail -1)"
  printf '| %s | %d | %d |\n' "$4" $((c / calls)) $((s / calls))
}

echo "| call ($n calls) | client instructions a call | server instructions a call |"
echo "|---|---|---|"
count small '*TestLibClient::add*' "$n" 'typed `add` (an `interface!` wrapper)'
count foreign '*declared*TestLib*add*' "$n" 'foreign `add` (`foreign!`)'
count batch '*Client64>::batch' "$n" 'pipelined `add` (`Client64::batch`, by name)'
