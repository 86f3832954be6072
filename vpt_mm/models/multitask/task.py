"""One served task: its prompts and head, cut out of its own model.

A task of a mixed-task batch may change only what enters the shared frozen
backbone as tokens or attention prefixes, and the head. So a task is:

- **Linear**: no prompts (``prompt_cfg.num_tokens=0``), its head;
- **VPT-shallow**: prompt tokens inserted before layer 0 and carried to
  the end (the layer plan's ``'token'`` at layer 0, nothing after);
- **VPT-deep** (or any set of prompted layers computed as prefixes): each
  prompted layer's prompts as extra keys and values of its attention (the
  layer plan's ``'prefix'``, ``deep_mode='prefix'``, the default);

each of any prompt length. Everything else is refused with one line
(:class:`UnsupportedTaskError`): Bias, Adapter, partial, side and Full
tuning change the backbone's own weights or modules per task (its delta
holds keys outside ``backbone.prompt.`` and ``head.``), and pixel, channel
or added prompts, token-mode deep prompts, pooled (Fig. 8) outputs and
necks are not prompt tokens or prefixes of one shared sequence. Serve those
one process per task (``tools/infer.py``).
"""
from typing import Dict, List, Optional, Sequence

import torch
from torch import nn

#: The delta keys a served task may hold.
TASK_KEY_PREFIXES = ('backbone.prompt.', 'head.')
#: The one-line rule quoted in refusals.
RULE = ('a mixed-task batch serves Linear, VPT-shallow and VPT-deep '
        '(prefix) tasks only: a task may change only the prompt tokens or '
        'prefixes entering the shared frozen backbone and its head')


class UnsupportedTaskError(ValueError):
    """A task that cannot share a mixed batch (see the module's rule)."""


def task_kind(plan: Sequence, source: str) -> str:
    """``'linear'``, ``'shallow'`` or ``'prefix'`` from a
    :class:`~vpt_mm.models.backbones.prompted_vit.LayerPlan`.

    Raises:
        UnsupportedTaskError: Another plan, naming the layer.
    """
    modes = [step.mode for step in plan]
    if all(mode is None for mode in modes):
        return 'linear'
    if modes[0] == 'token' and all(mode is None for mode in modes[1:]) \
            and all(step.holds_out and not step.drop_after for step in plan):
        return 'shallow'
    for index, mode in enumerate(modes):
        if mode not in (None, 'prefix'):
            raise UnsupportedTaskError(
                f"{source}: layer {index} takes its prompts as '{mode}'; "
                f'{RULE}')
    return 'prefix'


class ServedTask(nn.Module):
    """A task's prompt module and head on the shared backbone.

    Args:
        name (str): The task's name.
        kind (str): ``'linear'``, ``'shallow'`` or ``'prefix'``.
        prompt (nn.Module, optional): The task's
            :class:`~vpt_mm.prompts.tokens.PrefixPrompts` (None for
            Linear), its delta loaded.
        head (nn.Module): The task's classification head.
        num_layers (int): The backbone's number of layers.
        meta (dict): The delta's metadata.
        fingerprint_check (str): ``'ok'``, or what
            ``allow_other_backbone`` let through.
    """

    def __init__(self, name: str, kind: str, prompt: Optional[nn.Module],
                 head: nn.Module, num_layers: int, meta: Dict[str, str],
                 fingerprint_check: str) -> None:
        super().__init__()
        self.name = name
        self.kind = kind
        self.prompt = prompt
        self.head = head
        self.meta = dict(meta)
        self.fingerprint_check = fingerprint_check
        self.num_tokens = 0 if prompt is None else prompt.num_tokens
        self.prefix_layers = tuple(
            prompt.layers) if kind == 'prefix' else ()
        self.num_layers = num_layers

    @torch.no_grad()
    def shallow_tokens(self) -> Optional[torch.Tensor]:
        """The ``(p, D)`` prompt tokens entering layer 0 (VPT-shallow)."""
        if self.kind != 'shallow':
            return None
        return self.prompt(0, 1)[0]

    @torch.no_grad()
    def prefix_kv(self, layer_index: int,
                  layer: nn.Module) -> Optional[torch.Tensor]:
        """The ``(p, 2D)`` keys and values of this task's prefix prompts
        at ``layer`` (``ln1`` and the key/value rows of ``qkv``), as the
        prompted ViT computes them; None when the layer has none."""
        if layer_index not in self.prefix_layers:
            return None
        attn = layer.attn
        dims = attn.embed_dims
        bias = None if attn.qkv.bias is None else attn.qkv.bias[dims:]
        prompts = self.prompt(layer_index, 1)
        return nn.functional.linear(
            layer.ln1(prompts), attn.qkv.weight[dims:], bias)[0]

    def classes(self) -> Optional[List[str]]:
        """The class names the delta records, if any."""
        import json
        text = self.meta.get('classes')
        return list(json.loads(text)) if text else None

    def describe(self) -> dict:
        """What ``/tasks`` says of the task."""
        from vpt_mm.checkpoint.delta import (BACKBONE_CHECKPOINT_KEY,
                                             FINGERPRINT_KEY)
        return dict(
            name=self.name,
            kind=self.kind,
            num_tokens=self.num_tokens,
            num_classes=int(getattr(self.head, 'num_classes', -1)),
            classes=self.classes(),
            backbone_sha256=self.meta.get(FINGERPRINT_KEY),
            backbone_checkpoint=self.meta.get(BACKBONE_CHECKPOINT_KEY),
            fingerprint_check=self.fingerprint_check,
            delta_parameters=sum(p.numel() for p in self.parameters()))
