#!/usr/bin/env bash
# Distributed training with torchrun: one process per GPU on each node.
#
# Usage:
#   bash tools/dist_train.sh CONFIG GPUS_PER_NODE [train.py args]
#   NNODES=2 NODE_RANK=0 MASTER_ADDR=10.0.0.1 PORT=29500 \
#       bash tools/dist_train.sh CONFIG 8 [train.py args]   # on node 0
#   NNODES=2 NODE_RANK=1 MASTER_ADDR=10.0.0.1 PORT=29500 \
#       bash tools/dist_train.sh CONFIG 8 [train.py args]   # on node 1
#
# Environment: NNODES (1), NODE_RANK (0), MASTER_ADDR (127.0.0.1),
# PORT (29500; every node uses the same one), PYTHON (python: the
# interpreter of the environment vpt_mm is installed in).
# The global batch is NNODES x GPUS_PER_NODE x train_dataloader.batch_size;
# with auto_scale_lr enabled the lr follows it. Without CUDA the processes
# use the gloo backend on CPU (vpt_mm.compat.cpu_ddp).
set -euo pipefail
if [ $# -lt 2 ]; then
    echo "usage: [NNODES=N NODE_RANK=R MASTER_ADDR=A PORT=P]" \
        "bash $0 CONFIG GPUS_PER_NODE [train.py args]" >&2
    exit 2
fi
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

exec "$PYTHON" -m torch.distributed.run \
    --nnodes="$NNODES" \
    --node_rank="$NODE_RANK" \
    --master_addr="$MASTER_ADDR" \
    --nproc_per_node="$GPUS" \
    --master_port="$PORT" \
    "$(dirname "$0")/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
