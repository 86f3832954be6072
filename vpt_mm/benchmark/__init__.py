"""The cost of VPT against full fine-tuning, as the paper's Tab. 12.

For every method (Full fine-tuning of mmpretrain's ``VisionTransformer``,
Linear = a frozen :class:`PromptedViT` with ``p=0``, the paper's other
baselines as the configs build them: Partial-1, Mlp-3, Sidetune, Bias and
Adapter with r = 8, 64, 256; VPT-shallow, VPT-deep in the token form and
VPT-deep in the key/value prefix form; :mod:`.zoo`) and prompt length, a
measurement times a training step or an inference forward and records the
peak memory (:mod:`.measure`), in a fresh Python process of its own
(:mod:`.worker`). :mod:`.rounds` runs the whole list of measurements,
optionally several times in turn; :mod:`.paired` times training steps
next to Full's in one process (ratios a drifting machine does not move);
:mod:`.bound` sets VPT-deep against the 2/3 bound and its FLOPs
(:mod:`.flops`); :mod:`.report` writes the tables, the
Markdown report and the plots, :mod:`.environment` describes the machine.
``tools/analysis/benchmark.py`` is the command line.

Ratios are only ever taken between measurements of the same run: VPT and
Linear against Full of the same backbone, prefix against token at the same
prompt length.

Importing it applies the CPU compatibility patches first (the benchmark
builds mmpretrain's models).
"""
from .. import compat

compat.apply()

from .environment import environment  # noqa: E402
from .measure import PHASES, measure  # noqa: E402
from .report import format_report, format_tables, plot_results  # noqa: E402
from .rounds import run_benchmark  # noqa: E402
from .worker import RESULT_MARK, measure_isolated  # noqa: E402
from .zoo import (ARCHS, METHODS, NUM_CLASSES, PROMPTED,  # noqa: E402
                  Classifier, build_model)

__all__ = [
    'ARCHS', 'METHODS', 'NUM_CLASSES', 'PHASES', 'PROMPTED', 'RESULT_MARK',
    'Classifier', 'build_model', 'environment', 'format_report',
    'format_tables', 'measure', 'measure_isolated', 'plot_results',
    'run_benchmark'
]
