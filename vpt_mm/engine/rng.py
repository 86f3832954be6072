"""The random states a resumed run needs to continue bit for bit.

A run's randomness lives in four generators: Python's ``random``, numpy's
global one (data transforms), torch's CPU generator (prompt dropout,
``torch.randperm``) and torch's CUDA generators. :func:`capture_rng_state`
reads them into plain data (tensors, ints, lists, strings), which a
checkpoint loaded with ``weights_only`` accepts; :func:`restore_rng_state`
puts them back. Each rank draws its own states (``diff_rank_seed``), so a
checkpoint holds one entry per rank (:func:`gather_rng_states`).
"""
import logging
import random
from typing import Any, Dict, List, Optional

import numpy as np
import torch
from mmengine.dist import all_gather_object, get_rank, get_world_size
from mmengine.logging import print_log

#: The key of the per-rank random states in a checkpoint's ``meta``.
RNG_META_KEY = 'vpt_mm_rng_states'


def capture_rng_state() -> Dict[str, Any]:
    """The random states of this process, as plain data."""
    version, mt, gauss = random.getstate()
    name, keys, pos, has_gauss, cached = np.random.get_state(legacy=True)
    state = dict(
        python=[version, list(mt), gauss],
        numpy=dict(
            name=str(name),
            keys=torch.from_numpy(np.asarray(keys, dtype=np.int64)),
            pos=int(pos),
            has_gauss=int(has_gauss),
            cached=float(cached)),
        torch=torch.get_rng_state())
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state['cuda'] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: Dict[str, Any]) -> None:
    """Put back the states of :func:`capture_rng_state`."""
    version, mt, gauss = state['python']
    random.setstate((version, tuple(mt), gauss))
    numpy_state = state['numpy']
    np.random.set_state(
        (numpy_state['name'], numpy_state['keys'].numpy().astype(np.uint32),
         numpy_state['pos'], numpy_state['has_gauss'],
         numpy_state['cached']))
    torch.set_rng_state(state['torch'])
    cuda = state.get('cuda')
    if cuda is not None and torch.cuda.is_available():
        if len(cuda) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(cuda)
        else:
            print_log(
                f'resume: the checkpoint holds the CUDA random states of '
                f'{len(cuda)} device(s), this process sees '
                f'{torch.cuda.device_count()}: CUDA states not restored',
                logger='current',
                level=logging.WARNING)


def gather_rng_states() -> List[Dict[str, Any]]:
    """The random states of every rank, in rank order (on every rank)."""
    state = capture_rng_state()
    if get_world_size() == 1:
        return [state]
    return all_gather_object(state)


def rank_rng_state(states: Optional[List[Dict[str, Any]]],
                   source: str) -> Optional[Dict[str, Any]]:
    """The entry of this rank in ``states`` (a checkpoint's ``meta``), or
    None with a warning when the checkpoint has none or was written by
    another number of ranks (the run then continues, not bit for bit)."""
    if states is None:
        print_log(
            f'resume: {source} holds no random states (written before '
            'vpt_mm saved them): the run continues, but not bit for bit',
            logger='current',
            level=logging.WARNING)
        return None
    if len(states) != get_world_size():
        print_log(
            f'resume: {source} holds the random states of {len(states)} '
            f'rank(s), this run has {get_world_size()}: the run continues '
            'with fresh states, not bit for bit',
            logger='current',
            level=logging.WARNING)
        return None
    return states[get_rank()]
