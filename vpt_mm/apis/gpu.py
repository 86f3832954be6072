"""The CUDA path of the tools: mixed precision and a compiled backbone.

``--amp`` trains under autocast in bf16 where the GPU supports it (no loss
scaling needed), fp16 with dynamic loss scaling otherwise;
``compile_backbone=True`` in a config (``--compile`` of the tools)
compiles the backbone with ``torch.compile`` in place (its weights and
``state_dict`` keys stay as they are).
"""
from typing import Any, Optional

import torch


def amp_dtype(cuda: Optional[bool] = None) -> str:
    """``'bfloat16'`` where the GPU supports it, else ``'float16'``.

    Raises:
        SystemExit: No CUDA device (``cuda`` overrides the check).
    """
    cuda = torch.cuda.is_available() if cuda is None else cuda
    if not cuda:
        raise SystemExit('--amp: mixed precision needs a CUDA device; '
                         'none is available here')
    return 'bfloat16' if torch.cuda.is_bf16_supported() else 'float16'


def apply_amp(cfg: Any, dtype: Optional[str] = None) -> str:
    """Switch ``cfg.optim_wrapper`` to mmengine's ``AmpOptimWrapper`` in
    ``dtype`` (default :func:`amp_dtype`); the dtype chosen."""
    dtype = dtype or amp_dtype()
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.dtype = dtype
    if dtype == 'float16':
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    return dtype


def compile_backbone(model: torch.nn.Module) -> bool:
    """``torch.compile`` the backbone of ``model`` (maybe DDP-wrapped) in
    place; whether there was one to compile."""
    model = getattr(model, 'module', model)
    backbone = getattr(model, 'backbone', None)
    if backbone is None:
        return False
    backbone.compile()
    return True
