"""Real-size checks of segmentation configs on CPU.

A config of ``configs/setr``, ``configs/upernet`` or ``configs/segmenter``
inherits most of itself from an mmseg config; a typo there (a head's
channels, a neck's scales, an optimizer field) would show only on a
cluster. :func:`check_config` builds the config's model at its real size,
loads backbone weights strictly from a checkpoint in the layout the config
expects (random values, written by :func:`write_host_checkpoint`), builds
the config's own optimizer wrapper, takes one training step at batch 1 (2
for UPerHead's pooled BatchNorm) on an image through the config's training
pipeline and one test step (the config's ``test_cfg``: sliding windows)
on an image wider than the crop.

``size`` shrinks the crop (and the resize scales) for a fast variant of the
same code path; the model stays the config's.
"""
import copy
import os.path as osp
import tempfile
import time
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.model.utils import revert_sync_batchnorm
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmseg.registry import MODELS
from PIL import Image
from torch import nn

#: host classes of the prompted backbones and the wrappers' inner ones
HOSTS = {
    'PromptedViT': 'mmpretrain.VisionTransformer',
    'mmpretrain.VisionTransformer': 'mmpretrain.VisionTransformer',
    'PromptedSwin': 'mmpretrain.SwinTransformer',
    'mmpretrain.SwinTransformer': 'mmpretrain.SwinTransformer',
}
HOST_ARGS = ('arch', 'img_size', 'patch_size', 'window_size',
             'with_cls_token', 'final_norm', 'pad_small_map')


def inner_backbone(model_cfg: dict) -> dict:
    """The backbone config inside PEFT wrappers (``module``)."""
    backbone = model_cfg['backbone']
    while 'module' in backbone:
        backbone = backbone['module']
    return backbone


def write_host_checkpoint(backbone_cfg: dict, filename: str) -> None:
    """A checkpoint of the backbone's host in the layout of the converted
    classification weights (``backbone.`` keys; a Swin's only output norm
    is its last stage's), with random values.

    Raises:
        ValueError: If the backbone type has no known host.
    """
    btype = backbone_cfg['type']
    if btype not in HOSTS:
        raise ValueError(f'model.backbone.type: no host known for {btype!r}'
                         f'; known: {sorted(HOSTS)}')
    host_cfg = {k: backbone_cfg[k] for k in HOST_ARGS if k in backbone_cfg}
    host_cfg['type'] = HOSTS[btype]
    if host_cfg['type'] == 'mmpretrain.SwinTransformer':
        host_cfg['out_indices'] = (3, )
    with DefaultScope.overwrite_default_scope('mmseg'):
        host = MODELS.build(host_cfg)
    torch.save({f'backbone.{k}': v
                for k, v in host.state_dict().items()}, filename)


def shrink(cfg: Config, size: int) -> None:
    """Crop ``size`` x ``size`` and resize scales ``(4 * size, size)`` in
    the pipelines, the data preprocessor and a sliding ``test_cfg``."""
    for pipeline in (cfg.train_dataloader.dataset.pipeline,
                     cfg.test_dataloader.dataset.pipeline):
        for step in pipeline:
            if step['type'] == 'RandomCrop':
                step['crop_size'] = (size, size)
            elif step['type'] in ('RandomResize', 'Resize'):
                step['scale'] = (4 * size, size)
    cfg.model.data_preprocessor['size'] = (size, size)
    if cfg.model.test_cfg.get('mode') == 'slide':
        cfg.model.test_cfg['crop_size'] = (size, size)
        cfg.model.test_cfg['stride'] = (2 * size // 3, 2 * size // 3)


def write_sample(directory: str, height: int, width: int,
                 num_classes: int, name: str) -> Dict[str, str]:
    """An ADE20K-style sample: a JPEG image and a PNG label map (0 is
    ignored with ``reduce_zero_label``; 1..num_classes are classes)."""
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    label = np.zeros((height, width), np.uint8)
    label[:, :width // 2] = 1
    label[height // 2:, width // 2:] = min(num_classes, 255)
    img_path = osp.join(directory, f'{name}.jpg')
    seg_path = osp.join(directory, f'{name}.png')
    Image.fromarray(image).save(img_path)
    Image.fromarray(label).save(seg_path)
    return dict(img_path=img_path, seg_map_path=seg_path,
                reduce_zero_label=True, seg_fields=[])


def batch_of(pipeline: list, samples: List[dict]) -> dict:
    with DefaultScope.overwrite_default_scope('mmseg'):
        transform = Compose(copy.deepcopy(pipeline))
        data = [transform(copy.deepcopy(sample)) for sample in samples]
    return pseudo_collate(data)


def train_batch_size(model: nn.Module) -> int:
    """1, or 2 where a 1 x 1 pooled map meets a training BatchNorm
    (UPerHead's pyramid pooling): of one image it has one value per
    channel."""
    pools_to_one = any(
        isinstance(m, nn.AdaptiveAvgPool2d) and m.output_size in (1, (1, 1))
        for m in model.modules())
    batch_norm = any(
        isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training
        for m in model.modules())
    return 2 if pools_to_one and batch_norm else 1


def check_config(config: str, size: Optional[int] = None) -> dict:
    """Build ``config``, take one training and one test step at batch 1.

    Args:
        config (str): A segmentation config file.
        size (int, optional): Crop size of a fast variant (default: the
            config's own).

    Returns:
        dict: ``trainable`` and ``total`` parameters, the training
        ``loss`` and ``train_batch`` (see :func:`train_batch_size`), the
        prediction's ``pred_shape`` and the ``image_shape`` of the test
        image, ``seconds`` of build, train and test.

    Raises:
        RuntimeError: If a step's loss is not finite, a frozen parameter
            got a gradient, or the prediction does not cover the image.
    """
    cfg = Config.fromfile(config)
    if cfg.get('default_scope') != 'mmseg':
        raise ValueError(f'{config}: default_scope is '
                         f"{cfg.get('default_scope')!r}, not 'mmseg'")
    if size is not None:
        shrink(cfg, size)
    crop = cfg.model.data_preprocessor['size']
    seconds = {}
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        backbone = inner_backbone(cfg.model)
        checkpoint = osp.join(tmp, 'backbone.pth')
        write_host_checkpoint(backbone, checkpoint)
        backbone['init_cfg'] = dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.')
        with DefaultScope.overwrite_default_scope('mmseg'):
            model = revert_sync_batchnorm(MODELS.build(cfg.model))
            model.init_weights()
            optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        seconds['build'] = time.perf_counter() - start

        num_classes = model.decode_head.num_classes
        # wider than the resize's short side: sliding windows overlap
        height = crop[0]
        train = write_sample(tmp, height, height * 3 // 2, num_classes,
                             'train')
        test = write_sample(tmp, height, height * 3 // 2, num_classes,
                            'test')
        start = time.perf_counter()
        model.train()
        batch = train_batch_size(model)
        with DefaultScope.overwrite_default_scope('mmseg'):
            log = model.train_step(
                batch_of(cfg.train_dataloader.dataset.pipeline,
                         [train] * batch), optim_wrapper)
        loss = float(log['loss'].detach())
        if not np.isfinite(loss):
            raise RuntimeError(f'{config}: training loss is {loss}')
        for name, param in model.named_parameters():
            if not param.requires_grad and param.grad is not None:
                raise RuntimeError(f'{config}: frozen {name} got a gradient')
        seconds['train'] = time.perf_counter() - start

        start = time.perf_counter()
        model.eval()
        with torch.no_grad(), DefaultScope.overwrite_default_scope('mmseg'):
            result = model.test_step(
                batch_of(cfg.test_dataloader.dataset.pipeline, [test]))[0]
        seconds['test'] = time.perf_counter() - start
    pred_shape = tuple(result.pred_sem_seg.data.shape[-2:])
    image_shape = tuple(result.ori_shape)
    if pred_shape != image_shape:
        raise RuntimeError(f'{config}: prediction {pred_shape} for an image '
                           f'of {image_shape}')
    return dict(
        trainable=sum(p.numel() for p in model.parameters()
                      if p.requires_grad),
        total=sum(p.numel() for p in model.parameters()),
        loss=loss,
        train_batch=batch,
        pred_shape=pred_shape,
        image_shape=image_shape,
        seconds=seconds)
