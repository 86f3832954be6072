# Fig. 5 Concat-channel: one extra input channel with its own (trained,
# zero-initialised) patch-embedding kernel.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-shallow_vit-b16-in21k_1xb64_vtab1k-dmlab.py',
]
model = dict(
    backbone=dict(prompt_cfg=dict(num_tokens=1, location='concat-channel')))
train_dataloader = dict(batch_size=128)  # Tab. 8: no prompt tokens
