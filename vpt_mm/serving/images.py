"""Images in a request's body to the model's input: the base config's
test pipeline, its file loading replaced by decoding the bytes as
``LoadImageFromFile`` does (same flag, same decoder)."""
import copy
from typing import List

import numpy as np
import torch
from mmengine.config import Config
from mmengine.dataset import Compose
from mmengine.registry import DefaultScope

#: Pipeline steps a request's image does not go through.
_SKIPPED = ('LoadImageFromFile', 'LoadAnnotations')


class NotAnImageError(ValueError):
    """A request body that does not decode as an image."""


class ImageDecoder:
    """Bytes to the packed input ``(C, H, W)`` of the base config.

    Args:
        cfg (Config): The base config (its ``test_pipeline``, or the test
            dataloader's pipeline).
    """

    def __init__(self, cfg: Config) -> None:
        pipeline = copy.deepcopy(cfg.get('test_pipeline') or
                                 cfg.test_dataloader.dataset.pipeline)
        loads = [s for s in pipeline if s.get('type') == 'LoadImageFromFile']
        self.flag = loads[0].get('color_type', 'color') if loads else 'color'
        self.scope = cfg.get('default_scope', 'mmpretrain')
        with DefaultScope.overwrite_default_scope(self.scope):
            self.pipeline = Compose(
                [s for s in pipeline if s.get('type') not in _SKIPPED])

    def decode(self, data: bytes) -> np.ndarray:
        """The image of ``data`` (BGR or grayscale, as the config loads).

        Raises:
            NotAnImageError: ``data`` is not an image OpenCV decodes.
        """
        import mmcv
        try:
            image = mmcv.imfrombytes(data, flag=self.flag)
        except Exception as error:  # noqa: BLE001 (any decoder failure)
            raise NotAnImageError(f'not an image ({error})') from error
        if image is None or image.size == 0:
            raise NotAnImageError('not an image (OpenCV cannot decode the '
                                  f'{len(data)} bytes)')
        return image

    def __call__(self, data: bytes) -> torch.Tensor:
        image = self.decode(data)
        with DefaultScope.overwrite_default_scope(self.scope):
            packed = self.pipeline(
                dict(img=image, img_shape=image.shape[:2],
                     ori_shape=image.shape[:2]))
        return packed['inputs']


def preprocess(model: torch.nn.Module,
               inputs: List[torch.Tensor]) -> torch.Tensor:
    """A batch of packed inputs through the model's data preprocessor
    (normalisation, channel order) on its device."""
    return model.data_preprocessor(dict(inputs=list(inputs)),
                                   False)['inputs']
