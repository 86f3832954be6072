"""Decode every image of a dataset and report those that cannot be used.

Building :class:`~vpt_mm.datasets.VTAB1kDataset` or
:class:`~vpt_mm.datasets.FGVCDataset` checks that every listed image exists;
decoding them all is too slow for every start, so it lives here and in
``tools/misc/check_dataset.py``. Images are read and decoded the way the
dataset's own ``LoadImageFromFile`` does it (same file backend, decode
backend and colour flag), so what passes here loads at training time.

A problem names where the image is listed: a dataset that records
``source`` in each data info (e.g. ``'<split file>:<line>'``) gets that,
others the image path.
"""
import functools
import io
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, Iterator, List, NamedTuple, Optional

import mmcv
from mmengine import fileio
from mmengine.dataset import BaseDataset

from ..datasets import FGVCDataset, VTAB1kDataset
from ..tasks import (FGVC_SETS, VTAB_TASKS, expected_split_sizes,
                     split_size_differences)

__all__ = [
    'ImageProblem', 'check_images', 'image_problem', 'leaf_datasets',
    'paper_differences'
]

JPEG_START = b'\xff\xd8'
JPEG_END = b'\xff\xd9'


class ImageProblem(NamedTuple):
    """One image that cannot be used.

    Attributes:
        source (str): Where the image is listed (``'<file>:<line>'``, a JSON
            entry, or the image path when the dataset records no source).
        img_path (str): The image file.
        reason (str): What is wrong with it.
    """

    source: str
    img_path: str
    reason: str

    def __str__(self) -> str:
        if self.source == self.img_path:
            return f'{self.img_path}: {self.reason}'
        return f'{self.source}: {self.img_path}: {self.reason}'


def leaf_datasets(dataset) -> Iterator:
    """The datasets holding the data infos, under dataset wrappers
    (``ConcatDataset``'s ``datasets``; ``RepeatDataset``'s,
    ``ClassBalancedDataset``'s or ``KFoldDataset``'s ``dataset``)."""
    if isinstance(dataset, BaseDataset):
        yield dataset
    elif hasattr(dataset, 'datasets'):
        for child in dataset.datasets:
            yield from leaf_datasets(child)
    elif hasattr(dataset, 'dataset'):
        yield from leaf_datasets(dataset.dataset)
    else:
        yield dataset


def _loader_settings(dataset) -> dict:
    """``backend_args``, ``imdecode_backend`` and ``color_type`` of the
    first ``LoadImageFromFile`` in the dataset's pipeline (mmcv's defaults
    when there is none)."""
    settings = dict(backend_args=None, imdecode_backend='cv2',
                    color_type='color')
    pipeline = getattr(dataset, 'pipeline', None)
    for transform in getattr(pipeline, 'transforms', []):
        if hasattr(transform, 'imdecode_backend') and hasattr(
                transform, 'color_type'):
            settings.update(
                backend_args=getattr(transform, 'backend_args', None),
                imdecode_backend=transform.imdecode_backend,
                color_type=transform.color_type)
            break
    return settings


def _truncated_jpeg(data: bytes) -> Optional[str]:
    """Why a JPEG that OpenCV decoded is nonetheless truncated (OpenCV 4
    fills the missing part with grey and only prints a warning), or
    ``None``."""
    if not data.startswith(JPEG_START) or \
            data.rstrip(b'\x00\r\n ').endswith(JPEG_END):
        return None
    from PIL import Image
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except Exception as error:  # PIL raises OSError or SyntaxError
        return f'truncated JPEG ({error})'
    return None


def image_problem(img_path: str,
                  backend_args: Optional[dict] = None,
                  imdecode_backend: str = 'cv2',
                  color_type: str = 'color') -> Optional[str]:
    """Read and decode one image; ``None`` when it is fine, otherwise the
    reason it cannot be used."""
    try:
        data = fileio.get(img_path, backend_args=backend_args)
    except FileNotFoundError:
        return 'missing file'
    except Exception as error:
        message = ' '.join(str(error).split())
        return f'cannot be read ({type(error).__name__}: {message})'
    if not data:
        return 'empty file (0 bytes)'
    try:
        image = mmcv.imfrombytes(
            data, flag=color_type, backend=imdecode_backend)
    except Exception as error:
        message = str(error).strip().splitlines()[-1:] or ['']
        return (f'cannot be decoded ({type(error).__name__}: '
                f'{message[0]})')
    if image is None or image.size == 0:
        return ('cannot be decoded (not an image, or a corrupt or truncated '
                f'one; {len(data)} bytes)')
    return _truncated_jpeg(data)


def check_images(dataset,
                 num_workers: int = 8,
                 cache: Optional[Dict[str, Optional[str]]] = None
                 ) -> List[ImageProblem]:
    """Decode every image of ``dataset`` and list those that cannot be
    used, in dataset order.

    Args:
        dataset: A built dataset whose data infos hold ``img_path`` (and
            optionally ``source``), or a wrapper of such datasets.
        num_workers (int): Threads reading and decoding images (OpenCV and
            Pillow release the GIL while decoding). Defaults to 8.
        cache (dict, optional): ``img_path -> reason or None`` shared
            between calls, so that an image listed in several splits is
            decoded once. It is read and updated.

    Returns:
        list[ImageProblem]: One entry per data info whose image cannot be
        used; empty when every image decodes.
    """
    cache = {} if cache is None else cache
    problems = []
    for leaf in leaf_datasets(dataset):
        if hasattr(leaf, 'full_init'):
            leaf.full_init()
        infos = [leaf.get_data_info(index) for index in range(len(leaf))]
        todo = list(
            dict.fromkeys(info['img_path'] for info in infos
                          if info['img_path'] not in cache))
        settings = _loader_settings(leaf)
        check = functools.partial(image_problem, **settings)
        if num_workers > 1 and len(todo) > 1:
            with ThreadPoolExecutor(num_workers) as pool:
                cache.update(zip(todo, pool.map(check, todo)))
        else:
            cache.update((path, check(path)) for path in todo)
        for info in infos:
            reason = cache[info['img_path']]
            if reason is not None:
                problems.append(
                    ImageProblem(
                        str(info.get('source', info['img_path'])),
                        info['img_path'], reason))
    return problems


def _paper_set(leaf) -> Optional[tuple]:
    """``(benchmark, name, split sizes of this dataset's split, classes)``
    of a dataset of the paper's tables, or ``None``."""
    if isinstance(leaf, FGVCDataset) and leaf.name in FGVC_SETS:
        expected = expected_split_sizes('fgvc', leaf.name)
        expected['trainval'] = expected['train'] + expected['val']
        return 'fgvc', leaf.name, expected, FGVC_SETS[leaf.name][1]
    if isinstance(leaf, VTAB1kDataset) and leaf.task in VTAB_TASKS:
        return ('vtab1k', leaf.task, expected_split_sizes(
            'vtab1k', leaf.task), VTAB_TASKS[leaf.task][0])
    return None


def paper_differences(dataset) -> List[str]:
    """Where an FGVC or VTAB-1k dataset (or a wrapper of them) differs from
    the paper's Tab. 7: its split's size, its ``num_classes``, or more
    distinct labels than the table's class count; one line each, empty
    when it agrees (datasets of other tasks are not compared)."""
    lines = []
    for leaf in leaf_datasets(dataset):
        found = _paper_set(leaf)
        if found is None:
            continue
        benchmark, name, expected, classes = found
        if hasattr(leaf, 'full_init'):
            leaf.full_init()
        size = len(leaf)
        if leaf.split == 'trainval' and size != expected['trainval']:
            lines.append(
                f'{benchmark} {name}: split trainval has {size:,} images, '
                f'the paper (Tab. 7) has {expected["trainval"]:,}')
        else:
            lines += split_size_differences(benchmark, name,
                                            {leaf.split: size})
        labels = {leaf.get_data_info(i)['gt_label'] for i in range(size)}
        if leaf.num_classes != classes:
            lines.append(f'{benchmark} {name}: num_classes is '
                         f'{leaf.num_classes}, the paper (Tab. 7) has '
                         f'{classes}')
        if len(labels) > classes:
            lines.append(f'{benchmark} {name}: split {leaf.split} has '
                         f'{len(labels)} distinct labels, the paper '
                         f'(Tab. 7) has {classes} classes')
    return lines
