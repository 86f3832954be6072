"""Prompt ensembling (Fig. 15): k prompt sets of k runs in one forward.

Runs of one VPT config that differ only in their seeds share the frozen
backbone; each has its own prompts and head. :class:`PromptEnsemble`
holds the backbone once, the k prompt sets and the k heads, and evaluates
a batch by replicating it k times along the batch axis (block ``j`` sees
prompt set ``j``) in one backbone forward, then averages the k heads'
logits. :func:`build_prompt_ensemble` builds one from a config and the k
runs' checkpoints (mmengine checkpoints or vpt_mm delta files).
"""
import copy
import os.path as osp
from typing import Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.models.classifiers import ImageClassifier
from mmpretrain.registry import MODELS
from torch import nn

from vpt_mm.checkpoint.delta import DELTA_CONTAINER_SUFFIX, read_delta
from vpt_mm.checkpoint.io import read_state_dict
from vpt_mm.checkpoint.strict import (CheckpointMismatchError,
                                      load_state_dict_strictly)
from vpt_mm.prompts.stacked import StackedPrompts
from vpt_mm.registry import register_classifier
from .backbones.prompted_vit import PromptedViT
from .delta import delta_keys, model_methods
from .delta_binding import check_binding

PROMPT_PREFIX = 'backbone.prompt.'
HEAD_PREFIX = 'head.'


@register_classifier
class PromptEnsemble(ImageClassifier):
    """An :class:`ImageClassifier` on a prompted backbone with ``num_sets``
    prompt sets and heads, for evaluation (``predict`` / ``tensor``).

    Its delta metadata names the runs' ``ImageClassifier``
    (:attr:`delta_model_type`), so a run's delta is checked against it.

    Args:
        num_sets (int): k, the number of runs ensembled (>= 1).
        **kwargs: The runs' ``ImageClassifier`` config (``backbone``
            a :class:`PromptedViT`, possibly inside a PEFT wrapper whose
            keys are the module's, ``head``, ...).

    The state dict holds the shared backbone once, prompt set ``j`` under
    ``backbone.prompt.sets.{j}.`` and head ``j`` under ``heads.{j}.``.
    """

    delta_model_type = 'ImageClassifier'

    def __init__(self, num_sets: int, **kwargs) -> None:
        if isinstance(num_sets, bool) or not isinstance(num_sets, int) or \
                num_sets < 1:
            raise ValueError(
                f'num_sets must be an int >= 1, got {num_sets!r}')
        super().__init__(**kwargs)
        prompted = [m for m in self.backbone.modules()
                    if isinstance(m, PromptedViT)]
        if not prompted or prompted[0].prompt is None:
            raise ValueError('PromptEnsemble needs a PromptedViT backbone '
                             'with prompts (prompt_cfg.num_tokens > 0)')
        single = prompted[0].prompt
        prompted[0].prompt = StackedPrompts(
            [single] + [copy.deepcopy(single) for _ in range(num_sets - 1)])
        prompted[0].freeze_backbone()
        head = self.head
        del self.head
        self.heads = nn.ModuleList(
            [head] + [copy.deepcopy(head) for _ in range(num_sets - 1)])
        self.num_sets = num_sets

    def init_weights(self) -> None:
        super().init_weights()
        for head in self.heads:
            head.init_weights()

    def ensemble_logits(self, inputs: torch.Tensor) -> torch.Tensor:
        """The average of the k heads' logits, ``(B, num_classes)``, from
        one backbone forward on the batch replicated k times."""
        feats = self.extract_feat(inputs.repeat(self.num_sets, 1, 1, 1))
        blocks = zip(*(feat.chunk(self.num_sets) for feat in feats))
        logits = [head(block) for head, block in zip(self.heads, blocks)]
        return torch.stack(logits).mean(dim=0)

    def forward(self, inputs: torch.Tensor, data_samples=None,
                mode: str = 'tensor'):
        if mode == 'tensor':
            return self.ensemble_logits(inputs)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'PromptEnsemble evaluates only (mode "tensor" '
                           f'or "predict"), got mode "{mode}"')

    def predict(self, inputs: torch.Tensor, data_samples=None, **kwargs):
        return self.heads[0]._get_predictions(
            self.ensemble_logits(inputs), data_samples)


def build_prompt_ensemble(
        cfg: Config,
        checkpoint_files: Sequence[str],
        device: Optional[str] = None,
        allow_other_backbone: bool = False) -> PromptEnsemble:
    """A :class:`PromptEnsemble` of the runs of ``cfg`` in
    ``checkpoint_files`` (k >= 1, mmengine checkpoints or delta files).

    The backbone comes from the first file (or, for delta files, from the
    config's pretrained ``init_cfg``); every other file must agree with it
    on every tensor that is neither a prompt nor the head: one frozen
    backbone serves all runs (VPT+Bias or [CLS]-Learned runs, whose
    backbones differ, cannot share one forward). A delta must be bound to
    the config and its backbone (:func:`.delta_binding.check_binding`;
    ``allow_other_backbone`` logs another or a missing backbone instead).

    Raises:
        CheckpointMismatchError: Naming the file and key that do not fit
            (a ``DeltaBindingError`` for another config or backbone).
    """
    if not checkpoint_files:
        raise ValueError('build_prompt_ensemble needs at least one '
                         'checkpoint file')
    model_cfg = copy.deepcopy(cfg.model)
    if model_cfg.get('type') != 'ImageClassifier':
        raise ValueError('build_prompt_ensemble: model.type must be '
                         f"'ImageClassifier', got {model_cfg.get('type')!r}")
    model_cfg.type = 'PromptEnsemble'
    model_cfg.num_sets = len(checkpoint_files)
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmpretrain')):
        model = MODELS.build(model_cfg)
    deltas = [
        name.endswith(DELTA_CONTAINER_SUFFIX) for name in checkpoint_files
    ]
    reads = [
        read_delta(name) if delta else (read_state_dict(name), None)
        for name, delta in zip(checkpoint_files, deltas)
    ]
    runs = [tensors for tensors, _ in reads]
    if any(deltas):
        model.init_weights()  # the pretrained backbone under the deltas
        trained = delta_keys(model)
        for name, (_, meta) in zip(checkpoint_files, reads):
            if meta is not None:
                check_binding(model, meta, name, trained,
                              allow_other_backbone, model_methods(model))
    source = ', '.join(osp.basename(name) for name in checkpoint_files)
    model_keys = set(model.state_dict())
    combined = {}
    for index, (name, run) in enumerate(zip(checkpoint_files, runs)):
        for key, value in run.items():
            if key.startswith(PROMPT_PREFIX):
                new_key = (f'{PROMPT_PREFIX}sets.{index}.'
                           f'{key[len(PROMPT_PREFIX):]}')
            elif key.startswith(HEAD_PREFIX):
                new_key = f'heads.{index}.{key[len(HEAD_PREFIX):]}'
            elif index == 0 or key not in runs[0]:
                new_key = key
            else:
                if not torch.equal(value, runs[0][key]):
                    raise CheckpointMismatchError(
                        f'{name}: "{key}" differs from '
                        f'{checkpoint_files[0]}: a prompt ensemble shares '
                        'one frozen backbone (only prompts and heads may '
                        'differ)')
                continue
            if new_key not in model_keys:
                raise CheckpointMismatchError(
                    f'{name}: unexpected key "{key}" for the ensemble of '
                    f'{len(checkpoint_files)} runs')
            combined[new_key] = value
        if set(run) != set(runs[0]) and not any(deltas):
            raise CheckpointMismatchError(
                f'{name}: holds other keys than {checkpoint_files[0]}')
    load_state_dict_strictly(
        model, combined, source,
        may_be_missing=lambda key: any(deltas) and not key.startswith(
            (PROMPT_PREFIX, 'heads.')))
    model.eval()
    return model.to(device) if device else model

