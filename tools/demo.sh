#!/usr/bin/env bash
# The demo, on real data and a CPU: pretrain a tiny ViT on Fashion-MNIST
# with tools/train.py, then transfer it to digits-1k (OpenCV's handwritten
# digits in the VTAB-1k layout) with Linear, VPT-shallow, VPT-deep and Full
# under the paper's protocol (tools/sweep.py: lr x wd grid on train800 ->
# val200, best setting re-run with seeds on train800val200 -> test), and
# print the paper-style table. Then segmentation: the same backbone under
# SETR-PUP on fashion-scenes (Fashion-MNIST test items on canvases, ADE20K
# layout) as Head-only, Bias, VPT-deep, VPT+Bias and Full (lr chosen on
# validation by mIoU), an mIoU table and a picture of test predictions.
#
#   bash tools/demo.sh                # about 22 minutes on 2 cores
#   DEMO_QUICK=1 bash tools/demo.sh   # same code path, a few iterations
#
# Needs Debian's dataset-fashion-mnist (the digits image is bundled in
# resources/); installs it when it runs as root with apt-get, otherwise says
# what to install.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
export PYTHON

if [ "${DEMO_QUICK:-0}" = 1 ]; then
    WORK=${DEMO_WORK_DIR:-work_dirs/demo-quick}
    PRETRAIN_ITERS=60
    SCHEDULE=(train_cfg.max_epochs=3 param_scheduler.0.end=1
              param_scheduler.1.begin=1 param_scheduler.1.end=3)
    SGD_LRS="2.5"
    ADAMW_LRS="0.0005"
    SEEDS=1
    SEG_SCHEDULE=(train_cfg.max_iters=40 default_hooks.checkpoint.interval=40)
    SEG_SEEDS=1
    SEG_LRS="1.0"
    SEG_FULL_LRS="0.05"
else
    WORK=${DEMO_WORK_DIR:-work_dirs/demo}
    PRETRAIN_ITERS=600  # the config's own
    SCHEDULE=()  # the configs' own 20 epochs
    SGD_LRS="2.5 1"
    ADAMW_LRS="0.001 0.0005"
    SEEDS=2
    SEG_SCHEDULE=()  # the configs' own 300 iterations
    SEG_SEEDS=2
    SEG_LRS=""  # the configs' sweep_grid
    SEG_FULL_LRS=""
fi
WDS="0.0001"
mkdir -p "$WORK"

if ! "$PYTHON" tools/misc/prepare_demo_data.py; then
    if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
        echo 'Installing dataset-fashion-mnist with apt-get'
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
            dataset-fashion-mnist > /dev/null
        "$PYTHON" tools/misc/prepare_demo_data.py
    else
        echo 'Run: sudo apt-get install dataset-fashion-mnist' >&2
        exit 1
    fi
fi

BACKBONE="$WORK/vit-tiny-p7_fashion-mnist.pth"
if [ ! -f "$BACKBONE" ]; then
    "$PYTHON" tools/train.py configs/demo/vit-tiny-p7_1xb128-600it_fashion-mnist.py \
        --work-dir "$WORK/pretrain" \
        --cfg-options train_cfg.max_iters="$PRETRAIN_ITERS" \
        train_cfg.val_interval="$PRETRAIN_ITERS" \
        default_hooks.checkpoint.interval="$PRETRAIN_ITERS" \
        param_scheduler.0.end=$((PRETRAIN_ITERS / 10)) \
        param_scheduler.1.begin=$((PRETRAIN_ITERS / 10)) \
        param_scheduler.1.end="$PRETRAIN_ITERS" \
        > "$WORK/pretrain.log" 2>&1 || { tail -n 30 "$WORK/pretrain.log"; exit 1; }
    grep -o 'accuracy/top1: [0-9.]*' "$WORK/pretrain.log" | tail -n 1 |
        sed 's/^/Fashion-MNIST test /'
    "$PYTHON" tools/model_converters/publish_model.py \
        "$WORK/pretrain/iter_$PRETRAIN_ITERS.pth" "$BACKBONE"
fi

# two runs at a time, one CPU thread each: on 2 cores this trains the tiny
# model faster than one run with two threads
JOBS=${DEMO_JOBS:-2}
COMMON=(--num-seeds "$SEEDS" --wds $WDS --jobs "$JOBS" --keep-going --cfg-options
        model.backbone.init_cfg.checkpoint="$BACKBONE" "${SCHEDULE[@]}")
SWEEPS=()
NAMES=()
for method in linear vpt-shallow vpt-deep full; do
    case $method in
        full) lrs=$ADAMW_LRS name=Full ;;
        linear) lrs=$SGD_LRS name=Linear ;;
        vpt-shallow) lrs=$SGD_LRS name=VPT-shallow ;;
        vpt-deep) lrs=$SGD_LRS name=VPT-deep ;;
    esac
    echo "== $name"
    "$PYTHON" tools/sweep.py \
        "configs/demo/${method}_vit-tiny-p7-fmnist_1xb64_digits1k.py" \
        --work-dir "$WORK/sweep/$method" --lrs $lrs "${COMMON[@]}"
    SWEEPS+=("$WORK/sweep/$method")
    NAMES+=("$name")
done

"$PYTHON" tools/sweep.py --aggregate "${SWEEPS[@]}" \
    --method-name "${NAMES[@]}" --summary-dir "$WORK"
cat "$WORK/summary.md"
echo "Grid heat maps: $WORK/sweep/*/digits/grid.png"

# each method's best final run's delta in a fixed place, for tools/serve.py
for method in linear vpt-shallow vpt-deep; do
    "$PYTHON" tools/misc/best_delta.py "$WORK/sweep/$method/digits" \
        "$WORK/deltas/$method.delta.safetensors"
done

# Segmentation: SETR-PUP on fashion-scenes, mIoU chosen on validation
"$PYTHON" tools/misc/prepare_seg_demo_data.py
SEG_SWEEPS=()
SEG_NAMES=()
for method in head-only bias vpt-deep vpt-bias full; do
    key=model.backbone.init_cfg.checkpoint lrs=$SEG_LRS
    case $method in
        head-only) name=Head-only ;;
        bias) name=Bias key=model.backbone.module.init_cfg.checkpoint ;;
        vpt-deep) name=VPT-deep ;;
        vpt-bias) name=VPT+Bias key=model.backbone.module.init_cfg.checkpoint ;;
        full) name=Full lrs=$SEG_FULL_LRS ;;
    esac
    echo "== $name (segmentation)"
    "$PYTHON" tools/sweep.py \
        "configs/demo/${method}_vit-tiny-p7-fmnist_setr-pup_fashion-scenes.py" \
        --work-dir "$WORK/seg/$method" --metric mIoU ${lrs:+--lrs $lrs} \
        --num-seeds "$SEG_SEEDS" --jobs "$JOBS" --keep-going \
        --cfg-options "$key=$BACKBONE" "${SEG_SCHEDULE[@]}"
    SEG_SWEEPS+=("$WORK/seg/$method")
    SEG_NAMES+=("$name")
done
"$PYTHON" tools/misc/seg_demo_report.py "${SEG_SWEEPS[@]}" \
    --method-name "${SEG_NAMES[@]}" --out-dir "$WORK"
