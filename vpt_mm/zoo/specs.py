"""Expand a validated manifest into one :class:`ConfigSpec` per config.

A family row gives a config per task: the method and dataset bases, the
task's class count, its prompt length where the method takes one (Tabs. 13
and 14) and the batch (Tab. 8). An ablation variant gives a config per task
that inherits the zoo config of its method on that task.
"""
import copy
import textwrap
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from .manifest import task_list

BASE_BATCH = 128  # the batch of every dataset base (*_bs128.py)
LONG_PROMPT = 100  # Tab. 8: VPT's batch halves from 100 prompt tokens
WIDTH = 79


@dataclass
class ConfigSpec:
    """What one generated config says, and what its docs list.

    Args:
        folder: the folder under ``configs/``.
        name: the file name without ``.py``.
        comment: the comment lines at the top (without ``# ``).
        bases: the ``_base_`` entries.
        assigns: ``(name, value, trailing comment)`` after ``_base_``.
        meta: method, backbone, task, p, batch (for README/metafile).
    """

    folder: str
    name: str
    comment: List[str]
    bases: List[str]
    assigns: List[Tuple[str, Any, Optional[str]]] = field(
        default_factory=list)
    meta: Dict[str, Any] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return f'{self.folder}/{self.name}.py'


# spaces the comments keep: 'p = 10', 'Tab. 8', 'Fig. 5' stay on one line
NO_BREAK = (' = ', 'Tab. ', 'Tabs. ', 'Fig. ', 'Figs. ')


def wrap(text: str) -> List[str]:
    """Comment text as lines that fit ``# `` + 77 columns."""
    text = ' '.join(text.split())
    for words in NO_BREAK:
        text = text.replace(words, words.replace(' ', '\xa0'))
    lines = textwrap.wrap(text, WIDTH - 2, break_on_hyphens=False)
    return [line.replace('\xa0', ' ') for line in lines]


def pick_batch(batch: Any, p: Optional[int]) -> int:
    """The batch of ``batch`` (an int, or Tab. 8's [p < 100, p >= 100])
    for ``p`` prompt tokens (None: no prompt tokens)."""
    if isinstance(batch, int):
        return batch
    return batch[1] if p is not None and p >= LONG_PROMPT else batch[0]


def rule_text(p: Optional[int]) -> str:
    """Which half of Tab. 8's VPT batch rule ``p`` falls in."""
    if p is None:
        return 'no prompt tokens'
    return f'p >= {LONG_PROMPT}' if p >= LONG_PROMPT else f'p < {LONG_PROMPT}'


def _table(manifest: dict, task: str) -> str:
    """The results table of the task's set (Tab. 13 or 14)."""
    tables = manifest['results']['tables']
    for name, table in tables.items():
        if task in manifest['task_sets'][name]:
            return table
    return ''


def _row_prompts(manifest: dict, row: dict, task: str) -> Optional[int]:
    """The row's prompt length on ``task``, None where the leaf config sets
    none (no prompts, or the method base's own)."""
    if 'p' in row:
        return None if row['p'] == 'base' else row['p']
    prompts = manifest['methods'][row['method']]['prompts']
    if prompts == 'none':
        return None
    return manifest['tasks'][task]['p'][0 if prompts == 'shallow' else 1]


def _row_spec(manifest: dict, folder: str, family: dict, row: dict,
              task: str) -> ConfigSpec:
    method = manifest['methods'][row['method']]
    backbone = manifest['backbones'][row['backbone']]
    info = manifest['tasks'][task]
    p = _row_prompts(manifest, row, task)
    batch = pick_batch(row['batch'], p)
    tag = f"-{row['tag']}" if 'tag' in row else ''
    name = (f"{row['method']}{tag}_{row['backbone']}_1xb{batch}_{task}")
    text = (f"{method['title']} on {info['group']} {info['title']}, "
            f"{backbone['title']}: ")
    if p is not None:
        source = row.get('p_source')
        if source is None:
            source = _table(manifest, task)
            if 'p_source' in family:
                source = f"{family['p_source']}, {source}"
        text += f'p = {p} ({source}), '
    source = row.get('batch_source', 'Tab. 8')
    if isinstance(row['batch'], list):
        source += f': {rule_text(p)}'
    text += f'batch {batch} ({source}).'
    if 'note' in row:
        text += ' ' + row['note']
    model = {}
    if p is not None:
        prompt = {'prompt_cfg': {'num_tokens': p}}
        model['backbone'] = ({'module': prompt} if method.get('wrapped')
                             else prompt)
    model['head'] = {'num_classes': info['classes']}
    assigns = [('model', model, None)]
    if batch != BASE_BATCH:
        assigns.append(('train_dataloader', {'batch_size': batch}, None))
    bases = [
        f"../_base_/methods/{row['method']}_{row['backbone']}.py",
        f"../_base_/datasets/{info['dataset']}{backbone['data_suffix']}"
        '_bs128.py',
    ]
    meta = dict(method=row['method'], tag=row.get('tag', ''),
                backbone=row['backbone'], task=task, p=p, batch=batch)
    return ConfigSpec(folder, name, wrap(text), bases, assigns, meta)


def family_specs(manifest: dict) -> List[ConfigSpec]:
    """Every config of every family, handwritten ones included."""
    specs = []
    for folder, family in manifest['families'].items():
        for row in family['models']:
            for task in task_list(manifest, family['tasks']):
                specs.append(
                    _row_spec(manifest, folder, family, row, task))
    return specs


def _fill(value: Any, p: Optional[int], data: str) -> Any:
    """``value`` with '{p}' as the count and '{data}' as the task name."""
    if isinstance(value, dict):
        return {k: _fill(v, p, data) for k, v in value.items()}
    if value == '{p}':
        return p
    if isinstance(value, str):
        return value.replace('{data}', data)
    return copy.deepcopy(value)


def ablation_specs(manifest: dict,
                   zoo: Dict[tuple, ConfigSpec]) -> List[ConfigSpec]:
    """Every ablation config. ``zoo`` maps (folder, method, backbone,
    task) to the untagged family configs the variants inherit."""
    ablations = manifest['ablations']
    specs = []
    for variant, spec in ablations['variants'].items():
        for task in task_list(manifest, ablations['tasks']):
            info = manifest['tasks'][task]
            parent = zoo[(ablations['inherits'], spec['method'],
                          ablations['backbone'], task)]
            rule = spec.get('p')
            if rule == 'none':
                p = None
            elif rule == 'classes':
                p = min(info['classes'], 200)
            else:
                p = parent.meta['p']
            batch = pick_batch(ablations['batch'], p)
            assigns = [('model', _fill(spec['model'], p, task), None)]
            if batch != parent.meta['batch']:
                assigns.append(('train_dataloader', {'batch_size': batch},
                                f'Tab. 8: {rule_text(p)}'))
            comment = wrap(spec['about'].replace('{classes}',
                                                 str(info['classes'])))
            comment += [
                line.replace('{data}', task)
                for line in spec.get('verbatim', [])
            ]
            name = f"{variant}_{ablations['backbone']}_1xb{batch}_{task}"
            meta = dict(method=variant, tag='', backbone=ablations[
                'backbone'], task=task, p=p, batch=batch)
            specs.append(
                ConfigSpec(ablations['folder'], name, comment,
                           [f'../{parent.folder}/{parent.name}.py'],
                           assigns, meta))
    return specs


def all_specs(manifest: dict) -> List[ConfigSpec]:
    """Every generated config spec (handwritten ones included)."""
    specs = family_specs(manifest)
    zoo = {(s.folder, s.meta['method'], s.meta['backbone'], s.meta['task']):
           s
           for s in specs if not s.meta['tag']}
    return specs + ablation_specs(manifest, zoo)
