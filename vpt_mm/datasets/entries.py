"""Checks of one split-file entry, shared by the datasets: its path stays
inside the image folder, its image exists and is not empty.

Each check raises one line naming the split file (and line) and the entry,
at build time, before any image is decoded.
"""
import json
import os.path as osp
from typing import Any, Dict, List, Tuple

from mmengine.fileio import exists


def image_path(where: str, path: str, image_root: str) -> str:
    """The image of entry ``path`` under ``image_root``.

    Args:
        where (str): The split file (and line) for the message.
        path (str): The entry's path, relative to ``image_root``.
        image_root (str): The folder the entry's paths are relative to.

    Returns:
        str: ``image_root`` joined with ``path``.

    Raises:
        ValueError: If ``path`` is absolute or leaves ``image_root``
            (``../x``).
        FileNotFoundError: If the image does not exist.
    """
    if osp.isabs(path) or path.startswith('~'):
        raise ValueError(f'{where}: entry "{path}" is an absolute path; '
                         f'paths are relative to {image_root or "."}')
    root = osp.normpath(image_root or '.')
    img_path = osp.join(image_root, path)
    if osp.relpath(osp.normpath(img_path), root).split(osp.sep)[0] == '..':
        raise ValueError(f'{where}: entry "{path}" leaves the image folder '
                         f'{image_root or "."}')
    if not exists(img_path):
        raise FileNotFoundError(
            f'{where}: entry "{path}" points to missing image {img_path}')
    if osp.isfile(img_path) and osp.getsize(img_path) == 0:
        raise ValueError(
            f'{where}: entry "{path}" points to an empty (0-byte) image '
            f'{img_path}')
    return img_path


def _refuse_duplicates(split_file: str):

    def object_pairs(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
        entries: Dict[str, Any] = {}
        for key, value in pairs:
            if key in entries:
                raise ValueError(
                    f'{split_file}: entry "{key}" appears twice (labels '
                    f'{entries[key]!r} and {value!r})')
            entries[key] = value
        return entries

    return object_pairs


def read_json_entries(split_file: str) -> Dict[str, Any]:
    """The ``{"<image path>": <label>}`` object of a JSON split file.

    Raises:
        ValueError: One line naming the file (and line) if it is empty, not
            valid JSON, not an object, holds no entry or a key twice.
    """
    expected = 'a JSON object {"<image path>": <class>}'
    with open(split_file) as file:
        text = file.read()
    if not text.strip():
        raise ValueError(f'{split_file}: empty file, expected {expected}')
    try:
        entries = json.loads(
            text, object_pairs_hook=_refuse_duplicates(split_file))
    except json.JSONDecodeError as error:
        raise ValueError(f'{split_file}:{error.lineno}: not valid JSON '
                         f'({error.msg}, column {error.colno})') from None
    if not isinstance(entries, dict):
        raise ValueError(f'{split_file}: holds a JSON '
                         f'{type(entries).__name__}, expected {expected}')
    if not entries:
        raise ValueError(f'{split_file}: no entry (an empty split), '
                         f'expected {expected}')
    return entries
