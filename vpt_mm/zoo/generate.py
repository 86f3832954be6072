"""The files the manifest produces, and checking or writing them under a
``configs/`` folder."""
import os
import os.path as osp
from typing import Dict, List, Tuple

from .docs import folder_docs
from .manifest import load_manifest
from .render import render_config
from .specs import all_specs

MANIFEST = 'zoo.yml'


def handwritten(manifest: dict) -> List[str]:
    """The configs in generated folders that are written by hand, as paths
    relative to ``configs/``."""
    return sorted(f'{folder}/{name}'
                  for folder, family in manifest['families'].items()
                  for name in family.get('handwritten', []))


def expected_files(config_root: str) -> Dict[str, str]:
    """Every file the manifest at ``config_root/zoo.yml`` produces: path
    relative to ``config_root`` -> text."""
    manifest = load_manifest(
        osp.join(config_root, MANIFEST), source=f'configs/{MANIFEST}')
    specs = all_specs(manifest)
    kept = set(handwritten(manifest))
    files = {
        spec.path: render_config(spec)
        for spec in specs if spec.path not in kept
    }
    files.update(folder_docs(manifest, specs))
    return dict(sorted(files.items()))


def generated_folders(files: Dict[str, str]) -> List[str]:
    return sorted({path.split('/')[0] for path in files})


def stale_files(config_root: str, files: Dict[str, str]) -> List[str]:
    """Configs in the generated folders that the manifest does not produce
    and that it does not list as handwritten."""
    manifest = load_manifest(
        osp.join(config_root, MANIFEST), source=f'configs/{MANIFEST}')
    kept = set(handwritten(manifest))
    stale = []
    for folder in generated_folders(files):
        for name in sorted(os.listdir(osp.join(config_root, folder))):
            path = f'{folder}/{name}'
            if (name.endswith('.py') and path not in files
                    and path not in kept):
                stale.append(path)
    return stale


def check(config_root: str) -> Tuple[List[str], List[str]]:
    """(files that differ from the manifest's output or are missing,
    stale configs the manifest does not produce)."""
    files = expected_files(config_root)
    differ = []
    for path, text in files.items():
        full = osp.join(config_root, path)
        if not osp.isfile(full):
            differ.append(path)
            continue
        with open(full) as file:
            if file.read() != text:
                differ.append(path)
    return differ, stale_files(config_root, files)


def write(config_root: str) -> Tuple[List[str], List[str]]:
    """Write every file that differs and remove the stale configs; return
    (written, removed)."""
    files = expected_files(config_root)
    written = []
    for path in check(config_root)[0]:
        full = osp.join(config_root, path)
        os.makedirs(osp.dirname(full), exist_ok=True)
        with open(full, 'w') as file:
            file.write(files[path])
        written.append(path)
    removed = stale_files(config_root, files)
    for path in removed:
        os.remove(osp.join(config_root, path))
    return written, removed
