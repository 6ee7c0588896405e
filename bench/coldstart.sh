#!/usr/bin/env bash
# Cold start, process start → first printed result, median over repeated runs: the translation sample (JIT and Native
# AOT), the embedding sample (JIT and AOT) and ONNX Runtime (JIT app creating its session). Writes bench/coldstart.json.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-15}
out=artifacts/coldstart
mkdir -p "$out"
dotnet publish samples/Translate -c Release -o "$out/translate-aot" > /dev/null
dotnet publish samples/Embed -c Release -o "$out/embed-aot" > /dev/null
dotnet build bench/OrtColdStart -c Release -o "$out/ort" > /dev/null
dotnet build samples/Translate -c Release -o "$out/translate-jit" > /dev/null
dotnet build samples/Embed -c Release -o "$out/embed-jit" > /dev/null
"$out/embed-aot/embed" "warm the cache" > /dev/null   # the one-time ONNX conversion is not part of a cold start

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'; }
measure() {  # name, command...
  local name=$1; shift
  for _ in 1 2; do "$@" > /dev/null; done   # page cache warm, as for any repeated start
  for _ in $(seq "$runs"); do
    local start=$(date +%s%N); "$@" > /dev/null; local end=$(date +%s%N)
    echo $(( (end - start) / 1000 ))
  done | median | awk -v n="$name" -v r="$runs" '{printf "  \"%s\": {\"median_ms\": %.1f, \"runs\": %d}", n, $1/1000, r}'
}
{
  echo "{"
  measure "translate 我有一只猫, Native AOT" "$out/translate-aot/translate" "我有一只猫"; echo ","
  measure "translate 我有一只猫, JIT (dotnet translate.dll)" dotnet "$out/translate-jit/translate.dll" "我有一只猫"; echo ","
  measure "embed one sentence, Native AOT" "$out/embed-aot/embed" "A man is eating food."; echo ","
  measure "embed one sentence, JIT (dotnet embed.dll)" dotnet "$out/embed-jit/embed.dll" "A man is eating food."; echo ","
  measure "ONNX Runtime: session + one MiniLM forward, JIT app" dotnet "$out/ort/OrtColdStart.dll" "A man is eating food."
  echo; echo "}"
} > bench/coldstart.json
cat bench/coldstart.json
