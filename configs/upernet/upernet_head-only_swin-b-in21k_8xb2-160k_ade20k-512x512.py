# UperNet on ADE20K with a frozen Swin-B (ImageNet-21k): the heads
# train (Head-only). PromptedSwin without prompts is mmpretrain's
# SwinTransformer, frozen. mmseg's schedule. Each checkpoint also gets its
# delta:
# tools/test.py CONFIG work_dirs/<run>/iter_160000.delta.safetensors
_base_ = ['./upernet_full_swin-b-in21k_8xb2-160k_ade20k-512x512.py']
model = dict(backbone=dict(type='PromptedSwin', prompt_cfg=dict(num_tokens=0)))
# mmseg's optimizer over the trained parameters only (the base's
# paramwise_cfg names backbone parameters, frozen here)
optim_wrapper = dict(_delete_=True,
                     type='OptimWrapper',
                     optimizer={{_base_.optim_wrapper.optimizer}},
                     constructor='FrozenBackboneOptimWrapperConstructor')
custom_hooks = [dict(type='DeltaCheckpointHook')]
