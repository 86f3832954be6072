"""The one reader (``vpt_mm.checkpoint.io``): containers by content,
nothing unpickled beyond weights (and numpy arrays where asked for)."""
import numpy as np
import pytest
import torch

from vpt_mm.checkpoint.io import (UnreadableWeightsError, load_weights_file,
                                  read_state_dict, read_weights_file)
from vpt_mm.checkpoint.strict import CheckpointMismatchError


class Untrusted:
    """Not allowed by weights-only loading."""


def test_containers_by_content(tmp_path):
    from safetensors.torch import save_file
    weights = {'w': torch.arange(3.)}
    torch.save(weights, tmp_path / 'a.bin')
    save_file(weights, str(tmp_path / 'b.bin'), metadata={'m': '1'})
    np.savez(tmp_path / 'c.bin', w=np.arange(3.))
    names = ['a.bin', 'b.bin', 'c.bin.npz']
    files = [read_weights_file(str(tmp_path / name)) for name in names]
    assert [file.container for file in files] == [
        'torch', 'safetensors', 'npz'
    ]
    assert files[1].metadata == {'m': '1'}
    for file in files:
        assert np.array_equal(np.asarray(file.content['w']), np.arange(3.))


def test_nothing_is_unpickled(tmp_path):
    path = str(tmp_path / 'x.pth')
    torch.save({'w': Untrusted()}, path)
    with pytest.raises(UnreadableWeightsError, match='weights_only=True'):
        read_weights_file(path)
    arrays = {'w': np.array([Untrusted()], dtype=object)}
    np.savez(tmp_path / 'x.npz', **arrays)
    with pytest.raises(UnreadableWeightsError, match='allow_pickle=False'):
        read_weights_file(str(tmp_path / 'x.npz'))
    with pytest.raises(FileNotFoundError, match='no such file'):
        read_weights_file(str(tmp_path / 'nope.pth'))


def test_numpy_arrays_only_where_asked_for(tmp_path):
    path = str(tmp_path / 'prompt.pth')
    torch.save({'p': np.ones((1, 2), 'f4')}, path)
    with pytest.raises(UnreadableWeightsError):
        read_weights_file(path)
    content = load_weights_file(path, ('torch', ), numpy_arrays=True).content
    assert np.array_equal(content['p'], np.ones((1, 2), 'f4'))
    torch.save([1, 2], path)
    with pytest.raises(UnreadableWeightsError, match='not a dict'):
        read_weights_file(path)


def test_read_state_dict(tmp_path):
    path = str(tmp_path / 'run.pth')
    torch.save({'state_dict': {'backbone.a': torch.ones(1),
                               'head.b': torch.zeros(1)}}, path)
    assert sorted(read_state_dict(path)) == ['backbone.a', 'head.b']
    assert list(read_state_dict(path, 'backbone')) == ['a']
    with pytest.raises(CheckpointMismatchError, match='prefix "neck."'):
        read_state_dict(path, 'neck.')
