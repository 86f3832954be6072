r"""Train a VTAB-style transfer config with a plain PyTorch loop.

An independent check of the tool chain (mmengine's Runner, our optimizer
constructor and hooks, the data pipeline): the config's backbone, built
from the registry with its pretrained checkpoint, and a linear head are
trained by ``torch.optim.SGD`` on the parameters that require gradients,
with images read by OpenCV and resized to the model's size, the config's
batch size, lr scaling, warm-up and cosine schedule and no augmentation
(the VTAB-1k protocol). Its test top-1 should be close to
``tools/train.py``'s on the same config and settings; docs/notes/demo_gap.md
uses it that way. Configs of a ViT-family backbone (``img_size``) with a
``LinearClsHead`` and SGD: Linear and VPT.

Example (the demo's VPT-deep, 100 epochs)::

    python tools/analysis/plain_transfer.py CONFIG --lr 1 --wd 0.0001 \
        --epochs 100
"""
import argparse
import json
import math
import os.path as osp
import time
from typing import List, Optional, Tuple

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS, MODELS
from torch import nn

import vpt_mm.modules  # noqa: F401  (patches, then registration)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a VTAB-style task config')
    parser.add_argument('--lr', type=float, required=True,
                        help='base lr (for a batch of auto_scale_lr.'
                        'base_batch_size)')
    parser.add_argument('--wd', type=float, required=True,
                        help='weight decay')
    parser.add_argument('--epochs', type=int,
                        help="default: the config's max_epochs")
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--train-split',
                        help="default: the config's protocol final train "
                        'split')
    parser.add_argument('--test-split',
                        help="default: the config's protocol test split")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, as in train.py')
    return parser.parse_args(argv)


def load_split(dataset_cfg: dict, split: str, size: int, channels: int,
               mean: List[float], std: List[float],
               to_rgb: bool) -> Tuple[torch.Tensor, torch.Tensor]:
    """Images of one split, normalised, as (N, C, size, size), and labels.

    The file list comes from the dataset class (its checks included); the
    pixels are read here with OpenCV, not through the mm pipeline.
    """
    cfg = dict(dataset_cfg, split=split, pipeline=[], serialize_data=False)
    dataset = DATASETS.build(cfg)
    flag = cv2.IMREAD_GRAYSCALE if channels == 1 else cv2.IMREAD_COLOR
    images, labels = [], []
    for info in dataset.data_list:
        image = cv2.imread(info['img_path'], flag)
        if image is None:
            raise ValueError(f'{info["img_path"]}: cannot be decoded')
        image = cv2.resize(image, (size, size),
                           interpolation=cv2.INTER_LINEAR)
        if channels == 1:
            image = image[..., None]
        elif to_rgb:
            image = image[..., ::-1]
        images.append(np.ascontiguousarray(image.transpose(2, 0, 1)))
        labels.append(int(info['gt_label']))
    pixels = torch.from_numpy(np.stack(images)).float()
    mean = torch.tensor(mean).view(1, -1, 1, 1)
    std = torch.tensor(std).view(1, -1, 1, 1)
    return (pixels - mean) / std, torch.tensor(labels)


def lr_at(step: int, total: int, warmup: int, start_factor: float,
          peak: float) -> float:
    """Linear warm-up from ``start_factor * peak``, then cosine to 0."""
    if step < warmup:
        return peak * (start_factor + (1 - start_factor) * step / warmup)
    progress = (step - warmup) / max(1, total - warmup)
    return peak * 0.5 * (1 + math.cos(math.pi * progress))


def main(argv: Optional[List[str]] = None) -> dict:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    head_type = cfg.model.head.type
    if head_type != 'LinearClsHead' or cfg.optim_wrapper.optimizer.type \
            != 'SGD':
        raise ValueError(f'{args.config}: plain_transfer trains a '
                         'LinearClsHead with SGD; this config has '
                         f'{head_type} / {cfg.optim_wrapper.optimizer.type}')
    epochs = args.epochs or cfg.train_cfg.max_epochs
    train_split = args.train_split or cfg.protocol['final']['train']
    test_split = args.test_split or cfg.protocol['final']['test']
    backbone_cfg = cfg.model.backbone
    size, channels = backbone_cfg.img_size, backbone_cfg.get(
        'in_channels', 3)
    preprocessor = cfg.data_preprocessor
    data = dict(size=size, channels=channels, mean=preprocessor.mean,
                std=preprocessor.std,
                to_rgb=preprocessor.get('to_rgb', False))
    torch.manual_seed(args.seed)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset_cfg = cfg.train_dataloader.dataset.to_dict()
        train_x, train_y = load_split(dataset_cfg, train_split, **data)
        test_x, test_y = load_split(dataset_cfg, test_split, **data)
        backbone = MODELS.build(backbone_cfg)
    backbone.init_weights()
    head = nn.Linear(cfg.model.head.in_channels, cfg.model.head.num_classes)
    nn.init.trunc_normal_(head.weight, std=0.02)
    nn.init.zeros_(head.bias)
    params = [p for p in backbone.parameters() if p.requires_grad]
    params += list(head.parameters())
    batch = cfg.train_dataloader.batch_size
    scaling = cfg.get('auto_scale_lr') or {}
    peak = args.lr * (batch / scaling['base_batch_size']
                      if scaling.get('enable') else 1.)
    optimizer = torch.optim.SGD(params, lr=peak, momentum=0.9,
                                weight_decay=args.wd)
    warmup_cfg = cfg.param_scheduler[0]
    per_epoch = math.ceil(len(train_y) / batch)
    total, warmup = per_epoch * epochs, per_epoch * warmup_cfg.end
    step, start = 0, time.time()
    for _ in range(epochs):
        backbone.train()
        order = torch.randperm(len(train_y))
        for first in range(0, len(train_y), batch):
            index = order[first:first + batch]
            for group in optimizer.param_groups:
                group['lr'] = lr_at(step, total, warmup,
                                    warmup_cfg.start_factor, peak)
            logits = head(backbone(train_x[index])[-1])
            loss = F.cross_entropy(logits, train_y[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
    backbone.eval()
    with torch.no_grad():
        predictions = torch.cat([
            head(backbone(test_x[first:first + 500])[-1]).argmax(1)
            for first in range(0, len(test_y), 500)
        ])
    result = dict(
        config=osp.basename(args.config), lr=args.lr, wd=args.wd,
        epochs=epochs, seed=args.seed, train_split=train_split,
        test_split=test_split,
        top1=round(100 * (predictions == test_y).float().mean().item(), 2),
        last_loss=round(loss.item(), 4),
        seconds=round(time.time() - start, 1))
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
