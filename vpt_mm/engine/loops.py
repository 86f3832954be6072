"""Training loops whose randomness continues from a checkpoint.

mmengine's loops resume at the checkpoint's iteration (the iteration-based
loop replays the sampler to it) but with whatever random state the new
process has, so prompt dropout and data augmentation draw other numbers
than the uninterrupted run. These loops take the random states a checkpoint
saved (:mod:`vpt_mm.engine.rng`) and put them back at the point where the
uninterrupted run continues training: right before the next training
batch is fetched (iteration-based: after the replay of the sampler;
epoch-based: at the start of the next epoch). The uninterrupted run puts
back the same states at the same point, so the validation a checkpoint is
followed by never shifts the training's random numbers, and a killed and
resumed run equals the uninterrupted one bit for bit.
"""
from typing import Any, Dict, Optional, Sequence

from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop

from .rng import restore_rng_state


class _RestoringIterator:
    """The loop's data iterator: the first ``skip`` batches (the replay
    to a resumed iteration) come as they are; before the next one the
    pending random state is put back."""

    def __init__(self, iterator) -> None:
        self._iterator = iterator
        self.skip = 0
        self.pending: Optional[Dict[str, Any]] = None

    def __iter__(self):
        return self

    def __next__(self) -> Sequence[dict]:
        if self.skip > 0:
            self.skip -= 1
        elif self.pending is not None:
            restore_rng_state(self.pending)
            self.pending = None
        return next(self._iterator)


class ResumableIterBasedTrainLoop(IterBasedTrainLoop):
    """``IterBasedTrainLoop`` that continues the random states of its
    latest checkpoint (see the module's docstring)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.dataloader_iterator = _RestoringIterator(
            self.dataloader_iterator)

    def continue_rng_state(self, state: Optional[Dict[str, Any]],
                           resumed: bool = False,
                           by_epoch: bool = False) -> None:
        """Put ``state`` back before the next training batch; when
        ``resumed``, after the replay of the iterations already done. A
        second checkpoint before that batch (a best checkpoint after the
        validation) keeps the first one's state."""
        iterator = self.dataloader_iterator
        if resumed:
            iterator.pending, iterator.skip = state, self._iter
        elif iterator.pending is None:
            iterator.pending = state


class ResumableEpochBasedTrainLoop(EpochBasedTrainLoop):
    """``EpochBasedTrainLoop`` that continues the random states of its
    latest checkpoint at the start of the next epoch (see the module's
    docstring). A checkpoint saved in the middle of an epoch is replayed
    from the epoch's start, as mmengine does."""

    _pending: Optional[Dict[str, Any]] = None

    def continue_rng_state(self, state: Optional[Dict[str, Any]],
                           resumed: bool = False,
                           by_epoch: bool = True) -> None:
        """Put ``state`` back at the start of the next epoch; a state saved
        in the middle of an epoch (``by_epoch`` False) is not used by the
        uninterrupted run either; a second checkpoint before that (a best
        checkpoint after the validation) keeps the first one's state."""
        if resumed or (by_epoch and self._pending is None):
            self._pending = state

    def run_epoch(self) -> None:
        if self._pending is not None:
            restore_rng_state(self._pending)
            self._pending = None
        super().run_epoch()
