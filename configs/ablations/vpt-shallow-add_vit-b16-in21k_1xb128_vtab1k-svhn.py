# Fig. 5 Add (shallow): one prompt per token added before layer 1.
# Generated from configs/zoo.yml by tools/misc/generate_configs.py.
_base_ = [
    '../vpt/vpt-shallow_vit-b16-in21k_1xb64_vtab1k-svhn.py',
]
model = dict(backbone=dict(prompt_cfg=dict(num_tokens=197, location='add')))
train_dataloader = dict(batch_size=128)  # Tab. 8: no prompt tokens
