"""Tasks with random prompts and heads on one backbone, written as real
files (a pretrained backbone file, one config and delta per task), for the
tests and the serving benchmark.

API::

    base, deltas = write_synthetic_tasks(
        'work/', dict(linear=dict(num_tokens=0),
                      deep=dict(num_tokens=5, deep=True)), arch=TINY)
    model = MultiTaskClassifier(base)
    model.add_task('deep', deltas['deep'])
"""
import os
import os.path as osp
from typing import Dict, Mapping, Optional, Tuple, Union

import torch
from mmengine.config import Config

from ..delta import delta_keys, save_delta
from ..delta_binding import backbone_fingerprint
from .model import _build

#: The demo's tiny ViT (configs/_base_/models/vit-tiny-p7.py).
DEMO_VIT = dict(arch=dict(embed_dims=128, num_layers=6, num_heads=4,
                          feedforward_channels=512),
                img_size=28, patch_size=7, in_channels=1)
#: A ViT small enough for tests (seconds).
TINY_VIT = dict(arch=dict(embed_dims=32, num_layers=2, num_heads=2,
                          feedforward_channels=64),
                img_size=32, patch_size=8, in_channels=3)
#: ViT-B/16 at 224 px.
VIT_B16 = dict(arch='b', img_size=224, patch_size=16, in_channels=3)


def synthetic_config(vit: Mapping, pretrained: Optional[str],
                     prompt_cfg: Mapping, num_classes: int) -> Config:
    """A classification config on ``vit`` (``arch``, ``img_size``,
    ``patch_size``, ``in_channels``) loaded from ``pretrained``."""
    channels = vit.get('in_channels', 3)
    width = vit['arch']['embed_dims'] if isinstance(vit['arch'],
                                                    dict) else 768
    init_cfg = None if pretrained is None else dict(
        type='Pretrained', checkpoint=pretrained, prefix='backbone.')
    return Config(dict(
        default_scope='mmpretrain',
        model=dict(
            type='ImageClassifier',
            backbone=dict(type='PromptedViT', out_type='cls_token',
                          prompt_cfg=dict(prompt_cfg), init_cfg=init_cfg,
                          **vit),
            neck=None,
            head=dict(type='LinearClsHead', num_classes=num_classes,
                      in_channels=width)),
        data_preprocessor=dict(
            num_classes=num_classes, mean=[127.5] * channels,
            std=[127.5] * channels, to_rgb=channels == 3),
        test_pipeline=[
            dict(type='LoadImageFromFile',
                 color_type='color' if channels == 3 else 'grayscale'),
            dict(type='Resize', scale=(vit['img_size'], vit['img_size'])),
            dict(type='PackInputs'),
        ]))


def write_pretrained(path: str, vit: Mapping, seed: int = 0) -> str:
    """A random ViT's weights as a pretrained checkpoint at ``path``."""
    torch.manual_seed(seed)
    model = _build(synthetic_config(vit, None, dict(num_tokens=0), 2))
    state = {key: value for key, value in model.state_dict().items()
             if key.startswith('backbone.')}
    torch.save({'state_dict': state}, path)
    return path


def write_synthetic_tasks(
        work_dir: str,
        tasks: Mapping[str, Mapping],
        vit: Mapping = TINY_VIT,
        num_classes: Union[int, Mapping[str, int]] = 4,
        pretrained: Optional[str] = None,
        seed: int = 0) -> Tuple[Config, Dict[str, str]]:
    """Write a backbone and one delta per task, trained values random.

    Args:
        work_dir (str): Where the files go.
        tasks (Mapping[str, Mapping]): ``{name: prompt_cfg}``.
        vit (Mapping): The backbone (:data:`TINY_VIT`, :data:`DEMO_VIT`,
            :data:`VIT_B16`).
        num_classes (int | Mapping[str, int]): Classes per task.
        pretrained (str, optional): An existing backbone file; default a
            random one written as ``work_dir/backbone.pth``.
        seed (int): The random seed.

    Returns:
        tuple: The base config (a Linear config on the backbone) and
        ``{name: delta file}``; each delta records its config.
    """
    os.makedirs(work_dir, exist_ok=True)
    if pretrained is None:
        pretrained = write_pretrained(
            osp.join(work_dir, 'backbone.pth'), vit, seed)
    base = synthetic_config(vit, pretrained, dict(num_tokens=0), 2)
    files, built = {}, {}
    for index, (name, prompt_cfg) in enumerate(tasks.items()):
        classes = num_classes if isinstance(num_classes, int) else \
            num_classes[name]
        cfg = synthetic_config(vit, pretrained, prompt_cfg, classes)
        shape = cfg.pretty_text
        if shape not in built:  # one model (and fingerprint) per shape
            model = _build(cfg)
            model.init_weights()
            built[shape] = (model, backbone_fingerprint(
                model, delta_keys(model)))
        model, fingerprint = built[shape]
        torch.manual_seed(seed + 1 + index)
        with torch.no_grad():
            for param in model.parameters():
                if param.requires_grad:
                    param.normal_(std=0.5)
        files[name] = osp.join(work_dir, f'{name}.delta.safetensors')
        save_delta(model, files[name], config=f'{name}.py',
                   extra_meta=dict(
                       config_text=cfg.pretty_text,
                       classes='[' + ', '.join(
                           f'"{name}-{c}"' for c in range(classes)) + ']'),
                   fingerprint=fingerprint)
    return base, files
