# UperNet + MultiLevelNeck on ADE20K with a frozen ViT-B/16 (ImageNet-21k): the
# neck and the heads train (Head-only). PromptedViT without prompts is
# mmpretrain's VisionTransformer, frozen. mmseg's schedule. Each checkpoint
# also gets its delta:
# tools/test.py CONFIG work_dirs/<run>/iter_160000.delta.safetensors
_base_ = ['./upernet_full_vit-b16-in21k_mln_8xb2-160k_ade20k-512x512.py']
model = dict(backbone=dict(type='PromptedViT', prompt_cfg=dict(num_tokens=0)))
# mmseg's optimizer over the trained parameters only (the base's
# paramwise_cfg names backbone parameters, frozen here)
optim_wrapper = dict(_delete_=True,
                     type='OptimWrapper',
                     optimizer={{_base_.optim_wrapper.optimizer}},
                     constructor='FrozenBackboneOptimWrapperConstructor')
custom_hooks = [dict(type='DeltaCheckpointHook')]
