#!/usr/bin/env bash
# Training on a Slurm cluster: srun starts one task per GPU, possibly over
# several nodes; mmengine reads the rank and world size from Slurm.
#
# Usage:
#   [GPUS=8] [GPUS_PER_NODE=8] [CPUS_PER_TASK=5] [SRUN_ARGS="..."] [PORT=P] \
#       bash tools/slurm_train.sh PARTITION JOB_NAME CONFIG WORK_DIR \
#       [train.py args]
#   GPUS=16 bash tools/slurm_train.sh gpu vpt-cub \
#       configs/vpt/vpt-deep_vit-b16-in21k_1xb128_cub.py work_dirs/cub
#
# GPUS is the total number of tasks (GPUS / GPUS_PER_NODE nodes); SRUN_ARGS
# is split on spaces and passed to srun (e.g. "--quotatype=spot -x node3");
# PORT, when set, is the rendezvous port (MASTER_PORT, default 29500).
set -euo pipefail
if [ $# -lt 4 ]; then
    echo "usage: [GPUS=8 GPUS_PER_NODE=8 CPUS_PER_TASK=5 SRUN_ARGS=...]" \
        "bash $0 PARTITION JOB_NAME CONFIG WORK_DIR [train.py args]" >&2
    exit 2
fi
PARTITION=$1
JOB_NAME=$2
CONFIG=$3
WORK_DIR=$4
GPUS=${GPUS:-8}
GPUS_PER_NODE=${GPUS_PER_NODE:-$((GPUS < 8 ? GPUS : 8))}
CPUS_PER_TASK=${CPUS_PER_TASK:-5}
read -r -a EXTRA_SRUN_ARGS <<< "${SRUN_ARGS:-}"
PYTHON=${PYTHON:-python}
if [ -n "${PORT:-}" ]; then
    export MASTER_PORT=$PORT
fi

exec srun -p "$PARTITION" \
    --job-name="$JOB_NAME" \
    --gres=gpu:"$GPUS_PER_NODE" \
    --ntasks="$GPUS" \
    --ntasks-per-node="$GPUS_PER_NODE" \
    --cpus-per-task="$CPUS_PER_TASK" \
    --kill-on-bad-exit=1 \
    ${EXTRA_SRUN_ARGS[@]+"${EXTRA_SRUN_ARGS[@]}"} \
    "$PYTHON" -u "$(dirname "$0")/train.py" "$CONFIG" \
    --work-dir="$WORK_DIR" --launcher=slurm "${@:5}"
