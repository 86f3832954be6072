"""Strip a training checkpoint down to its weights, for sharing or loading.

The output holds ``state_dict`` (and a ``meta`` of plain values) only, so it
loads with torch's strict ``weights_only`` loading, e.g. as another run's
``init_cfg=dict(type='Pretrained', checkpoint=OUT, prefix='backbone.')``.

Usage::

    python tools/model_converters/publish_model.py IN.pth OUT.pth
"""
import argparse
import hashlib

import torch

from vpt_mm.checkpoint.atomic import atomic_path
from vpt_mm.checkpoint.io import load_run_checkpoint

PLAIN_TYPES = (str, int, float, bool, type(None))


def publish(src: str, dst: str) -> str:
    """Write the weights of run checkpoint ``src`` to ``dst``.

    Returns:
        str: The first 8 hex digits of the output's SHA-256.
    """
    # A run's own checkpoint: the trusted allow-list, never weights_only off;
    # an empty or truncated file is one line naming it.
    checkpoint = load_run_checkpoint(src)
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint:
        raise ValueError(f'{src}: no "state_dict" key; not a run checkpoint')
    meta = {
        key: value
        for key, value in checkpoint.get('meta', {}).items()
        if isinstance(value, PLAIN_TYPES)
    }
    with atomic_path(dst) as tmp:
        torch.save(dict(state_dict=checkpoint['state_dict'], meta=meta), tmp)
    with open(dst, 'rb') as file:
        return hashlib.sha256(file.read()).hexdigest()[:8]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('src', help='checkpoint written by tools/train.py')
    parser.add_argument('dst', help='output file')
    args = parser.parse_args()
    try:
        digest = publish(args.src, args.dst)
    except (OSError, ValueError) as error:  # names the file, one line
        raise SystemExit(str(error)) from None
    print(f'wrote {args.dst} (sha256 {digest})')


if __name__ == '__main__':
    main()
