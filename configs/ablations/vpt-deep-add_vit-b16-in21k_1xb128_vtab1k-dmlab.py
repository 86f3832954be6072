# Fig. 5 Add: one prompt per token (CLS + 196 patches) added element-wise
# before every layer; the sequence keeps its length.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-deep_vit-b16-in21k_1xb64_vtab1k-dmlab.py',
]
model = dict(backbone=dict(prompt_cfg=dict(num_tokens=197, location='add')))
train_dataloader = dict(batch_size=128)  # Tab. 8: no prompt tokens
