# SETR-PUP on ADE20K with VPT+Bias on a frozen ViT-L/16 (ImageNet-21k):
# deep prompts (p=100), every bias term of the backbone and the decoder
# heads train (the paper's VPT+Bias row). As for VPT: lr 0.005 and the
# heads' lr multiplier 1.0.
_base_ = ['./setr_bias_vit-l16-in21k_pup_8xb2-160k_ade20k-512x512.py']
model = dict(
    backbone=dict(
        module=dict(
            prompt_cfg=dict(num_tokens=100, deep=True, dropout=0.1))))
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=1.)}))
