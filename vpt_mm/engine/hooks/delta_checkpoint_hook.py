"""Save each checkpoint's delta (what the run trains) next to it."""
import json
import os.path as osp
from typing import Dict, Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook, Hook
from mmengine.logging import print_log

from vpt_mm.checkpoint.names import DELTA_FILE_SUFFIX
from vpt_mm.models.delta import delta_keys, save_delta, unwrap
from vpt_mm.models.delta_binding import backbone_fingerprint
from vpt_mm.registry import register_hook
from .atomic_checkpoint_hook import write_pointer


def dataset_meta(runner, meta: dict) -> Dict[str, str]:
    """The delta's ``classes`` and a segmentation set's ``palette`` (JSON)
    and ``dataset`` (the training set's type, and its ``name`` or ``task``
    where the config gives one)."""
    out = {}
    info = meta.get('dataset_meta') or {}
    if info.get('classes'):
        out['classes'] = json.dumps(list(info['classes']))
    if info.get('palette'):  # mmseg's visualizer needs one per class
        out['palette'] = json.dumps(
            [[int(value) for value in colour] for colour in info['palette']])
    dataset = (runner.cfg.get('train_dataloader') or {}).get('dataset', {})
    if isinstance(dataset, dict) and dataset.get('type'):
        name = dataset.get('name') or dataset.get('task')
        out['dataset'] = str(dataset['type']) + (f'({name})' if name else '')
    return out


@register_hook
class DeltaCheckpointHook(Hook):
    """Whenever the runner saves a checkpoint, also write the model's delta
    (:func:`vpt_mm.models.delta.save_delta`: prompts, head, biases,
    adapters, tuned blocks; BatchNorm statistics of trained modules) to
    ``<checkpoint name>.delta.safetensors`` in the same folder, e.g.
    ``epoch_100.pth`` and ``epoch_100.delta.safetensors``, and the latest
    delta's path to ``last_delta`` once its checkpoint is written
    (:class:`AtomicCheckpointHook` calls :meth:`commit_checkpoint`).

    Evaluate one with ``python tools/test.py CONFIG
    work_dirs/run/epoch_100.delta.safetensors``: the backbone comes from the
    config's ``init_cfg``, the delta goes on top.

    ``configs/_base_/default_runtime.py`` configures it for every
    classification config. A model whose parameters all train (Full
    fine-tuning) has no delta smaller than its checkpoint: the hook then
    writes nothing and says so once in the log.

    Args:
        out_dir (str, optional): Folder of the deltas; that of the
            ``CheckpointHook`` by default.
    """

    priority = 'LOW'

    def __init__(self, out_dir: Optional[str] = None) -> None:
        self.out_dir = out_dir
        self._skip: Optional[bool] = None
        self._config_text: Optional[str] = None
        self._fingerprint: Optional[str] = None
        self._pending_pointer: Optional[str] = None

    def _full_fine_tune(self, runner) -> bool:
        """True (and logged, the first time) when every parameter of the
        model trains: the delta would be the whole checkpoint."""
        if self._skip is None:
            model = unwrap(runner.model)
            self._skip = all(p.requires_grad for p in model.parameters())
            if self._skip:
                print_log(
                    f'DeltaCheckpointHook: every parameter of '
                    f'{type(model).__name__} trains (full fine-tuning), so '
                    'its delta would be the whole checkpoint: no delta is '
                    'written, the .pth checkpoints are the result',
                    logger='current')
        return self._skip

    @staticmethod
    def _checkpoint_hook(runner) -> Optional[CheckpointHook]:
        for hook in runner.hooks:
            if isinstance(hook, CheckpointHook):
                return hook
        return None

    def delta_path(self, runner, checkpoint: dict) -> str:
        """The path of the delta of ``checkpoint``: its name as the
        ``CheckpointHook`` writes it, with the delta suffix."""
        meta = checkpoint.get('meta', {})
        hook = self._checkpoint_hook(runner)
        by_epoch = hook.by_epoch if hook is not None else runner.train_loop \
            .__class__.__name__ == 'EpochBasedTrainLoop'
        if by_epoch:
            name = (hook.filename_tmpl if hook is not None else
                    'epoch_{}.pth').format(meta.get('epoch', runner.epoch))
        else:
            name = (hook.filename_tmpl if hook is not None else
                    'iter_{}.pth').format(meta.get('iter', runner.iter))
        name = osp.splitext(name)[0] + DELTA_FILE_SUFFIX
        out_dir = self.out_dir or getattr(hook, 'out_dir',
                                          None) or runner.work_dir
        return osp.join(out_dir, name)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        if not is_main_process() or self._full_fine_tune(runner):
            return
        if self._config_text is None:  # formatting a config takes a while
            self._config_text = runner.cfg.pretty_text
        model = unwrap(runner.model)
        if self._fingerprint is None:  # the frozen backbone never changes
            self._fingerprint = backbone_fingerprint(model, delta_keys(model))
        path = self.delta_path(runner, checkpoint)
        meta = checkpoint.get('meta', {})
        config = getattr(runner.cfg, 'filename', None) or ''
        extra = dict(
            epoch=meta.get('epoch', runner.epoch),
            iter=meta.get('iter', runner.iter),
            config_text=self._config_text)
        extra.update(dataset_meta(runner, meta))
        keys = save_delta(
            model,
            path,
            config=config,
            extra_meta=extra,
            fingerprint=self._fingerprint)
        # the pointer follows the checkpoint file (commit_checkpoint)
        self._pending_pointer = path
        print_log(f'Saved the delta ({len(keys)} tensors) to {path}',
                  logger='current')

    def commit_checkpoint(self, runner, checkpoint_path: str) -> None:
        """Point ``last_delta`` at the delta of the checkpoint just written
        (called by ``AtomicCheckpointHook`` once the ``.pth`` is in place,
        so ``last_delta`` never names a delta whose checkpoint is
        missing)."""
        if self._pending_pointer is None:
            return
        path, self._pending_pointer = self._pending_pointer, None
        write_pointer(osp.join(osp.dirname(path), 'last_delta'), path)
