"""``check_dataset --paper``: split sizes and class counts of FGVC and
VTAB-1k datasets compared with the paper's Tab. 7."""
import importlib.util
import os.path as osp

import pytest
from mmengine.registry import DefaultScope

from vpt_mm.apis.check_dataset import paper_differences
from vpt_mm.datasets import FGVCDataset, VTAB1kDataset
from vpt_mm.testing import write_toy_fgvc
from vpt_mm.testing.fgvc_archives import image

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'misc', 'check_dataset.py')
CONFIG = """
default_scope = 'mmpretrain'
custom_imports = dict(imports=['vpt_mm.modules'], allow_failed_imports=False)
pipeline = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]
train_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VTAB1kDataset', data_root={root!r}, task='kitti',
                 split='train800val200', pipeline=pipeline))
test_dataloader = dict(
    batch_size=2, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(type='VTAB1kDataset', data_root={root!r}, task='kitti',
                 split='test', pipeline=pipeline))
"""


def kitti(root, sizes, task='kitti'):
    """KITTI (4 classes) with ``sizes`` lines per split file, every line
    pointing at the same image."""
    image(osp.join(root, task, 'images', 'a.jpg'))
    for split, count in sizes.items():
        with open(osp.join(root, task, f'{split}.txt'), 'w') as file:
            file.write(''.join(f'images/a.jpg {i % 4}\n'
                               for i in range(count)))


PAPER = dict(train800=800, val200=200, train800val200=1000, test=711)


@pytest.fixture
def scope():
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield


def test_the_paper_sizes_pass(tmp_path, scope):
    kitti(str(tmp_path), PAPER)
    for split in PAPER:
        dataset = VTAB1kDataset(str(tmp_path), 'kitti', split=split)
        assert paper_differences(dataset) == []


def test_vtab_differences(tmp_path, scope):
    kitti(str(tmp_path), dict(PAPER, test=700))
    dataset = VTAB1kDataset(str(tmp_path), 'kitti', split='test',
                            num_classes=5)
    assert paper_differences(dataset) == [
        'vtab1k kitti: split test has 700 images, the paper (Tab. 7) has '
        '711',
        'vtab1k kitti: num_classes is 5, the paper (Tab. 7) has 4']


def test_fgvc_differences_and_custom_sets(tmp_path, scope):
    write_toy_fgvc(str(tmp_path), num_classes=2, image_size=8,
                   split_sizes=dict(train=2, val=1, test=1))
    dataset = FGVCDataset(str(tmp_path), 'cub', split='trainval',
                          num_classes=2)
    assert paper_differences(dataset) == [
        'fgvc cub: split trainval has 6 images, the paper (Tab. 7) has '
        '5,994',
        'fgvc cub: num_classes is 2, the paper (Tab. 7) has 200']
    # a task of one's own is not in the tables
    kitti(str(tmp_path), dict(train800=3), task='shapes')
    custom = VTAB1kDataset(str(tmp_path), 'shapes', split='train800',
                           num_classes=4)
    assert paper_differences(custom) == []


def run_tool(*argv):
    spec = importlib.util.spec_from_file_location('check_dataset', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return tool.main([str(arg) for arg in argv])


def test_cli_paper(tmp_path, capsys):
    kitti(str(tmp_path), dict(PAPER, train800val200=999))
    config = tmp_path / 'cfg.py'
    config.write_text(CONFIG.format(root=str(tmp_path)))
    assert run_tool(config) == 0  # sizes are compared only when asked
    capsys.readouterr()
    assert run_tool(config, '--paper') == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0] == ('DIFFERS: vtab1k kitti: split train800val200 has 999 '
                      'images, the paper (Tab. 7) has 1,000')
    assert out[-1].startswith('FAILED: 0 unusable image(s), 0 dataset(s) '
                              'that do not build, 1 difference(s) from the '
                              'paper')
    kitti(str(tmp_path), PAPER)
    assert run_tool(config, '--paper') == 0
    assert 'sizes and class counts as in the paper' in \
        capsys.readouterr().out
