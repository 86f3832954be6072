"""publish_model.py keeps the weights of a run checkpoint, loadable with
torch's strict weights-only loading."""
import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer

from vpt_mm.checkpoint.io import read_state_dict


def test_publish_strips_everything_but_weights(tmp_path):
    import importlib.util
    import os.path as osp
    root = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
    spec = importlib.util.spec_from_file_location(
        'publish_model',
        osp.join(root, 'tools', 'model_converters', 'publish_model.py'))
    publish_model = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(publish_model)

    buffer = HistoryBuffer()
    buffer.update(np.float64(1.5))
    run = dict(
        state_dict={'backbone.w': torch.ones(2), 'head.b': torch.zeros(1)},
        optimizer={'state': {}},
        message_hub={'log_scalars': {'loss': buffer}},
        meta={'epoch': 3, 'seed': 0, 'hook_msgs': {'x': np.float64(1.)}})
    src, dst = str(tmp_path / 'run.pth'), str(tmp_path / 'weights.pth')
    torch.save(run, src)
    with pytest.raises(Exception):
        torch.load(src)  # weights_only rejects the run checkpoint
    digest = publish_model.publish(src, dst)
    assert len(digest) == 8
    published = torch.load(dst)  # strict weights_only loading
    assert set(published) == {'state_dict', 'meta'}
    assert published['meta'] == {'epoch': 3, 'seed': 0}
    assert torch.equal(read_state_dict(dst, 'backbone.')['w'], torch.ones(2))
    with pytest.raises(ValueError, match='no "state_dict"'):
        torch.save({'weights': 1}, src)
        publish_model.publish(src, dst)
