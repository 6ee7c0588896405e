#!/usr/bin/env bash
# Load test of samples/EmbeddingServer on loopback: publishes the Native AOT server, starts it on a free port, runs
# bench/ServerLoad (1, 8 and 64 clients posting one fortune each, 10 s per step) and writes bench/results/server-<cpu>.md.
# The load generator runs on the same 2 vCPUs as the server: the figures are the pair's, not the server's alone.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
dotnet publish samples/EmbeddingServer -c Release -o "$out/server" > /dev/null
dotnet build bench/ServerLoad -c Release -o "$out/load" > /dev/null
port=$(( 20000 + RANDOM % 20000 ))
"$out/server/embedding-server" --port "$port" > "$out/server.log" 2>&1 &
server=$!
trap 'kill -TERM $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 0.2; done
family=$(grep -m1 "cpu family" /proc/cpuinfo | awk '{print $4}'); model=$(grep -m1 "^model" /proc/cpuinfo | awk '{print $3}')
case "$family" in 25) cpu=zen4;; 26) cpu=zen5;; 6) cpu=intel-$model;; *) cpu=family$family;; esac
{
  echo "# Embeddings server under load — $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) (family $family, model $model), $(nproc) vCPU"
  echo
  echo "\`bench/server-load.sh\`, $(date -u +%Y-%m-%d): Native AOT server (defaults: max wait 0 ms, token budget 8192), one fortune"
  echo "per request, 10 s per step; load generator on the same machine (it takes CPU from the server)."
  echo
  "$out/load/server-load" --url "http://127.0.0.1:$port/" --seconds 10 --clients 1,8,64 --corpus bench/corpus/fortunes.txt
  echo
  echo "Coalescing: $(curl -s "http://127.0.0.1:$port/health")"
} > "bench/results/server-$cpu.md"
cat "bench/results/server-$cpu.md"
