"""tools/analysis/draw_prompts.py: the diagram is drawn from the models'
layer plans (what each layer's input holds), into one PNG."""
import importlib.util
import os.path as osp

from vpt_mm.apis.prompt_diagram import build_variant, layer_rows
from vpt_mm.sweep.plot import png_size

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PATCHES = ('patch', ) * 4


def tool():
    spec = importlib.util.spec_from_file_location(
        'vpt_mm_draw_prompts', osp.join(ROOT, 'tools', 'analysis',
                                        'draw_prompts.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rows_follow_the_layer_plans():
    shallow = layer_rows(build_variant(dict(deep=False), num_layers=3))
    assert [row.tokens for row in shallow] == [
        ('cls', 'new', 'new') + PATCHES] + [
            ('cls', 'carried', 'carried') + PATCHES] * 2
    assert all(row.prefix == 0 for row in shallow)
    token = layer_rows(build_variant(dict(deep=True, deep_mode='token'),
                                     num_layers=3))
    assert [row.tokens for row in token] == [('cls', 'new', 'new') +
                                             PATCHES] * 3
    prefix = layer_rows(build_variant(dict(deep=True, deep_mode='prefix'),
                                      num_layers=3, num_tokens=5))
    assert [row for row in prefix] == [(('cls', ) + PATCHES, 5)] * 3


def test_tool_writes_the_diagram(tmp_path, capsys):
    out = tmp_path / 'prompts.png'
    tool().main([str(out), '--num-layers', '2'])
    width, height = png_size(str(out))
    assert width > 2 * height
    assert '3 variants drawn' in capsys.readouterr().out
