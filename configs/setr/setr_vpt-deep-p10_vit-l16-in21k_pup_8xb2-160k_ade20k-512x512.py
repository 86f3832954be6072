# SETR-PUP on ADE20K with VPT-deep (p=10) on a frozen ViT-L/16
# (ImageNet-21k): only the prompts and the decoder heads train. The
# heads see image tokens only (PromptedViT drops the prompts before
# reshaping its outputs). As the paper changed mmseg's recipe: lr 0.005 and
# the heads' lr multiplier 1.0, so that heads and prompts share one lr.
# Each checkpoint also gets its delta (prompts and heads): evaluate it with
# tools/test.py CONFIG work_dirs/<run>/iter_160000.delta.safetensors
_base_ = ['./setr_full_vit-l16-in21k_pup_8xb2-160k_ade20k-512x512.py']
model = dict(
    backbone=dict(
        type='PromptedViT',
        prompt_cfg=dict(num_tokens=10, deep=True, dropout=0.1)))
optim_wrapper = dict(
    optimizer=dict(lr=0.005),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=1.)}))
custom_hooks = [dict(type='DeltaCheckpointHook')]
