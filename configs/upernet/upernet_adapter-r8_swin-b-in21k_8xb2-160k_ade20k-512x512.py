# UperNet on ADE20K with adapters (r = 8, Pfeiffer placement after every FFN)
# in a frozen Swin-B (ImageNet-21k): the adapters and the heads
# train.
_base_ = ['./upernet_head-only_swin-b-in21k_8xb2-160k_ade20k-512x512.py']
model = dict(backbone=dict(_delete_=True,
                           type='AdapterTuning',
                           reduction=8,
                           module={{_base_.model.backbone}}))
