# UperNet + MultiLevelNeck on ADE20K with adapters (r = 8, Pfeiffer placement
# after every FFN) in a frozen ViT-B/16 (ImageNet-21k): the adapters, the neck
# and the heads train.
_base_ = ['./upernet_head-only_vit-b16-in21k_mln_8xb2-160k_ade20k-512x512.py']
model = dict(backbone=dict(_delete_=True,
                           type='AdapterTuning',
                           reduction=8,
                           module={{_base_.model.backbone}}))
