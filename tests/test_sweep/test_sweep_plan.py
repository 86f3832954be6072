"""vpt_mm.sweep.plan: a config checked against the contract, and its runs."""
import os.path as osp

import pytest
from mmengine.config import Config
from sweep_helpers import (FGVC_PROTOCOL, SMOKE, iter_cfg, make_spec,
                           prompt_cfg, vtab_cfg)

from vpt_mm.sweep.errors import SweepError
from vpt_mm.sweep.plan import (PROMPT_KEY, final_runs, parse_cfg_options,
                               task_from_config, tune_runs)


def test_tune_plan_is_the_grid_with_the_swept_options(tmp_path):
    spec = make_spec(tmp_path, vtab_cfg(), seeds=range(5))
    assert spec.task == 'cifar100' and spec.benchmark == 'vtab1k'
    assert spec.work_dir == str(tmp_path / 'sweep' / 'cifar100')
    runs = tune_runs(spec)
    assert [run.name for run in runs] == [
        'lr1_wd0.01_seed0', 'lr1_wd0_seed0', 'lr0.1_wd0.01_seed0',
        'lr0.1_wd0_seed0'
    ]
    run = runs[2]
    assert run.work_dir == osp.join(spec.work_dir, 'tune',
                                    'lr0.1_wd0.01_seed0')
    assert run.cfg_options == [
        'optim_wrapper.optimizer.lr=0.1',
        'optim_wrapper.optimizer.weight_decay=0.01',
        'randomness.seed=0',
        'train_dataloader.dataset.split=train800',
        'val_dataloader.dataset.split=val200',
        'train_cfg.val_interval=100',
    ]
    # epoch-based: the last validation is logged at the last epoch
    assert spec.final_step == 100


def test_final_plan_trains_on_train_val_and_scores_on_test(tmp_path):
    spec = make_spec(tmp_path, vtab_cfg(), seeds=range(5))
    runs = final_runs(spec, 0.1, 0.0)
    assert [run.seed for run in runs] == [0, 1, 2, 3, 4]
    assert runs[3].work_dir == osp.join(spec.work_dir, 'final',
                                        'lr0.1_wd0_seed3')
    options = parse_cfg_options(runs[3].cfg_options)
    assert options == {
        'optim_wrapper.optimizer.lr': 0.1,
        'optim_wrapper.optimizer.weight_decay': 0.0,
        'randomness.seed': 3,
        'train_dataloader.dataset.split': 'train800val200',
        'val_dataloader.dataset.split': 'test',
        'train_cfg.val_interval': 100,
    }


def test_iteration_based_runs_log_the_score_at_the_last_iteration(
        tmp_path):
    spec = make_spec(tmp_path)
    run = tune_runs(spec)[0]
    assert run.name == 'lr0.5_wd0.001_seed0'
    assert run.cfg_options[-2:] == [
        'train_cfg.val_interval=10',
        'default_hooks.logger.log_metric_by_epoch=False'
    ]
    assert spec.final_step == 10
    assert (run.train_split, run.eval_split) == ('train', 'val')
    assert final_runs(spec, 0.5, 0.001)[1].cfg_options[3:5] == [
        'train_dataloader.dataset.split=trainval',
        'val_dataloader.dataset.split=test'
    ]


def test_plan_options_apply_to_the_smoke_config(tmp_path):
    cfg = Config.fromfile(SMOKE)
    cfg.merge_from_dict(dict(protocol=FGVC_PROTOCOL, task_name='cub',
                             benchmark='fgvc'))
    spec = task_from_config(cfg, SMOKE, str(tmp_path), lrs=[2.5],
                            wds=[0.0001], seeds=[7])
    run = final_runs(spec, 2.5, 0.0001)[0]
    cfg.merge_from_dict(parse_cfg_options(run.cfg_options))
    assert cfg.optim_wrapper.optimizer.lr == 2.5
    assert cfg.optim_wrapper.optimizer.weight_decay == 0.0001
    assert cfg.randomness.seed == 7
    assert cfg.train_dataloader.dataset.split == 'trainval'
    assert cfg.val_dataloader.dataset.split == 'test'
    assert cfg.train_cfg.val_interval == cfg.train_cfg.max_iters == 60
    assert cfg.default_hooks.logger.log_metric_by_epoch is False


def test_passthrough_options_come_first_and_val_interval_is_respected(
        tmp_path):
    spec = make_spec(
        tmp_path, vtab_cfg(), seeds=[0],
        cfg_options=['model.head.num_classes=10', 'train_cfg.val_interval=5'])
    run = tune_runs(spec)[0]
    assert run.cfg_options[:2] == [
        'model.head.num_classes=10', 'train_cfg.val_interval=5'
    ]
    assert not any('val_interval=100' in o for o in run.cfg_options)
    # the last validation is still at the last epoch (mmengine's loop)
    assert spec.final_step == 100
    spec = make_spec(tmp_path, vtab_cfg(), val_interval=False)
    assert spec.loop_options == []


def test_plan_rejects_swept_keys_in_cfg_options(tmp_path):
    with pytest.raises(SweepError, match='optim_wrapper.optimizer.lr'):
        make_spec(tmp_path, cfg_options=['optim_wrapper.optimizer.lr=1'])


@pytest.mark.parametrize('drop, message', [
    ('protocol', 'protocol = dict'),
    ('task_name', 'task_name'),
    ('benchmark', 'benchmark'),
    ('sweep_grid', 'sweep_grid.base_lr'),
])
def test_plan_names_what_the_config_lacks(tmp_path, drop, message):
    cfg = vtab_cfg()
    cfg.pop(drop)
    with pytest.raises(SweepError, match=message) as error:
        make_spec(tmp_path, cfg)
    assert 'configs/x/task.py' in str(error.value)


def test_plan_checks_task_names_and_grids(tmp_path):
    with pytest.raises(SweepError, match='not a vtab1k task'):
        make_spec(tmp_path, vtab_cfg(task_name='cifar'))
    # a task of one's own declares its class count: a custom task
    spec = make_spec(tmp_path, vtab_cfg(task_name='shapes', num_classes=5))
    assert (spec.task, spec.benchmark) == ('shapes', 'custom')
    with pytest.raises(SweepError, match='repeated'):
        make_spec(tmp_path, lrs=[0.1, 0.1])
    with pytest.raises(SweepError, match='distinct seeds'):
        make_spec(tmp_path, seeds=[1, 1])
    cfg = vtab_cfg()
    cfg.pop('sweep_grid')
    spec = make_spec(tmp_path, cfg, lrs=[5], wds=[0])
    assert [run.name for run in tune_runs(spec)] == ['lr5_wd0_seed0']


def test_prompt_length_is_a_third_axis_of_the_tune_phase(tmp_path):
    spec = make_spec(tmp_path, prompt_cfg())
    assert spec.num_tokens == [1, 5, 10]
    runs = tune_runs(spec)
    assert [run.name for run in runs[:3]] == [
        'lr0.5_wd0.001_p1_seed0', 'lr0.5_wd0.001_p5_seed0',
        'lr0.5_wd0.001_p10_seed0'
    ]
    assert len(runs) == 6 and runs[4].setting == (0.05, 0.001, 5)
    assert parse_cfg_options(runs[4].cfg_options)[PROMPT_KEY] == 5
    final = final_runs(spec, 0.05, 0.001, 10)
    assert final[1].work_dir.endswith(
        osp.join('final', 'lr0.05_wd0.001_p10_seed1'))
    assert 'model.backbone.prompt_cfg.num_tokens=10' in final[1].cfg_options
    with pytest.raises(ValueError, match='num_tokens'):
        final_runs(spec, 0.05, 0.001)
    # --num-tokens adds the axis to a config without it, or replaces it
    cfg = iter_cfg(model=dict(backbone=dict(prompt_cfg=dict())))
    assert make_spec(tmp_path, cfg, num_tokens=[3]).num_tokens == [3]
    assert make_spec(tmp_path, prompt_cfg(), num_tokens=[7, 9]).settings[
        :2] == [(0.5, 0.001, 7), (0.5, 0.001, 9)]
    # a config of lr x wd only keeps its run names (old sweep dirs resume)
    assert make_spec(tmp_path).num_tokens is None


def test_the_grid_is_checked_key_by_key(tmp_path):
    cfg = iter_cfg(sweep_grid=dict(base_lr=[0.1], weight_decay=[0.],
                                   prompt_length=[1, 5]))
    with pytest.raises(SweepError, match=r"unknown key\(s\) \['prompt_length"
                       r"'\]") as error:
        make_spec(tmp_path, cfg)
    assert 'configs/x/task.py' in str(error.value)
    # the swept p cannot be set by hand as well; without the axis it can
    with pytest.raises(SweepError, match='model.backbone.prompt_cfg.'
                       'num_tokens.*--num-tokens'):
        make_spec(tmp_path, prompt_cfg(),
                  cfg_options=['model.backbone.prompt_cfg.num_tokens=3'])
    make_spec(tmp_path, cfg_options=['model.backbone.prompt_cfg.num_tokens=3'])
    with pytest.raises(SweepError, match='no model.backbone.prompt_cfg'):
        make_spec(tmp_path, num_tokens=[1, 5])
    for lengths in ([1, 1], [1.5], [-1], []):
        with pytest.raises(SweepError, match='sweep_grid.num_tokens'):
            make_spec(tmp_path, prompt_cfg(lengths))
