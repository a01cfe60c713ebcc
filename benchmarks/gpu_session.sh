#!/usr/bin/env bash
# One lent GPU machine, one call: CUDA checks, then the GPU figures of the benchmarks.
#
#   OUT=out/gpu DATA=../shared/data DEADLINE_S=540 bash benchmarks/gpu_session.sh
#
# Runs from the repository root with the machine's own python3 (torch with CUDA); the
# package is used from the checkout (PYTHONPATH), nothing is installed. DATA holds kodak/
# (kodim01, 02, 03, 23) and coolchic3/kodak-results.tsv. Stages, each written to OUT as
# it ends, so that a run cut short still returns what it measured:
#   1. tests/test_cuda.py (stops here if the GPU path is wrong);
#   2. benchmarks/step_parts.py --device cuda --whole-step (ms per part and per iteration);
#   3. benchmarks/preset_timing.py: TIMED_PRESETS (default fast,medium,slow; empty skips the
#      stage) on kodim01 at quality 60, one at a time;
#   4. until DEADLINE_S: RD_PRESET (default slow) at the IMAGE:LAMBDA points of POINTS (default
#      4 λ on the 4 images), dealt in turn to WORKERS encodes at once, a point started only
#      when the time left exceeds 1.3 x the worker's estimate (first 2 x the preset's time
#      alone, or 200 s when stage 3 did not time it, then its last point). In a 15-minute
#      lease `slow` (379 s alone on an H200) leaves no time for stage 4: use RD_PRESET=medium
#      there.
# STEP_PARTS=0 skips stage 2. PYTHON= runs every stage with another interpreter (or a wrapper
# that patches the package first, as recipe_study.md's session-16 run did).
set -u
OUT=${OUT:?set OUT to the output folder}
DATA=${DATA:-../shared/data}
DEADLINE_S=${DEADLINE_S:-540}
WORKERS=${WORKERS:-4}
RD_PRESET=${RD_PRESET:-slow}
TIMED_PRESETS=${TIMED_PRESETS-fast,medium,slow}
STEP_PARTS=${STEP_PARTS:-1}
POINTS=${POINTS:-"kodim01:4e-4 kodim23:4e-4 kodim03:1e-3 kodim03:4e-4 kodim01:2e-2 kodim23:1e-3 kodim03:4e-3
    kodim03:2e-2 kodim02:1e-3 kodim02:4e-3 kodim01:1e-3 kodim01:4e-3 kodim02:4e-4 kodim02:2e-2 kodim23:4e-3
    kodim23:2e-2"}
PY=${PYTHON:-python3}
export PYTHONPATH="$PWD:$PWD/cli${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
mkdir -p "$OUT"
log() { echo "[gpu_session $SECONDS s] $*"; }

log "machine"
nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm --format=csv
$PY -c "import torch, numpy; print('torch', torch.__version__, 'numpy', numpy.__version__, torch.cuda.get_device_name())"

log "1. CUDA tests"
$PY -m pytest -q -m cuda tests/test_cuda.py -p no:cacheprovider 2>&1 | tee "$OUT/cuda_tests.log"
[ "${PIPESTATUS[0]}" = 0 ] || { log "CUDA tests failed: stopping"; exit 1; }

if [ "$STEP_PARTS" != 0 ]; then
    log "2. step parts"
    $PY benchmarks/step_parts.py --device cuda --whole-step --threads 2 2>&1 | tee "$OUT/step_parts_cuda.txt"
fi

alone_s=
if [ -n "$TIMED_PRESETS" ]; then
    log "3. presets on kodim01"
    $PY benchmarks/preset_timing.py --presets "$TIMED_PRESETS" --images kodim01 --device cuda --threads 2 \
        --quality 60 --kodak "$DATA/kodak" --out "$OUT/preset_timing_cuda.tsv"
    alone_s=$(awk -F'\t' -v p="$RD_PRESET" '$2 == p {print int($6)}' "$OUT/preset_timing_cuda.tsv")
fi
log "$RD_PRESET alone: ${alone_s:-?} s"

log "4. $RD_PRESET preset RD points, $WORKERS at once, until ${DEADLINE_S} s"
worker() {  # worker INDEX IMAGE:LAMBDA ...
    local index=$1 estimate=$((2 * ${alone_s:-100})) point left start
    shift
    for point in "$@"; do
        left=$((DEADLINE_S - SECONDS))
        (( left * 10 > estimate * 13 )) || { log "worker $index: ${left} s left, skips $point"; continue; }
        start=$SECONDS
        timeout "$left" $PY benchmarks/kodak_budget.py --images "${point%%:*}" --lambdas "${point##*:}" \
            --preset "$RD_PRESET" --device cuda --threads 1 --data "$DATA" --out "$OUT/rd_worker$index.tsv" \
            || log "worker $index: $point did not finish"
        estimate=$((SECONDS - start))
    done
}
# shellcheck disable=SC2206  # POINTS is a list of words, on one line or several
points=($POINTS)
for i in $(seq 0 $((WORKERS - 1))); do
    queue=()
    for ((j = i; j < ${#points[@]}; j += WORKERS)); do queue+=("${points[$j]}"); done
    worker "$i" "${queue[@]}" &
done
wait
awk 'FNR > 1 || NR == 1' "$OUT"/rd_worker*.tsv > "$OUT/kodak_budget_cuda.tsv" 2>/dev/null && rm -f "$OUT"/rd_worker*.tsv
log "done"
cat "$OUT/step_parts_cuda.txt" "$OUT/preset_timing_cuda.tsv" "$OUT/kodak_budget_cuda.tsv" 2>/dev/null
