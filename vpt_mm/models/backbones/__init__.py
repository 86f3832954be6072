from .prompted_convnet import PromptedConvNeXt, PromptedResNet
from .prompted_swin import PromptedSwin
from .prompted_vit import PromptedViT

__all__ = ['PromptedViT', 'PromptedSwin', 'PromptedConvNeXt', 'PromptedResNet']
