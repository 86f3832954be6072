"""A ``CheckpointHook`` whose writes a kill cannot break."""
import os.path as osp

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook

from vpt_mm.checkpoint.atomic import atomic_path
from vpt_mm.registry import register_hook


def write_pointer(path: str, target: str) -> None:
    """Write ``target`` to the pointer file ``path`` (``last_checkpoint``,
    ``last_delta``) in one step."""
    with atomic_path(path) as tmp, open(tmp, 'w') as file:
        file.write(target)


@register_hook
class AtomicCheckpointHook(CheckpointHook):
    """mmengine's ``CheckpointHook`` writing in the order that keeps a
    complete checkpoint to resume from whenever the process is killed:

    1. the checkpoint, to a temporary file renamed into place
       (``ResumableRunner.save_checkpoint``; its delta, written the same
       way, comes just before it);
    2. the pointers: ``last_delta`` (by the hooks with a
       ``commit_checkpoint`` method, e.g. ``DeltaCheckpointHook``), then
       ``last_checkpoint``, each replaced in one step;
    3. only then the checkpoint that ``max_keep_ckpts`` drops.

    mmengine deletes the oldest checkpoint before writing the new one, so
    with ``max_keep_ckpts=1`` a kill mid-write left nothing to resume from.
    ``ResumableRunner`` (every ``tools/train.py`` run) uses this hook in
    place of every ``CheckpointHook`` of the config; it takes the same
    arguments.
    """

    def _save_checkpoint_with_step(self, runner, step, meta) -> None:
        drop = None
        if self.max_keep_ckpts > 0 and not (self.keep_ckpt_ids and
                                            self.keep_ckpt_ids[-1] == step):
            if len(self.keep_ckpt_ids) == self.max_keep_ckpts:
                drop = self.keep_ckpt_ids.popleft()
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        filename = self.filename_tmpl.format(step)
        self.last_ckpt = self.file_backend.join_path(self.out_dir, filename)
        runner.message_hub.update_info('last_ckpt', self.last_ckpt)
        runner.save_checkpoint(
            self.out_dir,
            filename,
            self.file_client_args,
            save_optimizer=self.save_optimizer,
            save_param_scheduler=self.save_param_scheduler,
            meta=meta,
            by_epoch=self.by_epoch,
            backend_args=self.backend_args,
            **self.args)
        if not is_main_process():
            return
        for hook in runner.hooks:
            if hasattr(hook, 'commit_checkpoint'):
                hook.commit_checkpoint(runner, self.last_ckpt)
        write_pointer(
            osp.join(runner.work_dir, 'last_checkpoint'), self.last_ckpt)
        if drop is not None:
            self._remove(self.filename_tmpl.format(drop))

    def _remove(self, filename: str) -> None:
        """Remove an old checkpoint (a file, or a DeepSpeed folder)."""
        path = self.file_backend.join_path(self.out_dir, filename)
        if self.file_backend.isfile(path):
            self.file_backend.remove(path)
        elif self.file_backend.isdir(path):
            self.file_backend.rmtree(path)
