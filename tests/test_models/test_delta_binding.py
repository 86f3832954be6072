"""A delta bound to its backbone: what save_delta records, and load_delta's
refusals (another or an uninitialised backbone, another config, corrupt
tensors), the override and older deltas."""
import json
import time

import pytest
import torch
from mmpretrain.registry import MODELS
from safetensors.torch import save_file

from vpt_mm.checkpoint.delta import (DeltaBindingError, fingerprint_tensors,
                                     read_delta)
from vpt_mm.checkpoint.strict import CheckpointMismatchError
from vpt_mm.models.delta import delta_keys, load_delta, save_delta
from vpt_mm.models.delta_binding import backbone_fingerprint

ARCH = dict(embed_dims=32, num_layers=2, num_heads=2,
            feedforward_channels=64)


def classifier(init_cfg=None, num_tokens=2, backbone='PromptedViT'):
    return MODELS.build(dict(
        type='ImageClassifier',
        backbone=dict(type=backbone, arch=ARCH, img_size=32, patch_size=16,
                      out_type='cls_token',
                      prompt_cfg=dict(num_tokens=num_tokens, deep=True),
                      init_cfg=init_cfg),
        head=dict(type='LinearClsHead', num_classes=3, in_channels=32)))


def pretrained_file(path, seed):
    torch.manual_seed(seed)
    host = MODELS.build(dict(type='VisionTransformer', arch=ARCH,
                             img_size=32, patch_size=16))
    torch.save({'state_dict': {f'backbone.{k}': v
                               for k, v in host.state_dict().items()}},
               str(path))
    return dict(type='Pretrained', checkpoint=str(path), prefix='backbone.')


@pytest.fixture
def bound(tmp_path):
    """A delta trained on backbone A; the init_cfgs of A and of B (another
    file of the same shape)."""
    init_a = pretrained_file(tmp_path / 'a.pth', 0)
    init_b = pretrained_file(tmp_path / 'b.pth', 1)
    model = classifier(init_a)
    model.init_weights()
    with torch.no_grad():
        for param in model.parameters():
            if param.requires_grad:
                param.add_(1.0)
    path = str(tmp_path / 'run.delta.safetensors')
    save_delta(model, path, config='a.py')
    return model, path, init_a, init_b


def rewrite(path, out, tensors=None, **meta_changes):
    """A copy of the delta at ``path`` with other tensors or metadata."""
    own, meta = read_delta(path)
    meta = dict(meta, **meta_changes)
    meta = {key: value for key, value in meta.items() if value is not None}
    save_file(tensors if tensors is not None else own, out, metadata=meta)
    return out


def test_the_delta_records_its_backbone_and_config(bound):
    model, path, init_a, _ = bound
    _, meta = read_delta(path)
    assert meta['backbone_sha256'] == backbone_fingerprint(
        model, delta_keys(model))
    assert meta['backbone_checkpoint'] == init_a['checkpoint']
    signature = json.loads(meta['signature'])
    assert signature['type'] == 'PromptedViT'
    assert signature['patch_size'] == [16, 16]
    assert signature['img_size'] == [32, 32]
    assert json.loads(meta['prompt_cfg'])['num_tokens'] == 2
    assert json.loads(meta['head']) == dict(
        type='LinearClsHead', num_classes=3, in_channels=32)


def test_fingerprint_is_the_frozen_content_only(bound):
    model, _, init_a, _ = bound
    trained = delta_keys(model)
    before = backbone_fingerprint(model, trained)
    with torch.no_grad():  # trained tensors do not count
        model.backbone.prompt.deep_prompt.add_(1.0)
    assert backbone_fingerprint(model, trained) == before
    fresh = classifier(init_a)
    fresh.init_weights()  # the same file: the same fingerprint
    assert backbone_fingerprint(fresh, delta_keys(fresh)) == before
    with torch.no_grad():  # one frozen value: another fingerprint
        model.backbone.layers[1].ffn.layers[1].weight[0, 0] += 1e-3
    assert backbone_fingerprint(model, trained) != before
    tensors = {'a': torch.zeros(2), 'b': torch.ones(1)}
    assert fingerprint_tensors(tensors) != fingerprint_tensors(
        {'a': torch.zeros(2, dtype=torch.float64), 'b': torch.ones(1)})
    assert fingerprint_tensors(tensors) != fingerprint_tensors(
        {'a': torch.zeros(1, 2), 'b': torch.ones(1)})


def test_the_delta_applies_on_its_own_backbone(bound):
    model, path, init_a, _ = bound
    fresh = classifier(init_a)
    fresh.init_weights()
    load_delta(fresh, path)
    images = torch.randn(2, 3, 32, 32)
    model.eval()
    fresh.eval()
    with torch.no_grad():
        assert torch.equal(model(images, mode='tensor'),
                           fresh(images, mode='tensor'))


def test_another_backbone_of_the_same_shape_is_refused(bound, caplog):
    model, path, _, init_b = bound
    other = classifier(init_b)
    other.init_weights()
    theirs = read_delta(path)[1]['backbone_sha256']
    ours = backbone_fingerprint(other, delta_keys(other))
    with pytest.raises(DeltaBindingError) as error:
        load_delta(other, path)
    message = str(error.value)
    assert '\n' not in message
    assert theirs in message and ours in message
    assert init_b['checkpoint'] in message and '--allow-other-backbone' in \
        message
    load_delta(other, path, allow_other_backbone=True)  # logged, applied
    assert torch.equal(other.head.fc.bias, model.head.fc.bias)


def test_an_uninitialised_backbone_is_refused(bound):
    _, path, _, _ = bound
    bare = classifier(None)  # a config without a pretrained init_cfg
    bare.init_weights()
    with pytest.raises(DeltaBindingError,
                       match=r'uninitialised \(the config has no pretrained'):
        load_delta(bare, path)


@pytest.mark.parametrize('value, message', [
    (float('nan'), r'"head.fc.bias" holds 1 non-finite'),
    (float('inf'), r'"head.fc.bias" holds 1 non-finite'),
])
def test_corrupt_tensors_are_refused(bound, tmp_path, value, message):
    _, path, init_a, _ = bound
    tensors = dict(read_delta(path)[0])
    tensors['head.fc.bias'] = tensors['head.fc.bias'].clone()
    tensors['head.fc.bias'][1] = value
    bad = rewrite(path, str(tmp_path / 'bad.delta.safetensors'), tensors)
    with pytest.raises(CheckpointMismatchError, match=message):
        load_delta(classifier(init_a), bad)
    tensors['head.fc.bias'] = torch.zeros(3, dtype=torch.int32)
    rewrite(path, bad, tensors)
    with pytest.raises(CheckpointMismatchError,
                       match=r'"head.fc.bias" holds torch.int32'):
        read_delta(bad)


@pytest.mark.parametrize('field, value, message', [
    ('signature', dict(type='PromptedSwin'),
     r'"signature.type" is "PromptedSwin" in the delta but "PromptedViT"'),
    ('signature', dict(patch_size=[8, 8]),
     r'"signature.patch_size" is \[8, 8\] in the delta but \[16, 16\]'),
    ('methods', json.dumps(['ImageClassifier', 'PromptedSwin',
                            'LinearClsHead']), r'"methods"'),
    ('prompt_cfg', dict(deep=False), r'"prompt_cfg.deep" is false'),
    ('head', dict(num_classes=100),
     r'"head.num_classes" is 100 in the delta but 3'),
])
def test_metadata_of_another_config_is_refused(bound, tmp_path, field,
                                               value, message):
    _, path, init_a, _ = bound
    if isinstance(value, dict):  # the delta's own field, changed
        value = json.dumps(dict(json.loads(read_delta(path)[1][field]),
                                **value))
    other = rewrite(path, str(tmp_path / 'o.delta.safetensors'),
                    **{field: value})
    model = classifier(init_a)
    model.init_weights()
    with pytest.raises(DeltaBindingError, match=message):
        load_delta(model, other)


def test_an_older_delta_loads_with_a_warning(bound, tmp_path):
    _, path, init_a, _ = bound
    old = rewrite(path, str(tmp_path / 'old.delta.safetensors'),
                  backbone_sha256=None, signature=None, head=None,
                  prompt_cfg=None, backbone_checkpoint=None)
    model = classifier(init_a)
    model.init_weights()
    with pytest.warns(UserWarning, match='older delta without a backbone '
                      'fingerprint'):
        load_delta(model, old)


def test_fingerprint_time_of_a_vit_large_state_dict():
    """The cost docs/peft.md reports: ViT-L's 304 M float32 parameters
    (here a tenth of them, timed, and scaled) hash in a few seconds."""
    tensors = {f'layers.{i}.w': torch.randn(1024, 3 * 1024)
               for i in range(10)}  # 31 M values, 126 MB
    start = time.perf_counter()
    fingerprint_tensors(tensors)
    seconds = (time.perf_counter() - start) * 304e6 / (10 * 1024 * 3072)
    assert seconds < 30, seconds
