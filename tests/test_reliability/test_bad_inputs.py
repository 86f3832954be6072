"""The table of bad inputs (issue 18: code execution, errors that did not
name the file or were silent): each case builds the input in the real
on-disk format, runs the real code path, and asserts either the one-line
error naming the file/field/line/entry, or the correct result.

``docs/reliability.md`` counts these cases.
"""
import importlib.util
import json
import os
import os.path as osp
import pickle
from argparse import Namespace
from typing import Optional

import cv2
import numpy as np
import pytest
import torch
from mmengine.runner import load_checkpoint
from mmengine.runner import runner as mmengine_runner

from vpt_mm.apis.consistency import check_num_classes
from vpt_mm.apis.runner import load_config
from vpt_mm.checkpoint.io import (UnreadableWeightsError, load_run_checkpoint,
                                  read_state_dict)
from vpt_mm.datasets import CIFAR100LT, FGVCDataset, VTAB1kDataset
from vpt_mm.datasets.safe_pickle import UnsafePickleError, load_data_pickle

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(ROOT, 'configs/smoke/vpt-deep_vit-tiny_toy-fgvc.py')
MARKER = 'executed.txt'


def tool(name: str):
    """A tool script as a module (tools/ is no package)."""
    path = osp.join(ROOT, 'tools', *name.split('/'))
    spec = importlib.util.spec_from_file_location(
        osp.basename(name)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Evil:
    """Unpickling it writes ``path``: what a crafted file would do."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return exec, (f'open({self.path!r}, "w").write("pwned")', )


# -- writers of the on-disk formats --------------------------------------
def cifar_pickle(path, labels, protocol=2, evil_at=None):
    os.makedirs(osp.dirname(path), exist_ok=True)
    data = np.random.default_rng(0).integers(
        0, 256, (len(labels), 3072), dtype=np.uint8)
    entry = {'data': data, 'fine_labels': list(labels),
             'coarse_labels': [0] * len(labels),
             'filenames': [f'{i}.png' for i in range(len(labels))],
             'batch_label': 'testing batch 1 of 1'}
    if evil_at is not None:
        entry['data'] = Evil(evil_at)
    with open(path, 'wb') as file:
        pickle.dump(entry, file, protocol=protocol)
    return str(path)


def image(path, size=8):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(str(path), np.zeros((size, size, 3), np.uint8))


def fgvc_root(tmp, train_json: Optional[str] = None):
    """A 2-class set in the FGVC layout (``name='cub'``: images/...)."""
    entries = {'a/0.png': 0, 'a/1.png': 1}
    for path in entries:
        image(tmp / 'images' / path)
    for split in ('train', 'val', 'test'):
        (tmp / f'{split}.json').write_text(json.dumps(entries))
    if train_json is not None:
        (tmp / 'train.json').write_text(train_json)
    return tmp


LOAD = [dict(type='LoadImageFromFile')]


def fgvc(tmp, split='train', pipeline=()):
    return FGVCDataset(data_root=str(tmp), name='cub', split=split,
                       num_classes=2, pipeline=list(pipeline))


def vtab_root(tmp, lines):
    folder = tmp / 'dtd'
    image(folder / 'images' / 'x.png')
    (folder / 'train800.txt').write_text(lines)
    return tmp


def vtab(tmp, pipeline=()):
    return VTAB1kDataset(data_root=str(tmp), task='dtd', num_classes=2,
                         pipeline=list(pipeline))


def run_checkpoint(path, size=64):
    """A run checkpoint of mmengine's shape; ``size`` bytes of it kept
    (0: empty, None: whole)."""
    torch.save({'meta': {'epoch': 1}, 'state_dict': {
        'backbone.w': torch.arange(4.)}, 'message_hub': {}}, path)
    if size is not None:
        data = open(path, 'rb').read()
        open(path, 'wb').write(data[:size])
    return str(path)


# -- the table -----------------------------------------------------------
# Each case is ``make(tmp) -> (action, expected)``: ``expected`` is
# ``(error type, [strings the one-line message must hold])``, or a callable
# checking the action's correct result.
def _cifar_malicious(split_file, protocol=2):
    # protocol 2 (CIFAR's own) names Python 2's module: __builtin__.exec
    name = '__builtin__.exec' if protocol == 2 else 'builtins.exec'

    def make(tmp):
        root = tmp / 'data'
        marker = str(tmp / MARKER)
        folder = root / 'cifar-100-python'
        cifar_pickle(folder / 'train', [0] * 4)
        cifar_pickle(folder / 'test', [0] * 4)
        path = cifar_pickle(folder / split_file, [0] * 4, protocol,
                            evil_at=marker)
        if split_file == 'meta':
            return (lambda: load_data_pickle(path),
                    (UnsafePickleError, [path, f'refused global {name}']))
        split = 'train' if split_file == 'train' else 'test'
        return (lambda: CIFAR100LT(data_root=str(root), split=split,
                                   pipeline=[]),
                (ValueError, [path, f'refused global {name}']))

    return make


def _cifar_good(protocol):

    def make(tmp):
        root = tmp / 'data'
        cifar_pickle(root / 'cifar-100-python' / 'test', range(100),
                     protocol=protocol)

        def check(dataset):
            assert len(dataset) == 100
            assert dataset.get_data_info(7)['gt_label'] == 7
            assert dataset.get_data_info(7)['img'].shape == (32, 32, 3)

        return (lambda: CIFAR100LT(data_root=str(root), split='test',
                                   pipeline=[]), check)

    return make


def _malicious_pth(tmp):
    path = str(tmp / 'evil.pth')
    torch.save({'state_dict': Evil(str(tmp / MARKER))}, path)
    return (lambda: load_run_checkpoint(path),
            (UnreadableWeightsError, [path, 'exec']))


def _broken_pth(reader, size, error=UnreadableWeightsError):

    def make(tmp):
        path = run_checkpoint(tmp / 'iter_10.pth', size)
        words = 'is empty (0 bytes' if size == 0 else 'truncated'
        return lambda: reader(path), (error, [path, words])

    return make


def _load_checkpoint_into_model(path):
    # a Pretrained init_cfg and the hosts' inference APIs read this way
    return load_checkpoint(torch.nn.Linear(2, 2), path)


def _publish(path):
    """``publish_model.py SRC DST`` as a user runs it."""
    import sys
    argv, sys.argv = sys.argv, ['publish_model.py', path, path + '.out']
    try:
        tool('model_converters/publish_model.py').main()
    finally:
        sys.argv = argv


def _fgvc_json(text, words):

    def make(tmp):
        root = fgvc_root(tmp, text)
        path = str(root / 'train.json')
        return lambda: fgvc(root), (ValueError, [path] + words)

    return make


def _fgvc_entry(entry, error, words, empty_image=False):

    def make(tmp):
        root = fgvc_root(tmp / 'set')
        if empty_image:
            open(root / 'images' / 'a' / 'empty.png', 'wb').close()
        image(tmp / 'outside.png')
        (root / 'train.json').write_text(json.dumps({entry: 0}))
        path = str(root / 'train.json')
        if empty_image:  # builds; loading it names the entry and image
            return (lambda: fgvc(root, pipeline=LOAD)[0],
                    (error, [path, f'"{entry}"', 'empty.png'] + words))
        return lambda: fgvc(root), (error, [path, f'"{entry}"'] + words)

    return make


def _fgvc_inside(tmp):
    root = fgvc_root(tmp)
    (root / 'train.json').write_text(json.dumps({'a/../a/1.png': 1}))

    def check(dataset):
        assert len(dataset) == 1
        assert dataset.get_data_info(0)['gt_label'] == 1

    return lambda: fgvc(root), check


def _fgvc_empty_val_in_trainval(tmp):
    root = fgvc_root(tmp)
    (root / 'val.json').write_text('{}')
    return (lambda: fgvc(root, 'trainval'),
            (ValueError, [str(root / 'val.json'), 'no entry']))


def _vtab_line(line, error, words, empty_image=False):

    def make(tmp):
        (tmp / 'outside.png').parent.mkdir(exist_ok=True)
        image(tmp / 'outside.png')
        root = vtab_root(tmp / 'v', f'images/x.png 0\n{line}\n')
        if empty_image:
            open(root / 'dtd' / 'images' / 'empty.png', 'wb').close()
        where = f'{root / "dtd" / "train800.txt"}:2'
        if empty_image:  # builds; loading it names the line and image
            return (lambda: vtab(root, LOAD)[1],
                    (error, [where, 'empty.png'] + words))
        return lambda: vtab(root), (error, [where] + words)

    return make


def _num_classes(head, dataset, words):

    def make(tmp):
        options = {'train_dataloader.dataset.data_root': str(tmp)}
        if head is not None:
            options['model.head.num_classes'] = head
        if dataset is not None:
            options['num_classes'] = dataset
        args = Namespace(config=CONFIG, launcher='none', local_rank=0,
                         cfg_options=options, work_dir=str(tmp))
        if words is None:

            def check(cfg):
                check_num_classes(cfg)
                assert cfg.model.head.num_classes == dataset
                assert cfg.train_dataloader.dataset.num_classes == dataset

            return lambda: load_config(args), check
        return lambda: load_config(args), (ValueError, words)

    return make


def _swin(out_indices, words):

    def make(tmp):
        from mmpretrain.registry import MODELS
        kwargs = {} if out_indices is None else dict(out_indices=out_indices)
        cfg = dict(type='PromptedSwin', img_size=32, window_size=2,
                   arch=dict(embed_dims=16, depths=[1, 1], num_heads=[1, 1]),
                   prompt_cfg=dict(num_tokens=2), **kwargs)
        if words is None:

            def check(model):
                out = model(torch.zeros(1, 3, 32, 32))
                assert out[-1].shape == (1, 32, 4, 4)

            return lambda: MODELS.build(cfg), check
        return lambda: MODELS.build(cfg), (ValueError, words)

    return make


def _test_out(kind):

    def make(tmp):
        ckpt = run_checkpoint(tmp / 'iter_1.pth', None)
        blocker = tmp / 'a_file'
        blocker.write_text('')
        out = dict(under_a_file=str(blocker / 'sub' / 'r.pkl'),
                   folder=str(tmp), suffix=str(tmp / 'r.txt'))[kind]
        main = tool('test.py').main
        return (lambda: main([CONFIG, ckpt, '--out', out]),
                (SystemExit, ['--out', out]))

    return make


def _test_checkpoint(size):

    def make(tmp):
        path = run_checkpoint(tmp / 'iter_10.pth', size)
        main = tool('test.py').main
        words = 'is empty (0 bytes' if size == 0 else 'truncated'
        return (lambda: main([CONFIG, path, '--work-dir', str(tmp / 'w')]),
                (SystemExit, ['checkpoint: ', path, words]))

    return make


CASES = {
    # code execution
    'cifar-train-executes': _cifar_malicious('train'),
    'cifar-test-executes': _cifar_malicious('test'),
    'cifar-meta-executes': _cifar_malicious('meta'),
    'cifar-train-protocol-4-executes': _cifar_malicious('train', 4),
    'cifar-protocol-2-reads': _cifar_good(2),
    'cifar-protocol-5-reads': _cifar_good(5),
    'pth-executes': _malicious_pth,
    # empty and truncated weights files, through every reader
    'pth-empty-run-reader': _broken_pth(load_run_checkpoint, 0),
    'pth-truncated-run-reader': _broken_pth(load_run_checkpoint, 64),
    'pth-empty-resume-load-from': _broken_pth(
        mmengine_runner._load_checkpoint, 0),
    'pth-truncated-resume-load-from': _broken_pth(
        mmengine_runner._load_checkpoint, 64),
    'pth-empty-pretrained-init-cfg': _broken_pth(
        _load_checkpoint_into_model, 0),
    'pth-truncated-pretrained-init-cfg': _broken_pth(
        _load_checkpoint_into_model, 64),
    'pth-empty-prompted-init-cfg': _broken_pth(read_state_dict, 0),
    'pth-truncated-prompted-init-cfg': _broken_pth(read_state_dict, 64),
    'pth-empty-test-py': _test_checkpoint(0),
    'pth-truncated-test-py': _test_checkpoint(64),
    'pth-empty-publish-model': _broken_pth(_publish, 0, SystemExit),
    'pth-truncated-publish-model': _broken_pth(_publish, 64, SystemExit),
    # FGVC split files
    'fgvc-json-malformed': _fgvc_json('{"a/0.png": 0,\n "a/1.png" 1}',
                                      [':2: not valid JSON']),
    'fgvc-json-empty-file': _fgvc_json('', ['empty file']),
    'fgvc-json-list': _fgvc_json('[["a/0.png", 0]]', ['holds a JSON list']),
    'fgvc-json-empty-split': _fgvc_json('{}', ['no entry']),
    'fgvc-json-duplicate-key': _fgvc_json(
        '{"a/0.png": 0, "a/1.png": 1, "a/0.png": 1}',
        ['"a/0.png" appears twice', 'labels 0 and 1']),
    'fgvc-trainval-empty-val': _fgvc_empty_val_in_trainval,
    'fgvc-entry-absolute': _fgvc_entry('/etc/hostname', ValueError,
                                       ['absolute path']),
    'fgvc-entry-escapes': _fgvc_entry('../../outside.png', ValueError,
                                      ['leaves the image folder']),
    'fgvc-entry-empty-image': _fgvc_entry('a/empty.png', ValueError,
                                          ['cannot load image', '0 bytes'],
                                          empty_image=True),
    'fgvc-entry-dotdot-inside-reads': _fgvc_inside,
    # VTAB-1k split files
    'vtab-entry-absolute': _vtab_line('/etc/hostname 1', ValueError,
                                      ['absolute path']),
    'vtab-entry-escapes': _vtab_line('../../outside.png 1', ValueError,
                                     ['leaves the image folder']),
    'vtab-entry-empty-image': _vtab_line('images/empty.png 1', ValueError,
                                         ['cannot load image', '0 bytes'],
                                         empty_image=True),
    # head and dataset class counts
    'num-classes-head-differs': _num_classes(
        3, None, ['model.head.num_classes is 3',
                  'train_dataloader.dataset (FGVCDataset) has 4 classes']),
    'num-classes-top-level-agrees': _num_classes(None, 3, None),
    # a 2-stage Swin
    'swin-2-stages-default-out-indices': _swin(
        None, ['out_indices (3,)', '[3]', '2 stages']),
    'swin-2-stages-out-indices-1': _swin((1, ), None),
    # tools/test.py --out
    'test-out-under-a-file': _test_out('under_a_file'),
    'test-out-is-a-folder': _test_out('folder'),
    'test-out-not-pickle': _test_out('suffix'),
}


@pytest.mark.parametrize('name', sorted(CASES))
def test_bad_input(name, tmp_path, restore_default_scope):
    action, expected = CASES[name](tmp_path)
    if callable(expected):
        expected(action())
    else:
        error, words = expected
        with pytest.raises(error) as info:
            action()
        value = info.value
        message = str(value.code if isinstance(value, SystemExit) else
                      value)
        assert '\n' not in message, message
        for word in words:
            assert word in message, (word, message)
    # nothing from a crafted file ran
    assert not osp.exists(tmp_path / MARKER)


def test_the_crafted_files_would_execute(tmp_path):
    """The table's crafted files are real attacks: read the unsafe way,
    they write the marker."""
    marker = tmp_path / MARKER
    path = cifar_pickle(tmp_path / 'train', [0], evil_at=str(marker))
    with open(path, 'rb') as file:
        pickle.load(file, encoding='latin1')
    assert marker.read_text() == 'pwned'
    marker.unlink()
    torch.save({'state_dict': Evil(str(marker))}, tmp_path / 'evil.pth')
    torch.load(tmp_path / 'evil.pth', weights_only=False)
    assert marker.read_text() == 'pwned'
