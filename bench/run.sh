#!/usr/bin/env bash
# Runs every benchmark and rewrites bench/RESULTS.md (or bench/RESULTS.quick.md with --quick, a smoke run).
# Extra arguments go to BenchmarkDotNet, e.g.: bench/run.sh --filter '*GemmBenchmarks*'
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet run -c Release --project bench/TransformerKernels.Bench -- "$@"
