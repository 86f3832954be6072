"""A converted ViT's read-out (``vpt_mm.checkpoint.converters.readout``):
MAE's global-pool norm and SETR's backbone without a final norm."""
import pytest
import torch

from vpt_mm.checkpoint.converters.errors import ConversionError
from vit_samples import (ATOL, CONVERT, EMBED, build_backbone, images,
                         read_checkpoint, timm_vit)


def test_mae_global_pool(tmp_path):
    # a fine-tuned MAE checkpoint (timm's fc_norm variant) has no final
    # norm (``norm`` is Identity): the backbone needs final_norm=False;
    # 'avg_featmap' then averages the patch tokens and applies ln2 (=
    # fc_norm).
    model = timm_vit(global_pool='avg', fc_norm=True)
    state_dict = dict(model.state_dict())
    state_dict['mask_token'] = torch.zeros(1, 1, 16)
    state_dict['decoder_embed.weight'] = torch.zeros(16, EMBED)
    state_dict['decoder_blocks.0.norm1.weight'] = torch.zeros(16)
    src, dst = str(tmp_path / 'mae.pth'), str(tmp_path / 'converted.pth')
    torch.save(dict(model=state_dict), src)
    meta = CONVERT([src, dst])
    assert meta['source_layout'] == 'mae'
    assert (meta['final_norm'], meta['avg_featmap_norm']) == (0, 1)
    assert meta['num_skipped_keys'] == 3

    backbone = build_backbone(dst, final_norm=False, out_type='avg_featmap')
    x = images()
    with torch.no_grad():
        expected = model.forward_head(
            model.forward_features(x), pre_logits=True)
        torch.testing.assert_close(
            backbone(x)[-1], expected, rtol=0, atol=ATOL)


def test_mae_pretraining_checkpoint_with_global_pool(tmp_path):
    # MAE's released pretraining file: the encoder with its final ``norm``,
    # no fc_norm, no head (plus mask token and decoder, left out)
    model = timm_vit(num_classes=0)
    encoder = dict(model.state_dict())
    public = dict(encoder, mask_token=torch.zeros(1, 1, 16))
    public['decoder_embed.weight'] = torch.zeros(16, EMBED)
    src = str(tmp_path / 'mae_pretrain_vit_tiny.pth')
    torch.save(dict(model=public), src)
    CONVERT([src, str(tmp_path / 'plain.pth')])
    plain = read_checkpoint(str(tmp_path / 'plain.pth'))
    assert 'backbone.ln1.weight' in plain['state_dict']
    assert 'backbone.ln2.weight' not in plain['state_dict']

    dst = str(tmp_path / 'mae.pth')
    meta = CONVERT([src, dst, '--global-pool'])
    assert (meta['final_norm'], meta['avg_featmap_norm']) == (0, 1)
    assert 'dropped the pretrained final norm' in meta['global_pool']
    state_dict = read_checkpoint(dst)['state_dict']
    assert set(state_dict) == set(plain['state_dict']) - {
        'backbone.ln1.weight', 'backbone.ln1.bias'
    } | {'backbone.ln2.weight', 'backbone.ln2.bias'}
    # strict loading into the MAE configs' backbone; the read-out is MAE
    # fine-tuning's (and the official VPT code's) at its start: the mean of
    # the patch tokens through a new LayerNorm, the encoder unchanged
    backbone = build_backbone(dst, final_norm=False, out_type='avg_featmap')
    torch.testing.assert_close(backbone.ln2.weight, torch.ones(EMBED))
    torch.testing.assert_close(backbone.ln2.bias, torch.zeros(EMBED))
    reference = timm_vit(num_classes=0, global_pool='avg', fc_norm=True)
    reference.load_state_dict(
        {key: value for key, value in encoder.items()
         if not key.startswith('norm.')}, strict=False)
    with torch.no_grad():
        reference.fc_norm.weight.fill_(1.)
        reference.fc_norm.bias.zero_()
        x = images()
        torch.testing.assert_close(
            backbone(x)[-1], reference.forward_head(
                reference.forward_features(x), pre_logits=True),
            rtol=0, atol=ATOL)

    # a checkpoint that has fc_norm keeps it (and loses an unused norm)
    finetuned = dict(encoder, **{
        'fc_norm.weight': torch.full((EMBED, ), 2.),
        'fc_norm.bias': torch.full((EMBED, ), 0.5)
    })
    torch.save(dict(model=finetuned), src)
    meta = CONVERT([src, dst, '--global-pool'])
    assert "kept the checkpoint's fc_norm" in meta['global_pool']
    state_dict = read_checkpoint(dst)['state_dict']
    assert 'backbone.ln1.weight' not in state_dict
    assert torch.equal(state_dict['backbone.ln2.weight'],
                       torch.full((EMBED, ), 2.))
    # nothing to give a read-out to; no ViT
    del finetuned['fc_norm.weight'], finetuned['fc_norm.bias']
    del finetuned['norm.weight'], finetuned['norm.bias']
    torch.save(dict(model=finetuned), src)
    with pytest.raises(ConversionError, match='no final norm'):
        CONVERT([src, dst, '--global-pool'])


def test_no_final_norm(timm_model, timm_file, tmp_path):
    # SETR's backbone (final_norm=False) reads intermediate layers; a
    # prompted backbone loads strictly, so the final norm must go
    CONVERT([timm_file, str(tmp_path / 'plain.pth')])
    plain = read_checkpoint(str(tmp_path / 'plain.pth'))['state_dict']
    with pytest.raises(Exception, match='ln1'):
        build_backbone(str(tmp_path / 'plain.pth'), final_norm=False)
    dst = str(tmp_path / 'no_norm.pth')
    meta = CONVERT([timm_file, dst, '--no-final-norm'])
    assert (meta['final_norm'], meta['avg_featmap_norm']) == (0, 0)
    assert 'dropped the final norm' in meta['no_final_norm']
    assert 'global_pool' not in meta
    state_dict = read_checkpoint(dst)['state_dict']
    assert set(state_dict) == set(plain) - {
        'backbone.ln1.weight', 'backbone.ln1.bias'
    }
    backbone = build_backbone(dst, final_norm=False)
    x = images()
    with torch.no_grad():
        tokens = timm_model.blocks(
            timm_model._pos_embed(timm_model.patch_embed(x)))
        torch.testing.assert_close(
            backbone(x)[-1], tokens[:, 0], rtol=0, atol=ATOL)
    # the two read-out options exclude each other; no norm, no dropping
    with pytest.raises(SystemExit):
        CONVERT([timm_file, dst, '--no-final-norm', '--global-pool'])
    from vpt_mm.checkpoint.converters.dispatch import convert_pretrained
    with pytest.raises(ConversionError, match='exclude each other'):
        convert_pretrained(timm_file, dst, global_pool=True, final_norm=False)
    no_norm = {k: v for k, v in timm_model.state_dict().items()
               if not k.startswith('norm.')}
    torch.save(no_norm, tmp_path / 'no_norm_source.pth')
    with pytest.raises(ConversionError, match='no final norm to drop'):
        CONVERT([str(tmp_path / 'no_norm_source.pth'), dst,
                 '--no-final-norm'])
