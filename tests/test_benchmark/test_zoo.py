"""The methods of Tab. 12 and the classifiers built for them."""
import torch

from vpt_mm.benchmark import zoo
from vpt_mm.benchmark.report import format_tables
from vpt_mm.benchmark.rounds import run_benchmark
from vpt_mm.benchmark.zoo import METHODS, build_model

VIT_METHODS = ('full', 'linear', 'vpt-shallow', 'vpt-deep-token',
               'vpt-deep-prefix')
BASELINES = ('partial-1', 'mlp-3', 'sidetune', 'bias', 'adapter-r8',
             'adapter-r64', 'adapter-r256')


def test_methods():
    assert set(METHODS) == set(VIT_METHODS + BASELINES)


def test_baselines_train_what_their_configs_train(monkeypatch, quick,
                                                  table_rows, ratio):
    """Tab. 12's baseline rows: tuned fractions in the paper's order, and
    a training step changes exactly the tuned parameters."""
    # wide enough for a reduction of 256, one layer; Sidetune needs 63 px
    monkeypatch.setitem(
        zoo.ARCHS, 'wide',
        dict(embed_dims=256, num_layers=1, num_heads=4,
             feedforward_channels=256))
    quick = dict(quick, arch='wide', img_size=64)
    results = run_benchmark(
        prompt_lengths=(1, ), devices=('cpu', ), isolate=False,
        methods=('full', 'linear') + BASELINES, **quick)
    tuned = {r['method']: r['tuned_params'] / r['total_params']
             for r in results if r['phase'] == 'train'}
    assert tuned['full'] == 1
    # the adapters' share falls with the reduction; every baseline tunes
    # more than Linear and less than Full
    assert tuned['adapter-r8'] > tuned['adapter-r64'] > \
        tuned['adapter-r256'] > tuned['linear']
    for method in BASELINES:
        assert tuned['linear'] < tuned[method] < 1, method
    markdown = format_tables(results)
    _, rows = table_rows(markdown, '| Method |')
    assert [r['Method'] for r in rows] == [METHODS[m] for m in (
        'full', 'linear') + BASELINES]
    for row in rows:
        ratio(row['Train latency vs Full'])
    for method in BASELINES:
        model = build_model(method, arch='wide', img_size=64).train()
        before = {n: p.detach().clone() for n, p in model.named_parameters()}
        tuned_names = {n for n, p in model.named_parameters()
                       if p.requires_grad}
        optimizer = torch.optim.SGD(
            [p for p in model.parameters() if p.requires_grad], lr=0.1)
        model(torch.randn(2, 3, 64, 64)).square().mean().backward()
        optimizer.step()
        changed = {n for n, p in model.named_parameters()
                   if not torch.equal(p, before[n])}
        assert changed and changed <= tuned_names, method
        assert not any(p.grad is not None for p in model.parameters()
                       if not p.requires_grad), method
