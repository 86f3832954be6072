# UperNet on ADE20K with VPT-deep (p = 10) on a frozen Swin-B (ImageNet-21k):
# the prompts and the heads train. The heads see image tokens only
# (PromptedSwin drops the prompts before reshaping its outputs of the four
# stages).
_base_ = ['./upernet_head-only_swin-b-in21k_8xb2-160k_ade20k-512x512.py']
model = dict(backbone=dict(
    prompt_cfg=dict(num_tokens=10, deep=True, dropout=0.)))
