"""The delta file (``vpt_mm.checkpoint.delta``): written with its
metadata, read only when it is a vpt_mm delta, checked strictly."""
import json

import pytest
import torch

from vpt_mm.checkpoint.delta import (apply_delta_tensors, check_delta,
                                     read_delta, write_delta)
from vpt_mm.checkpoint.names import DELTA_FILE_SUFFIX, DELTA_FORMAT
from vpt_mm.checkpoint.strict import CheckpointMismatchError


def test_write_and_read(tmp_path):
    path = str(tmp_path / 'sub' / f'epoch_1{DELTA_FILE_SUFFIX}')
    tensors = {'head.weight': torch.arange(6.).reshape(2, 3)}
    write_delta(path, tensors, ['ImageClassifier'], 'a.py', dict(epoch=1))
    read, meta = read_delta(path)
    assert torch.equal(read['head.weight'], tensors['head.weight'])
    assert meta['format'] == DELTA_FORMAT
    assert json.loads(meta['methods']) == ['ImageClassifier']
    assert (meta['config'], meta['epoch']) == ('a.py', '1')


def test_write_needs_safetensors_and_tensors(tmp_path):
    with pytest.raises(ValueError, match='ends with .safetensors'):
        write_delta(str(tmp_path / 'a.pth'), {'a': torch.zeros(1)}, [])
    with pytest.raises(ValueError, match='trains nothing'):
        write_delta(str(tmp_path / 'a.safetensors'), {}, [])


def test_read_refuses_other_files(tmp_path):
    from safetensors.torch import save_file
    other = str(tmp_path / 'other.safetensors')
    save_file({'a': torch.zeros(1)}, other)
    with pytest.raises(CheckpointMismatchError, match='not a vpt_mm delta'):
        read_delta(other)
    pickled = str(tmp_path / 'pickled.safetensors')
    torch.save({'a': torch.zeros(1)}, pickled)
    with pytest.raises(CheckpointMismatchError,
                       match='not a safetensors file'):
        read_delta(pickled)
    with pytest.raises(FileNotFoundError, match='delta: no file at'):
        read_delta(str(tmp_path / 'nope.safetensors'))


def test_check_and_apply():
    module = torch.nn.Linear(3, 2)
    own = module.state_dict()
    trained = {'bias': torch.ones(2)}
    with pytest.raises(CheckpointMismatchError, match='frozen'):
        check_delta(dict(trained, weight=own['weight']), own, ['bias'], 'x',
                    'Linear')
    with pytest.raises(CheckpointMismatchError, match='unexpected'):
        check_delta(dict(trained, nope=torch.zeros(1)), own, ['bias'], 'x',
                    'Linear')
    with pytest.raises(CheckpointMismatchError, match='missing trained'):
        check_delta({}, own, ['bias'], 'x', 'Linear')
    with pytest.raises(CheckpointMismatchError, match='"bias" has shape'):
        check_delta({'bias': torch.ones(3)}, own, ['bias'], 'x', 'Linear')
    weight = own['weight'].clone()
    apply_delta_tensors(module, trained, ['bias'], 'x')
    assert torch.equal(module.bias.detach(), torch.ones(2))
    assert torch.equal(module.weight.detach(), weight)
