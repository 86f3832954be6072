"""Read and validate the config zoo's manifest (``configs/zoo.yml``).

The manifest holds the zoo's tables as data: tasks, backbones, methods,
the families (method x backbone x task) and the ablation variants. Every
problem is reported as one line that names the offending key, e.g.
``configs/zoo.yml: families.vpt.models[0].batch: expected ...``.
"""
from typing import Any, Dict, List, Optional

import yaml

PROMPTS = ('deep', 'shallow', 'none')
VARIANT_P = ('none', 'classes')


class ManifestError(ValueError):
    """A manifest problem, as one line naming the key."""


class _Checker:
    """Type checks that raise :class:`ManifestError` naming the key."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, message: str) -> None:
        raise ManifestError(f'{self.source}: {key}: {message}')

    def mapping(self, value: Any, key: str,
                required: tuple = (), optional: tuple = ()) -> dict:
        if not isinstance(value, dict):
            self.fail(key, f'expected a mapping, got {value!r}')
        for name in required:
            if name not in value:
                self.fail(f'{key}.{name}', 'missing')
        if required or optional:
            for name in value:
                if name not in required + optional:
                    self.fail(f'{key}.{name}', 'unknown key')
        return value

    def seq(self, value: Any, key: str) -> list:
        if not isinstance(value, list):
            self.fail(key, f'expected a list, got {value!r}')
        return value

    def text(self, value: Any, key: str) -> str:
        if not isinstance(value, str):
            self.fail(key, f'expected a string, got {value!r}')
        return value

    def number(self, value: Any, key: str, kind=int) -> Any:
        if isinstance(value, bool) or not isinstance(value, kind):
            article = 'an' if kind is int else 'a'
            self.fail(key,
                      f'expected {article} {kind.__name__}, got {value!r}')
        return value

    def choice(self, value: Any, key: str, choices) -> Any:
        if value not in choices:
            self.fail(key, f'expected one of {sorted(choices)}, '
                      f'got {value!r}')
        return value

    def batch(self, value: Any, key: str) -> Any:
        """An int, or [p < 100, p >= 100] (Tab. 8's VPT rule)."""
        if isinstance(value, list):
            if len(value) != 2 or not all(
                    isinstance(v, int) and not isinstance(v, bool)
                    for v in value):
                self.fail(key, 'expected an int or [p < 100, p >= 100], '
                          f'got {value!r}')
            return value
        return self.number(value, key)


def _check_tasks(c: _Checker, manifest: dict) -> None:
    for name, task in c.mapping(manifest['tasks'], 'tasks').items():
        key = f'tasks.{name}'
        c.mapping(task, key,
                  required=('group', 'title', 'dataset', 'classes', 'p'))
        c.text(task['group'], f'{key}.group')
        c.text(task['title'], f'{key}.title')
        c.text(task['dataset'], f'{key}.dataset')
        c.number(task['classes'], f'{key}.classes')
        lengths = c.seq(task['p'], f'{key}.p')
        if len(lengths) != 2:
            c.fail(f'{key}.p', 'expected [VPT-shallow p, VPT-deep p]')
        for i, length in enumerate(lengths):
            c.number(length, f'{key}.p[{i}]')
    for name, names in c.mapping(manifest['task_sets'], 'task_sets').items():
        for i, task in enumerate(c.seq(names, f'task_sets.{name}')):
            c.choice(task, f'task_sets.{name}[{i}]', manifest['tasks'])


def _check_tables(c: _Checker, manifest: dict) -> None:
    for name, backbone in c.mapping(manifest['backbones'],
                                    'backbones').items():
        key = f'backbones.{name}'
        c.mapping(backbone, key, required=('title', 'pretrain', 'data_suffix'))
        for field in ('title', 'pretrain', 'data_suffix'):
            c.text(backbone[field], f'{key}.{field}')
    for name, method in c.mapping(manifest['methods'], 'methods').items():
        key = f'methods.{name}'
        c.mapping(method, key, required=('title', 'prompts'),
                  optional=('wrapped', ))
        c.text(method['title'], f'{key}.title')
        c.choice(method['prompts'], f'{key}.prompts', PROMPTS)
    results = c.mapping(manifest['results'], 'results',
                        required=('backbone', 'tables', 'order', 'top1'))
    c.choice(results['backbone'], 'results.backbone', manifest['backbones'])
    order = []
    for i, name in enumerate(c.seq(results['order'], 'results.order')):
        c.choice(name, f'results.order[{i}]', manifest['task_sets'])
        c.choice(name, 'results.tables', c.mapping(results['tables'],
                                                   'results.tables'))
        order += manifest['task_sets'][name]
    for method, values in c.mapping(results['top1'], 'results.top1').items():
        key = f'results.top1.{method}'
        c.choice(method, key, manifest['methods'])
        if len(c.seq(values, key)) != len(order):
            c.fail(key, f'expected {len(order)} values (results.order), '
                   f'got {len(values)}')
        for i, value in enumerate(values):
            c.number(value, f'{key}[{i}]', float)


def _check_task_sets(c: _Checker, manifest: dict, value: Any,
                     key: str) -> None:
    for i, name in enumerate(c.seq(value, key)):
        c.choice(name, f'{key}[{i}]', manifest['task_sets'])


def _check_families(c: _Checker, manifest: dict) -> None:
    for name, family in c.mapping(manifest['families'], 'families').items():
        key = f'families.{name}'
        c.mapping(family, key, required=('title', 'about', 'tasks', 'models'),
                  optional=('handwritten', 'p_source'))
        c.text(family['title'], f'{key}.title')
        c.text(family['about'], f'{key}.about')
        _check_task_sets(c, manifest, family['tasks'], f'{key}.tasks')
        for i, file in enumerate(family.get('handwritten', [])):
            c.text(file, f'{key}.handwritten[{i}]')
        for i, row in enumerate(c.seq(family['models'], f'{key}.models')):
            _check_row(c, manifest, row, f'{key}.models[{i}]')


def _check_row(c: _Checker, manifest: dict, row: Any, key: str) -> None:
    c.mapping(row, key, required=('method', 'backbone', 'batch'),
              optional=('tag', 'p', 'p_source', 'batch_source', 'note'))
    method = manifest['methods'][c.choice(row['method'], f'{key}.method',
                                          manifest['methods'])]
    c.choice(row['backbone'], f'{key}.backbone', manifest['backbones'])
    c.batch(row['batch'], f'{key}.batch')
    for field in ('tag', 'p_source', 'batch_source', 'note'):
        if field in row:
            c.text(row[field], f'{key}.{field}')
    if 'p' in row and row['p'] != 'base':
        c.number(row['p'], f'{key}.p')
    if row.get('p') == 'base' and isinstance(row['batch'], list):
        c.fail(f'{key}.batch', 'a fixed batch goes with p: base')
    if isinstance(row['batch'], list) and method['prompts'] == 'none':
        c.fail(f'{key}.batch', f"{row['method']} has no prompts: "
               'expected one batch')


def _check_ablations(c: _Checker, manifest: dict) -> None:
    key = 'ablations'
    ablations = c.mapping(
        manifest['ablations'], key,
        required=('folder', 'title', 'about', 'inherits', 'backbone',
                  'tasks', 'batch', 'variants'))
    for field in ('folder', 'title', 'about'):
        c.text(ablations[field], f'{key}.{field}')
    c.choice(ablations['inherits'], f'{key}.inherits', manifest['families'])
    c.choice(ablations['backbone'], f'{key}.backbone', manifest['backbones'])
    _check_task_sets(c, manifest, ablations['tasks'], f'{key}.tasks')
    c.batch(ablations['batch'], f'{key}.batch')
    for name, variant in c.mapping(ablations['variants'],
                                   f'{key}.variants').items():
        vkey = f'{key}.variants.{name}'
        c.mapping(variant, vkey, required=('method', 'about', 'model'),
                  optional=('p', 'verbatim'))
        c.choice(variant['method'], f'{vkey}.method', manifest['methods'])
        c.text(variant['about'], f'{vkey}.about')
        c.mapping(variant['model'], f'{vkey}.model')
        if 'p' in variant:
            c.choice(variant['p'], f'{vkey}.p', VARIANT_P)
        for i, line in enumerate(variant.get('verbatim', [])):
            c.text(line, f'{vkey}.verbatim[{i}]')


SECTIONS = ('tasks', 'task_sets', 'backbones', 'methods', 'results',
            'families', 'ablations')


def validate(manifest: Any, source: str = 'manifest') -> Dict[str, Any]:
    """Check a parsed manifest; raise :class:`ManifestError` on the first
    problem, as one line naming the key."""
    c = _Checker(source)
    c.mapping(manifest, '(top level)', required=SECTIONS)
    _check_tasks(c, manifest)
    _check_tables(c, manifest)
    _check_families(c, manifest)
    _check_ablations(c, manifest)
    return manifest


def load_manifest(path: str,
                  source: Optional[str] = None) -> Dict[str, Any]:
    """Read and validate the manifest at ``path``."""
    source = source or path
    with open(path) as file:
        try:
            manifest = yaml.safe_load(file)
        except yaml.YAMLError as error:
            line = ' '.join(str(error).split())
            raise ManifestError(f'{source}: not YAML: {line}') from None
    return validate(manifest, source)


def task_list(manifest: dict, sets: List[str]) -> List[str]:
    """The tasks of the named task sets, in order."""
    return [task for name in sets for task in manifest['task_sets'][name]]
