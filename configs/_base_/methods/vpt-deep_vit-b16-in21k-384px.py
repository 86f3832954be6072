# VPT-deep on ViT-B/16 (ImageNet-21k) fine-tuned at 384 x 384, Tab. 11:
# the 224 px position embedding is resized (bicubic) when the checkpoint
# loads. Use with a vtab1k_<task>_384px_bs128.py dataset base.
_base_ = './vpt-deep_vit-b16-in21k.py'
model = dict(backbone=dict(img_size=384))
