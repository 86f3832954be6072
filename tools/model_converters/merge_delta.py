"""Merge a delta onto its pretrained backbone: a full checkpoint.

Builds CONFIG's model, loads the pretrained backbone from its
``init_cfg``, puts the delta on top (strictly) and writes the whole
``state_dict`` (with a ``meta`` of plain values), which
``tools/test.py CONFIG OUT`` loads strictly, as any run checkpoint.

Usage::

    python tools/model_converters/merge_delta.py CONFIG DELTA OUT.pth
"""
import argparse
import json

import torch
from mmengine.config import Config

from vpt_mm.apis.model import build_model_from_config
from vpt_mm.models.delta import load_delta


def merge(config: str, delta: str, out: str) -> int:
    """Write the merged checkpoint; returns its number of tensors."""
    cfg = Config.fromfile(config)
    model = build_model_from_config(cfg)
    model.init_weights()
    meta = load_delta(model, delta)
    state_dict = model.state_dict()
    torch.save(
        dict(
            state_dict=state_dict,
            meta=dict(
                config=config,
                delta=delta,
                methods=json.loads(meta.get('methods', '[]')),
                epoch=meta.get('epoch'),
                iter=meta.get('iter'))), out)
    return len(state_dict)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the config the delta was trained '
                        'with (its init_cfg names the backbone)')
    parser.add_argument('delta', help='a .delta.safetensors file')
    parser.add_argument('out', help='the full checkpoint to write (.pth)')
    args = parser.parse_args()
    count = merge(args.config, args.delta, args.out)
    print(f'wrote {args.out} ({count} tensors)')


if __name__ == '__main__':
    main()
