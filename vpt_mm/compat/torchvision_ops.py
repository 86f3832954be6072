"""Patch 1: CPU ``torchvision::nms``/``qnms`` operators.

``torchvision``'s registry wheel is a CUDA build whose ``_C`` library needs
``libtorch_cuda.so``. Importing torchvision then dies with ``operator
torchvision::nms does not exist`` (and takes ``timm``, ``mmpretrain.models``
and ``mmpretrain.datasets`` with it). :func:`register_torchvision_cpu_ops`
defines pure-PyTorch operators when, and only when, that library cannot be
loaded.
"""
import glob
import importlib.util
import os
import sys
from typing import Optional

import torch

# Keeps the operator library alive for the life of the process.
_TORCHVISION_CPU_LIBRARY: Optional[torch.library.Library] = None


def _greedy_nms(boxes: torch.Tensor, scores: torch.Tensor,
                iou_threshold: float) -> torch.Tensor:
    """Keep boxes by descending score, dropping those that overlap a kept
    box by more than ``iou_threshold`` (the semantics of torchvision nms).

    Boxes are ``(x1, y1, x2, y2)``. Returns kept indices, best first.
    """
    if boxes.numel() == 0:
        return torch.empty((0, ), dtype=torch.int64, device=boxes.device)
    boxes = boxes.float()
    order = scores.argsort(descending=True, stable=True)  # as torchvision
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    suppressed = torch.zeros(len(boxes), dtype=torch.bool)
    keep = []
    for index in order.tolist():
        if suppressed[index]:
            continue
        keep.append(index)
        top_left = torch.maximum(boxes[index, :2], boxes[:, :2])
        bottom_right = torch.minimum(boxes[index, 2:], boxes[:, 2:])
        inter = (bottom_right - top_left).clamp(min=0).prod(dim=1)
        iou = inter / (areas[index] + areas - inter)
        suppressed |= iou > iou_threshold
    return torch.tensor(keep, dtype=torch.int64, device=boxes.device)


def _quantized_nms(boxes: torch.Tensor, scores: torch.Tensor,
                   iou_threshold: float) -> torch.Tensor:
    return _greedy_nms(boxes.dequantize(), scores.dequantize(), iou_threshold)


def _torchvision_library_loads() -> bool:
    """Whether torchvision's compiled operator library loads here."""
    spec = importlib.util.find_spec('torchvision')
    if spec is None or not spec.submodule_search_locations:
        return True  # no torchvision: nothing to repair
    folder = list(spec.submodule_search_locations)[0]
    libraries = glob.glob(os.path.join(folder, '_C.*'))
    if not libraries:
        return False
    try:
        torch.ops.load_library(libraries[0])
    except (OSError, RuntimeError):
        return False
    return True


def register_torchvision_cpu_ops() -> bool:
    """Define CPU ``torchvision::nms``/``qnms`` if torchvision's own ops
    cannot load. Must run before ``import torchvision``.

    Returns:
        bool: True if the fallback operators were registered.
    """
    global _TORCHVISION_CPU_LIBRARY
    if _TORCHVISION_CPU_LIBRARY is not None:
        return True
    if 'torchvision' in sys.modules or _torchvision_library_loads():
        return False
    library = torch.library.Library('torchvision', 'DEF')
    schema = '(Tensor dets, Tensor scores, float iou_threshold) -> Tensor'
    library.define('nms' + schema)
    library.define('qnms' + schema)
    library.impl('nms', _greedy_nms, 'CPU')
    library.impl('qnms', _quantized_nms, 'QuantizedCPU')
    _TORCHVISION_CPU_LIBRARY = library
    # torchvision.ops checks its own "library loaded" flag before each op.
    import torchvision.extension
    torchvision.extension._has_ops = lambda: True
    return True


