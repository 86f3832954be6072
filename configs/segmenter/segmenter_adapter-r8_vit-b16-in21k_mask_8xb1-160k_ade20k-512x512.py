# Segmenter's mask transformer on ADE20K with adapters (r = 8, Pfeiffer
# placement after every FFN) in a frozen ViT-B/16 (ImageNet-21k): the adapters
# and the mask transformer train.
_base_ = [
    './segmenter_head-only_vit-b16-in21k_mask_8xb1-160k_ade20k-512x512.py'
]
model = dict(backbone=dict(_delete_=True,
                           type='AdapterTuning',
                           reduction=8,
                           module={{_base_.model.backbone}}))
