"""Cached frozen features on disk, memory-mapped, and a dataset over them.

A cache entry is a folder ``<cache_dir>/<key>/`` holding ``meta.json``
and one ``out<j>.npy`` per cached output (``(N, ...)`` float32, row ``i``
the ``i``-th sample of the dataset). The key hashes the backbone's
fingerprint, what is cached, the pipeline, the data preprocessor and the
split's samples (:func:`cache_key`), so another backbone, pipeline or
split never reads it. An entry is written to a temporary folder and
renamed into place: concurrent runs of a sweep compute it at most once
each and never read half of one.
"""
import hashlib
import json
import os
import os.path as osp
import shutil
import tempfile
from typing import Any, Callable, Dict, List, Optional, Sequence

import numpy as np
import torch
from mmpretrain.structures import DataSample

#: transforms whose output is a fixed function of the image
DETERMINISTIC_TRANSFORMS = frozenset({
    'LoadImageFromFile', 'LoadImageFromNDArray', 'Resize', 'ResizeEdge',
    'CenterCrop', 'Pad', 'PackInputs', 'PackClsInputs', 'Normalize',
    'ToNumpy', 'ImageToTensor', 'Transpose', 'Collect', 'ToTensor'
})

META_FILE = 'meta.json'


def check_deterministic_pipeline(pipeline: Sequence[Any],
                                 where: str) -> None:
    """Refuse a pipeline with a transform not known to be deterministic.

    Args:
        pipeline (Sequence): The dataset's ``pipeline`` config (dicts).
        where (str): The config key, for the message.

    Raises:
        ValueError: Naming the first such transform.
    """
    for step in pipeline:
        name = step.get('type') if isinstance(step, dict) else type(
            step).__name__
        if not isinstance(name, str):
            name = getattr(name, '__name__', repr(name))
        if name not in DETERMINISTIC_TRANSFORMS:
            raise ValueError(
                f'{where}: {name} is not known to be deterministic (random '
                'augmentation changes the features every epoch); cacheable '
                f'transforms: {sorted(DETERMINISTIC_TRANSFORMS)}')


def cache_key(fingerprint: str, cached: str, pipeline: Sequence[Any],
              preprocessor: Any, dataset: Any) -> str:
    """The cache entry's name: a hash of the frozen backbone's
    ``fingerprint``, ``cached`` (what is cached), the ``pipeline`` and
    ``preprocessor`` configs and the ``dataset``'s samples (paths and
    labels)."""
    digest = hashlib.sha256()
    samples = [dataset.get_data_info(i) for i in range(len(dataset))]
    for part in (fingerprint, cached, pipeline, preprocessor, samples):
        digest.update(json.dumps(part, sort_keys=True, default=repr)
                      .encode())
        digest.update(b'\0')
    return digest.hexdigest()[:24]


def open_cache(folder: str) -> Optional[Dict[str, Any]]:
    """The entry at ``folder`` (``meta`` and memory-mapped ``arrays``), or
    None if there is none."""
    meta_path = osp.join(folder, META_FILE)
    if not osp.isfile(meta_path):
        return None
    with open(meta_path) as file:
        meta = json.load(file)
    arrays = [
        np.load(osp.join(folder, f'out{j}.npy'), mmap_mode='r')
        for j in range(meta['num_outputs'])
    ]
    return dict(meta=meta, arrays=arrays)


def write_cache(folder: str, size: int,
                batches: Callable[[], Any], meta: Dict[str, Any]) -> None:
    """Write an entry at ``folder`` from ``batches()``, an iterable of
    ``(indices, [tensor per output])``; ``meta`` is stored with it. Left
    alone if another process wrote it first."""
    parent = osp.dirname(osp.abspath(folder))
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.tmp-', dir=parent)
    try:
        arrays: List[np.ndarray] = []
        filled = 0
        for indices, outputs in batches():
            if not arrays:
                arrays = [
                    np.lib.format.open_memmap(
                        osp.join(tmp, f'out{j}.npy'), mode='w+',
                        dtype=np.float32, shape=(size, *out.shape[1:]))
                    for j, out in enumerate(outputs)
                ]
            for array, out in zip(arrays, outputs):
                array[np.asarray(indices)] = out.detach().float().cpu().numpy()
            filled += len(indices)
        if filled != size:
            raise RuntimeError(f'feature cache: {filled} of {size} samples')
        for array in arrays:
            array.flush()
        with open(osp.join(tmp, META_FILE), 'w') as file:
            json.dump(dict(meta, num_outputs=len(arrays), size=size), file)
        del arrays
        try:
            os.rename(tmp, folder)
        except OSError:
            if not osp.isfile(osp.join(folder, META_FILE)):
                raise
    finally:
        if osp.isdir(tmp):
            shutil.rmtree(tmp)


class CachedFeatureDataset(torch.utils.data.Dataset):
    """The samples of ``dataset`` as cached features: item ``i`` is
    ``dict(inputs=[tensor per output], data_samples=DataSample)`` with the
    label of ``dataset.get_data_info(i)`` (no image is read).

    Args:
        dataset: The image dataset (``get_data_info``, ``metainfo``).
        arrays (list[np.ndarray]): The entry's memory-mapped outputs.
    """

    def __init__(self, dataset: Any, arrays: List[np.ndarray]) -> None:
        if any(len(array) != len(dataset) for array in arrays):
            raise ValueError(
                f'feature cache: {len(arrays[0])} rows for a dataset of '
                f'{len(dataset)} samples')
        self.dataset = dataset
        self.arrays = arrays
        self.labels = [
            dataset.get_data_info(i).get('gt_label')
            for i in range(len(dataset))
        ]

    @property
    def metainfo(self) -> dict:
        return self.dataset.metainfo

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> dict:
        sample = DataSample()
        if self.labels[index] is not None:
            sample.set_gt_label(self.labels[index])
        return dict(
            inputs=[torch.from_numpy(np.array(a[index])) for a in self.arrays],
            data_samples=sample)


def collate_features(batch: List[dict]) -> dict:
    """Stack each cached output over a batch; the data samples as a
    list."""
    outputs = len(batch[0]['inputs'])
    return dict(
        inputs=[
            torch.stack([item['inputs'][j] for item in batch])
            for j in range(outputs)
        ],
        data_samples=[item['data_samples'] for item in batch])
