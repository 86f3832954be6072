"""vpt_mm.sweep.report: the paper's tables of finished sweeps."""
import csv
import json
import os.path as osp

import pytest

from vpt_mm.sweep.errors import SweepError
from vpt_mm.sweep.report import write_summary
from vpt_mm.sweep.state import write_json


def write_results(sweep_dir, benchmark, task, mean, complete=True):
    results = dict(task=task, benchmark=benchmark, config=f'{task}.py',
                   final=dict(seeds=[0, 1, 2, 3, 4],
                              test_top1_mean=mean if complete else None,
                              test_top1_std=0.1))
    write_json(osp.join(sweep_dir, task, 'results.json'), results)


@pytest.fixture
def two_methods(tmp_path):
    deep, linear = str(tmp_path / 'deep'), str(tmp_path / 'linear')
    for task, mean in [('cifar100', 78.8), ('dtd', 65.8),
                       ('eurosat', 96.1), ('clevr_count', 68.5)]:
        write_results(deep, 'vtab1k', task, mean)
    write_results(deep, 'vtab1k', 'svhn', 12.3, complete=False)
    write_results(deep, 'fgvc', 'cub', 88.5)
    write_results(deep, 'fgvc', 'cars', 83.6)
    write_results(linear, 'fgvc', 'cub', 85.3)
    write_results(linear, 'toy', 'digits', 91.25)
    return [('VPT-deep', deep), ('Linear', linear)]


def test_summary_markdown_follows_the_paper_tables(two_methods, tmp_path):
    md_path, _ = write_summary(two_methods, str(tmp_path / 'out'))
    text = open(md_path).read()
    lines = text.splitlines()
    vtab_header = next(line for line in lines
                       if line.startswith('| Method | CIFAR-100'))
    names = [cell.strip() for cell in vtab_header.strip('|').split('|')]
    assert names == [
        'Method', 'CIFAR-100', 'Caltech101', 'DTD', 'Flowers102', 'Pets',
        'SVHN', 'Sun397', 'Natural mean', 'Patch Camelyon', 'EuroSAT',
        'Resisc45', 'Retinopathy', 'Specialized mean', 'Clevr/count',
        'Clevr/distance', 'DMLab', 'KITTI/distance', 'dSprites/location',
        'dSprites/orientation', 'SmallNORB/azimuth', 'SmallNORB/elevation',
        'Structured mean'
    ]
    deep_vtab = [line for line in lines if line.startswith('| VPT-deep')][0]
    cells = [cell.strip() for cell in deep_vtab.strip('|').split('|')]
    # svhn has not finished its seeds: missing, not in the mean
    assert cells[1:9] == ['78.8', '-', '65.8', '-', '-', '-', '-', '72.30*']
    assert cells[12] == '-' and cells[13] == '96.10*'
    assert cells[14] == '68.5' and cells[22] == '68.50*'
    linear_vtab = [line for line in lines if line.startswith('| Linear')][0]
    assert set(linear_vtab.strip('|').split('|')[1:]) == {' - '}
    assert '| Method | CUB-200-2011 | NABirds | Oxford Flowers | ' \
        'Stanford Dogs | Stanford Cars | FGVC mean |' in text
    assert '| VPT-deep | 88.5 | - | - | - | 83.6 | 86.05* |' in text
    assert '| Linear | 85.3 | - | - | - | - | 85.30* |' in text
    # a benchmark of neither table gets its own
    assert '| Method | digits | toy mean |' in text
    assert '| Linear | 91.2 | 91.25 |' in text
    assert 'only the tasks present' in text and '`*`' in text
    assert text.index('VTAB-1k') < text.index('FGVC (') < text.index('toy')


def test_summary_csv_has_every_column_and_empty_missing_cells(
        two_methods, tmp_path):
    _, csv_path = write_summary(two_methods, str(tmp_path / 'out'))
    rows = list(csv.DictReader(open(csv_path)))
    header = list(rows[0])
    assert header[:9] == ['method', 'cifar100', 'caltech101', 'dtd',
                          'oxford_flowers102', 'oxford_pet', 'svhn',
                          'sun397', 'natural_mean']
    assert header.index('structured_n') < header.index('cub')
    assert header[-10:] == ['cub', 'nabirds', 'flowers', 'dogs', 'cars',
                            'fgvc_mean', 'fgvc_n', 'digits', 'toy_mean',
                            'toy_n']
    deep, linear = rows
    assert deep['method'] == 'VPT-deep' and linear['method'] == 'Linear'
    assert float(deep['cifar100']) == 78.8 and deep['svhn'] == ''
    assert float(deep['natural_mean']) == 72.3 and deep['natural_n'] == '2'
    assert deep['specialized_n'] == '1' and float(deep['fgvc_mean']) == 86.05
    assert linear['natural_mean'] == '' and linear['natural_n'] == '0'
    assert float(linear['digits']) == 91.25


def test_summary_of_nothing(tmp_path):
    (tmp_path / 'empty').mkdir()
    md_path, csv_path = write_summary([('m', str(tmp_path / 'empty'))],
                                            str(tmp_path))
    assert 'No task has finished' in open(md_path).read()
    assert open(csv_path).read().startswith('method,cifar100,')
    with pytest.raises(SweepError, match='no folder'):
        write_summary([('m', str(tmp_path / 'nope'))], str(tmp_path))


def test_summary_has_the_papers_prompt_length_rows(tmp_path):
    deep, linear = str(tmp_path / 'deep'), str(tmp_path / 'linear')
    for task, mean, length in [('cifar100', 78.8, 10), ('dtd', 65.8, 1),
                               ('eurosat', 96.1, 50)]:
        write_results(deep, 'vtab1k', task, mean)
        path = osp.join(deep, task, 'results.json')
        results = json.load(open(path))
        results['best'] = dict(base_lr=0.1, weight_decay=0.,
                               num_tokens=length)
        write_json(path, results)
    write_results(linear, 'vtab1k', 'cifar100', 63.4)
    md_path, csv_path = write_summary(
        [('Swin-deep', deep), ('Linear', linear)], str(tmp_path / 'out'))
    lines = open(md_path).read().splitlines()
    rows = [line for line in lines if line.startswith('| Swin-deep')
            or line.startswith('| Linear')]
    assert rows[0].startswith('| Swin-deep | 78.8 |')
    assert rows[1].startswith('| Swin-deep p | 10 | - | 1 | - |')
    assert '| 5.5* | - | 50 | - | - | 50.0* |' in rows[1]
    assert rows[2].startswith('| Linear | 63.4 |') and len(rows) == 3
    assert any('prompt length p selected' in line for line in lines)
    table = list(csv.DictReader(open(csv_path)))
    assert [row['method'] for row in table] == [
        'Swin-deep', 'Linear', 'Swin-deep p'
    ]
    assert table[2]['cifar100'] == '10' and table[2]['natural_n'] == '2'
    assert float(table[2]['natural_mean']) == 5.5
