"""mmpretrain's ``LoRAModel`` around a prompted backbone.

mmpretrain's :class:`~mmpretrain.models.peft.LoRAModel` trains only its
``lora_`` parameters and keeps only them in its ``state_dict``: around a
:class:`~vpt_mm.models.backbones.PromptedViT` it would freeze the prompts
and leave them out of every checkpoint and delta. This subclass replaces
it in mmpretrain's (and mmseg's) ``MODELS`` under the same name. Around a
backbone that says what it trains (:mod:`vpt_mm.models.trainable`) it
answers that contract itself: the LoRA layers *and* the backbone's own
trained parameters (its prompts) train, the ``state_dict`` is the whole
model's (the delta holds what trains, the frozen rest binds it to its
backbone) and loads strictly. Around any other module it trains, saves,
loads and switches modes as mmpretrain's class (and says that its LoRA
parts train).

Example:
    >>> backbone = dict(
    ...     type='LoRAModel', alpha=4, rank=4, targets=[dict(type='qkv')],
    ...     module=dict(type='PromptedViT', arch='b',
    ...                 prompt_cfg=dict(num_tokens=10, deep=True)))
"""
from typing import Dict, List

from mmpretrain.models.peft import LoRAModel as HostLoRAModel
from torch import nn

from vpt_mm.registry import register_host_override
from ..trainable import answers_trained_contract, keep_frozen_in_eval

_LORA_PARTS = ('lora_down', 'lora_up', 'lora_dropout')


@register_host_override
class LoRAModel(HostLoRAModel):
    """LoRA (Hu et al., 2021) in the linear layers ``targets`` of
    ``module``; prompts of a prompted ``module`` keep training.

    Args:
        module (dict): The backbone config.
        alpha (int): The scale factor of LoRA. Defaults to 1.
        rank (int): The rank of LoRA. Defaults to 0.
        drop_rate (float): The dropout rate of LoRA. Defaults to 0.
        targets (list[dict]): The layers to adapt, by regular expression or
            name suffix (``dict(type='qkv', rank=8)``).
    """

    @property
    def prompted(self) -> bool:
        """Whether the wrapped module says what of it trains."""
        return answers_trained_contract(self._modules['module'])

    def _lora_modules(self) -> Dict[str, nn.Module]:
        """``{name: module}`` of the LoRA parts of every adapted layer."""
        return {
            f'module.{name}': sub
            for name, sub in self.module.named_modules()
            if name.rsplit('.', 1)[-1] in _LORA_PARTS
        }

    def trained_modules(self) -> Dict[str, nn.Module]:
        """The backbone's own trained modules (if it says) and the LoRA
        parts."""
        inner = self.module.trained_modules() if self.prompted else {}
        modules = {f'module.{name}': sub for name, sub in inner.items()}
        modules.update(self._lora_modules())
        return modules

    def trained_parameters(self) -> Dict[str, nn.Parameter]:
        """The backbone's trained parameters (its prompts) and LoRA's."""
        inner = self.module.trained_parameters() if self.prompted else {}
        params = {f'module.{name}': param for name, param in inner.items()}
        for name, sub in self._lora_modules().items():
            params.update({
                f'{name}.{key}': param
                for key, param in sub.named_parameters()
            })
        return params

    def _set_lora_trainable(self) -> None:
        if not self.prompted:
            return super()._set_lora_trainable()
        trained = {id(param) for param in self.trained_parameters().values()}
        for param in self.parameters():
            param.requires_grad = id(param) in trained

    def _register_state_dict_hooks(self) -> None:
        # around a prompted backbone: the whole state_dict, loaded strictly
        if not self.prompted:
            super()._register_state_dict_hooks()

    def train(self, mode: bool = True) -> 'LoRAModel':
        """Around a prompted backbone, only :meth:`trained_modules` follow
        ``mode`` (the frozen encoder stays in eval mode)."""
        super().train(mode)
        if mode and self.prompted:
            keep_frozen_in_eval(self, self.trained_modules().values())
        return self



__all__: List[str] = ['LoRAModel']
