"""The hosts' own tools on vpt-mm configs (vpt_mm.apis.host_tools and
tools/misc/host_tool.py): mmpretrain's verify_dataset.py in a fresh
process, where importing mmpretrain before the config's custom_imports
used to fail, and browse_dataset.py; bad names are one-line errors."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from vpt_mm.apis.host_tools import (find_host_tool, list_host_tools,
                                    run_host_tool)
from vpt_mm.testing import write_toy_fgvc

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/smoke/vpt-deep_vit-tiny_toy-fgvc.py')
TOOL = osp.join(ROOT, 'tools/misc/host_tool.py')


@pytest.fixture(scope='module')
def toy(tmp_path_factory):
    """A toy FGVC set in the cwd layout the smoke config names, with one
    unreadable training image; a config of one's own inheriting the smoke
    config sets data_root at the top (resolved into the dataset dicts)."""
    root = tmp_path_factory.mktemp('host_tools')
    data = root / 'toy'
    write_toy_fgvc(str(data))
    with open(data / 'train.json') as file:
        broken = sorted(json.load(file))[0]
    (data / 'images' / broken).write_bytes(b'not an image')
    config = root / 'mine.py'
    config.write_text(f'_base_ = {CONFIG!r}\ndata_root = {str(data)!r}\n')
    return root, config, broken


def test_verify_dataset_in_a_fresh_process_names_the_broken_image(toy):
    root, config, broken = toy
    result = subprocess.run(
        [sys.executable, TOOL, 'mmpretrain', 'verify_dataset', str(config),
         '--out-path', str(root / 'broken.log')],
        cwd=str(root), capture_output=True, text=True, timeout=300)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert '1 broken files found' in output, output[-3000:]
    assert (root / 'broken.log').read_text().strip().endswith(broken)


def test_browse_dataset_writes_pictures(toy, restore_default_scope):
    root, config, _ = toy
    out = root / 'browse'
    run_host_tool('mmpretrain', 'browse_dataset', [
        str(config), '-o', str(out), '-n', '2', '-m', 'original',
        '--not-show', '--phase', 'val'])
    assert sorted(p.suffix for p in out.iterdir()) == ['.png', '.png']


def test_tools_are_found_by_name_or_path():
    assert find_host_tool('mmpretrain', 'browse_dataset').endswith(
        osp.join('visualization', 'browse_dataset.py'))
    assert find_host_tool('mmpretrain', 'misc/verify_dataset.py').endswith(
        osp.join('misc', 'verify_dataset.py'))
    assert 'misc/verify_dataset.py' in list_host_tools('mmpretrain')


@pytest.mark.parametrize('host, name, message', [
    ('mmdet', 'browse_dataset', "host: 'mmdet' is not one of"),
    ('mmpretrain', 'no_such_tool', 'tool: mmpretrain has no tool '
     'no_such_tool.py'),
])
def test_bad_names_are_one_line_errors(host, name, message, capsys):
    with pytest.raises(ValueError, match=message):
        find_host_tool(host, name)
    sys.path.insert(0, osp.dirname(TOOL))
    try:
        from host_tool import main
    finally:
        sys.path.pop(0)
    assert main([host, name]) == 2
    assert message in capsys.readouterr().err
