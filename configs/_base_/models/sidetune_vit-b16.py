# Side-tuning on a frozen ViT-B/16 (ImageNet-21k): an AlexNet-feature side
# network (-> Linear to 768) blended with the [CLS] features as
# sigmoid(a) * backbone + (1 - sigmoid(a)) * side, a = 0 at the start;
# side network, a and the linear head train. Initialise the side network
# from torchvision's AlexNet weights (local file) with e.g.
#   backbone=dict(side_cfg=dict(init_cfg=dict(
#       type='Pretrained', checkpoint='checkpoints/alexnet.pth')))
_base_ = './vit-b16.py'
model = dict(
    backbone=dict(
        _delete_=True, type='SideTuning', module={{_base_.model.backbone}}))
