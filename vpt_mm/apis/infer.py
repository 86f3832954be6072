"""Predict on your own images with a config and a run's checkpoint or
delta: what ``tools/infer.py`` calls.

API::

    images = list_images('photos/')          # a file, a folder, a list file
    predictor = Predictor(cfg, 'epoch_100.delta.safetensors')
    result = predictor('photos/a.jpg')       # dict, see Predictor.__call__
    results = predict(cfg, ckpt, 'photos/', show_dir='out/', out='p.json')

A classification config gives the top-k classes with their names and
scores; a segmentation config gives a label map (a PNG of class indices)
and an overlay. A delta goes on the config's pretrained backbone, bound to
it (:func:`vpt_mm.models.delta.load_delta`); a ``.pth`` loads strictly.
"""
import copy
import json
import os
import os.path as osp
import sys
from typing import Dict, List, Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose, pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.utils import ProgressBar

from vpt_mm.checkpoint.delta import DELTA_CONTAINER_SUFFIX
from vpt_mm.checkpoint.strict import load_state_dict_strictly
from vpt_mm.models.delta import load_delta
from .model import build_model_from_config

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff',
                    '.webp')
#: Pipeline steps that read annotations, which a user's image lacks.
_ANNOTATION_STEPS = ('LoadAnnotations', )


def list_images(source: str) -> List[str]:
    """The images of ``source``: one image, a folder's images (sorted, not
    recursive) or a list file (``.txt``, one path a line, relative to the
    list's folder).

    Raises:
        FileNotFoundError: One line naming ``source`` or the listed file.
    """
    if osp.isdir(source):
        images = sorted(
            osp.join(source, name) for name in os.listdir(source)
            if name.lower().endswith(IMAGE_EXTENSIONS))
        if not images:
            raise FileNotFoundError(
                f'input: no image ({", ".join(IMAGE_EXTENSIONS)}) in the '
                f'folder {source}')
        return images
    if not osp.isfile(source):
        raise FileNotFoundError(f'input: no file or folder at {source}')
    if source.lower().endswith(IMAGE_EXTENSIONS):
        return [source]
    root = osp.dirname(osp.abspath(source))
    with open(source) as file:
        images = [
            osp.join(root, line.strip()) for line in file
            if line.strip() and not line.startswith('#')
        ]
    for image in images:
        if not osp.isfile(image):
            raise FileNotFoundError(f'input: {source} lists {image}, which '
                                    'does not exist')
    if not images:
        raise FileNotFoundError(f'input: the list file {source} is empty')
    return images


def _test_pipeline(cfg: Config) -> List[dict]:
    pipeline = copy.deepcopy(cfg.get('test_pipeline') or
                             cfg.test_dataloader.dataset.pipeline)
    return [step for step in pipeline
            if step.get('type') not in _ANNOTATION_STEPS]


class Predictor:
    """A config's model with a checkpoint or a delta, in eval mode.

    Args:
        cfg (Config): The config (its ``custom_imports`` applied).
        checkpoint (str): A run's ``.pth`` or a ``.delta.safetensors``.
        device (str, optional): Defaults to CUDA when available.
        allow_other_backbone (bool): Apply a delta on another or an
            uninitialised backbone (logged).

    Raises:
        CheckpointMismatchError: The file does not fit the config (one
            line naming the key, field or backbone fingerprints).
    """

    def __init__(self,
                 cfg: Config,
                 checkpoint: str,
                 device: Optional[str] = None,
                 allow_other_backbone: bool = False) -> None:
        from mmengine.runner.checkpoint import _load_checkpoint
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(f'checkpoint: no file at {checkpoint}')
        self.scope = cfg.get('default_scope', 'mmpretrain')
        model = build_model_from_config(cfg)
        self.classes: Optional[List[str]] = None
        if checkpoint.endswith(DELTA_CONTAINER_SUFFIX):
            model.init_weights()  # the config's pretrained backbone
            meta = load_delta(model, checkpoint, allow_other_backbone)
            if meta.get('classes'):
                self.classes = json.loads(meta['classes'])
        else:
            loaded = _load_checkpoint(checkpoint, map_location='cpu')
            state = loaded.get('state_dict', loaded)
            load_state_dict_strictly(model, dict(state), checkpoint)
            classes = (loaded.get('meta') or {}).get(
                'dataset_meta', {}).get('classes')
            self.classes = list(classes) if classes else None
        self.segmentation = model._modules.get('decode_head') is not None
        device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
        self.model = model.to(device).eval()
        with DefaultScope.overwrite_default_scope(self.scope):
            self.pipeline = Compose(_test_pipeline(cfg))

    def class_name(self, index: int) -> str:
        if self.classes and index < len(self.classes):
            return str(self.classes[index])
        return str(index)

    @torch.no_grad()
    def __call__(self, image: str, topk: int = 5) -> Dict:
        """Predict on one image file.

        Returns:
            dict: ``image``; for classification ``topk``: a list of
            ``{label, class, score}``, best first; for segmentation
            ``label_map``: an ``(H, W)`` int array at the image's size.
        """
        with DefaultScope.overwrite_default_scope(self.scope):
            data = self.pipeline(dict(img_path=image))
            sample = self.model.test_step(pseudo_collate([data]))[0]
        if self.segmentation:
            label_map = sample.pred_sem_seg.data[0].cpu().numpy()
            return dict(image=image, label_map=label_map.astype(np.int64))
        scores = sample.pred_score.cpu()
        values, labels = scores.topk(min(topk, scores.numel()))
        return dict(
            image=image,
            topk=[
                dict(label=int(label), score=round(float(value), 6),
                     **{'class': self.class_name(int(label))})
                for value, label in zip(values, labels)
            ])


def palette(num_classes: int) -> np.ndarray:
    """A fixed colour per class, ``(num_classes, 3)`` uint8."""
    return np.random.RandomState(0).randint(
        0, 256, (max(num_classes, 1), 3), dtype=np.uint8)


def save_visuals(predictor: Predictor, result: Dict, show_dir: str) -> Dict:
    """Write what ``result`` shows under ``show_dir``; returns the paths.

    Segmentation: ``<stem>.png`` (class indices, 8-bit, 16-bit above 255
    classes) and ``<stem>_overlay.jpg`` (the image with the classes'
    colours, half transparent). Classification: ``<stem>.jpg`` with the
    top class and score written on it.
    """
    import mmcv
    os.makedirs(show_dir, exist_ok=True)
    stem = osp.splitext(osp.basename(result['image']))[0]
    image = mmcv.imread(result['image'])
    if 'label_map' in result:
        label_map = result['label_map']
        dtype = np.uint8 if label_map.max(initial=0) < 256 else np.uint16
        label_path = osp.join(show_dir, f'{stem}.png')
        mmcv.imwrite(label_map.astype(dtype), label_path)
        colours = palette(int(label_map.max(initial=0)) + 1)[label_map]
        overlay = (0.5 * image + 0.5 * colours[..., ::-1]).astype(np.uint8)
        overlay_path = osp.join(show_dir, f'{stem}_overlay.jpg')
        mmcv.imwrite(overlay, overlay_path)
        return dict(label_map_file=label_path, overlay_file=overlay_path)
    import cv2
    best = result['topk'][0]
    shown = image.copy()
    cv2.putText(shown, f"{best['class']} {best['score']:.2f}", (2, 12),
                cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1)
    path = osp.join(show_dir, f'{stem}.jpg')
    mmcv.imwrite(shown, path)
    return dict(shown_file=path)


def predict(cfg: Config,
            checkpoint: str,
            source: str,
            show_dir: Optional[str] = None,
            out: Optional[str] = None,
            topk: int = 5,
            device: Optional[str] = None,
            allow_other_backbone: bool = False) -> List[Dict]:
    """Predict on every image of ``source`` with a progress bar.

    Args:
        cfg (Config): The config.
        checkpoint (str): A run's ``.pth`` or a delta.
        source (str): An image, a folder or a list file.
        show_dir (str, optional): Where :func:`save_visuals` writes.
        out (str, optional): A JSON file of the results (segmentation:
            the classes present and the written files).
        topk (int): Classes per image (classification).
        device (str, optional): Defaults to CUDA when available.
        allow_other_backbone (bool): See :class:`Predictor`.

    Returns:
        list[dict]: One JSON-ready result per image.
    """
    images = list_images(source)
    predictor = Predictor(cfg, checkpoint, device, allow_other_backbone)
    results = []
    bar = ProgressBar(len(images), file=sys.stdout)
    for image in images:
        result = predictor(image, topk)
        if show_dir:
            result.update(save_visuals(predictor, result, show_dir))
        if 'label_map' in result:
            label_map = result.pop('label_map')
            present, counts = np.unique(label_map, return_counts=True)
            result['classes'] = [
                dict(label=int(label), fraction=round(count / label_map.size,
                                                      6),
                     **{'class': predictor.class_name(int(label))})
                for label, count in zip(present, counts)
            ]
        results.append(result)
        bar.update()
    if out:
        os.makedirs(osp.dirname(osp.abspath(out)), exist_ok=True)
        with open(out, 'w') as file:
            json.dump(results, file, indent=1)
    return results
