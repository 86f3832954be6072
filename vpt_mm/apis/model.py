"""Build a config's model outside a Runner (for tools)."""
import contextlib
import copy
from typing import Iterator
from unittest import mock

import torch

from mmengine.config import Config
from mmengine.registry import MODELS, DefaultScope
from torch import nn


def build_model_from_config(cfg: Config, init_cfg: bool = True) -> nn.Module:
    """The config's model as the Runner builds it (the top-level
    ``data_preprocessor`` merged in), in the config's default scope.

    Args:
        cfg (Config): A loaded config (its ``custom_imports`` applied).
        init_cfg (bool): False drops the backbone's (and a wrapped
            backbone's) ``init_cfg``, for counting without weight files.
    """
    model_cfg = copy.deepcopy(cfg.model)
    if cfg.get('data_preprocessor') is not None:
        preprocessor = copy.deepcopy(cfg.data_preprocessor)
        preprocessor.update(model_cfg.get('data_preprocessor') or {})
        model_cfg.data_preprocessor = preprocessor
    if not init_cfg:
        backbone = model_cfg.get('backbone')
        while isinstance(backbone, dict):
            backbone.pop('init_cfg', None)
            backbone = backbone.get('module')
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope')):
        return MODELS.build(model_cfg)


@contextlib.contextmanager
def meta_device() -> Iterator[None]:
    """Build modules on the meta device (shapes only, no memory), with
    ``torch.linspace`` on the CPU: stochastic-depth rates are read with
    ``.item()`` while building (mmseg's Segmenter head, drop-path rates)."""
    linspace = torch.linspace

    def cpu_linspace(*args, **kwargs):
        return linspace(*args, **{**kwargs, 'device': 'cpu'})

    with torch.device('meta'), mock.patch('torch.linspace', cpu_linspace):
        yield
