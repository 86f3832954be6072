# Bias on a ViT-B/16 pretrained with MAE (ImageNet-1k), Tab. 4: every bias
# of the backbone and the head train; otherwise as bias_vit-b16-in21k.py
# (AdamW, Tab. 8 batch 128, deltas).
_base_ = './bias_vit-b16-in21k.py'
# MAE's fine-tuning read-out, as in vpt-deep_vit-b16-mae.py: the mean of
# the patch tokens, then a LayerNorm (ln2, MAE's fc_norm), no final norm.
model = dict(
    backbone=dict(
        module=dict(
            out_type='avg_featmap',
            final_norm=False,
            init_cfg=dict(checkpoint='checkpoints/vit-b16_mae.pth'))))
