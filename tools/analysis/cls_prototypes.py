"""CLS prototypes of a task for ``prompt_cfg.init='cls-prototype'``.

Runs the config's frozen backbone without prompts (the pretrained ViT, as in
the paper's Fig. 13) over the training set with the test pipeline, averages
the final CLS embedding per class and, with more classes than
``--max-prototypes`` (200), clusters the means by k-means. Saves a
``(p, d)`` float32 ``.npy`` and prints the prompt_cfg to use.

Example (then point the ablation config's ``init_file`` at the file)::

    python tools/analysis/cls_prototypes.py CONFIG --out cifar100.npy
"""
import argparse
import copy
import os
import os.path as osp
from typing import List, Optional

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

import vpt_mm.modules  # noqa: F401  (patches, then registration)
from vpt_mm.checkpoint.io import read_state_dict
from vpt_mm.checkpoint.strict import load_state_dict_strictly
from vpt_mm.prompts.prototypes import class_means, cls_prototypes

PEFT_WRAPPERS = ('BiasTuning', 'PartialTuning', 'AdapterTuning',
                 'SideTuning')


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='a task config')
    parser.add_argument('--out', required=True, help='the .npy to write')
    parser.add_argument('--checkpoint',
                        help='backbone weights (keys "backbone.*"); default '
                        "the config's pretrained init_cfg")
    parser.add_argument('--max-prototypes', type=int, default=200,
                        help='k-means to this many when there are more '
                        'classes (default 200)')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    return parser.parse_args(argv)


def build_backbone(cfg: Config, checkpoint: Optional[str]):
    """The config's ViT without prompts, returning the final CLS token."""
    from mmpretrain.registry import MODELS
    backbone_cfg = copy.deepcopy(cfg.model.backbone)
    while backbone_cfg.get('type') in PEFT_WRAPPERS:
        backbone_cfg = backbone_cfg.module
    backbone_cfg.update(prompt_cfg=dict(num_tokens=0), out_type='cls_token',
                        out_indices=-1)
    backbone = MODELS.build(backbone_cfg)
    backbone.init_weights()
    if checkpoint:
        state = read_state_dict(checkpoint, 'backbone.')
        state = {k: v for k, v in state.items() if not k.startswith('prompt.')}
        load_state_dict_strictly(backbone, state, checkpoint)
    return backbone.eval()


def main(argv: Optional[List[str]] = None) -> np.ndarray:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    from mmpretrain.registry import MODELS
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmpretrain')):
        backbone = build_backbone(cfg, args.checkpoint).to(args.device)
        preprocessor = MODELS.build(
            dict(type='ClsDataPreprocessor', **cfg.data_preprocessor)).to(
                args.device)
        dataset = copy.deepcopy(cfg.train_dataloader.dataset)
        dataset.pipeline = copy.deepcopy(cfg.test_dataloader.dataset.pipeline)
        loader = Runner.build_dataloader(
            dict(batch_size=args.batch_size, num_workers=0,
                 sampler=dict(type='DefaultSampler', shuffle=False),
                 dataset=dataset))
        num_classes = cfg.data_preprocessor.get('num_classes') or len(
            loader.dataset.metainfo['classes'])

        def features():
            with torch.no_grad():
                for batch in loader:
                    data = preprocessor(batch, False)
                    labels = torch.cat(
                        [s.gt_label for s in data['data_samples']])
                    yield backbone(data['inputs'])[-1].cpu(), labels.cpu()

        means = class_means(features(), num_classes)
    prototypes = cls_prototypes(means, args.max_prototypes).numpy()
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    np.save(args.out, prototypes.astype(np.float32))
    print(f'{args.out}: {prototypes.shape[0]} prototypes of width '
          f'{prototypes.shape[1]} from {num_classes} classes; use\n'
          f"  prompt_cfg=dict(num_tokens={prototypes.shape[0]}, "
          f"init='cls-prototype', init_file='{args.out}')")
    return prototypes


if __name__ == '__main__':
    main()
