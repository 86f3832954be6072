# Runtime shared by every vpt-mm classification config.
default_scope = 'mmpretrain'
custom_imports = dict(imports=['vpt_mm.modules'], allow_failed_imports=False)

default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    # keep the latest checkpoint for --resume; prompts and head are small
    checkpoint=dict(type='CheckpointHook', interval=10, max_keep_ckpts=2,
                    save_last=True),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='VisualizationHook', enable=False),
)
# Each checkpoint's delta (what the run trains: prompts, head, biases,
# adapters, ...) is also saved, as <checkpoint>.delta.safetensors; none for
# Full fine-tuning, where it would be the whole model (docs/peft.md). A
# config that sets custom_hooks replaces this list: keep this hook in it.
custom_hooks = [dict(type='DeltaCheckpointHook')]

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(type='UniversalVisualizer', vis_backends=vis_backends)

log_level = 'INFO'
load_from = None
resume = False
# diff_rank_seed: each GPU draws its own prompt-dropout masks
randomness = dict(seed=None, deterministic=False, diff_rank_seed=True)
