"""A file written through atomic_path is whole or not there: an error (as
a kill mid-write) leaves the old file and no temporary behind."""
import os

import pytest
import torch

from vpt_mm.checkpoint.atomic import atomic_path


def test_success_replaces_the_file_in_one_step(tmp_path):
    path = tmp_path / 'sub' / 'out.pth'
    with atomic_path(str(path)) as tmp:
        assert not path.exists() and os.path.dirname(tmp) == str(path.parent)
        torch.save({'a': torch.ones(2)}, tmp)
    assert torch.equal(torch.load(path)['a'], torch.ones(2))
    assert os.listdir(path.parent) == ['out.pth']


def test_an_interrupted_write_keeps_the_old_file(tmp_path):
    path = tmp_path / 'out.pth'
    torch.save({'a': torch.zeros(2)}, path)
    with pytest.raises(KeyboardInterrupt):
        with atomic_path(str(path)) as tmp:
            with open(tmp, 'wb') as file:
                file.write(b'half a checkpoint')
            raise KeyboardInterrupt
    assert torch.equal(torch.load(path)['a'], torch.zeros(2))
    assert os.listdir(tmp_path) == ['out.pth']

