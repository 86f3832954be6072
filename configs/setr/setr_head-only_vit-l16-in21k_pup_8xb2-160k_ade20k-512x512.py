# SETR-PUP on ADE20K with a frozen ViT-L/16 (ImageNet-21k): only the
# decoder heads train (the paper's Head-only row). PromptedViT without
# prompts is mmpretrain's VisionTransformer, frozen. The paper's lr 0.005;
# the heads keep mmseg's 10x multiplier (the paper changed it for VPT only).
# Each checkpoint also gets its delta (heads only, ~53 MB in place of
# 1.3 GB): tools/test.py CONFIG work_dirs/<run>/iter_160000.delta.safetensors
_base_ = ['./setr_full_vit-l16-in21k_pup_8xb2-160k_ade20k-512x512.py']
model = dict(
    backbone=dict(type='PromptedViT', prompt_cfg=dict(num_tokens=0)))
optim_wrapper = dict(optimizer=dict(lr=0.005))
custom_hooks = [dict(type='DeltaCheckpointHook')]
