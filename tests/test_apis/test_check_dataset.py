import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
from mmengine.dataset import ConcatDataset, RepeatDataset
from mmengine.registry import DefaultScope

from vpt_mm.apis import check_dataset as check_module
from vpt_mm.apis.check_dataset import (ImageProblem, check_images,
                                       image_problem)
from vpt_mm.datasets import FGVCDataset, VTAB1kDataset
from vpt_mm.testing import write_toy_fgvc

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'misc', 'check_dataset.py')
TASK = 'eurosat'  # 10 classes
# split -> lines of the split file; the bad images are marked in BAD
SPLIT_LINES = dict(
    train800=['images/good.jpg 0', '', 'images/trunc.jpg 1',
              'images/good.png 2', 'images/empty.jpg 3'],
    val200=['images/garbage.jpg 0', 'images/good.png 1'],
    train800val200=['images/good.jpg 0', 'images/trunc.jpg 1',
                    'images/good.png 2', 'images/empty.jpg 3',
                    'images/garbage.jpg 0', 'images/good.png 1'],
    test=['images/trunc.png 5', 'images/good.jpg 6'])
DECODE_FAILS = 'cannot be decoded'
BAD = {
    'trunc.jpg': DECODE_FAILS,
    'trunc.png': DECODE_FAILS,
    'garbage.jpg': DECODE_FAILS,
    'empty.jpg': 'empty file (0 bytes)',
}
# split -> [(line number, image name)] of the bad images
EXPECTED = dict(
    train800=[(3, 'trunc.jpg'), (5, 'empty.jpg')],
    val200=[(1, 'garbage.jpg')],
    train800val200=[(2, 'trunc.jpg'), (4, 'empty.jpg'), (5, 'garbage.jpg')],
    test=[(1, 'trunc.png')])
CONFIG = """
default_scope = 'mmpretrain'
custom_imports = dict(imports=['vpt_mm.modules'], allow_failed_imports=False)
data_root = {data_root!r}
pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(32, 32)),
    dict(type='PackInputs'),
]
def loader(split):
    return dict(
        batch_size=2,
        num_workers=0,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=dict(type='VTAB1kDataset', data_root=data_root,
                     task='{task}', split=split, pipeline=pipeline,
                     serialize_data={serialize}))
train_dataloader = loader('train800val200')
val_dataloader = loader('val200')
test_dataloader = loader('test')
del loader
"""


def good_image(seed=0, shape=(24, 32)):
    rng = np.random.default_rng(seed)
    return rng.integers(0, 256, shape + (3, ), dtype=np.uint8)


def write_images(folder):
    """Good and bad images: truncated JPEG and PNG, garbage, zero bytes."""
    os.makedirs(folder, exist_ok=True)
    for ext in ('jpg', 'png'):
        path = osp.join(folder, f'good.{ext}')
        assert cv2.imwrite(path, good_image())
        with open(path, 'rb') as file:
            data = file.read()
        with open(osp.join(folder, f'trunc.{ext}'), 'wb') as file:
            file.write(data[:len(data) * 2 // 3])
    with open(osp.join(folder, 'garbage.jpg'), 'wb') as file:
        file.write(b'\xff\xd8\xff\xe0 not really a JPEG ' * 20)
    open(osp.join(folder, 'empty.jpg'), 'wb').close()


def write_vtab(root, lines=SPLIT_LINES):
    root = str(root)
    write_images(osp.join(root, TASK, 'images'))
    for split, split_lines in lines.items():
        with open(osp.join(root, TASK, f'{split}.txt'), 'w') as file:
            file.write(''.join(f'{line}\n' for line in split_lines))
    return root


def clean_lines():
    """The same layout with every bad image replaced by a good one."""
    return {
        split: [
            line.replace('trunc', 'good').replace('empty', 'good').replace(
                'garbage', 'good') for line in lines
        ]
        for split, lines in SPLIT_LINES.items()
    }


def vtab(root, split='train800', **kwargs):
    # serialize_data=False: mmengine's serialization runs gc.collect()
    # (about 0.3 s a build in a process holding torch)
    kwargs.setdefault('serialize_data', False)
    return VTAB1kDataset(
        data_root=root, task=TASK, split=split, pipeline=[], **kwargs)


def records_source(dataset):
    return 'source' in dataset.get_data_info(0)


def expected_problems(root, split):
    split_file = osp.join(root, TASK, f'{split}.txt')
    return [(f'{split_file}:{line}', osp.join(root, TASK, 'images', name))
            for line, name in EXPECTED[split]]


@pytest.fixture(scope='module')
def bad_root(tmp_path_factory):
    return write_vtab(tmp_path_factory.mktemp('bad_vtab'))


@pytest.fixture(scope='module')
def clean_root(tmp_path_factory):
    return write_vtab(tmp_path_factory.mktemp('clean_vtab'), clean_lines())


@pytest.mark.parametrize(
    'name,reason',
    [('good.jpg', None), ('good.png', None), *BAD.items(),
     ('gone.jpg', 'missing file')])
def test_image_problem(bad_root, name, reason):
    path = osp.join(bad_root, TASK, 'images', name)
    found = image_problem(path)
    if reason is None:
        assert found is None
    else:
        assert found.startswith(reason)
    # the pillow decode backend agrees
    found = image_problem(path, imdecode_backend='pillow')
    assert (found is None) == (reason is None), found


def test_truncated_jpeg_that_opencv_decodes(bad_root, monkeypatch):
    """OpenCV 4 decodes a truncated JPEG with a warning (grey fill); the
    check must still report it."""
    monkeypatch.setattr(check_module.mmcv, 'imfrombytes',
                        lambda *args, **kwargs: good_image())
    folder = osp.join(bad_root, TASK, 'images')
    found = image_problem(osp.join(folder, 'trunc.jpg'))
    assert found.startswith('truncated JPEG'), found
    assert image_problem(osp.join(folder, 'good.jpg')) is None
    # a complete JPEG followed by padding is fine
    padded = osp.join(str(bad_root), 'padded.jpg')
    with open(osp.join(folder, 'good.jpg'), 'rb') as file:
        data = file.read()
    with open(padded, 'wb') as file:
        file.write(data + b'\x00' * 64)
    assert image_problem(padded) is None


@pytest.mark.parametrize('split', sorted(EXPECTED))
def test_check_vtab_split(bad_root, split):
    dataset = vtab(bad_root, split)
    problems = check_images(dataset)
    assert all(isinstance(problem, ImageProblem) for problem in problems)
    expected = expected_problems(bad_root, split)
    assert [problem.img_path for problem in problems] == [
        img_path for _, img_path in expected
    ]
    for problem in problems:
        assert problem.reason.startswith(
            BAD[osp.basename(problem.img_path)])
    # the source the dataset records, else the image path
    sources = {}
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        sources[info['img_path']] = info.get('source', info['img_path'])
    assert [problem.source for problem in problems] == [
        sources[problem.img_path] for problem in problems
    ]
    assert records_source(dataset)
    assert [(problem.source, problem.img_path)
            for problem in problems] == expected


def test_problem_lines(bad_root):
    problems = check_images(vtab(bad_root, 'val200'))
    assert len(problems) == 1
    img_path = osp.join(bad_root, TASK, 'images', 'garbage.jpg')
    line = str(problems[0])
    assert '\n' not in line
    assert line.endswith(f'{img_path}: {problems[0].reason}')
    if problems[0].source == img_path:
        assert line == f'{img_path}: {problems[0].reason}'
    else:
        assert line == f'{problems[0].source}: {img_path}: ' \
            f'{problems[0].reason}'
    assert str(ImageProblem('a.txt:3', 'x.jpg', 'missing file')) == \
        'a.txt:3: x.jpg: missing file'
    assert str(ImageProblem('x.jpg', 'x.jpg', 'missing file')) == \
        'x.jpg: missing file'


def test_source_recorded_by_the_dataset_is_used(bad_root):

    class WithSource(VTAB1kDataset):

        def load_data_list(self):
            return [
                dict(info, source=f'entry {index}')
                for index, info in enumerate(super().load_data_list())
            ]

    dataset = WithSource(data_root=bad_root, task=TASK, split='test',
                         pipeline=[], serialize_data=False)
    problems = check_images(dataset)
    assert [problem.source for problem in problems] == ['entry 0']
    assert str(problems[0]).startswith('entry 0: ')


def test_clean_dataset(clean_root):
    for split in SPLIT_LINES:
        assert check_images(vtab(clean_root, split)) == []


@pytest.mark.parametrize('num_workers', [0, 1, 3])
def test_workers_agree(bad_root, num_workers):
    dataset = vtab(bad_root, 'train800val200')
    assert check_images(dataset, num_workers=num_workers) == \
        check_images(dataset)


def test_image_removed_after_build(tmp_path):
    root = write_vtab(tmp_path, clean_lines())
    dataset = vtab(root, 'test')
    os.remove(osp.join(root, TASK, 'images', 'good.jpg'))
    problems = check_images(dataset)
    assert [(osp.basename(problem.img_path), problem.reason)
            for problem in problems] == [('good.jpg', 'missing file')]


def test_wrappers_and_cache(bad_root, monkeypatch):
    decoded = []

    def counting(path, **kwargs):
        decoded.append(path)
        return image_problem(path, **kwargs)

    monkeypatch.setattr(check_module, 'image_problem', counting)
    train, val = vtab(bad_root, 'train800'), vtab(bad_root, 'val200')
    cache = {}
    problems = check_images(ConcatDataset([train, val]), cache=cache)
    # each file decoded once, however often it is listed
    assert sorted(decoded) == sorted(set(decoded)) == sorted(cache)
    assert problems == check_images(train) + check_images(val)
    decoded.clear()
    problems = check_images(
        vtab(bad_root, 'train800val200'), num_workers=1, cache=cache)
    assert decoded == []
    assert len(problems) == 3
    # RepeatDataset: the images of the wrapped dataset, once
    assert check_images(RepeatDataset(train, times=3)) == check_images(train)


def test_pipeline_loader_settings(bad_root):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = VTAB1kDataset(
            data_root=bad_root,
            task=TASK,
            split='val200',
            serialize_data=False,
            pipeline=[
                dict(
                    type='LoadImageFromFile',
                    color_type='grayscale',
                    imdecode_backend='pillow'),
                dict(type='PackInputs')
            ])
    assert check_module._loader_settings(dataset) == dict(
        backend_args=None, imdecode_backend='pillow', color_type='grayscale')
    problems = check_images(dataset)
    assert [osp.basename(problem.img_path)
            for problem in problems] == ['garbage.jpg']


def test_check_fgvc(tmp_path):
    root = str(tmp_path)
    write_toy_fgvc(root, num_classes=2, image_size=16,
                   split_sizes=dict(train=2, val=1, test=1))
    dataset = FGVCDataset(
        data_root=root, name='cub', split='train', num_classes=2,
        pipeline=[], serialize_data=False)
    assert check_images(dataset) == []
    with open(osp.join(root, 'train.json')) as file:
        entry = list(json.load(file))[1]
    with open(osp.join(root, 'images', entry), 'wb') as file:
        file.write(b'\x89PNG\r\n\x1a\n broken')
    problems = check_images(dataset)
    img_path = osp.join(root, 'images', entry)
    assert [(problem.img_path, problem.reason.split(' (')[0])
            for problem in problems] == [(img_path, DECODE_FAILS)]
    assert records_source(dataset)
    assert osp.join(root, 'train.json') in problems[0].source
    assert f'"{entry}"' in problems[0].source


# the command line


def write_config(folder, data_root, serialize=False):
    path = osp.join(str(folder), 'check_cfg.py')
    with open(path, 'w') as file:
        file.write(
            CONFIG.format(data_root=data_root, task=TASK,
                          serialize=serialize))
    return path


def load_tool():
    spec = importlib.util.spec_from_file_location('check_dataset', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def run_main(*argv):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return load_tool().main([str(arg) for arg in argv])


@pytest.fixture(scope='module', autouse=True)
def cli_process(tmp_path_factory, bad_root):
    """The tool on the bad layout in a subprocess, started before the first
    test of this module so that it runs alongside them (its imports take
    seconds); collected by the last test."""
    folder = tmp_path_factory.mktemp('cli')
    config = write_config(folder, bad_root, serialize=True)
    process = subprocess.Popen([sys.executable, TOOL, config],
                               cwd=str(folder),
                               stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE,
                               text=True)
    yield process
    if process.poll() is None:
        process.kill()
    process.communicate()


@pytest.fixture(scope='module')
def bad_config(tmp_path_factory, bad_root):
    return write_config(tmp_path_factory.mktemp('config'), bad_root)


def test_cli_ok_with_cfg_options(bad_config, clean_root, capsys):
    config = bad_config
    options = [
        f'{split}_dataloader.dataset.data_root={clean_root}'
        for split in ('train', 'val', 'test')
    ]
    assert run_main(config, '--split', 'all', '--cfg-options',
                    *options) == 0
    stdout = capsys.readouterr().out
    assert stdout.count('\n') == 1, stdout
    assert stdout.startswith('OK: every image decodes; checked '
                             'train 6, val 2, test 2 entries (2 files)')


@pytest.mark.parametrize('split,count', [('train', 3), ('val', 1),
                                         ('test', 1)])
def test_cli_one_split(bad_config, capsys, split, count):
    assert run_main(bad_config, '--split', split, '--workers', 2) == 1
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == count + 1
    assert lines[-1].startswith(f'FAILED: {count} unusable image(s)')


def test_cli_dataset_that_does_not_build(tmp_path, capsys):
    lines = dict(SPLIT_LINES, test=['images/good.jpg 0', 'images/gone.jpg 1'])
    root = write_vtab(tmp_path / 'data', lines)
    config = write_config(tmp_path, root)
    assert run_main(config, '--split', 'all') == 1
    out = capsys.readouterr().out.splitlines()
    split_file = osp.join(root, TASK, 'test.txt')
    assert [line for line in out if line.startswith('test: ')] == [
        f'test: the dataset does not build: FileNotFoundError: '
        f'{split_file}:2: image '
        f'{osp.join(root, TASK, "images", "gone.jpg")} does not exist'
    ]
    assert out[-1].startswith('FAILED: 4 unusable image(s), 1 dataset(s) '
                              'that do not build')


def test_cli_shared_dataset_checked_once(tmp_path, bad_root, capsys):
    config = write_config(tmp_path, bad_root)
    with open(config, 'a') as file:
        file.write('test_dataloader = val_dataloader\n')
    assert run_main(config, '--split', 'all') == 1
    out = capsys.readouterr()
    assert 'decoding the val/test images' in out.err
    assert out.out.splitlines()[-1].startswith(
        'FAILED: 4 unusable image(s), 0 dataset(s) that do not build; '
        'checked train 6, val/test 2 entries')


def test_cli_no_dataset(tmp_path, bad_root, capsys):
    config = write_config(tmp_path, bad_root)
    with open(config, 'a') as file:
        file.write('test_dataloader = None\n')
    assert run_main(config, '--split', 'test') == 2
    assert 'has no dataset in test_dataloader' in capsys.readouterr().out


# last: collects the subprocess that cli_process started
def test_cli_in_a_subprocess(cli_process, bad_root):
    process = cli_process
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 1, stdout + stderr[-2000:]
    lines = stdout.splitlines()
    # one line per problem (train800val200, val200, test), then the summary
    expected = [
        problem for split in ('train800val200', 'val200', 'test')
        for problem in expected_problems(bad_root, split)
    ]
    assert len(lines) == len(expected) + 1, stdout
    assert lines[-1].startswith('FAILED: 5 unusable image(s), 0 dataset(s)')
    for line, (_, img_path) in zip(lines, expected):
        assert img_path + ': ' in line
        reason = BAD[osp.basename(img_path)]
        assert line.split(img_path + ': ')[1].startswith(reason), line
    assert records_source(vtab(bad_root, 'test'))
    for line, (source, img_path) in zip(lines, expected):
        assert line.startswith(f'{source}: {img_path}: '), line
