"""Many tasks, one frozen backbone, one batch.

:class:`MultiTaskClassifier` holds one frozen ViT (a base config's
``PromptedViT``, built and loaded once) and N task deltas (prompts and a
head each, see :mod:`.task` for what a task may be), and classifies a batch
whose samples belong to different tasks in one backbone forward
(:func:`.forward.mixed_features`). Tasks are added from delta files and
removed while the backbone stays as it is.

API::

    model = MultiTaskClassifier(base_cfg)       # the backbone, once
    model.add_task('deep', 'deep.delta.safetensors')  # checks the binding
    logits = model(inputs, ['deep', 'linear', 'deep'])  # one forward
    model.remove_task('deep')

A delta must be bound to the served backbone: its binding fields against
its own config's model and its fingerprint against the served backbone's
(:func:`vpt_mm.checkpoint.delta.check_delta_binding`,
:func:`~vpt_mm.checkpoint.delta.check_backbone_fingerprint`).
"""
import copy
import json
import re
from typing import List, Optional, Sequence

import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from torch import nn

from vpt_mm.checkpoint.delta import (FINGERPRINT_KEY, DeltaBindingError,
                                     check_backbone_fingerprint, check_delta,
                                     check_delta_binding, load_checked_delta,
                                     read_delta)
from ..backbones.prompted_vit import PromptedViT
from ..delta import delta_keys, model_methods
from ..delta_binding import (architecture_signature, backbone_checkpoint,
                             backbone_fingerprint, binding_fields)
from .forward import TaskTables, build_tables, mixed_features
from .task import (RULE, TASK_KEY_PREFIXES, ServedTask, UnsupportedTaskError,
                   task_kind)

#: What a task's name may be (a URL path segment).
TASK_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$')
#: Backbone settings every task must share with the served backbone.
_SHARED_ATTRS = ('out_type', 'final_norm', 'out_indices', 'num_extra_tokens')


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def task_config(meta: dict, source: str) -> Config:
    """A delta's config, from the ``config_text`` its run recorded."""
    text = meta.get('config_text')
    if not text:
        raise ValueError(f'{source}: the delta records no config_text; give '
                         'the task its config')
    return Config.fromstring(text, '.py')


def _build(cfg: Config) -> nn.Module:
    model_cfg = copy.deepcopy(cfg.model)
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    with DefaultScope.overwrite_default_scope(
            cfg.get('default_scope', 'mmpretrain')):
        return MODELS.build(model_cfg)


class MultiTaskClassifier(nn.Module):
    """One frozen ViT, N classification tasks, mixed-task batches.

    Args:
        cfg (Config): A config of the backbone (any classification config
            on it; its prompts and head are not used): an
            ``ImageClassifier`` on a :class:`PromptedViT` with a
            ``Pretrained`` ``init_cfg`` and no neck.
        allow_other_backbone (bool): Add deltas of another backbone (the
            misfit is logged and shown in :meth:`describe`).

    Raises:
        UnsupportedTaskError: Another model or backbone type, or a neck.
    """

    def __init__(self, cfg: Config,
                 allow_other_backbone: bool = False) -> None:
        super().__init__()
        cfg = copy.deepcopy(cfg)
        model = cfg.get('model') or {}
        backbone = model.get('backbone') or {}
        if model.get('type') != 'ImageClassifier' or \
                backbone.get('type') != 'PromptedViT' or model.get('neck'):
            raise UnsupportedTaskError(
                'the served backbone: model.type must be ImageClassifier, '
                "model.backbone.type 'PromptedViT' and no neck, got "
                f"{model.get('type')!r}, {backbone.get('type')!r}")
        backbone['prompt_cfg'] = dict(num_tokens=0)
        built = _build(cfg)
        built.init_weights()  # the pretrained backbone, once
        self.fingerprint = backbone_fingerprint(built, delta_keys(built))
        self.checkpoint = backbone_checkpoint(built)
        self.signature = architecture_signature(built)
        self.backbone = built.backbone
        self.data_preprocessor = built.data_preprocessor
        self.backbone.requires_grad_(False)
        self.tasks = nn.ModuleDict()
        self.allow_other_backbone = allow_other_backbone
        self._tables: Optional[TaskTables] = None
        self._rows = {}
        self.eval()

    # -- tasks ------------------------------------------------------------
    def add_task(self, name: str, delta_file: str,
                 cfg: Optional[Config] = None) -> ServedTask:
        """Add the task of ``delta_file`` under ``name``.

        Args:
            name (str): The task's name (letters, digits, ``_.-``).
            delta_file (str): Its ``.delta.safetensors``.
            cfg (Config, optional): Its config; default the one its run
                recorded in the delta (``config_text``).

        Raises:
            ValueError: A bad or taken name, no config.
            UnsupportedTaskError: A task that cannot share the batch.
            CheckpointMismatchError: A delta that does not fit its config,
                or (a ``DeltaBindingError``) is bound to another backbone.
        """
        if not isinstance(name, str) or not TASK_NAME.match(name):
            raise ValueError(f'task name {name!r}: letters, digits and '
                             '_.- only (at most 64)')
        if name in self.tasks:
            raise ValueError(f'task {name!r} is already served')
        tensors, meta = read_delta(delta_file)
        cfg = cfg if cfg is not None else task_config(meta, delta_file)
        with torch.device('meta'):  # shapes only: no second backbone
            model = _build(cfg)
        prompted = model._modules.get('backbone')
        if type(prompted) is not PromptedViT or \
                model._modules.get('neck') is not None:
            raise UnsupportedTaskError(
                f'{delta_file}: the backbone is '
                f'{type(prompted).__name__} (with PEFT or a neck); {RULE}')
        trained = delta_keys(model)
        for key in trained:
            if not key.startswith(TASK_KEY_PREFIXES):
                raise UnsupportedTaskError(
                    f'{delta_file}: the delta trains "{key}" '
                    f'({", ".join(model_methods(model))}); {RULE}')
        check_delta(tensors, model.state_dict(), trained, delta_file,
                    type(model).__name__)
        binding = binding_fields(model)
        binding['methods'] = _json(model_methods(model))
        check_delta_binding(meta, binding, delta_file)
        signature = architecture_signature(model)
        if signature != self.signature:
            raise DeltaBindingError(
                f'{delta_file}: its backbone is {_json(signature)}, the '
                f'served one {_json(self.signature)}')
        for attr in _SHARED_ATTRS:
            theirs, ours = getattr(prompted, attr), getattr(
                self.backbone, attr)
            if theirs != ours:
                raise UnsupportedTaskError(
                    f'{delta_file}: backbone {attr}={theirs!r}, the served '
                    f'backbone has {ours!r}')
        check_backbone_fingerprint(meta, self.fingerprint, self.checkpoint,
                                   delta_file, self.allow_other_backbone)
        theirs = meta.get(FINGERPRINT_KEY)
        check = ('ok' if theirs == self.fingerprint else
                 'unchecked (no fingerprint)' if theirs is None else
                 'other backbone (allowed)')
        kind = task_kind(prompted.layer_plan, delta_file)
        # the delta's tensors become the task's (the meta ones replaced)
        model.load_state_dict(tensors, strict=False, assign=True)
        load_checked_delta(model, tensors, delta_file)
        task = ServedTask(name, kind, prompted.prompt, model.head,
                          len(prompted.layers), meta, check)
        empty = [key for key, value in task.state_dict().items()
                 if value.is_meta]
        if empty:
            raise UnsupportedTaskError(
                f'{delta_file}: the task needs "{empty[0]}", which its '
                f'delta does not hold; {RULE}')
        device = next(self.backbone.parameters()).device
        task.requires_grad_(False)
        self.tasks[name] = task.to(device).eval()
        self._tables = None
        return task

    def remove_task(self, name: str) -> None:
        """Stop serving ``name`` (the backbone stays as it is)."""
        if name not in self.tasks:
            raise KeyError(f'unknown task {name!r}')
        del self.tasks[name]
        self._tables = None

    def _apply(self, fn, *args, **kwargs):
        self._tables = None  # moved: rebuilt on the new device
        return super()._apply(fn, *args, **kwargs)

    def tables(self) -> TaskTables:
        """The tasks' constant prompt contributions (rebuilt after a task
        is added or removed)."""
        if self._tables is None:
            self._rows = {name: row for row, name in enumerate(self.tasks)}
            self._tables = build_tables(self.backbone,
                                        list(self.tasks.values()))
        return self._tables

    # -- inference --------------------------------------------------------
    def task_ids(self, task_names: Sequence[str]) -> torch.Tensor:
        """The tasks' rows, ``(B, )``.

        Raises:
            KeyError: Naming an unknown task.
        """
        self.tables()
        unknown = [name for name in task_names if name not in self._rows]
        if unknown:
            raise KeyError(f'unknown task {unknown[0]!r}; served: '
                           f'{sorted(self._rows)}')
        device = next(self.backbone.parameters()).device
        return torch.tensor([self._rows[name] for name in task_names],
                            dtype=torch.long, device=device)

    @torch.no_grad()
    def forward(self, inputs: torch.Tensor,
                task_names: Sequence[str]) -> List[torch.Tensor]:
        """Each sample's logits from its own task's head.

        Args:
            inputs (torch.Tensor): Preprocessed images ``(B, C, H, W)``.
            task_names (Sequence[str]): Sample ``b``'s task.

        Returns:
            list[torch.Tensor]: ``(num_classes of its task, )`` per sample.
        """
        if len(task_names) != inputs.shape[0]:
            raise ValueError(f'{inputs.shape[0]} images but '
                             f'{len(task_names)} task names')
        ids = self.task_ids(task_names)
        feats = mixed_features(self.backbone, inputs, ids, self.tables())
        logits: List[Optional[torch.Tensor]] = [None] * len(task_names)
        for row, name in enumerate(self.tasks):
            index = (ids == row).nonzero()[:, 0]
            if not len(index):
                continue
            out = self.tasks[name].head((feats[index], ))
            for sample, value in zip(index.tolist(), out):
                logits[sample] = value
        return logits

    def describe(self) -> List[dict]:
        """What ``/tasks`` reports: each task's kind, classes and
        fingerprint check."""
        return [task.describe() for task in self.tasks.values()]
