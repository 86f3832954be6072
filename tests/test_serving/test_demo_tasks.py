"""The demo's own configs served together: deltas of Linear, VPT-shallow
and VPT-deep saved as a run's DeltaCheckpointHook saves them (the config's
text recorded) are served on the Linear config's backbone, and a digit
image classified through the server's decoding equals tools/infer.py's
Predictor of each task."""
import os.path as osp

import cv2
import numpy as np
import torch
from mmengine.config import Config

from vpt_mm.apis.infer import Predictor
from vpt_mm.apis.model import build_model_from_config
from vpt_mm.models.delta import save_delta
from vpt_mm.models.multitask.synthetic import DEMO_VIT, write_pretrained
from vpt_mm.serving.images import ImageDecoder, preprocess
from vpt_mm.serving.tasks import load_tasks

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
METHODS = ('linear', 'vpt-shallow', 'vpt-deep')


def demo_cfg(method, backbone):
    cfg = Config.fromfile(osp.join(
        ROOT, 'configs', 'demo',
        f'{method}_vit-tiny-p7-fmnist_1xb64_digits1k.py'))
    cfg.model.backbone.init_cfg.checkpoint = backbone
    return cfg


def test_the_demos_three_deltas_are_served_on_one_backbone(tmp_path):
    backbone = write_pretrained(str(tmp_path / 'vit-tiny.pth'), DEMO_VIT)
    folder = tmp_path / 'deltas'
    for index, method in enumerate(METHODS):
        cfg = demo_cfg(method, backbone)
        model = build_model_from_config(cfg)
        model.init_weights()
        torch.manual_seed(index)
        with torch.no_grad():
            for param in model.parameters():
                if param.requires_grad:
                    param.normal_(std=0.3)
        save_delta(model, str(folder / f'{method}.delta.safetensors'),
                   config=cfg.filename,
                   extra_meta=dict(config_text=cfg.pretty_text,
                                   classes='["0","1","2","3","4","5","6",'
                                   '"7","8","9"]'))
    base = demo_cfg('linear', backbone)
    served = load_tasks(base, [str(folder)])
    assert [t['kind'] for t in served.describe()] == [
        'linear', 'prefix', 'shallow']  # sorted names: linear, deep, shallow
    assert all(t['fingerprint_check'] == 'ok' for t in served.describe())
    digit = np.zeros((20, 20), np.uint8)
    cv2.line(digit, (10, 3), (10, 17), 255, 2)
    image = str(tmp_path / 'one.png')
    cv2.imwrite(image, digit)
    with open(image, 'rb') as file:
        inputs = ImageDecoder(base)(file.read())
    assert tuple(inputs.shape) == (1, 28, 28)
    batch = preprocess(served, [inputs] * 3)
    logits = served(batch, list(METHODS))
    for method, value in zip(METHODS, logits):
        own = Predictor(demo_cfg(method, backbone),
                        str(folder / f'{method}.delta.safetensors'),
                        'cpu')(image, topk=10)['topk']
        scores = value.softmax(-1)
        assert [t['label'] for t in own] == scores.argsort(
            descending=True).tolist()
        np.testing.assert_allclose([t['score'] for t in own],
                                   scores.sort(descending=True)[0].numpy(),
                                   atol=2e-6)
