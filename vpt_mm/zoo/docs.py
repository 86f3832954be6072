"""README.md and metafile.yml of a generated config folder, in
mmpretrain's format: a Collection with the paper, a Model per config with
its training data and, where Tabs. 13/14 give them, its top-1 results."""
from typing import Dict, List, Optional

from .manifest import task_list
from .specs import ConfigSpec

PAPER_TITLE = 'Visual Prompt Tuning'
PAPER_URL = 'https://arxiv.org/abs/2203.12119'
CITATION = """```bibtex
@inproceedings{jia2022vpt,
  title={Visual Prompt Tuning},
  author={Jia, Menglin and Tang, Luming and Chen, Bor-Chun and Cardie, Claire
    and Belongie, Serge and Hariharan, Bharath and Lim, Ser-Nam},
  booktitle={European Conference on Computer Vision (ECCV)},
  year={2022}
}
```"""


def paper_result(manifest: dict, spec: ConfigSpec) -> Optional[tuple]:
    """(top-1, table) the paper gives for ``spec``'s config, or None."""
    results = manifest['results']
    meta = spec.meta
    if (meta['backbone'] != results['backbone'] or meta['tag']
            or meta['method'] not in results['top1']):
        return None
    order = task_list(manifest, results['order'])
    if meta['task'] not in order:
        return None
    for name in results['order']:
        if meta['task'] in manifest['task_sets'][name]:
            table = results['tables'][name]
    top1 = results['top1'][meta['method']][order.index(meta['task'])]
    return top1, table


def _dataset(manifest: dict, task: str) -> str:
    info = manifest['tasks'][task]
    return f"{info['group']} {info['title']}"


def _method_title(manifest: dict, spec: ConfigSpec) -> str:
    method = spec.meta['method']
    if method in manifest['methods']:
        title = manifest['methods'][method]['title']
        if spec.meta['tag']:
            title += f" ({spec.meta['tag']})"
        return title
    return method  # an ablation variant


def render_readme(manifest: dict, folder: str, title: str, about: str,
                  specs: List[ConfigSpec]) -> str:
    """The folder's README.md."""
    lines = [
        f'# {title}', '', f'> [{PAPER_TITLE}]({PAPER_URL}) (ECCV 2022)', '',
        '<!-- [ALGORITHM] -->', '', '## Introduction', '',
        ' '.join(about.split()), '',
        'The configs of this folder, this README and metafile.yml are '
        'generated from [`configs/zoo.yml`](../zoo.yml) by '
        '`tools/misc/generate_configs.py`: edit the manifest and rerun it '
        '(`--check` lists the files that differ).', '',
        '## Models and results', '',
        'p: prompt tokens in the sequence (per layer for VPT-deep), which '
        "set the batch by Tab. 8's rule; `-`: none, or the method base's "
        'own. Top-1 (%) as the paper reports it, where its per-task tables '
        'give it.', '',
        '| Task | Method | Backbone | p | Batch | Top-1 | Config |',
        '| :--- | :--- | :--- | ---: | ---: | ---: | :--- |'
    ]
    for spec in specs:
        meta = spec.meta
        result = paper_result(manifest, spec)
        top1 = f'{result[0]} ({result[1]})' if result else '-'
        p = '-' if meta['p'] is None else str(meta['p'])
        backbone = manifest['backbones'][meta['backbone']]['title']
        lines.append(
            f"| {_dataset(manifest, meta['task'])} "
            f'| {_method_title(manifest, spec)} | {backbone} | {p} '
            f"| {meta['batch']} | {top1} "
            f'| [config](./{spec.name}.py) |')
    lines += ['', '## Citation', '', CITATION, '']
    return '\n'.join(lines)


def _quote(text: str) -> str:
    """A YAML scalar, quoted where plain style would misread it."""
    if any(c in text for c in ':#{}[],&*!|>\'"%@`') or text != text.strip():
        return "'" + text.replace("'", "''") + "'"
    return text


def render_metafile(manifest: dict, folder: str, title: str,
                    specs: List[ConfigSpec]) -> str:
    """The folder's metafile.yml."""
    lines = [
        'Collections:',
        f'  - Name: {_quote(title)}',
        '    Metadata:',
        '      Architecture:',
        '        - Visual Prompt Tuning',
        '    Paper:',
        f'      Title: {PAPER_TITLE}',
        f'      URL: {PAPER_URL}',
        f'    README: configs/{folder}/README.md',
        '',
        'Models:',
    ]
    for spec in specs:
        meta = spec.meta
        backbone = manifest['backbones'][meta['backbone']]
        dataset = _dataset(manifest, meta['task'])
        lines += [
            f'  - Name: {spec.name}',
            f'    In Collection: {_quote(title)}',
            '    Metadata:',
            '      Training Data:',
            f"        - {_quote(backbone['pretrain'])}",
            f'        - {_quote(dataset)}',
            f"      Batch Size: {meta['batch']}",
        ]
        if meta['p'] is not None:
            lines.append(f"      Prompt Length: {meta['p']}")
        result = paper_result(manifest, spec)
        if result:
            lines += [
                '    Results:',
                f'      - Dataset: {_quote(dataset)}',
                '        Task: Image Classification',
                '        Metrics:',
                f'          Top 1 Accuracy: {result[0]}',
                f'        # {PAPER_TITLE}, {result[1]}',
            ]
        lines.append(f'    Config: configs/{spec.path}')
    return '\n'.join(lines) + '\n'


def folder_docs(manifest: dict,
                specs: List[ConfigSpec]) -> Dict[str, str]:
    """README.md and metafile.yml of every generated folder, by path
    relative to ``configs/``."""
    folders = {
        name: (family['title'], family['about'])
        for name, family in manifest['families'].items()
    }
    ablations = manifest['ablations']
    folders[ablations['folder']] = (ablations['title'], ablations['about'])
    files = {}
    for folder, (title, about) in folders.items():
        own = [spec for spec in specs if spec.folder == folder]
        files[f'{folder}/README.md'] = render_readme(
            manifest, folder, title, about, own)
        files[f'{folder}/metafile.yml'] = render_metafile(
            manifest, folder, title, own)
    return files
