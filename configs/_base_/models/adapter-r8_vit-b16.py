# Adapters (Pfeiffer placement, after each layer's FFN) with reduction
# r = 8 on a frozen ViT-B/16 (ImageNet-21k), plus the linear head. The
# paper sweeps r in {8, 64, 256}: set backbone.reduction.
_base_ = './vit-b16.py'
model = dict(
    backbone=dict(
        _delete_=True,
        type='AdapterTuning',
        reduction=8,
        module={{_base_.model.backbone}}))
