"""A task of one's own in a few config lines, VTAB-style and FGVC-style:
it trains with tools/train.py, sweeps with tools/sweep.py, and
``train_cfg.max_epochs`` ends the cosine."""
import json
import os
import os.path as osp
import subprocess
import sys

from mmengine.config import Config

from vpt_mm.testing import write_toy_fgvc
from vpt_mm.testing.fgvc_archives import image
from test_sweep_tool import sweep_env

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEMO = osp.join(ROOT, 'configs/demo/vpt-deep_vit-tiny-p7-fmnist_1xb64_'
                'digits1k.py')
SMOKE = osp.join(ROOT, 'configs/smoke/vpt-deep_vit-tiny_toy-fgvc.py')
# the template of the README, on a tiny base
VTAB_STYLE = """_base_ = [{base!r}]
data_root = {root!r}
task_name = 'shapes'
num_classes = 3
"""
FGVC_STYLE = """_base_ = [{base!r}]
data_root = {root!r}
task_name = 'birds'
num_classes = 3
"""


def run(*command, cwd):
    result = subprocess.run([sys.executable, *command], cwd=str(cwd),
                            env=sweep_env(), capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, (result.stdout + result.stderr)[-4000:]
    return result.stdout + result.stderr


def shapes(root):
    """A 3-class task in the VTAB-1k layout: 12 / 4 / 6 images."""
    for split, count in (('train800', 12), ('val200', 4), ('test', 6)):
        lines = []
        for index in range(count):
            path = f'images/{split}/{index}.png'
            image(osp.join(root, 'shapes', path))
            lines.append(f'{path} {index % 3}')
        (root / 'shapes' / f'{split}.txt').write_text('\n'.join(lines))
    joined = [(root / 'shapes' / f'{s}.txt').read_text()
              for s in ('train800', 'val200')]
    (root / 'shapes' / 'train800val200.txt').write_text('\n'.join(joined))


def test_vtab_style_task_trains_and_its_cosine_ends_at_max_epochs(tmp_path):
    shapes(tmp_path / 'data')
    config = tmp_path / 'shapes.py'
    config.write_text(VTAB_STYLE.format(base=DEMO,
                                        root=str(tmp_path / 'data')))
    assert len(config.read_text().splitlines()) <= 5
    run(osp.join(ROOT, 'tools/train.py'), str(config), '--work-dir', 'work',
        '--cfg-options', 'train_cfg.max_epochs=2',
        'model.backbone.init_cfg=None', 'train_dataloader.batch_size=2',
        'default_hooks.logger.interval=1', cwd=tmp_path)
    cfg = Config.fromfile(str(tmp_path / 'work' / 'shapes.py'))
    assert cfg.model.head.num_classes == 3
    assert cfg.data_preprocessor.num_classes == 3
    assert cfg.train_dataloader.dataset.task == 'shapes'
    warmup, cosine = cfg.param_scheduler
    assert (warmup.end, cosine.begin, cosine.end) == (0.2, 0.2, 2)
    # 16 images, batch 2: 8 iterations an epoch; warm-up until iteration 1
    scalars = [
        json.loads(line) for line in open(
            next(osp.join(folder, 'scalars.json')
                 for folder, _, files in os.walk(tmp_path / 'work')
                 if 'scalars.json' in files))
        if '"lr"' in line
    ]
    lrs = {entry['step']: entry['lr'] for entry in scalars}
    assert max(lrs) == 16
    peak = max(lrs.values())
    assert lrs[2] > 0.9 * peak  # past the warm-up
    assert lrs[16] < 0.02 * peak  # the cosine's end


def test_fgvc_style_task_sweeps(tmp_path):
    data = tmp_path / 'data'
    write_toy_fgvc(str(data), num_classes=3, image_size=16,
                   split_sizes=dict(train=2, val=1, test=1))
    # a set of one's own: paths relative to data_root
    for split in ('train', 'val', 'test'):
        path = data / f'{split}.json'
        entries = json.loads(path.read_text())
        path.write_text(json.dumps(
            {f'images/{key}': label for key, label in entries.items()}))
    config = tmp_path / 'birds.py'
    config.write_text(FGVC_STYLE.format(base=SMOKE, root=str(data)))
    out = run(osp.join(ROOT, 'tools/sweep.py'), str(config), '--work-dir',
              'sweep', '--lrs', '0.5', '--wds', '0', '--num-seeds', '1',
              '--cfg-options', 'train_cfg.max_iters=2', cwd=tmp_path)
    final = tmp_path / 'sweep' / 'birds'
    assert (final / 'final').is_dir(), out[-2000:]
    cfg_files = [osp.join(folder, file)
                 for folder, _, files in os.walk(final / 'final')
                 for file in files if file == 'birds.py']
    cfg = Config.fromfile(cfg_files[0])
    assert cfg.train_dataloader.dataset.name == 'birds'
    assert cfg.model.head.num_classes == 3
    assert cfg.param_scheduler[1].end == 2
