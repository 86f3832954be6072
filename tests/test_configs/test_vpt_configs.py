"""The exemplar config carries the paper's settings and builds."""
import os.path as osp

from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
EXEMPLAR = osp.join(ROOT, 'configs', 'vpt',
                    'vpt-deep_vit-b16-in21k_1xb128_cub.py')


def test_exemplar_has_the_papers_settings():
    cfg = Config.fromfile(EXEMPLAR)
    backbone = cfg.model.backbone
    assert backbone.type == 'PromptedViT' and backbone.arch == 'b'
    assert backbone.patch_size == 16 and backbone.img_size == 224
    # Tab. 14: VPT-deep on CUB uses p = 10; dropout 0.1 for VPT-deep
    assert backbone.prompt_cfg == dict(num_tokens=10, deep=True, dropout=0.1)
    assert backbone.init_cfg.prefix == 'backbone.'
    assert cfg.model.head.num_classes == 200
    # Tab. 6: SGD, momentum 0.9, 10 warm-up epochs then cosine, 100 epochs
    assert cfg.optim_wrapper.optimizer.type == 'SGD'
    assert cfg.optim_wrapper.optimizer.momentum == 0.9
    assert cfg.optim_wrapper.constructor == \
        'FrozenBackboneOptimWrapperConstructor'
    warmup, cosine = cfg.param_scheduler
    assert warmup.type == 'LinearLR' and warmup.end == 10
    assert cosine.type == 'CosineAnnealingLR'
    assert (cosine.begin, cosine.end) == (10, 100)
    assert cfg.train_cfg.max_epochs == 100
    # lr = base_lr x batch / 256; Tab. 8: batch 128 for p < 100
    assert cfg.auto_scale_lr == dict(base_batch_size=256, enable=True)
    assert cfg.train_dataloader.batch_size == 128
    assert cfg.custom_imports.imports == ['vpt_mm.modules']
    # inheriting configs stay short
    with open(EXEMPLAR) as file:
        code = [line for line in file
                if line.strip() and not line.lstrip().startswith('#')]
    assert len(code) <= 12


def test_exemplar_builds_vit_b_with_the_papers_parameter_count():
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(EXEMPLAR)
    cfg.model.backbone.init_cfg = None
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        optim_wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    prompts = 12 * 10 * 768  # shallow + 11 deep sets of 10 tokens
    head = 768 * 200 + 200
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert trainable == prompts + head
    backbone = sum(p.numel() for p in model.backbone.parameters())
    assert 85e6 < backbone - prompts < 87e6  # Tab. 8: ViT-B/16 is 85 M
    optimized = [
        p for group in optim_wrapper.optimizer.param_groups
        for p in group['params']
    ]
    assert sum(p.numel() for p in optimized) == trainable
