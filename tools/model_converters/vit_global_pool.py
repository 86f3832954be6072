r"""Give a converted ViT checkpoint MAE's global-pool read-out.

Usage::

    python tools/model_converters/convert_pretrained.py \
        mae_pretrain_vit_base.pth checkpoints/vit-b16_mae_encoder.pth
    python tools/model_converters/vit_global_pool.py \
        checkpoints/vit-b16_mae_encoder.pth checkpoints/vit-b16_mae.pth

MAE's released pretraining checkpoints hold the encoder with its final
``norm`` (``backbone.ln1`` once converted) and no ``fc_norm``. MAE's
fine-tuning (and VPT's MAE runs) read the model out by averaging the patch
tokens and applying a new LayerNorm, ``fc_norm``, built fresh (weight 1,
bias 0), while ``norm`` is left unused. This tool writes that layout for
``final_norm=False, out_type='avg_featmap'`` backbones: ``backbone.ln1.*``
removed, ``backbone.ln2.*`` added as ones and zeros. Everything else,
including the ``meta``, is kept (``meta`` records the change), so a
strictly loading ``PromptedViT`` accepts the file.
"""
import argparse
import sys
from typing import List, Optional

import torch

LN1, LN2 = 'backbone.ln1.', 'backbone.ln2.'


def to_global_pool(src: str, dst: str) -> dict:
    """Rewrite ``src`` (a converted checkpoint) to ``dst``.

    Args:
        src (str): Output of ``convert_pretrained.py``:
            ``{'state_dict': {'backbone.*', ...}, 'meta': {...}}``.
        dst (str): Where to write the global-pool checkpoint.

    Returns:
        dict: The new ``meta``.

    Raises:
        ValueError: If ``src`` is not a converted ViT checkpoint with a
            final norm and without a global-pool norm.
    """
    checkpoint = torch.load(src, map_location='cpu', weights_only=True)
    if not isinstance(checkpoint, dict) or not isinstance(
            checkpoint.get('state_dict'), dict):
        raise ValueError(f'{src}: not a converted checkpoint (no '
                         '"state_dict"); run convert_pretrained.py first')
    state_dict = dict(checkpoint['state_dict'])
    if LN2 + 'weight' in state_dict:
        raise ValueError(f'{src}: already has a global-pool norm '
                         f'({LN2}weight); nothing to do')
    missing = [
        LN1 + name for name in ('weight', 'bias')
        if LN1 + name not in state_dict
    ]
    if missing:
        raise ValueError(f'{src}: no final norm ({missing[0]}): is it a '
                         'converted ViT checkpoint?')
    weight = state_dict.pop(LN1 + 'weight')
    state_dict.pop(LN1 + 'bias')
    state_dict[LN2 + 'weight'] = torch.ones_like(weight)
    state_dict[LN2 + 'bias'] = torch.zeros_like(weight)
    meta = dict(checkpoint.get('meta') or {})
    meta.update(
        final_norm=0,
        avg_featmap_norm=1,
        global_pool='ln1 dropped, ln2 = LayerNorm init (MAE fc_norm)')
    torch.save(dict(state_dict=state_dict, meta=meta), dst)
    return meta


def main(argv: Optional[List[str]] = None) -> dict:
    """Command-line entry point; returns the written ``meta``."""
    parser = argparse.ArgumentParser(
        description="Give a converted ViT checkpoint MAE's global-pool "
        'read-out (drop the final norm, add an initial fc_norm as ln2)')
    parser.add_argument('src', help='checkpoint from convert_pretrained.py')
    parser.add_argument('dst', help='output checkpoint')
    args = parser.parse_args(argv)
    return to_global_pool(args.src, args.dst)


if __name__ == '__main__':
    try:
        main()
    except ValueError as error:
        sys.exit(f'vit_global_pool.py: error: {error}')
