"""Reading and recognising a source (``vpt_mm.checkpoint.converters.layout``):
by its keys, never by its name, nothing unpickled; one-line errors."""
import runpy
import sys

import numpy as np
import pytest
import torch

from vit_samples import CLI, CONVERT, Untrusted, jax_arrays, save_npz


def test_layout_ignores_file_name(timm_model, tmp_path):
    src = str(tmp_path / 'imagenet21k_ViT-B_16.npz')
    torch.save(timm_model.state_dict(), src)
    meta = CONVERT([src, str(tmp_path / 'converted.pth')])
    assert meta['source_layout'] == 'timm'


def test_unknown_layout(tmp_path):
    dst = str(tmp_path / 'converted.pth')
    src = str(tmp_path / 'resnet.pth')
    torch.save({
        'conv1.weight': torch.zeros(1),
        'fc.bias': torch.zeros(1)
    }, src)
    with pytest.raises(ValueError) as info:
        CONVERT([src, dst])
    message = str(info.value)
    assert '\n' not in message
    assert src in message and 'unknown checkpoint layout' in message
    assert 'conv1.weight' in message

    src = save_npz(str(tmp_path / 'other.npz'), {'w': np.zeros(2)})
    with pytest.raises(ValueError, match="other.npz: unknown .*'w'"):
        CONVERT([src, dst])


def test_sources_are_not_unpickled(tmp_path):
    dst = str(tmp_path / 'converted.pth')
    src = str(tmp_path / 'pickled.pth')
    torch.save({'model': Untrusted()}, src)
    with pytest.raises(ValueError, match='weights_only=True'):
        CONVERT([src, dst])

    arrays = jax_arrays('none')
    arrays['cls'] = np.array([Untrusted()], dtype=object)
    src = save_npz(str(tmp_path / 'pickled.npz'), arrays)
    with pytest.raises(ValueError, match='allow_pickle=False'):
        CONVERT([src, dst])


def test_command_line_error_is_one_line(tmp_path, monkeypatch, capsys):
    src = str(tmp_path / 'empty.pth')
    torch.save({}, src)
    monkeypatch.setattr(sys, 'argv',
                        [CLI, src, str(tmp_path / 'converted.pth')])
    with pytest.raises(SystemExit) as info:
        runpy.run_path(CLI, run_name='__main__')
    message = str(info.value.code)
    assert message.startswith('convert_pretrained.py: error: ')
    assert src in message and '\n' not in message
