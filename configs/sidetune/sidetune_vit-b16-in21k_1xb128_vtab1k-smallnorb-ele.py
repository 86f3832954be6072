# Sidetune on VTAB-1k Structured SmallNORB/elevation:
# batch 128 (as Bias'; Tab. 8 gives none).
_base_ = [
    '../_base_/methods/sidetune_vit-b16-in21k.py',
    '../_base_/datasets/vtab1k_smallnorb_ele_bs128.py',
]
model = dict(head=dict(num_classes=9))
