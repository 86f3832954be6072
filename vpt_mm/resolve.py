"""A loaded config's top-level task variables and schedule length carried
into the dicts that use them (pure Python, no host).

mmengine evaluates a base file before its child, so a child that sets
``data_root = ...`` at the top leaves the base's dataset dicts with the
base's value. The tools (``train.py``, ``test.py``, ``sweep.py``,
``check_dataset.py``) call :func:`resolve_config` after loading a config
and again after ``--cfg-options``, so that:

- ``data_root``, ``task_name`` and ``num_classes`` reach every
  ``VTAB1kDataset``/``FGVCDataset`` dict (``task``/``name``), and
  ``num_classes`` the head and the data preprocessors;
- the schedule follows the training length: when ``train_cfg.max_epochs``
  (or the top-level ``max_epochs``) differs from the length the
  ``param_scheduler`` was written for (its largest ``end``), every
  by-epoch scheduler's ``begin``/``end`` is scaled to it (the warm-up keeps
  its share, the cosine ends at the new last epoch); the same for
  ``max_iters`` and by-iteration schedulers.

A task of one's own is then a few lines (see the README)::

    _base_ = ['../vpt/vpt-deep_vit-b16-in21k_1xb128_vtab1k-dtd.py']
    data_root = 'data/mine'
    task_name = 'shapes'
    num_classes = 5
"""
import ast
from typing import Iterable, Iterator, MutableMapping, Optional, Set

TASK_KEYS = ('data_root', 'task_name', 'num_classes')
# dataset type: the key of its task name
DATASET_TASK_KEY = {'VTAB1kDataset': 'task', 'FGVCDataset': 'name'}
LOOPS = (('max_epochs', True), ('max_iters', False))


def _datasets(cfg) -> Iterator[MutableMapping]:
    """The VTAB-1k/FGVC dataset dicts of the dataloaders (under wrappers:
    ``dataset``/``datasets``)."""
    seen = set()

    def walk(node):
        if not isinstance(node, MutableMapping) or id(node) in seen:
            return
        seen.add(id(node))
        if node.get('type') in DATASET_TASK_KEY:
            yield node
        yield from walk(node.get('dataset'))
        for child in node.get('datasets') or []:
            yield from walk(child)

    for split in ('train', 'val', 'test'):
        loader = cfg.get(f'{split}_dataloader')
        if isinstance(loader, MutableMapping):
            yield from walk(loader.get('dataset'))


def resolve_task(cfg, keys: Iterable[str] = TASK_KEYS) -> None:
    """Carry the top-level ``keys`` of :data:`TASK_KEYS` the config has
    into the dataset dicts, the head and the data preprocessors."""
    keys = [key for key in keys if key in TASK_KEYS and key in cfg]
    for dataset in _datasets(cfg):
        for key in keys:
            field = DATASET_TASK_KEY[dataset['type']] \
                if key == 'task_name' else key
            dataset[field] = cfg[key]
    if 'num_classes' not in keys:
        return
    num_classes = cfg['num_classes']
    model = cfg.get('model') or {}
    for holder in (model.get('head'), cfg.get('data_preprocessor'),
                   model.get('data_preprocessor')):
        if isinstance(holder, MutableMapping):
            holder['num_classes'] = num_classes


def _schedulers(cfg, by_epoch: bool) -> list:
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, MutableMapping):
        schedulers = [schedulers]
    return [s for s in schedulers
            if isinstance(s, MutableMapping) and
            bool(s.get('by_epoch', True)) == by_epoch]


def schedule_length(cfg, by_epoch: bool = True) -> Optional[float]:
    """The length the by-epoch (or by-iteration) schedulers were written
    for: their largest finite ``end``; ``None`` when they have none."""
    ends = [s['end'] for s in _schedulers(cfg, by_epoch)
            if isinstance(s.get('end'), (int, float)) and
            s['end'] < 1e9]
    return max(ends) if ends else None


def resolve_schedule(cfg, options: Iterable[str] = ()) -> None:
    """Make ``train_cfg``, the top-level length variable and the
    schedulers agree on the training length.

    Args:
        cfg: The loaded config.
        options (Iterable[str]): Keys ``--cfg-options`` set; a top-level
            ``max_epochs``/``max_iters`` among them is the length wanted,
            then ``train_cfg.<key>``. Without options, a top-level variable
            the config file itself sets (not one of its bases), when the
            file sets no ``train_cfg`` (a child setting
            ``max_epochs = 20``), wins, else ``train_cfg``.
    """
    options = set(options)
    own = set_by_file(cfg)
    train_cfg = cfg.get('train_cfg')
    if not isinstance(train_cfg, MutableMapping):
        return
    for key, by_epoch in LOOPS:
        if key not in train_cfg:
            continue
        length = schedule_length(cfg, by_epoch)
        wanted = train_cfg[key]
        if key in options or (not options and key in cfg and
                              (own is None or key in own and
                               'train_cfg' not in own) and
                              cfg[key] != length and
                              train_cfg[key] == length):
            wanted = cfg[key]
        train_cfg[key] = wanted
        if key in cfg:
            cfg[key] = wanted
        if not length or wanted == length:
            continue
        scale = wanted / length
        for scheduler in _schedulers(cfg, by_epoch):
            whole = not (by_epoch and scheduler.get('convert_to_iter_based'))
            for field in ('begin', 'end'):
                value = scheduler.get(field)
                if not isinstance(value, (int, float)) or value >= 1e9:
                    continue
                value = wanted if value == length else value * scale
                if whole:  # whole epochs or iterations, never empty
                    value = int(round(value))
                    if field == 'end':
                        value = max(value, scheduler.get('begin', 0) + 1)
                scheduler[field] = value
        if by_epoch and isinstance(cfg.get('warmup_epochs'), (int, float)):
            cfg['warmup_epochs'] = cfg['warmup_epochs'] * scale


def set_by_file(cfg) -> Optional[Set[str]]:
    """The top-level names the config's own file assigns (not its bases'),
    or ``None`` for a config not read from a Python file."""
    filename = getattr(cfg, 'filename', None)
    if not filename or not str(filename).endswith('.py'):
        return None
    with open(filename) as file:
        tree = ast.parse(file.read())
    names = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [
            node.target] if isinstance(node, ast.AnnAssign) else []
        names.update(t.id for t in targets if isinstance(t, ast.Name))
    return names


def resolve_config(cfg, options: Optional[Iterable[str]] = None) -> None:
    """Both resolutions, in place. ``options``: ``None`` right after
    loading the file (the task variables the file itself sets are carried:
    a base's variables already are, and a dict the file sets explicitly is
    kept), or the keys ``--cfg-options`` set (only those are carried again,
    so an option on a nested key is kept)."""
    if options is None:
        own = set_by_file(cfg)
        resolve_task(cfg, TASK_KEYS if own is None else
                     [key for key in TASK_KEYS if key in own])
        resolve_schedule(cfg)
        return
    options = list(options)
    top = [key.split('.', 1)[0] for key in options]
    resolve_task(cfg, [key for key in top if key in TASK_KEYS])
    resolve_schedule(
        cfg, [key for key in options
              if key in ('max_epochs', 'max_iters') or
              key in ('train_cfg.max_epochs', 'train_cfg.max_iters')])
