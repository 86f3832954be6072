# Mlp-3 on a frozen ViT-B/16 (ImageNet-21k): a 3-layer MLP head (two
# Linear-ReLU-BN1d-Dropout blocks of width 768, then the classifier) on the
# final [CLS] embedding. Mlp-k: set head.num_layers=k.
_base_ = './linear_vit-b16.py'
model = dict(
    head=dict(
        type='MlpClsHead', num_layers=3, hidden_channels=768, dropout=0.))
