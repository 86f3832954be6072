"""The paper's per-task tables (Tabs. 13 and 14) of finished sweeps,
as Markdown and CSV."""
import csv
import os
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from vpt_mm.tasks import FGVC_SETS, VTAB_TASKS
from .errors import SweepError
from .state import TASK_RESULTS, read_json

# Column names of the paper's Tabs. 13 and 14.
VTAB_TITLES = {
    'cifar100': 'CIFAR-100',
    'caltech101': 'Caltech101',
    'dtd': 'DTD',
    'oxford_flowers102': 'Flowers102',
    'oxford_pet': 'Pets',
    'svhn': 'SVHN',
    'sun397': 'Sun397',
    'patch_camelyon': 'Patch Camelyon',
    'eurosat': 'EuroSAT',
    'resisc45': 'Resisc45',
    'diabetic_retinopathy': 'Retinopathy',
    'clevr_count': 'Clevr/count',
    'clevr_dist': 'Clevr/distance',
    'dmlab': 'DMLab',
    'kitti': 'KITTI/distance',
    'dsprites_loc': 'dSprites/location',
    'dsprites_ori': 'dSprites/orientation',
    'smallnorb_azi': 'SmallNORB/azimuth',
    'smallnorb_ele': 'SmallNORB/elevation',
}
FGVC_TITLES = {
    'cub': 'CUB-200-2011',
    'nabirds': 'NABirds',
    'flowers': 'Oxford Flowers',
    'dogs': 'Stanford Dogs',
    'cars': 'Stanford Cars',
}


def load_sweep(work_dir: str) -> Dict[Tuple[str, str], dict]:
    """The finished tasks of a sweep dir: ``(benchmark, task) -> results``
    from ``<work_dir>/*/results.json`` whose final phase is complete."""
    found = {}
    if not osp.isdir(work_dir):
        raise SweepError(f'--aggregate: no folder {work_dir}')
    for name in sorted(os.listdir(work_dir)):
        results = read_json(osp.join(work_dir, name, TASK_RESULTS))
        final = (results or {}).get('final') or {}
        if not isinstance(final.get('test_top1_mean'), (int, float)):
            continue
        found[(results.get('benchmark'), results.get('task'))] = results
    return found


def _groups(benchmark: str, tasks: Sequence[str]) -> List[Tuple[str, list]]:
    """``(group title, its tasks in table order)`` of a benchmark."""
    if benchmark == 'vtab1k':
        return [(group.capitalize(), [
            task for task, (_, task_group) in VTAB_TASKS.items()
            if task_group == group
        ]) for group in ('natural', 'specialized', 'structured')]
    if benchmark == 'fgvc':
        return [('FGVC', list(FGVC_SETS))]
    return [(benchmark, sorted(tasks))]


def _title(benchmark: str, task: str) -> str:
    return {'vtab1k': VTAB_TITLES, 'fgvc': FGVC_TITLES}.get(
        benchmark, {}).get(task, task)


def _test_top1(results: Mapping) -> Optional[float]:
    return (results.get('final') or {}).get('test_top1_mean')


def _prompt_length(results: Mapping) -> Optional[int]:
    """The prompt length a sweep selected (``None``: not searched)."""
    return (results.get('best') or {}).get('num_tokens')


def prompt_length_rows(methods: Sequence[Tuple[str, Mapping]],
                       benchmark: Optional[str] = None
                       ) -> List[Tuple[str, Mapping]]:
    """``(method p, results)`` of the methods whose sweeps searched the
    prompt length (in ``benchmark``, or in any), for the paper's "Prompt
    length (p)" rows of Tabs. 13 and 14."""
    return [(f'{name} p', found) for name, found in methods
            if any(_prompt_length(results) is not None
                   for (bench, _), results in found.items()
                   if benchmark is None or bench == benchmark)]


def summary_table(methods: Sequence[Tuple[str, Mapping]],
                  benchmark: str,
                  prompt_methods: Sequence[Tuple[str, Mapping]] = ()
                  ) -> Tuple[List[str], List[List]]:
    """One benchmark's table: header and rows of cells.

    Each row is the method name, then per group its tasks' mean test
    top-1 (``None``: missing) and the group's mean over its present tasks
    as ``(mean or None, number present, group size)``. Then one row per
    ``prompt_methods`` (see :func:`prompt_length_rows`) with the selected
    prompt lengths and their group means instead.
    """
    others = sorted({task for _, found in methods
                     for bench, task in found if bench == benchmark})
    header, rows = ['Method'], []
    groups = _groups(benchmark, others)
    for title, tasks in groups:
        header += [_title(benchmark, task) for task in tasks]
        header.append(f'{title} mean')
    for (name, found), value in [(method, _test_top1) for method in methods
                                 ] + [(method, _prompt_length)
                                      for method in prompt_methods]:
        row = [name]
        for _, tasks in groups:
            values = [value(found[(benchmark, task)])
                      if (benchmark, task) in found else None
                      for task in tasks]
            present = [value for value in values if value is not None]
            row += values
            row.append((sum(present) / len(present) if present else None,
                        len(present), len(tasks)))
        rows.append(row)
    return header, rows


def _benchmarks(methods: Sequence[Tuple[str, Mapping]]) -> List[str]:
    present = {bench for _, found in methods for bench, _ in found}
    return [bench for bench in ('vtab1k', 'fgvc') if bench in present] + \
        sorted(present - {'vtab1k', 'fgvc'})


_BENCHMARK_TITLES = {
    'vtab1k': 'VTAB-1k (cf. Tab. 13)',
    'fgvc': 'FGVC (cf. Tab. 14)',
}


def summary_markdown(methods: Sequence[Tuple[str, Mapping]]) -> str:
    """The paper's per-task tables (Tabs. 13 and 14) as markdown."""
    lines = ['# Sweep summary', '']
    benchmarks = _benchmarks(methods)
    if not benchmarks:
        lines.append('No task has finished its final runs yet.')
    partial = False
    seeds = sorted({len(results['final'].get('seeds') or ())
                    for _, found in methods for results in found.values()})
    searched_p = False
    for benchmark in benchmarks:
        prompt_methods = prompt_length_rows(methods, benchmark)
        searched_p = searched_p or bool(prompt_methods)
        header, rows = summary_table(methods, benchmark, prompt_methods)
        lines += [f'## {_BENCHMARK_TITLES.get(benchmark, benchmark)}', '',
                  '| ' + ' | '.join(header) + ' |',
                  '|' + '|'.join([' --- '] + [' ---: '] *
                                 (len(header) - 1)) + '|']
        # each method's prompt length row right below its own row
        p_rows = {label[:-len(' p')]: row for (label, _), row in zip(
            prompt_methods, rows[len(methods):])}
        ordered = []
        for (name, _), row in zip(methods, rows):
            ordered.append((row, False))
            if name in p_rows:
                ordered.append((p_rows[name], True))
        for row, lengths in ordered:
            cells = [row[0]]
            for cell in row[1:]:
                if isinstance(cell, tuple):
                    mean, present, size = cell
                    if mean is None:
                        cells.append('-')
                    else:
                        star = '*' if present < size else ''
                        partial = partial or bool(star)
                        cells.append(f'{mean:.1f}{star}' if lengths else
                                     f'{mean:.2f}{star}')
                elif cell is None:
                    cells.append('-')
                else:
                    cells.append(f'{cell:g}' if lengths else f'{cell:.1f}')
            lines.append('| ' + ' | '.join(cells) + ' |')
        lines.append('')
    seed_text = ' or '.join(str(n) for n in seeds) if seeds else '5'
    lines += [
        'Test top-1 accuracy (%) of the last epoch, mean over the '
        f'{seed_text} seeds of the final runs (train800val200 or train+val, '
        'scored on test) with the base lr and weight decay' +
        (' (and prompt length)' if searched_p else '') +
        ' chosen on the val split. `-`: the task has no finished sweep. ' +
        ('`<method> p` rows: the prompt length p selected for each task, '
         'and its mean over the group (cf. the paper). ' if searched_p
         else '') +
        'Group means average only the tasks present in the row' +
        ('; `*` marks a mean over part of the group.' if partial else '.'),
        ''
    ]
    return '\n'.join(lines)


def summary_csv_rows(methods: Sequence[Tuple[str, Mapping]]) -> List[list]:
    """The tables as one CSV: a header row, then one row per method;
    per-task means, each group's mean and its number of present tasks
    (``<group>_n``); empty cells for missing tasks. Then a ``<method> p``
    row for each method whose sweeps searched the prompt length: the
    selected lengths, their group means and counts."""
    prompt_methods = prompt_length_rows(methods)
    header = ['method']
    rows = [[name] for name, _ in list(methods) + prompt_methods]
    benchmarks = ['vtab1k', 'fgvc'] + [
        bench for bench in _benchmarks(methods)
        if bench not in ('vtab1k', 'fgvc')]
    for benchmark in benchmarks:
        _, table = summary_table(methods, benchmark, prompt_methods)
        others = sorted({task for _, found in methods
                         for bench, task in found if bench == benchmark})
        for title, tasks in _groups(benchmark, others):
            header += list(tasks) + [f'{title.lower()}_mean',
                                     f'{title.lower()}_n']
        for out, row in zip(rows, table):
            for cell in row[1:]:
                if isinstance(cell, tuple):
                    mean, present, _ = cell
                    out += ['' if mean is None else round(mean, 4), present]
                else:
                    out.append('' if cell is None else round(cell, 4))
    return [header] + rows


def write_summary(methods: Sequence[Tuple[str, str]],
                  out_dir: str) -> Tuple[str, str]:
    """Aggregate sweep dirs into ``<out_dir>/summary.md`` and
    ``summary.csv``.

    Args:
        methods (Sequence[tuple[str, str]]): ``(row label, sweep dir)``,
            one table row each.
        out_dir (str): Where the two files go.

    Returns:
        tuple[str, str]: The markdown and CSV paths.
    """
    found = [(name, load_sweep(work_dir)) for name, work_dir in methods]
    os.makedirs(out_dir, exist_ok=True)
    md_path = osp.join(out_dir, 'summary.md')
    csv_path = osp.join(out_dir, 'summary.csv')
    with open(md_path, 'w') as file:
        file.write(summary_markdown(found))
    with open(csv_path, 'w', newline='') as file:
        csv.writer(file).writerows(summary_csv_rows(found))
    return md_path, csv_path
