#!/usr/bin/env bash
# Load test of samples/EmbeddingServer on loopback: publishes the Native AOT server and samples/Embed, measures the
# in-process packed throughput (samples/Embed --file) and then the server under bench/ServerLoad (1, 8 and 64 clients,
# 10 s per step) with two request mixes: one fortune per request in corpus order (request sizes as varied as the corpus:
# 2 to 256 tokens), and one fixed fortune of the corpus's median length per request (every request the same work, so the
# latency spread is the server's). Writes bench/results/server-<cpu>.md.
# The load generator runs on the same 2 vCPUs as the server: the figures are the pair's, not the server's alone.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
dotnet publish samples/EmbeddingServer -c Release -o "$out/server" > /dev/null
dotnet publish samples/Embed -c Release -o "$out/embed" > /dev/null
dotnet build bench/ServerLoad -c Release -o "$out/load" > /dev/null
corpus=bench/corpus/fortunes.txt
median=$(grep -v '^$' "$corpus" | awk '{print length($0)}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
awk -v n="$median" 'length($0) == n {print; exit}' "$corpus" > "$out/fixed-one.txt"
for _ in $(seq 2000); do cat "$out/fixed-one.txt"; done > "$out/fixed.txt"
in_process() { "$out/embed/embed" --file "$1" 2>&1 >/dev/null | grep -o '[0-9.]* sentences/s' | cut -d' ' -f1; }
port=$(( 20000 + RANDOM % 20000 ))
"$out/server/embedding-server" --port "$port" > "$out/server.log" 2>&1 &
server=$!
trap 'kill -CONT $server 2>/dev/null; kill -TERM $server 2>/dev/null || true' EXIT # CONT: a stopped server would hold a TERM pending
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/health" > /dev/null && break; sleep 0.2; done
family=$(grep -m1 "cpu family" /proc/cpuinfo | awk '{print $4}'); model=$(grep -m1 "^model" /proc/cpuinfo | awk '{print $3}')
case "$family" in 25) cpu=zen4;; 26) cpu=zen5;; 6) cpu=intel-$model;; *) cpu=family$family;; esac
kill -STOP $server # the in-process runs get the machine to themselves
mixed_in_process=$(in_process "$corpus"); fixed_in_process=$(in_process "$out/fixed.txt")
kill -CONT $server
{
  echo "# Embeddings server under load — $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs) (family $family, model $model), $(nproc) vCPU"
  echo
  echo "\`bench/server-load.sh\`, $(date -u +%Y-%m-%d): Native AOT server (defaults: max wait 0 ms, token budget 8192), 10 s per"
  echo "step; the load generator runs on the same machine (it takes CPU from the server). In-process: the Native AOT"
  echo "\`samples/Embed --file\` (packed batches, 2 threads) on the same texts, server stopped meanwhile."
  echo
  echo "## One fortune per request, in corpus order ($(grep -vc '^$' "$corpus") texts of 2–256 tokens)"
  echo
  "$out/load/server-load" --url "http://127.0.0.1:$port/" --seconds 10 --clients 1,8,64 --corpus "$corpus"
  echo
  echo "In process: $mixed_in_process sentences/s."
  echo
  echo "## The same fortune in every request (the corpus's median length, $median characters)"
  echo
  echo "> $(cat "$out/fixed-one.txt")"
  echo
  "$out/load/server-load" --url "http://127.0.0.1:$port/" --seconds 10 --clients 1,8,64 --corpus "$out/fixed-one.txt"
  echo
  echo "In process: $fixed_in_process sentences/s."
  echo
  echo "Coalescing: $(curl -s "http://127.0.0.1:$port/health")"
} > "$out/report.md"
mv "$out/report.md" "bench/results/server-$cpu.md"
cat "bench/results/server-$cpu.md"
