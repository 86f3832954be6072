"""An optimizer-wrapper constructor that only ever sees trainable weights."""
import inspect
import logging
from typing import List, Optional, Tuple

from mmengine.logging import MMLogger, print_log
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from mmengine.registry import OPTIM_WRAPPERS, OPTIMIZERS
from torch import nn

from vpt_mm.registry import register_optim_wrapper_constructor

# paramwise_cfg fields that mmengine's DefaultOptimWrapperConstructor reads.
PARAMWISE_KEYS = ('bias_lr_mult', 'bias_decay_mult', 'norm_decay_mult',
                  'dwconv_decay_mult', 'flat_decay_mult',
                  'dcn_offset_lr_mult', 'custom_keys', 'bypass_duplicate')
CUSTOM_KEY_FIELDS = ('lr_mult', 'decay_mult')


def _drop_frozen_parameter_warnings(record: logging.LogRecord) -> bool:
    return 'since its requires_grad=False' not in record.getMessage()


def parameter_counts(model: nn.Module) -> Tuple[int, int]:
    """``(trainable, total)`` parameter counts of ``model``.

    The one definition every report uses. ``trainable / total`` is the
    paper's "Tuned / Total" (Tabs. 12-14): total counts the whole model
    (frozen backbone, prompts, added modules and head), e.g. VPT-deep with
    p = 50 on ViT-B/16 for SVHN tunes 460,800 prompt and 7,690 head
    parameters of 86,267,146: 0.54 %.
    """
    total = sum(param.numel() for param in model.parameters())
    trainable = sum(param.numel() for param in model.parameters()
                    if param.requires_grad)
    return trainable, total


def trainable_report(model: nn.Module) -> str:
    """``'trainable N / total M (x%)'`` for ``model``'s parameters."""
    trainable, total = parameter_counts(model)
    percent = 100. * trainable / max(total, 1)
    return f'trainable {trainable:,} / total {total:,} ({percent:.2f}%)'


@register_optim_wrapper_constructor
class FrozenBackboneOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Build the optimizer from parameters with ``requires_grad=True`` only.

    A frozen backbone then has no optimizer state and no weight decay applied
    to it. Supports every ``paramwise_cfg`` field of mmengine's default
    constructor, but rejects fields it does not know (at the top level and
    inside ``custom_keys``) and ``custom_keys`` that match no parameter,
    instead of silently ignoring a typo. Logs one line
    ``trainable N / total M (x%)`` when called.
    """

    def __init__(self,
                 optim_wrapper_cfg: dict,
                 paramwise_cfg: Optional[dict] = None) -> None:
        self._check_paramwise_cfg(paramwise_cfg or {})
        super().__init__(optim_wrapper_cfg, paramwise_cfg)

    @staticmethod
    def _check_paramwise_cfg(paramwise_cfg: dict) -> None:
        """Reject fields mmengine would silently ignore (before mmengine's
        own checks, whose errors do not name the field)."""
        if not isinstance(paramwise_cfg, dict):
            raise TypeError('paramwise_cfg must be a dict, got '
                            f'{type(paramwise_cfg).__name__}')
        unknown = sorted(set(paramwise_cfg) - set(PARAMWISE_KEYS))
        if unknown:
            raise ValueError(f'paramwise_cfg: unknown field(s) {unknown}; '
                             f'allowed: {list(PARAMWISE_KEYS)}')
        custom_keys = paramwise_cfg.get('custom_keys', {})
        if not isinstance(custom_keys, dict):
            raise TypeError('paramwise_cfg.custom_keys must be a dict, got '
                            f'{type(custom_keys).__name__}')
        for key, fields in custom_keys.items():
            if not isinstance(fields, dict):
                raise TypeError(f'paramwise_cfg.custom_keys["{key}"] must be '
                                f'a dict, got {type(fields).__name__}')
            unknown = sorted(set(fields) - set(CUSTOM_KEY_FIELDS))
            if unknown:
                raise ValueError(
                    f'paramwise_cfg.custom_keys["{key}"]: unknown field(s) '
                    f'{unknown}; allowed: {list(CUSTOM_KEY_FIELDS)}')

    def add_params(self,
                   params: List[dict],
                   module: nn.Module,
                   prefix: str = '',
                   is_dcn_module=None) -> None:
        """The host's parameter groups, minus frozen parameters."""
        first = len(params)
        # The host warns once per frozen parameter; the one-line trainable
        # report says the same, so those warnings are dropped here.
        logger = MMLogger.get_current_instance()
        logger.addFilter(_drop_frozen_parameter_warnings)
        try:
            super().add_params(params, module, prefix, is_dcn_module)
        finally:
            logger.removeFilter(_drop_frozen_parameter_warnings)
        params[first:] = [
            group for group in params[first:]
            if group['params'][0].requires_grad
        ]

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if hasattr(model, 'module'):
            model = model.module
        names = [name for name, _ in model.named_parameters()]
        for key in self.paramwise_cfg.get('custom_keys', {}):
            if not any(key in name for name in names):
                raise ValueError(f'paramwise_cfg.custom_keys["{key}"] '
                                 'matches no parameter of the model')
        print_log(trainable_report(model), logger='current')

        optimizer_cfg = self.optimizer_cfg.copy()
        optimizer_cls = optimizer_cfg['type']
        if isinstance(optimizer_cls, str):
            with OPTIMIZERS.switch_scope_and_registry(None) as registry:
                optimizer_cls = registry.get(optimizer_cls)
        params_arg = next(iter(inspect.signature(optimizer_cls).parameters))
        param_groups: List[dict] = []
        self.add_params(param_groups, model)
        if not param_groups:
            raise ValueError('the model has no trainable parameter to '
                             'optimize')
        optimizer_cfg[params_arg] = param_groups
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        optim_wrapper_cfg = self.optim_wrapper_cfg.copy()
        optim_wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(
            optim_wrapper_cfg, default_args=dict(optimizer=optimizer))
