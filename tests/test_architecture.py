"""The folder tree is the architecture: the rooms' imports point down only
(compat/tasks <- checkpoint/prompts/registry <- models/datasets/evaluation
<- engine <- apis/sweep/benchmark/testing/zoo <- serving <- modules),
there is no import cycle, no file is over 400 lines, and the torch-free
rooms import without torch."""
import ast
import os
import os.path as osp
import subprocess
import sys

import pytest

import vpt_mm

ROOT = osp.dirname(vpt_mm.__file__)
# the floor each room lives on; a module may import its own room and the
# rooms on lower floors only
FLOORS = {
    '__init__': 0, 'compat': 0, 'tasks': 0, 'resolve': 0, 'runlock': 0,
    'checkpoint': 1, 'prompts': 1, 'registry': 1,
    'models': 2, 'datasets': 2, 'evaluation': 2,
    'engine': 3,
    'apis': 4, 'sweep': 4, 'benchmark': 4, 'testing': 4, 'zoo': 4,
    'preparation': 4,
    'serving': 5,
    'modules': 6,
}
TORCH_FREE = ('vpt_mm', 'vpt_mm.compat', 'vpt_mm.tasks', 'vpt_mm.sweep',
              'vpt_mm.checkpoint', 'vpt_mm.checkpoint.names',
              'vpt_mm.checkpoint.atomic', 'vpt_mm.zoo',
              'vpt_mm.prompts', 'vpt_mm.preparation',
              'vpt_mm.resolve', 'vpt_mm.runlock')
MAX_LINES = 400


def modules():
    """``{dotted name: path}`` of every module of vpt_mm."""
    found = {}
    for folder, _, files in os.walk(ROOT):
        for file in files:
            if file.endswith('.py'):
                path = osp.join(folder, file)
                parts = osp.relpath(path, osp.dirname(ROOT))[:-3].split(
                    os.sep)
                if parts[-1] == '__init__':
                    parts = parts[:-1]
                found['.'.join(parts)] = path
    return found


def imported(name, path, top_level_only=False):
    """The vpt_mm modules ``name`` imports (anywhere in the file, or at
    its top level only)."""
    tree = ast.parse(open(path).read())
    package = name if path.endswith('__init__.py') else name.rsplit('.',
                                                                    1)[0]
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[:len(base) - node.level + 1]
                module = '.'.join(base + ([node.module] if node.module else
                                          []))
            else:
                module = node.module
            found.add(module)
            found.update(f'{module}.{alias.name}' for alias in node.names)
    return {m for m in found if m == 'vpt_mm' or m.startswith('vpt_mm.')}


def room(name):
    parts = name.split('.')
    # the package's own front door: its __init__ and its version
    return parts[1] if len(parts) > 1 and parts[1] != 'version' else \
        '__init__'


def test_every_room_has_a_floor():
    assert {room(name) for name in modules()} <= set(FLOORS)


def test_imports_point_down_only():
    known = modules()
    upward = []
    for name, path in sorted(known.items()):
        for target in sorted(imported(name, path)):
            if target not in known:
                continue  # an attribute of a module, found by its module
            source_room, target_room = room(name), room(target)
            if source_room == target_room or target == 'vpt_mm':
                continue
            if FLOORS[target_room] >= FLOORS[source_room]:
                upward.append(f'{name} -> {target}')
    assert not upward, upward


def test_no_import_cycles():
    known = modules()
    graph = {
        name: {t for t in imported(name, path, top_level_only=True)
               if t in known and t != name}
        for name, path in known.items()
    }
    # a package imports its submodules; a submodule importing its own
    # package's __init__ is Python's normal order, not a cycle
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + '.')}
    state, cycles = {}, []

    def visit(node, trail):
        state[node] = 'open'
        for target in sorted(graph[node]):
            if state.get(target) == 'open':
                cycles.append(trail[trail.index(target):] + [target])
            elif target not in state:
                visit(target, trail + [target])
        state[node] = 'done'

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert not cycles, cycles


def test_no_file_over_the_limit():
    long = {
        osp.relpath(path, ROOT): lines
        for path in modules().values()
        if (lines := len(open(path).readlines())) > MAX_LINES
    }
    assert not long, long


@pytest.mark.parametrize('name', TORCH_FREE)
def test_torch_free_rooms_import_without_torch(name):
    code = (f'import sys, {name}; heavy = [m for m in ("torch", '
            '"mmpretrain", "mmseg", "mmcv") if m in sys.modules]; '
            'assert not heavy, heavy')
    subprocess.run([sys.executable, '-c', code], check=True, cwd=ROOT + '/..')
