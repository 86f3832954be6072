"""``tools/test.py``'s outputs as the hosts' ``test.py`` give them.

Classification (mmpretrain's ``test.py``): ``--out FILE`` pickles the
predictions, or the metrics with ``--out-item metrics``; ``--show``,
``--show-dir``, ``--wait-time`` and ``--interval`` turn on the config's
``VisualizationHook``. Segmentation (mmseg's ``test.py``, a config whose
``default_scope`` is ``mmseg``): ``--out DIR`` makes the evaluator write
each prediction as a PNG label map named after its image (a ``--out``
ending in ``.pkl`` still pickles the predictions, as before); ``--show`` and
``--show-dir`` make the hook draw ground truth | prediction overlays
(``--show-dir``: the visualizer's ``save_dir``).
"""
import argparse
from typing import Dict

import mmengine
from mmengine.config import Config
from mmengine.evaluator import DumpResults
from mmengine.runner import Runner


def add_output_args(parser: argparse.ArgumentParser) -> None:
    """``--out``, ``--out-item``, ``--show``, ``--show-dir``,
    ``--wait-time`` and ``--interval``, as the hosts name them."""
    parser.add_argument(
        '--out',
        help='classification: a pickle file of the predictions (or of the '
        'metrics with --out-item metrics); segmentation: a directory for '
        'the predictions as PNG label maps')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        help='classification: what --out holds (default: pred)')
    parser.add_argument(
        '--show', action='store_true',
        help='show the predictions in a window')
    parser.add_argument(
        '--show-dir',
        help='save the drawn predictions (segmentation: ground truth | '
        'prediction overlays) to this directory')
    parser.add_argument(
        '--wait-time', type=float, default=2,
        help='seconds each window of --show stays (default: 2)')
    parser.add_argument(
        '--interval', type=int, default=1,
        help='draw every n-th sample (default: 1)')


def is_segmentation(cfg: Config) -> bool:
    return cfg.get('default_scope') == 'mmseg'


def pickles(cfg: Config, args: argparse.Namespace) -> bool:
    """Whether ``--out`` is a pickle file (always for classification)."""
    return args.out is not None and (
        not is_segmentation(cfg) or args.out.endswith(('.pkl', '.pickle')))


def prepare_outputs(cfg: Config, args: argparse.Namespace) -> None:
    """Set the config for the output flags, before the runner is built.

    Raises:
        SystemExit: With a one-line message naming the flag.
    """
    segmentation = is_segmentation(cfg)
    if args.out_item is not None:
        if segmentation:
            raise SystemExit('--out-item: classification only (for a '
                             'segmentation config --out is a directory of '
                             'PNG label maps, as in mmseg)')
        if args.out is None:
            raise SystemExit('--out-item: give --out FILE as well')
    if args.interval < 1:
        raise SystemExit(f'--interval: must be >= 1, got {args.interval}')
    if args.show or args.show_dir:
        hook = cfg.get('default_hooks', {}).get('visualization')
        if hook is None:
            raise SystemExit(
                '--show/--show-dir: the config has no '
                "default_hooks.visualization (add dict(type="
                "'VisualizationHook'))")
        hook['interval'] = args.interval
        if segmentation:  # mmseg's test.py
            hook['draw'] = True
            if args.show:
                hook['show'] = True
                hook['wait_time'] = args.wait_time
            if args.show_dir:
                cfg.visualizer['save_dir'] = args.show_dir
        else:  # mmpretrain's test.py
            hook['enable'] = True
            hook['show'] = args.show
            hook['wait_time'] = args.wait_time
            hook['out_dir'] = args.show_dir
    if args.out is not None and segmentation and not pickles(cfg, args):
        evaluator = cfg.test_evaluator
        if not isinstance(evaluator, dict):
            raise SystemExit("--out: the config's test_evaluator must be "
                             'one metric dict to write label maps')
        evaluator['output_dir'] = args.out
        evaluator['keep_results'] = True


def add_prediction_dump(runner: Runner, cfg: Config,
                        args: argparse.Namespace) -> None:
    """``--out`` as a pickle of the predictions: a DumpResults metric."""
    if pickles(cfg, args) and args.out_item in ('pred', None):
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))


def dump_metrics(metrics: Dict[str, float], cfg: Config,
                 args: argparse.Namespace) -> None:
    """Classification ``--out FILE --out-item metrics``."""
    if args.out is not None and args.out_item == 'metrics' and \
            not is_segmentation(cfg):
        mmengine.dump(metrics, args.out, file_format='pkl')
