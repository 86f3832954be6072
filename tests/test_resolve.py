"""Top-level task variables and the training length carried into a loaded
config (vpt_mm.resolve), on the zoo's own files."""
import os.path as osp

from mmengine.config import Config

from vpt_mm.resolve import resolve_config, schedule_length

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DTD = osp.join(ROOT, 'configs/vpt/vpt-deep_vit-b16-in21k_1xb128_vtab1k-dtd.py')
CUB = osp.join(ROOT, 'configs/vpt/vpt-deep_vit-b16-in21k_1xb128_cub.py')
SMOKE = osp.join(ROOT, 'configs/smoke/vpt-deep_vit-tiny_toy-fgvc.py')


def load(tmp_path, text, options=None):
    path = tmp_path / 'task.py'
    path.write_text(text)
    cfg = Config.fromfile(str(path))
    resolve_config(cfg)
    if options:
        cfg.merge_from_dict(options)
        resolve_config(cfg, options)
    return cfg


def datasets(cfg):
    return [cfg[f'{split}_dataloader'].dataset
            for split in ('train', 'val', 'test')]


def test_a_task_of_ones_own(tmp_path):
    cfg = load(tmp_path, f"""_base_ = [{DTD!r}]
data_root = 'data/mine'
task_name = 'shapes'
num_classes = 5
""")
    for dataset in datasets(cfg):
        assert (dataset.data_root, dataset.task, dataset.num_classes) == \
            ('data/mine', 'shapes', 5)
    assert cfg.model.head.num_classes == 5
    assert cfg.data_preprocessor.num_classes == 5
    cfg = load(tmp_path, f"""_base_ = [{CUB!r}]
data_root = 'data/birds'
task_name = 'birds'
num_classes = 7
""", {'num_classes': 9})
    for dataset in datasets(cfg):
        assert (dataset.data_root, dataset.name, dataset.num_classes) == \
            ('data/birds', 'birds', 9)
    assert cfg.model.head.num_classes == 9


def test_a_nested_option_is_kept(tmp_path):
    cfg = load(tmp_path, f'_base_ = [{DTD!r}]\n',
               {'train_dataloader.dataset.data_root': 'elsewhere'})
    assert cfg.train_dataloader.dataset.data_root == 'elsewhere'
    assert cfg.val_dataloader.dataset.data_root == 'data/vtab-1k'
    assert cfg.model.head.num_classes == 47


def cosine(cfg):
    warmup, cos = cfg.param_scheduler
    return warmup.end, cos.begin, cos.end


def test_max_epochs_ends_the_cosine(tmp_path):
    cfg = load(tmp_path, f'_base_ = [{DTD!r}]\n')
    assert cosine(cfg) == (10, 10, 100) and schedule_length(cfg) == 100
    for options in ({'train_cfg.max_epochs': 4}, {'max_epochs': 4}):
        cfg = load(tmp_path, f'_base_ = [{DTD!r}]\n', options)
        assert cfg.train_cfg.max_epochs == 4 and cfg.max_epochs == 4
        assert cosine(cfg) == (0.4, 0.4, 4)
    # a child setting the variable, or train_cfg
    cfg = load(tmp_path, f'_base_ = [{DTD!r}]\nmax_epochs = 20\n')
    assert cfg.train_cfg.max_epochs == 20 and cosine(cfg) == (2, 2, 20)
    cfg = load(tmp_path,
               f'_base_ = [{DTD!r}]\ntrain_cfg = dict(max_epochs=50)\n')
    assert cfg.max_epochs == 50 and cosine(cfg) == (5, 5, 50)


def test_max_iters(tmp_path):
    cfg = load(tmp_path, f'_base_ = [{SMOKE!r}]\n',
               {'train_cfg.max_iters': 30})
    assert cosine(cfg) == (5, 5, 30) and cfg.max_iters == 30
    # the epoch-based variables of the base are not the loop: untouched
    assert cfg.max_epochs == 100
    # never an empty scheduler: mmengine refuses end <= begin
    cfg = load(tmp_path, f'_base_ = [{SMOKE!r}]\n',
               {'train_cfg.max_iters': 2})
    assert cosine(cfg) == (1, 0, 2)


def test_what_the_file_sets_explicitly_is_kept(tmp_path):
    # a child rewriting train_cfg and the schedule, not the base's variable
    cfg = load(tmp_path, f"""_base_ = [{SMOKE!r}]
param_scheduler = [
    dict(type='LinearLR', by_epoch=False, begin=0, end=4),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=4, end=12)]
train_cfg = dict(max_iters=12)
train_dataloader = dict(dataset=dict(data_root='elsewhere'))
""")
    assert cfg.train_cfg.max_iters == 12 and cosine(cfg) == (4, 4, 12)
    # the base's data_root does not replace the file's own dataset dict
    assert cfg.train_dataloader.dataset.data_root == 'elsewhere'
