"""Serve many tasks on one frozen backbone over HTTP, with mixed-task
dynamic batching (needs the ``serve`` extra: pip install -e '.[serve]').

Examples:
    # the demo's Linear, VPT-shallow and VPT-deep deltas (after make demo)
    python tools/serve.py \
        configs/demo/linear_vit-tiny-p7-fmnist_1xb64_digits1k.py \
        work_dirs/demo/deltas --port 8000
    curl --data-binary @digit.png \
        http://127.0.0.1:8000/tasks/vpt-deep/predict

See docs/serving.md for the API.
"""
import argparse

from mmengine.config import Config

import vpt_mm.modules  # noqa: F401  (patches, then registration)
from vpt_mm.checkpoint.delta import OVERRIDE_FLAG
from vpt_mm.checkpoint.strict import CheckpointMismatchError
from vpt_mm.serving.app import MAX_BYTES


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'config', help='a config of the backbone (its pretrained init_cfg, '
        'test pipeline and data preprocessor; its prompts and head unused)')
    parser.add_argument(
        'tasks', nargs='+', help='folders of <task>.delta.safetensors, '
        'delta files, or NAME=DELTA pairs')
    parser.add_argument('--host', default='127.0.0.1')
    parser.add_argument('--port', type=int, default=8000)
    parser.add_argument('--max-batch', type=int, default=32,
                        help='the most requests of one batch')
    parser.add_argument('--max-wait-ms', type=float, default=10.,
                        help='the longest a request waits for others')
    parser.add_argument('--max-bytes', type=int, default=MAX_BYTES,
                        help='the largest image accepted')
    parser.add_argument('--device', help='cpu, cuda, cuda:1, ...')
    parser.add_argument(OVERRIDE_FLAG, action='store_true',
                        help='serve deltas of another backbone (logged)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    from vpt_mm.serving.images import ImageDecoder
    from vpt_mm.serving.server import serve
    from vpt_mm.serving.tasks import load_tasks
    cfg = Config.fromfile(args.config)
    try:
        model = load_tasks(cfg, args.tasks, args.device,
                           args.allow_other_backbone)
    except (CheckpointMismatchError, FileNotFoundError, ValueError) as error:
        raise SystemExit(str(error)) from error
    for task in model.describe():
        print(f"task {task['name']}: {task['kind']}, {task['num_tokens']} "
              f"prompt tokens, {task['num_classes']} classes, backbone "
              f"{task['fingerprint_check']}")
    serve(model, ImageDecoder(cfg), args.host, args.port, args.max_batch,
          args.max_wait_ms / 1000., args.max_bytes)


if __name__ == '__main__':
    main()
