#!/usr/bin/env bash
# Runs every check Kiln has, installing what they need on a fresh machine:
# formatting, clippy, the test suites, and a short run of every fuzz target.
# Build output is cached under ~/.cache/kiln so repeated runs are fast.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln/target}"
# Every run builds a fresh clone: incremental compilation state only grows the
# cache (it had reached 9 GB of a 25 GB target directory).
export CARGO_INCREMENTAL=0
FUZZ_TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/kiln/fuzz-target}"
FUZZ_SECONDS="${FUZZ_SECONDS:-10}"

step() { printf '\n==> %s\n' "$*"; }

step "tools"
rustup component add rustfmt clippy >/dev/null 2>&1 || true
command -v cargo-nextest >/dev/null || cargo install cargo-nextest --locked
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked

# ---- kiln-server SDK client tests (begin) ----
# crates/kiln-server/tests/sdk_clients.rs (and kiln adhoc's push mode test) run real Pyroscope clients against
# kiln server: what they need on a fresh machine. Debian's Python (venv), Node
# and npm, Go and a JDK; the Python SDK from PyPI into a venv under
# ~/.cache/kiln; the Node SDK from npm as locked; the Rust SDK client from
# crates.io, built under ~/.cache/kiln. The tests install these too when
# missing, so a bare `cargo test -p kiln-server --test sdk_clients` works.
step "test prerequisites: SDK clients for kiln-server tests"
sdk=crates/kiln-server/tests/sdk
missing=()
command -v python3 >/dev/null && python3 -c 'import ensurepip, venv' 2>/dev/null || missing+=(python3 python3-venv)
command -v npm >/dev/null || missing+=(nodejs npm)
command -v go >/dev/null || missing+=(golang-go)
command -v javac >/dev/null || missing+=(openjdk-17-jdk-headless)
# Ruby for kiln-agent's Ruby spy tests (rbspy reads a real Ruby process).
command -v ruby >/dev/null || missing+=(ruby)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi
venv="$HOME/.cache/kiln/sdk-venv"
if ! cmp -s "$sdk/python/requirements.txt" "$venv/kiln-requirements.txt"; then
  python3 -m venv "$venv" && "$venv/bin/pip" install -q -r "$sdk/python/requirements.txt" &&
    cp "$sdk/python/requirements.txt" "$venv/kiln-requirements.txt"
fi
(cd "$sdk/node" && npm ci --no-audit --no-fund)
cargo build --quiet --locked --manifest-path "$sdk/rust/Cargo.toml" --target-dir "$HOME/.cache/kiln/sdk-rust-target"
# ---- kiln-server SDK client tests (end) ----

# ---- kiln-sdk example tests (begin) ----
# crates/kiln/tests/sdk_app.rs profiles examples/sdk-app into kiln server with
# kiln-sdk (built in release with frame pointers) and with Pyroscope's Rust SDK
# (examples/sdk-app/pyroscope-peer, the pyroscope crate from crates.io, built
# beside kiln-server's SDK client). The test builds them too when missing.
step "test prerequisites: kiln-sdk example app and its Pyroscope SDK peer"
RUSTFLAGS="-C force-frame-pointers=yes" cargo build --quiet --locked --release -p kiln-sdk-example \
  --target-dir "$HOME/.cache/kiln/sdk-app-target"
cargo build --quiet --locked --manifest-path examples/sdk-app/pyroscope-peer/Cargo.toml \
  --target-dir "$HOME/.cache/kiln/sdk-rust-target"
# ---- kiln-sdk example tests (end) ----

# ---- kiln-agent symbolisation tests (begin) ----
# crates/kiln-agent/tests/symbols_match_perf.rs compares the native spy's names
# with perf's on the same process: perf itself, libc's debug symbols (perf and
# the spy both name libc's local functions from them), binutils' strip and
# objcopy, and elfutils' debuginfod client library for tests/debuginfod.rs.
step "test prerequisites: perf, libc debug symbols, libdebuginfod"
missing=()
command -v perf >/dev/null || missing+=(linux-perf)
[ -e /usr/lib/debug/.build-id ] && dpkg -s libc6-dbg >/dev/null 2>&1 || missing+=(libc6-dbg)
command -v objcopy >/dev/null || missing+=(binutils)
# g++ for the C++ programs (template instantiations named as perf names them).
command -v g++ >/dev/null || missing+=(g++)
[ -e /usr/lib/x86_64-linux-gnu/libdebuginfod.so.1 ] || missing+=(libdebuginfod1)
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi
# ---- kiln-agent symbolisation tests (end) ----
# ---- kiln agent scrape tests (begin) ----
# crates/kiln/tests/agent_scrape.rs builds tests/programs/scrape_target.go
# (net/http/pprof) with Debian's Go for `kiln agent` to scrape.
command -v go >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y golang-go)
# ---- kiln agent scrape tests (end) ----
# ---- kiln-server OpenTelemetry profiler test (begin) ----
# crates/kiln-server/tests/otel_profiler.rs runs OpenTelemetry's Python
# profiler (opentelemetry-sdk-extension-profiling from PyPI, with the exact
# SDK and exporter versions it pins) against kiln server, from a venv under
# ~/.cache/kiln. The test installs it too when missing.
step "test prerequisites: OpenTelemetry's Python profiler"
otel_req=crates/kiln-server/tests/sdk/otel-python/requirements.txt
otel_venv="$HOME/.cache/kiln/otel-profiling-venv"
if ! cmp -s "$otel_req" "$otel_venv/kiln-requirements.txt"; then
  python3 -m venv "$otel_venv" && "$otel_venv/bin/pip" install -q -r "$otel_req" &&
    cp "$otel_req" "$otel_venv/kiln-requirements.txt"
fi
# ---- kiln-server OpenTelemetry profiler test (end) ----

# ---- Garage cluster tests (begin) ----
# kiln-testkit's GarageCluster (the multi-process tests over S3 and the
# kiln-store suite on Garage) runs real `garage server` processes: Garage
# v2.5.0 from crates.io, built once into ~/.cache/kiln/garage with its own
# target dir under ~/.cache/kiln so a rebuild reuses it. Tests find it
# through KILN_GARAGE_BIN.
step "test prerequisites: Garage (S3-compatible object store)"
garage_root="$HOME/.cache/kiln/garage"
if [ ! -x "$garage_root/bin/garage" ]; then
  CARGO_TARGET_DIR="$HOME/.cache/kiln/garage-build" cargo install garage --version 2.5.0 --locked --root "$garage_root"
fi
export KILN_GARAGE_BIN="$garage_root/bin/garage"
# ---- Garage cluster tests (end) ----

step "cargo fmt --check"
cargo fmt --all -- --check
(cd fuzz && cargo fmt -- --check)

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "tests"
cargo nextest run --workspace --no-fail-fast
cargo test --workspace --doc

# ---- kiln-render browser tests (begin) ----
# The HTML flame graph report in headless Chromium: Debian's chromium driven
# by playwright-core (npm, dev only). Reports come from the real kiln binary
# and the real fixtures; the diff report from the diff_report example. tsc
# type-checks the JavaScript assets (JSDoc types). The web UI tests
# (ui-*.test.mjs) start the kiln binary's server, feed it Go fixtures and the
# Python SDK (the venv made above), and write screenshots of every page,
# light and dark, to ~/.cache/kiln/ui-screens.
step "kiln-render browser tests"
command -v chromium >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium)
command -v npm >/dev/null || (apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nodejs npm)
cargo build -p kiln
cargo build -p kiln-render --example diff_report
(cd crates/kiln-render/tests/browser && npm ci --no-audit --no-fund && npx tsc -p tsconfig.json &&
  KILN_BIN="$CARGO_TARGET_DIR/debug/kiln" KILN_DIFF_BIN="$CARGO_TARGET_DIR/debug/examples/diff_report" \
    node --test --test-concurrency=1 ./*.test.mjs)
# ---- kiln-render browser tests (end) ----


# cargo-fuzz needs nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain
# accept them, so no second toolchain has to be installed.
step "fuzz: every target for ${FUZZ_SECONDS}s"
export RUSTC_BOOTSTRAP=1
targets=$(cd fuzz && cargo fuzz list)
(cd fuzz && cargo fuzz build --target-dir "$FUZZ_TARGET_DIR")
fixtures=crates/kiln-model/tests/fixtures
seeds() {
  case "$1" in
    pprof) ls $fixtures/go/*.pb.gz $fixtures/node/*.pb.gz ;;
    jfr) ls $fixtures/jfr/*.jfr* ;;
    speedscope) ls $fixtures/py-spy/*.json ;;
    perf_script) ls $fixtures/perf/*.txt ;;
    folded) ls $fixtures/perf/*.folded $fixtures/py-spy/*.txt crates/kiln-model/tests/golden/*.folded ;;
    flamebearer) ls crates/kiln-model/tests/golden/*flamebearer.json ;;
    tree) ls crates/kiln-model/tests/golden/*tree.bin ;;
    trie) ls crates/kiln-model/tests/golden/*trie.bin ;;
    detect|alloc) find $fixtures -type f -size -200k ;;
    otlp) ls $fixtures/otlp/*.pb $fixtures/otlp/*.json ;;
    multipart|push|connect_json) ls fuzz/seeds/"$1"/* ;;
  esac 2>/dev/null || true
}
for t in $targets; do
  mkdir -p "$FUZZ_TARGET_DIR/corpus/$t"
  for f in $(seeds "$t"); do cp -f "$f" "$FUZZ_TARGET_DIR/corpus/$t/seed-$(basename "$f")"; done
  (cd fuzz && cargo fuzz run --target-dir "$FUZZ_TARGET_DIR" "$t" "$FUZZ_TARGET_DIR/corpus/$t" -- \
    -max_total_time="$FUZZ_SECONDS" -rss_limit_mb=2048 -print_final_stats=0 2>&1 | tail -n 3)
done
echo "fuzz: $(echo "$targets" | wc -w) targets ran without a crash"

step "prune older Kiln build output from the cache"
python3 scripts/prune_target.py "$CARGO_TARGET_DIR"
