"""Merge a delta onto its pretrained backbone: a full checkpoint.

Builds CONFIG's model, loads the pretrained backbone from its
``init_cfg``, puts the delta on top (strictly) and writes the whole
``state_dict`` (with a ``meta`` of plain values), which
``tools/test.py CONFIG OUT`` loads strictly, as any run checkpoint.

Usage::

    python tools/model_converters/merge_delta.py CONFIG DELTA OUT.pth

The delta must be bound to CONFIG's pretrained backbone (its fingerprint);
``--allow-other-backbone`` merges it onto another one anyway (logged).
"""
import argparse
import json

import torch
from mmengine.config import Config

from vpt_mm.apis.model import build_model_from_config
from vpt_mm.checkpoint.atomic import atomic_path
from vpt_mm.checkpoint.delta import OVERRIDE_FLAG
from vpt_mm.checkpoint.strict import CheckpointMismatchError
from vpt_mm.models.delta import load_delta


def merge(config: str,
          delta: str,
          out: str,
          allow_other_backbone: bool = False) -> int:
    """Write the merged checkpoint; returns its number of tensors.

    Raises:
        CheckpointMismatchError: The delta does not fit the config or its
            backbone (one line naming the key, field or fingerprints).
    """
    cfg = Config.fromfile(config)
    model = build_model_from_config(cfg)
    model.init_weights()
    meta = load_delta(model, delta, allow_other_backbone)
    state_dict = model.state_dict()
    with atomic_path(out) as tmp:
        torch.save(
            dict(
                state_dict=state_dict,
                meta=dict(
                    config=config,
                    delta=delta,
                    methods=json.loads(meta.get('methods', '[]')),
                    epoch=meta.get('epoch'),
                    iter=meta.get('iter'))), tmp)
    return len(state_dict)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the config the delta was trained '
                        'with (its init_cfg names the backbone)')
    parser.add_argument('delta', help='a .delta.safetensors file')
    parser.add_argument('out', help='the full checkpoint to write (.pth)')
    parser.add_argument(
        OVERRIDE_FLAG,
        action='store_true',
        help='merge onto a backbone other than the delta was trained on, '
        'or an uninitialised one (logged)')
    args = parser.parse_args(argv)
    try:
        count = merge(args.config, args.delta, args.out,
                      args.allow_other_backbone)
    except CheckpointMismatchError as error:
        raise SystemExit(f'merge_delta: {error}') from error
    print(f'wrote {args.out} ({count} tensors)')


if __name__ == '__main__':
    main()
