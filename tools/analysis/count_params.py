"""Print what a config trains: "trainable N / total M (x%)".

The percentage is the paper's "Tuned / Total" (Tabs. 12-14): trainable
parameters (prompts, head, biases, adapters, tuned blocks, side network)
over all parameters of the model. The model is built on the meta device
without weights, so ViT-H counts in a second with no memory.

Usage::

    python tools/analysis/count_params.py CONFIG
"""
import argparse
from collections import OrderedDict

from mmengine.config import Config

from vpt_mm.apis.model import build_model_from_config, meta_device
from vpt_mm.engine.optimizers import parameter_counts, trainable_report
from vpt_mm.models.peft.base import PEFTWrapper
from vpt_mm.models.delta import delta_keys


def count(config: str) -> dict:
    """Counts of ``config``'s model: ``trainable``, ``total``,
    ``delta_keys`` and the report line."""
    cfg = Config.fromfile(config)
    with meta_device():
        model = build_model_from_config(cfg, init_cfg=False)
    trainable, total = parameter_counts(model)
    # parameters by top-level part; the modules a PEFT wrapper added (and
    # a prompted backbone's trained modules) listed on their own
    labels = {}
    for prefix, module in model.named_modules():
        if isinstance(module, PEFTWrapper):
            for name, param in module.named_parameters():
                if not name.startswith('module.'):
                    labels[id(param)] = f'{prefix}.{name.split(".")[0]}'
            for name, sub in module.trained_modules().items():
                for param in sub.parameters():
                    labels.setdefault(id(param), f'{prefix} ({name})')
    parts = OrderedDict()
    for name, param in model.named_parameters():
        part = labels.get(id(param), name.split('.')[0])
        counts = parts.setdefault(part, [0, 0])
        counts[1] += param.numel()
        if param.requires_grad:
            counts[0] += param.numel()
    return dict(
        trainable=trainable,
        total=total,
        parts=parts,
        delta_keys=len(delta_keys(model)),
        report=trainable_report(model))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config file')
    args = parser.parse_args()
    result = count(args.config)
    print(result['report'])
    percent = 100. * result['trainable'] / max(result['total'], 1)
    print(f'Tuned / Total: {result["trainable"] / 1e6:.2f} M / '
          f'{result["total"] / 1e6:.2f} M = {percent:.2f}%')
    for part, (trainable, total) in result['parts'].items():
        print(f'  {part}: trainable {trainable:,} / {total:,}')
    print(f'delta: {result["delta_keys"]} tensors')


if __name__ == '__main__':
    main()
