r"""Convert a public pretrained checkpoint for vpt_mm (mmpretrain layout).

Usage::

    python tools/model_converters/convert_pretrained.py SRC DST
        [--prompts PROMPT_FILE] [--img-size N]
        [--global-pool | --no-final-norm]

``SRC`` is Google's JAX ViT ``.npz``, a timm-style ViT state dict (raw,
MAE ``{'model': ...}`` or MoCo v3 ``{'state_dict': {'module.*'}}``), an
official Swin Transformer or ConvNeXt checkpoint (``{'model': ...}``, e.g.
``swin_base_patch4_window7_224_22k.pth``, ``convnext_base_22k_224.pth``) or
a torchvision ResNet state dict (e.g. ResNet-50's); the layout is
recognised from the keys, not the file name. ``DST`` is written as
``{'state_dict': {'backbone.*', 'head.*'}, 'meta': {...}}`` and is meant
for ``init_cfg=dict(type='Pretrained', checkpoint=DST,
prefix='backbone.')``. ``--prompts`` merges an official VPT prompt file
(``shallow_prompt``/``deep_prompt``) as ``backbone.prompt.*`` of a ViT;
``--img-size`` resizes a ViT's position embedding.

``--global-pool`` writes a ViT's global-pool read-out (mean of the tokens,
then ``fc_norm`` = ``ln2``; configs with ``final_norm=False,
out_type='avg_featmap'``, e.g. ``configs/vit-b16-mae/``). MAE's released
pretraining file (``mae_pretrain_vit_base.pth``) has the encoder's final
``norm`` and no ``fc_norm``, which only MAE's *fine-tuned* checkpoints
have: as MAE's fine-tuning and the official VPT code (Tab. 4) do, the
final norm is dropped and ``fc_norm`` starts as weight 1, bias 0. A
checkpoint that has ``fc_norm`` keeps it::

    python tools/model_converters/convert_pretrained.py \
        mae_pretrain_vit_base.pth checkpoints/vit-b16_mae.pth --global-pool

``--no-final-norm`` drops a ViT's final norm (``ln1``) and adds nothing,
for backbones built with ``final_norm=False`` that read intermediate
layers, e.g. the SETR configs' (``configs/setr/``); prompted backbones load
strictly, so the unused norm would otherwise be an error::

    python tools/model_converters/convert_pretrained.py \
        imagenet21k_ViT-L_16.npz checkpoints/vit-l16_in21k.pth \
        --no-final-norm

The two options exclude each other (``--global-pool`` drops the final norm
too, and adds the global-pool norm).
"""
import argparse
import sys
from typing import Any, Dict, List, Optional

import vpt_mm.modules  # noqa: F401  (patches, then registration)
from vpt_mm.checkpoint.converters.dispatch import convert_pretrained


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert a JAX npz / timm / MAE / MoCo v3 ViT, official '
        "Swin / ConvNeXt or torchvision ResNet checkpoint to mmpretrain's "
        'ImageClassifier layout')
    parser.add_argument('src', help='source weights (layout from its keys)')
    parser.add_argument('dst', help='output mmengine checkpoint')
    parser.add_argument(
        '--prompts',
        metavar='PROMPT_FILE',
        help='official VPT prompt file to merge as backbone.prompt.* (ViT)')
    parser.add_argument(
        '--img-size',
        type=int,
        metavar='N',
        help='resize the position embedding for N x N images (bicubic); '
        'by default the model resizes it when loading')
    read_out = parser.add_mutually_exclusive_group()
    read_out.add_argument(
        '--global-pool',
        action='store_true',
        help="ViT: MAE's global-pool read-out for final_norm=False, "
        "out_type='avg_featmap' configs: drop the final norm (ln1), add "
        'fc_norm (ln2) as weight 1, bias 0 unless the checkpoint has it')
    read_out.add_argument(
        '--no-final-norm',
        dest='final_norm',
        action='store_false',
        help='ViT: drop the final norm (ln1), add nothing: for '
        'final_norm=False backbones that read intermediate layers (SETR)')
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    """Run the conversion.

    Args:
        argv (list[str], optional): Command-line arguments (default: the
            process's).

    Returns:
        dict: The written checkpoint's ``meta``.

    Raises:
        ValueError: If the source or prompt file cannot be converted.
    """
    args = parse_args(argv)
    return convert_pretrained(
        args.src,
        args.dst,
        prompts=args.prompts,
        img_size=args.img_size,
        global_pool=args.global_pool,
        final_norm=args.final_norm)


if __name__ == '__main__':
    try:
        main()
    except ValueError as error:
        sys.exit(f'convert_pretrained.py: error: {error}')
