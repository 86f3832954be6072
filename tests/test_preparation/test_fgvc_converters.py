import json
import os.path as osp

import pytest
from mmengine.registry import DefaultScope

from vpt_mm.datasets import FGVCDataset
from vpt_mm.preparation import prepare_fgvc, sample_val
from vpt_mm.tasks import FGVC_SPLIT_SIZES, split_size_differences
from vpt_mm.testing import fgvc_archives as fake_archives

# name: (fake archive writer, original train images per set)
ORIGINAL_TRAIN = dict(cub=5994, nabirds=23929, dogs=12000, cars=8144)


def read(folder, split):
    with open(osp.join(folder, f'{split}.json')) as file:
        return json.load(file)


def test_real_sizes_pass_the_check():
    # the 10 % val of the original training set gives Tab. 7's sizes
    for name, total in ORIGINAL_TRAIN.items():
        train, val = sample_val({str(i): 0 for i in range(total)}, seed=0)
        sizes = dict(train=len(train), val=len(val),
                     test=FGVC_SPLIT_SIZES[name][2])
        assert split_size_differences('fgvc', name, sizes) == []
    sizes = dict(zip(('train', 'val', 'test'), FGVC_SPLIT_SIZES['flowers']))
    assert split_size_differences('fgvc', 'flowers', sizes) == []


def test_wrong_size_names_split_and_both_sizes():
    lines = split_size_differences('fgvc', 'cars',
                                   dict(train=7329, val=814, test=8041))
    assert lines == ['fgvc cars: split val has 814 images, the paper '
                     '(Tab. 7) has 815']


def test_sampled_val_is_seeded():
    train = {f'{i}.jpg': i % 3 for i in range(95)}
    a_train, a_val = sample_val(train, seed=0)
    b_train, b_val = sample_val(train, seed=0)
    _, c_val = sample_val(train, seed=1)
    assert a_val == b_val and a_train == b_train
    assert len(a_val) == 10 and len(a_train) == 85
    assert set(a_val) != set(c_val)
    assert not set(a_val) & set(a_train)


@pytest.mark.parametrize('name', ['cub', 'nabirds'])
def test_cub_like(tmp_path, fgvc_tool, capsys, name):
    # NABirds' class ids have gaps (only leaf classes have images)
    ids = [1, 2, 3] if name == 'cub' else [295, 313, 999]
    root = fake_archives.cub_like(str(tmp_path), ids, uuid=name == 'nabirds')
    assert fgvc_tool.main([name, root, '--seed', '3']) == 0
    out = capsys.readouterr().out
    assert 'wrote train 27, val 3, test 9 (3 classes)' in out
    assert f'DIFFERS: fgvc {name}: split train has 27 images' in out
    train, val, test = (read(root, s) for s in ('train', 'val', 'test'))
    assert (len(train), len(val), len(test)) == (27, 3, 9)
    assert sorted(set(test.values())) == [0, 1, 2]
    # label k is the k-th original class id
    assert all(path.startswith(f'{ids[label]:04d}/')
               for path, label in {**train, **test}.items())
    record = read(root, 'prepare')
    assert record['seed'] == 3 and record['class_ids'] == ids
    assert record['sizes'] == dict(train=27, val=3, test=9)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = FGVCDataset(root, name, split='trainval', num_classes=3)
    assert len(dataset) == 30


def test_flowers_keeps_its_val(tmp_path, fgvc_tool, capsys):
    root = fake_archives.flowers(str(tmp_path))
    assert fgvc_tool.main(['flowers', root, '--strict']) == 1
    out = capsys.readouterr().out
    assert 'split val has 6 images, the paper (Tab. 7) has 1,020' in out
    assert 'split test has 9 images, the paper (Tab. 7) has 6,149' in out
    assert '3 classes, the paper (Tab. 7) has 102' in out
    val = read(root, 'val')
    assert val == {'jpg/image_00003.jpg': 0, 'jpg/image_00004.jpg': 0,
                   'jpg/image_00010.jpg': 1, 'jpg/image_00011.jpg': 1,
                   'jpg/image_00017.jpg': 2, 'jpg/image_00018.jpg': 2}
    assert read(root, 'prepare')['seed'] is None
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        assert len(FGVCDataset(root, 'flowers', split='test',
                               num_classes=3)) == 9


def test_dogs(tmp_path, fgvc_tool, capsys):
    root = fake_archives.dogs(str(tmp_path))
    out_dir = str(tmp_path / 'splits')
    assert fgvc_tool.main(['dogs', root, '--out', out_dir]) == 0
    train, val, test = (read(out_dir, s) for s in ('train', 'val', 'test'))
    assert (len(train), len(val), len(test)) == (27, 3, 12)
    assert test['n02080002-breed_2/test_0.jpg'] == 1
    assert 'DIFFERS: fgvc dogs: split test has 12 images, the paper ' \
        '(Tab. 7) has 8,580' in capsys.readouterr().out


@pytest.mark.parametrize('combined', [False, True])
def test_cars(tmp_path, fgvc_tool, combined):
    root = fake_archives.cars(str(tmp_path), combined=combined)
    assert fgvc_tool.main(['cars', root]) == 0
    train, val, test = (read(root, s) for s in ('train', 'val', 'test'))
    assert (len(train), len(val), len(test)) == (27, 3, 12)
    prefix = 'car_ims/' if combined else 'cars_train/'
    assert all(path.startswith(prefix) for path in train)
    assert sorted(set(test.values())) == [0, 1, 2]
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        assert len(FGVCDataset(root, 'cars', split='train',
                               num_classes=3)) == 27


def test_missing_image_and_file_are_one_line_errors(tmp_path, fgvc_tool,
                                                   capsys):
    root = fake_archives.cub_like(str(tmp_path), [1, 2])
    (tmp_path / 'images' / '0001' / 'img_1.jpg').unlink()
    with pytest.raises(FileNotFoundError, match='img_1.jpg'):
        prepare_fgvc('cub', root)
    assert fgvc_tool.main(['dogs', root]) == 2
    assert 'train_list.mat does not exist' in capsys.readouterr().out
