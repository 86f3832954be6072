"""Convert a public pretrained checkpoint for vpt_mm (mmpretrain layout).

Usage::

    python tools/model_converters/convert_pretrained.py SRC DST
        [--prompts PROMPT_FILE] [--img-size N]

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
"""
import argparse
import sys
from typing import Any, Dict, List, Optional

import vpt_mm  # noqa: F401  (CPU shims, before anything imports torchvision)
from vpt_mm.models.utils.converters import convert_pretrained


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
        args.src, args.dst, prompts=args.prompts, img_size=args.img_size)


if __name__ == '__main__':
    try:
        main()
    except ValueError as error:
        sys.exit(f'convert_pretrained.py: error: {error}')
