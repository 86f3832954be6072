"""Checks of split files and their entries, shared by the datasets.

At build time: a JSON split file is an object of unique keys with at least
one entry, and an entry's path stays inside the image folder. At load
time: an image that cannot be loaded (e.g. an empty file) is one error
naming the split file, the entry and the image, not a bare ``cv2.error``.
Decoding every image up front is ``tools/misc/check_dataset.py``'s job,
which lists every unusable image (so building does not stop at the first).
"""
import json
import os.path as osp
from typing import Any, Dict, List, Tuple



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
    """
    if osp.isabs(path):
        raise ValueError(f'{where}: entry "{path}" is an absolute path; '
                         f'paths are relative to {image_root or "."}')
    root = osp.normpath(image_root or '.')
    img_path = osp.join(image_root, path)
    if osp.relpath(osp.normpath(img_path), root).split(osp.sep)[0] == '..':
        raise ValueError(f'{where}: entry "{path}" leaves the image folder '
                         f'{image_root or "."}')
    return img_path


class NamedLoadErrors:
    """Dataset mixin: an error while loading one item (a 0-byte or corrupt
    image fails in ``LoadImageFromFile`` with a bare ``cv2.error``) names
    the item's ``source`` (split file and entry or line) and image."""

    def prepare_data(self, idx: int) -> Any:
        """The pipeline's output for item ``idx``.

        Raises:
            ValueError: One line naming the item, if the pipeline fails.
        """
        try:
            return super().prepare_data(idx)
        except Exception as error:  # cv2.error, OSError, ... of any loader
            info = self.get_data_info(idx)
            where = info.get('source', f'item {idx}')
            reason = next((line.strip() for line in str(error).splitlines()
                           if line.strip()), '')
            size = osp.getsize(info['img_path']) if osp.isfile(
                info.get('img_path', '')) else None
            detail = ', 0 bytes' if size == 0 else ''
            raise ValueError(
                f'{where}: cannot load image {info.get("img_path")} '
                f'({type(error).__name__}{detail}: {reason})') from error


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
