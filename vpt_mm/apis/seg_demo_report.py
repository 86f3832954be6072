"""The segmentation demo's results: the mIoU table of its sweeps and a
picture of test predictions (image | ground truth | each method).

Each method is one ``tools/sweep.py --metric mIoU`` dir; its task's
``results.json`` gives the lr chosen on validation, its val mIoU and the
test mIoU of each final seed. The picture uses each method's final run of
its first seed (the checkpoint the sweep keeps).
"""
import glob
import json
import os
import os.path as osp
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np
from mmengine.config import Config

from vpt_mm.datasets.fashion_scenes import FASHION_CLASSES, FASHION_PALETTE
from .infer import Predictor
from .model import build_model_from_config

TASK = 'fashion-scenes'


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (0 for one value), as the
    sweep reports them."""
    values = np.asarray(values, np.float64)
    if values.size == 0:
        raise ValueError('mean_std of no values')
    std = float(values.std(ddof=1)) if values.size > 1 else 0.
    return float(values.mean()), std


def read_results(sweep_dir: str, task: str = TASK) -> dict:
    """The ``results.json`` of ``task`` in a sweep dir, complete.

    Raises:
        FileNotFoundError: No such file.
        ValueError: The sweep's final phase is not complete.
    """
    path = osp.join(sweep_dir, task, 'results.json')
    if not osp.isfile(path):
        raise FileNotFoundError(f'no sweep results at {path}')
    with open(path) as file:
        results = json.load(file)
    if results.get('status') != 'complete':
        raise ValueError(f'{path}: status {results.get("status")!r}, not '
                         'complete (did every run finish?)')
    return results


def count_parameters(config: str) -> Tuple[int, int]:
    """``(trainable, total)`` parameters of a config's model (built
    without its weights)."""
    cfg = Config.fromfile(config)
    model = build_model_from_config(cfg, init_cfg=False)
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return trainable, total


def table_rows(methods: Sequence[Tuple[str, str]],
               task: str = TASK) -> List[dict]:
    """One row per ``(name, sweep dir)``: the chosen lr, its val mIoU, the
    test mIoU (mean, std and count over seeds) and the trainable
    parameters."""
    rows = []
    for name, sweep_dir in methods:
        results = read_results(sweep_dir, task)
        scores = [run['top1'] for run in results['final']['runs']]
        mean, std = mean_std(scores)
        trainable, total = count_parameters(results['config'])
        rows.append(
            dict(
                method=name,
                base_lr=results['best']['base_lr'],
                val=results['best']['val_top1'],
                test_mean=mean,
                test_std=std,
                seeds=len(scores),
                trainable=trainable,
                total=total,
                sweep_dir=sweep_dir,
                config=results['config'],
                final_run=osp.join(sweep_dir, task,
                                   results['final']['runs'][0]['work_dir'])))
    return rows


def format_table(rows: Sequence[dict]) -> str:
    """The rows as a markdown table."""
    lines = [
        '| Method | trainable params | lr (chosen on val) | val mIoU | '
        'test mIoU |', '| --- | ---: | ---: | ---: | ---: |'
    ]
    for row in rows:
        share = 100. * row['trainable'] / row['total']
        lines.append(
            f"| {row['method']} | {row['trainable']:,} ({share:.1f}%) | "
            f"{row['base_lr']:g} | {row['val']:.1f} | "
            f"{row['test_mean']:.1f} ± {row['test_std']:.1f} |")
    seeds = sorted({row['seeds'] for row in rows})
    lines += [
        '', 'mIoU (%) over the 11 classes (background and the 10 '
        'Fashion-MNIST classes); test: mean ± std over '
        f"{' or '.join(map(str, seeds))} seed(s) trained on "
        'training+validation with the lr chosen on validation.'
    ]
    return '\n'.join(lines)


def latest_checkpoint(run_dir: str) -> str:
    """The newest ``iter_*.pth`` of a run dir."""
    found = glob.glob(osp.join(run_dir, 'iter_*.pth'))
    if not found:
        raise FileNotFoundError(f'no iter_*.pth checkpoint in {run_dir} '
                                '(run the sweep with --keep-checkpoints '
                                'final)')
    return max(found, key=lambda path: int(osp.basename(path)[5:-4]))


def colorize(label_map: np.ndarray) -> np.ndarray:
    """A label map as a BGR picture in the dataset's palette."""
    palette = np.array(FASHION_PALETTE, np.uint8)[:, ::-1]
    return palette[np.clip(label_map, 0, len(palette) - 1)]


def _tile(image: np.ndarray, scale: int) -> np.ndarray:
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    return cv2.resize(image, None, fx=scale, fy=scale,
                      interpolation=cv2.INTER_NEAREST)


def _caption(text: str, width: int, height: int = 22) -> np.ndarray:
    strip = np.full((height, width, 3), 255, np.uint8)
    cv2.putText(strip, text, (4, height - 7), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                (0, 0, 0), 1, cv2.LINE_AA)
    return strip


def _legend(width: int) -> np.ndarray:
    rows, per_row = [], 4
    for start in range(0, len(FASHION_CLASSES), per_row):
        strip = np.full((22, width, 3), 255, np.uint8)
        for column, index in enumerate(
                range(start, min(start + per_row, len(FASHION_CLASSES)))):
            x = 6 + column * (width // per_row)
            colour = tuple(int(c) for c in FASHION_PALETTE[index][::-1])
            cv2.rectangle(strip, (x, 5), (x + 12, 17), colour, -1)
            cv2.rectangle(strip, (x, 5), (x + 12, 17), (0, 0, 0), 1)
            cv2.putText(strip, FASHION_CLASSES[index], (x + 18, 16),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 1,
                        cv2.LINE_AA)
        rows.append(strip)
    return np.concatenate(rows)


def prediction_picture(rows: Sequence[dict],
                       data_root: str,
                       out: str,
                       num_images: int = 4,
                       scale: int = 3,
                       split: str = 'test') -> str:
    """Write ``out``: one line per test image, columns image | ground
    truth | each method's prediction (its final run of the first seed).

    Returns:
        str: ``out``.
    """
    image_dir = osp.join(data_root, 'images', split)
    names = sorted(os.listdir(image_dir))[:num_images]
    if not names:
        raise FileNotFoundError(f'no image in {image_dir}')
    columns: List[List[np.ndarray]] = [[], []]
    for name in names:
        image = cv2.imread(osp.join(image_dir, name), cv2.IMREAD_GRAYSCALE)
        label = cv2.imread(
            osp.join(data_root, 'annotations', split, name),
            cv2.IMREAD_GRAYSCALE)
        columns[0].append(_tile(image, scale))
        columns[1].append(_tile(colorize(label), scale))
    titles = ['image', 'ground truth']
    for row in rows:
        cfg = Config.fromfile(row['config'])
        predictor = Predictor(cfg, latest_checkpoint(row['final_run']),
                              device='cpu')
        columns.append([
            _tile(
                colorize(predictor(osp.join(image_dir, name))['label_map']),
                scale) for name in names
        ])
        titles.append(row['method'])
    gap = 4
    blocks = []
    for title, tiles in zip(titles, columns):
        width = tiles[0].shape[1]
        parts = [_caption(title, width)]
        for tile in tiles:
            parts += [tile, np.full((gap, width, 3), 255, np.uint8)]
        blocks += [np.concatenate(parts),
                   np.full((sum(p.shape[0] for p in parts), gap, 3), 255,
                           np.uint8)]
    picture = np.concatenate(blocks, axis=1)
    picture = np.concatenate([picture, _legend(picture.shape[1])])
    os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
    if not cv2.imwrite(out, picture):
        raise OSError(f'could not write {out}')
    return out


def write_report(methods: Sequence[Tuple[str, str]],
                 data_root: str,
                 out_dir: str,
                 num_images: int = 4,
                 task: str = TASK) -> Dict[str, str]:
    """The table (``seg_summary.md``) and picture (``seg_predictions.png``)
    of the demo's sweeps in ``out_dir``.

    Returns:
        dict: ``table`` (its text), ``markdown`` and ``picture`` (paths).
    """
    rows = table_rows(methods, task)
    table = format_table(rows)
    os.makedirs(out_dir, exist_ok=True)
    markdown = osp.join(out_dir, 'seg_summary.md')
    with open(markdown, 'w') as file:
        file.write(table + '\n')
    picture = prediction_picture(rows, data_root,
                                 osp.join(out_dir, 'seg_predictions.png'),
                                 num_images)
    return dict(table=table, markdown=markdown, picture=picture)


def parse_methods(names: Sequence[str],
                  dirs: Sequence[str]) -> List[Tuple[str, str]]:
    """``--method-name`` and sweep dirs paired, checked."""
    if len(names) != len(dirs):
        raise ValueError(f'--method-name: {len(names)} names for '
                         f'{len(dirs)} sweep dirs')
    return list(zip(names, dirs))
