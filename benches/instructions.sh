#!/usr/bin/env bash
# Instructions per call on each side of a small call, counted by callgrind (which counts
# the same whatever else the machine is doing), spinning and sleeping excluded.
#
# Each side's count is a function's inclusive cost less that of the waits it made
# (`Signal::wait`, in the same process): the client's method, and the server's entry
# point. Each is taken from two runs, of n and 3n calls, and the difference divided by
# 2n, so that what a run does once (starting, binding) drops out. Nothing is toggled:
# callgrind's `--toggle-collect` flips collection at every entry and exit of a matching
# function, and a matching function inside another (the foreign serve path inside the
# serve loop, a closure inside the wait) turned collection off where it was meant to be
# on; counts taken that way before the tenth round of issue 20 were wrong for the
# foreign server.
#
# The server is counted twice:
# - the 64-bit build of the same code (`PROFILE_SERVER64=1`), the test twin, where
#   foreign calls go by the ring (an x86-64 frame is too long for the request line);
# - the 32-bit server, the product's (the second table). Valgrind's 32-bit tool cannot run
#   the bundled one: rustix reads the vDSO itself, and its reader faults under valgrind.
#   Built with `--cfg rustix_use_libc` (in target/server32-callgrind), rustix goes
#   through libc and valgrind follows it.
#
# Needs `valgrind` (Debian package) and, for the 32-bit server, the i686 target.
#
#   bash benches/instructions.sh            # 20,000 calls each
#   bash benches/instructions.sh 100000
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-20000}"
cargo build --release --example profile_calls >/dev/null 2>&1
exe=target/release/examples/profile_calls
dir=target/server32-callgrind
RUSTFLAGS="--cfg rustix_use_libc" CARGO_TARGET_DIR="$dir" cargo build --release -p server32 \
  --features bins,testkit --bin server32 --target i686-unknown-linux-gnu >/dev/null 2>&1
server32="$PWD/$dir/i686-unknown-linux-gnu/release/server32"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT

# $1 a callgrind file, $2 a function's full name: its inclusive cost (0 if absent).
inclusive() {
  callgrind_annotate --inclusive=yes "$1" 2>/dev/null | awk -v fn="$2" '
    { line = $0; sub(/ \[[^]]*\]$/, "", line) }
    substr(line, length(line) - length(fn)) == ":" fn {
      v = $1; gsub(",", "", v); if (v + 0 > best) best = v + 0
    }
    END { print best + 0 }'
}

# $1 a callgrind file, $2 the function that makes or serves the calls: its cost less the
# waits'.
work() {
  echo $(($(inclusive "$1" "$2") - $(inclusive "$1" 'loadlib::transport::wake::Signal::wait')))
}

# $1 a `cmd:` pattern: the file of the process it names that did the most work (a
# foreign workload also starts an idle `testlib` server).
file_of() {
  local best='' file='' f w
  for f in $(grep -l "^cmd:.*$1" "$out"/callgrind.out.* || true); do
    w="$(work "$f" "$serve")"
    if [ -z "$best" ] || [ "$w" -gt "$best" ]; then best="$w" file="$f"; fi
  done
  if [ -z "$file" ]; then
    echo "instructions.sh: no callgrind file of a process like '$1'" >&2
    exit 1
  fi
  echo "$file"
}

# The server's entry point, which its binary calls (so not inlined away, as the serve
# loop itself may be). It includes the start and the bind, which the difference between
# two runs takes away.
serve='loadlib::server::host::host'

# $1 workload, $2 calls, $3 the client's method, $4 the server's environment: the
# client's and the server's work, as "client server".
run() {
  rm -f "$out"/callgrind.out.*
  env "$4" valgrind --tool=callgrind --trace-children=yes \
    --callgrind-out-file="$out/callgrind.out.%p" "$exe" "$1" "$2" >/dev/null 2>&1
  local pattern='/server64 '
  [ "$4" = PROFILE_SERVER64=1 ] || pattern='/server32 '
  echo "$(work "$(grep -l "^cmd:.*profile_calls $1" "$out"/callgrind.out.*)" "$3")" \
    "$(work "$(file_of "$pattern")" "$serve")"
}

# $1 workload, $2 the client's method (full name), $3 the row's label. Each count is the
# difference between runs of 3n and n calls, over 2n: what is left is the calls'.
count() {
  local what="$1" method="$2" a b c d c1 c3
  read -r _ a < <(run "$what" "$n" "$method" PROFILE_SERVER64=1)
  read -r _ b < <(run "$what" $((3 * n)) "$method" PROFILE_SERVER64=1)
  # The client as it talks to the 32-bit server (to the 64-bit one, a foreign call's
  # frame does not fit the request line and goes by the ring).
  read -r c1 c < <(run "$what" "$n" "$method" "PROFILE_SERVER32=$server32")
  read -r c3 d < <(run "$what" $((3 * n)) "$method" "PROFILE_SERVER32=$server32")
  printf '| %s | %d | %d | %d |\n' "$3" $(((c3 - c1) / (2 * n))) $(((d - c) / (2 * n))) \
    $(((b - a) / (2 * n)))
}

echo "| call ($n calls) | client | 32-bit server | 64-bit server (test twin) |"
echo "|---|---|---|---|"
count small 'server32::wrappers::testlib::TestLibClient::add' 'typed `add` (an `interface!` wrapper)'
count foreign 'server32::declared::testlib::TestLib::add' 'foreign `add` (`foreign!`)'
count batch 'loadlib::client::batch::<impl loadlib::client::Client64>::batch' 'pipelined `add` (`Client64::batch`, by name)'
