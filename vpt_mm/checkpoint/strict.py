"""Strict loading of pretrained weights into a (prompted) backbone."""
from typing import Callable, Dict

import torch
from mmengine.logging import print_log
from torch import nn


class CheckpointMismatchError(ValueError):
    """A checkpoint does not fit the module it is loaded into."""


def load_state_dict_strictly(module: nn.Module,
                             state_dict: Dict[str, torch.Tensor],
                             source: str,
                             may_be_missing: Callable[[str], bool] = None,
                             may_differ_in_shape: Callable[[str],
                                                           bool] = None):
    """Load ``state_dict`` into ``module``; any mismatch is an error.

    Args:
        module (nn.Module): The target.
        state_dict (dict): Parameter name to tensor.
        source (str): Where the weights come from, for messages.
        may_be_missing (callable, optional): Keys of ``module`` the
            checkpoint may lack (e.g. prompts, which train from scratch).
        may_differ_in_shape (callable, optional): Keys whose shape the
            module's own load hooks adapt (e.g. a resized ``pos_embed``).

    Raises:
        CheckpointMismatchError: Naming the first offending key (and both
            shapes for a shape mismatch).
    """
    may_be_missing = may_be_missing or (lambda key: False)
    may_differ_in_shape = may_differ_in_shape or (lambda key: False)
    own = module.state_dict()
    unexpected = sorted(set(state_dict) - set(own))
    if unexpected:
        raise CheckpointMismatchError(
            f'{source}: unexpected key(s) {unexpected[:5]} '
            f'({len(unexpected)} in all) not in {type(module).__name__}')
    missing = sorted(
        key for key in set(own) - set(state_dict) if not may_be_missing(key))
    if missing:
        raise CheckpointMismatchError(
            f'{source}: missing key(s) {missing[:5]} ({len(missing)} in all) '
            f'needed by {type(module).__name__}')
    for key, value in state_dict.items():
        if own[key].shape != value.shape and not may_differ_in_shape(key):
            raise CheckpointMismatchError(
                f'{source}: key "{key}" has shape {tuple(value.shape)} in the '
                f'checkpoint but {tuple(own[key].shape)} in the model')
    module.load_state_dict(state_dict, strict=False)
    loaded = len(state_dict)
    print_log(
        f'Loaded {loaded} tensors from {source}; '
        f'{len(own) - loaded} left at their initialisation.',
        logger='current')
