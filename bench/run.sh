#!/usr/bin/env bash
# Regenerates bench/RESULTS.md and bench/latency.png from one session on this machine:
#   1. PyTorch peer timings (bench/pytorch_bench.py → bench/pytorch-results.json; installs Debian's torch + OpenBLAS if missing)
#   2. cold starts (bench/coldstart.sh → bench/coldstart.json)
#   3. BenchmarkDotNet: FMA peak, GEMMs vs TensorPrimitives, encoder blocks, MiniLM vs ONNX Runtime, translation
#      (reads 1 and 2, writes bench/RESULTS.md and bench/latency.svg), then the SVG → PNG.
# --quick: only BenchmarkDotNet's dry job (a smoke run, what CI runs) into bench/RESULTS.quick.md.
# Extra arguments go to BenchmarkDotNet, e.g.: bench/run.sh --filter '*GemmBenchmarks*'
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ " $* " == *" --quick "* ]]; then
  exec dotnet run -c Release --project bench/TransformerKernels.Bench -- "$@"
fi
if ! /usr/bin/python3 -c "import torch, sentencepiece" 2>/dev/null || ! ls /usr/lib/x86_64-linux-gnu/openblas-openmp/ >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch python3-numpy python3-sentencepiece libopenblas0-openmp librsvg2-bin
fi
/usr/bin/python3 -W ignore bench/pytorch_bench.py
bash bench/coldstart.sh
# Native reference for the FP32 FMA peak (bench/native/fma-peak.c): the report divides by the higher of it and the C# probe.
if command -v gcc > /dev/null && grep -qw avx512f /proc/cpuinfo; then
  gcc -O2 -mavx512f -mfma -o bench/native/fma-peak bench/native/fma-peak.c && bench/native/fma-peak | tee bench/native-peak.json
fi
# Native cross-check of the int8 peak the BenchmarkDotNet run measures (Int8PeakBenchmarks): the same tile compiled by gcc.
if command -v gcc > /dev/null && grep -qw avx512bw /proc/cpuinfo; then
  gcc -O2 -mavx512f -mavx512bw -o bench/native/int8-tile-peak bench/native/int8-tile-peak.c && bench/native/int8-tile-peak | tail -3
fi
dotnet run -c Release --project bench/TransformerKernels.Bench -- "$@"
if command -v rsvg-convert > /dev/null; then
  rsvg-convert bench/latency.svg -o bench/latency.png
fi
