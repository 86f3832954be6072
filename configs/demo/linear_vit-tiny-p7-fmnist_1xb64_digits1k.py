# Linear probe: frozen backbone (a PromptedViT with no prompts), head only.
_base_ = [
    '../_base_/models/vpt_vit-tiny-p7.py',
    '../_base_/datasets/vtab1k_digits-demo_bs64.py',
    '../_base_/schedules/vpt_sgd-100e.py',
    '../_base_/default_runtime.py',
]
