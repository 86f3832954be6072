#!/usr/bin/env bash
# The GPU measurements in one go, under 8 minutes on one GPU: the Tab. 12
# rows and the prefix/token/Full ratios at p = 1 and 200 (bf16 autocast),
# the VPT-deep step against the 2/3 bound, model FLOPs per image and MFU,
# the CUDA-only tests (fused SDPA kernel with prompt prefixes, bf16 step),
# and a 2-process DDP training step.
#
#   bash tools/analysis/gpu_benchmark.sh            # needs CUDA
#   bash tools/analysis/gpu_benchmark.sh --dry-run  # print the steps only
#
# Writes work_dirs/gpu_benchmark/ (GPU_BENCH_OUT): benchmark.md,
# benchmark.json, mfu.md, tests.log, ddp/. Copy the tables, with the
# machine named, into docs/benchmark_gpu.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python}
OUT=${GPU_BENCH_OUT:-work_dirs/gpu_benchmark}
DRY=0
if [ "${1:-}" = --dry-run ]; then
    DRY=1
elif [ $# -gt 0 ]; then
    echo "usage: bash $0 [--dry-run]" >&2
    exit 2
fi
run() {
    echo "+ $*"
    if [ $DRY = 0 ]; then "$@"; fi
}
if [ $DRY = 0 ] && ! "$PYTHON" -c \
        'import sys, torch; sys.exit(0 if torch.cuda.is_available() else 1)'
then
    echo 'gpu_benchmark.sh: no CUDA device (torch.cuda.is_available() is' \
        'False); nothing was run. --dry-run prints the steps.' >&2
    exit 3
fi
[ $DRY = 1 ] || mkdir -p "$OUT"

# 1. Tab. 12 rows, ratios at p = 1 and 200, the 2/3-bound table (~4 min)
run "$PYTHON" tools/analysis/benchmark.py --device cuda --batch 64 \
    --repeats 10 --prompt-lengths 1 200 \
    --methods full linear vpt-shallow vpt-deep-token vpt-deep-prefix \
    --out "$OUT/benchmark.md" --json "$OUT/benchmark.json"
# 2. model FLOPs per image and MFU of every measurement
run "$PYTHON" tools/analysis/mfu.py "$OUT/benchmark.json" \
    --out "$OUT/mfu.md"
# 3. the CUDA-only tests: fused SDPA kernel in prefix mode, bf16 step
run "$PYTHON" -m pytest -q -p no:cacheprovider tests/test_apis/test_gpu_path.py
# 4. a 2-process DDP step (gloo: both processes share the one GPU)
run "$PYTHON" tools/misc/make_toy_fgvc.py data/toy_fgvc
run env CUDA_VISIBLE_DEVICES=0 bash tools/dist_train.sh \
    configs/smoke/vpt-deep_vit-tiny_toy-fgvc.py 2 --amp \
    --work-dir "$OUT/ddp" --cfg-options env_cfg.dist_cfg.backend=gloo
echo "gpu_benchmark.sh: done; results in $OUT"
