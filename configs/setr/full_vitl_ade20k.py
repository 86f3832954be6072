# SETR-PUP on ADE20K, ViT-L/16 (ImageNet-21k) fully fine-tuned: the paper's
# Full row (Tab. 3), with mmseg's own SETR hyper-parameters (lr 0.001,
# heads at 10x, 160k iterations of 2 images on each of 8 GPUs).
_base_ = [
    '../_base_/models/setr-pup_vit-l16.py',
    '../_base_/datasets/ade20k_512x512.py',
    '../_base_/schedules/setr_sgd-poly-160k.py',
    '../_base_/default_runtime_seg.py',
]
