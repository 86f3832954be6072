# The Linear probe on a ViT-B/16 pretrained with MAE (ImageNet-1k), Tab. 4;
# otherwise as linear_vit-b16-in21k.py (schedule, Tab. 8 batches).
# MAE's fine-tuning read-out: the mean of the patch tokens (prompts never
# included), then a LayerNorm (mmpretrain's ln2, MAE's fc_norm); no final
# norm over the tokens. The checkpoint is MAE's pretraining file converted
# with `convert_pretrained.py --global-pool`: its final norm dropped, ln2
# new (weight 1, bias 0), as MAE's fine-tuning and the official VPT code
# build fc_norm (docs/more_backbones_and_lt.md).
_base_ = './linear_vit-b16-in21k.py'
model = dict(
    backbone=dict(
        out_type='avg_featmap',
        final_norm=False,
        init_cfg=dict(checkpoint='checkpoints/vit-b16_mae.pth')))
