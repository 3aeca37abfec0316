#!/usr/bin/env bash
# The `kiln agent` memory benchmark of BENCHMARKS.md: a release `kiln agent`
# scrapes 50 Go pprof targets (crates/kiln/tests/programs/scrape_target.go in
# "light" mode, one process per port, since Go serves one CPU profile at a
# time) every 15 s with every default profile, pushing to a release `kiln
# server`; the agent's RSS is printed at start, every minute and at the end.
# Usage: scripts/agent_memory_bench.sh [MINUTES] [TARGETS]   (default 10, 50)
set -euo pipefail
cd "$(dirname "$0")/.."
minutes="${1:-10}"
count="${2:-50}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/kiln/target}"
cargo build --release -p kiln --quiet
kiln="$CARGO_TARGET_DIR/release/kiln"
work=$(mktemp -d /tmp/kiln-agent-bench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
GOCACHE="$HOME/.cache/kiln/go-build" go build -o "$work/scrape_target" crates/kiln/tests/programs/scrape_target.go

port=$((20000 + RANDOM % 20000))
"$kiln" server --listen "127.0.0.1:$port" --data-dir "$work/data" 2>"$work/server.log" >/dev/null &
pids+=($!)
targets=()
for i in $(seq 1 "$count"); do
  p=$((port + i))
  "$work/scrape_target" "$p" light >/dev/null &
  pids+=($!)
  targets+=("\"127.0.0.1:$p\"")
done
list=$(IFS=,; echo "${targets[*]}")
cat >"$work/agent.toml" <<TOML
[server]
address = "http://127.0.0.1:$port"
[agent]
listen = "127.0.0.1:0"
[[scrape_configs]]
job_name = "bench"
scrape_interval = "15s"
[[scrape_configs.static_configs]]
targets = [$list]
labels = { service_name = "bench" }
TOML
sleep 2
"$kiln" agent --config "$work/agent.toml" 2>"$work/agent.log" &
agent=$!
pids+=($agent)
sleep 1
rss() { awk '/VmRSS/ {printf "%.1f", $2/1024}' /proc/$agent/status; }
cpu() { awk '{printf "%.1f", ($14+$15)/100}' /proc/$agent/stat; }
echo "minute 0: agent RSS $(rss) MiB, CPU $(cpu) s; $(uptime)"
for m in $(seq 1 "$minutes"); do
  sleep 60
  echo "minute $m: agent RSS $(rss) MiB, CPU $(cpu) s; $(uptime)"
done
addr=$(grep -o 'listening on [0-9.:]*' "$work/agent.log" | awk '{print $3}')
curl -s "http://$addr/metrics" | grep -v '^#'
echo "peak RSS (VmHWM): $(awk '/VmHWM/ {printf "%.1f", $2/1024}' /proc/$agent/status) MiB"
kill -TERM "$agent"; wait "$agent" || true
grep -c 'failed' "$work/agent.log" | sed 's/^/log lines with "failed": /'
tail -n 1 "$work/agent.log"
