# Sidetune on FGVC NABirds: batch 128 (as Bias'; Tab. 8 gives none).
_base_ = [
    '../_base_/methods/sidetune_vit-b16-in21k.py',
    '../_base_/datasets/fgvc_nabirds_bs128.py',
]
model = dict(head=dict(num_classes=555))
