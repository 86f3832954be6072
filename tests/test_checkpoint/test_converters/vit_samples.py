"""What the ViT converter tests share: the command line, small timm ViTs,
JAX-layout arrays and mmpretrain models to load the results into.

(A helper module, imported by the tests of this folder.)
"""
import importlib.util
import os.path as osp

import numpy as np
import torch

# isort: off
import vpt_mm.modules  # noqa: F401  (patches, then registration)
from mmpretrain.models.heads import VisionTransformerClsHead
from mmpretrain.registry import MODELS
from timm.models.vision_transformer import VisionTransformer as TimmViT
# isort: on

ROOT = osp.dirname(
    osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
CLI = osp.join(ROOT, 'tools', 'model_converters', 'convert_pretrained.py')

EMBED, DEPTH, HEADS, IMG, PATCH, CLASSES = 32, 2, 2, 32, 8, 5
ATOL = 1e-5


def load_cli():
    spec = importlib.util.spec_from_file_location('convert_pretrained', CLI)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CONVERT = load_cli().main


def randomize(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Random weights everywhere (timm zero-initialises some)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, param in model.named_parameters():
            noise = torch.randn(param.shape, generator=generator)
            if param.dim() == 1 and name.endswith('weight'):
                param.copy_(1 + 0.2 * noise)  # norm scales
            else:
                param.copy_(0.2 * noise)
    return model.eval()


def timm_vit(**kwargs) -> TimmViT:
    cfg = dict(
        img_size=IMG,
        patch_size=PATCH,
        embed_dim=EMBED,
        depth=DEPTH,
        num_heads=HEADS,
        num_classes=CLASSES)
    cfg.update(kwargs)
    return randomize(TimmViT(**cfg))


def build_backbone(checkpoint: str,
                   num_tokens: int = 0,
                   deep: bool = False,
                   mlp: int = 4 * EMBED,
                   **kwargs):
    cfg = dict(
        type='PromptedViT',
        arch=dict(
            embed_dims=EMBED,
            num_layers=DEPTH,
            num_heads=HEADS,
            feedforward_channels=mlp),
        img_size=IMG,
        patch_size=PATCH,
        prompt_cfg=dict(num_tokens=num_tokens, deep=deep),
        init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint, prefix='backbone.'))
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model.eval()


def load_head(checkpoint: dict, **kwargs) -> VisionTransformerClsHead:
    head = VisionTransformerClsHead(
        num_classes=CLASSES, in_channels=EMBED, **kwargs)
    state_dict = {
        key[len('head.'):]: value
        for key, value in checkpoint['state_dict'].items()
        if key.startswith('head.')
    }
    head.load_state_dict(state_dict, strict=True)
    return head.eval()


def read_checkpoint(path: str) -> dict:
    checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    assert set(checkpoint) == {'state_dict', 'meta'}
    for value in checkpoint['meta'].values():
        assert type(value) in (str, int)
    return checkpoint


def images(size: int = IMG) -> torch.Tensor:
    return torch.randn(
        2, 3, size, size, generator=torch.Generator().manual_seed(1))


def jax_arrays(head: str, mlp: int = 64, hidden: int = 16) -> dict:
    """Random arrays in the layout of Google's ViT npz files."""
    rng = np.random.default_rng(0)
    d, h, k, n = EMBED, HEADS, EMBED // HEADS, (IMG // PATCH)**2

    def rand(*shape, scale=0.2, offset=0.):
        return (offset + scale * rng.standard_normal(shape)).astype('f4')

    arrays = {
        'embedding/kernel': rand(PATCH, PATCH, 3, d),
        'embedding/bias': rand(d),
        'cls': rand(1, 1, d),
        'Transformer/posembed_input/pos_embedding': rand(1, 1 + n, d),
        'Transformer/encoder_norm/scale': rand(d, offset=1.),
        'Transformer/encoder_norm/bias': rand(d),
    }
    for i in range(DEPTH):
        block = f'Transformer/encoderblock_{i}/'
        attn = block + 'MultiHeadDotProductAttention_1/'
        for norm in ('LayerNorm_0', 'LayerNorm_2'):
            arrays[f'{block}{norm}/scale'] = rand(d, offset=1.)
            arrays[f'{block}{norm}/bias'] = rand(d)
        for name in ('query', 'key', 'value'):
            arrays[f'{attn}{name}/kernel'] = rand(d, h, k)
            arrays[f'{attn}{name}/bias'] = rand(h, k)
        arrays[attn + 'out/kernel'] = rand(h, k, d)
        arrays[attn + 'out/bias'] = rand(d)
        arrays[block + 'MlpBlock_3/Dense_0/kernel'] = rand(d, mlp)
        arrays[block + 'MlpBlock_3/Dense_0/bias'] = rand(mlp)
        arrays[block + 'MlpBlock_3/Dense_1/kernel'] = rand(mlp, d)
        arrays[block + 'MlpBlock_3/Dense_1/bias'] = rand(d)
    if head == 'pre_logits':
        arrays['pre_logits/kernel'] = rand(d, hidden)
        arrays['pre_logits/bias'] = rand(hidden)
        arrays['head/kernel'] = rand(hidden, CLASSES)
        arrays['head/bias'] = rand(CLASSES)
    elif head == 'head':
        arrays['head/kernel'] = rand(d, CLASSES)
        arrays['head/bias'] = rand(CLASSES)
    return arrays


def save_npz(path: str, arrays: dict) -> str:
    with open(path, 'wb') as file:  # a file object: no '.npz' appended
        np.savez(file, **arrays)
    return path


class Untrusted:
    """Not allowed by weights-only loading."""
