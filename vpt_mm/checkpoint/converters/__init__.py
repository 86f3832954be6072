"""Convert public checkpoints into mmpretrain's ImageClassifier layout.

These source layouts are understood, recognised by their keys (never by the
file name):

* ``jax_npz``: Google's JAX ViT ``.npz`` files (``ViT-B_16.npz``, the
  ImageNet-21k ViT-B/16, L/16 and H/14 used by VPT), keys such as
  ``embedding/kernel`` and ``Transformer/encoderblock_0/...``.
* timm-style ViT state dicts (``patch_embed.proj.weight``,
  ``blocks.0.attn.qkv.weight``, ...), stored raw (``timm``), as MAE does
  (``{'model': ...}``, ``mae``) or as MoCo v3 does (``{'state_dict':
  {'module.<key>': ...}}``, optionally under ``module.base_encoder.``,
  ``moco_v3``).
* ``swin``: the official Swin Transformer files (``{'model': ...}``, e.g.
  ``swin_base_patch4_window7_224_22k.pth``), keys such as
  ``layers.0.blocks.0.attn.relative_position_bias_table`` and
  ``layers.0.downsample.reduction.weight``.
* ``convnext``: the official ConvNeXt files (``{'model': ...}``, e.g.
  ``convnext_base_22k_224.pth``), keys such as ``downsample_layers.0.0.*``
  and ``stages.0.0.dwconv.weight``.
* ``torchvision_resnet``: torchvision's ResNet state dicts (``conv1``,
  ``bn1``, ``layer1.0.conv1``, ..., ``fc``), e.g. ResNet-50's ImageNet-1k
  weights.

PyTorch pickles (read weights-only) and safetensors files are accepted
(:mod:`vpt_mm.checkpoint.io`).

The result is an mmengine checkpoint ``{'state_dict': ..., 'meta': ...}``
whose keys are ``backbone.<mmpretrain backbone key>`` (VisionTransformer,
SwinTransformer, ConvNeXt or ResNet) and, where the source has a
classifier, the head: ``head.layers.{pre_logits,head}.*`` as in mmpretrain's
``VisionTransformerClsHead`` for a ViT, ``head.fc.*`` (``LinearClsHead``)
otherwise. Official VPT prompt files can be merged into
``backbone.prompt.*`` of a ViT.

A ViT's final ``norm`` becomes ``ln1`` (the CLS read-out); ``fc_norm``, the
LayerNorm of a global-pool read-out, becomes ``ln2`` (what mmpretrain
applies for ``out_type='avg_featmap'``). Only *fine-tuned* MAE checkpoints
(and timm models built with ``fc_norm``) hold ``fc_norm``: MAE's released
pretraining files (``mae_pretrain_vit_base.pth``) hold the encoder's
``norm`` and no ``fc_norm``, because MAE's fine-tuning builds ``fc_norm``
fresh. :func:`~.readout.to_global_pool` (``global_pool=True``,
``--global-pool``) writes that read-out: ``ln1`` dropped, ``ln2`` new
(weight 1, bias 0). :func:`~.readout.drop_final_norm`
(``final_norm=False``, ``--no-final-norm``) drops ``ln1`` and adds
nothing, for backbones built with ``final_norm=False``
that read intermediate layers (SETR's).

The modules: :mod:`.layout` (reading and recognising a source),
:mod:`.vit`, :mod:`.readout`, :mod:`.official_prompts`, :mod:`.swin`,
:mod:`.convnext`, :mod:`.resnet` (with :mod:`.stages`, what the last three
share), :mod:`.rename` (the target keys), :mod:`.errors` and
:mod:`.dispatch` (:func:`~.dispatch.convert_pretrained`, the whole
conversion).

Every file is read without executing code: ``torch.load`` with
``weights_only=True``, ``numpy.load`` with ``allow_pickle=False``.
"""
