#!/bin/bash
# The many-core checks that a 2-core machine cannot make, as one script for a lent machine (see README, Performance):
# compare at several thread counts, then A/B timings (`layer` / `lm` with SEQUIN_AB, alternating calls in one process)
# of the rules that were chosen on a 16-core Xeon or not measured there. About 7 minutes on 16 cores.
#
#   bench/scripts/manycore.sh BENCH OUT [THREADS]
#
# BENCH: the Sequin.Benchmarks executable (a self-contained `dotnet publish -c Release -r linux-x64 --self-contained`
# of bench/Sequin.Benchmarks runs where no .NET SDK is installed); OUT: a folder for the JSON and the log; THREADS:
# the machine's cores (default: nproc). Run from the repository root (compare reads bench/Sequin.Benchmarks/Models).
set -u
B=${1:?usage: manycore.sh BENCH OUT [THREADS]}
OUT=${2:?usage: manycore.sh BENCH OUT [THREADS]}
T=${3:-$(nproc)}
Q=$(( T / 4 > 0 ? T / 4 : 1 ))
H=$(( T / 2 > 0 ? T / 2 : 1 ))
mkdir -p "$OUT"
L=$OUT/ab.txt
: > "$L"
lscpu | grep -E 'Model name|Thread|Core|Socket|L2|L3' | tee -a "$L"
ab() { echo "== $*" | tee -a "$L"; env SEQUIN_PACK=1 SEQUIN_REPS=${REPS:-24} "$@" 2>&1 | tail -2 | tee -a "$L"; }

# Inference: row blocks of the unit split (default) against none, and the 4-row block minimum against 16.
ab SEQUIN_AB=BLOCKS=1,1000 "$B" layer lstm 256 512 100 64 "$T"
ab SEQUIN_AB=MINBLOCKROWS=16,4 "$B" layer lstm 64 128 100 8 "$T"
# One sequence: the next chunk's projection beside each step (fused, default) against before each chunk, at all and a
# quarter of the cores (chosen on two AVX-512 cores, where W_hh does not fit one core's L2; here the parts may fit).
ab SEQUIN_AB=FUSED=0,1 SEQUIN_REPS=40 "$B" layer lstm 256 512 1000 1 "$T"
ab SEQUIN_AB=FUSED=0,1 SEQUIN_REPS=40 "$B" layer gru 256 512 1000 1 "$T"
ab SEQUIN_AB=FUSED=0,1 SEQUIN_REPS=40 "$B" layer lstm 256 512 1000 1 "$Q"
# Inference at a quarter of the cores (the 4-thread case on 16 cores trailed ONNX Runtime): unit split against row groups.
ab SEQUIN_AB=MINUNITS=64,1024 "$B" layer lstm 256 512 100 64 "$Q"
# Training backward: row groups of at least 4 rows against the 16-row minimum (the column split below it), batch 64
# and the d2l step; then the backward's row groups against none at all.
ab SEQUIN_AB=BWMINROWS=16,4 "$B" layer lstm 256 512 100 64 "$T" train
ab SEQUIN_AB=BWMINROWS=16,4 "$B" layer gru 256 512 100 64 "$T" train
echo "== lm d2l step, SEQUIN_AB=BWMINROWS=16,4" | tee -a "$L"
SEQUIN_AB=BWMINROWS=16,4 "$B" lm "$T" 200 2>&1 | tail -2 | tee -a "$L"
ab SEQUIN_AB=BWGROUPS=0,1 "$B" layer lstm 256 512 100 64 "$T" train

for t in $(printf '%s\n' "$T" "$H" "$Q" | uniq); do
    echo "== compare $t threads" | tee -a "$L"
    timeout 300 "$B" compare --threads "$t" --json "$OUT/compare-${t}threads.json" > "$OUT/compare-${t}threads.txt" 2>&1
    grep -E '^\| (lstm|gru)|SGEMM 1024|forward\+backward|d2l' "$OUT/compare-${t}threads.txt" | tee -a "$L"
done
