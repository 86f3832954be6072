"""Model FLOPs per image of a ViT step, and MFU on CUDA.

Counted analytically (multiply-adds x 2) for the matmuls of a ViT with
``L`` layers, width ``D``, MLP width ``F``, ``N`` tokens (patches + CLS)
and ``p`` prompts per layer: per layer ``2 N (4 D^2 + 2 D F)`` for the
projections and ``4 N (N + p) D`` for attention (prompts as key/value
prefixes; in the token form they are also queries, add ``p`` to ``N``).
A training step is 3x the forward for Full (input and weight gradients),
2x the frozen layers' forward plus the head for a frozen backbone.
MFU = model FLOPs per second / the device's peak (bf16, dense).

:func:`counted_flops` counts instead what one call really runs
(``torch.utils.flop_counter``, with torch's attention formulas also for
the CPU flash kernel, which torch's counter leaves out): the floor a
measured step can be compared with.
"""
from typing import Callable, Optional

#: dense bf16 peak FLOP/s by a substring of the device name
PEAK_BF16 = {
    'H200': 989e12,
    'H100': 989e12,
    'A100': 312e12,
    'L40S': 362e12,
    'A10': 125e12,
    'V100': 125e12,  # fp16 tensor cores (no bf16)
}


def vit_forward_flops(num_layers: int, dims: int, mlp_dims: int,
                      num_patches: int, num_prompts: int = 0,
                      prompts_as_queries: bool = False) -> float:
    """Forward FLOPs per image of the encoder layers."""
    tokens = num_patches + 1 + (num_prompts if prompts_as_queries else 0)
    keys = num_patches + 1 + num_prompts
    per_layer = 2 * tokens * (4 * dims * dims + 2 * dims * mlp_dims)
    per_layer += 4 * tokens * keys * dims
    return float(num_layers * per_layer)


def train_flops(forward: float, frozen: bool) -> float:
    """FLOPs of a training step from the forward's: 3x for Full, 2x with a
    frozen backbone (no weight gradients)."""
    return forward * (2 if frozen else 3)


def peak_flops(device_name: str) -> Optional[float]:
    """The device's dense bf16 peak, or None when unknown."""
    for key, value in PEAK_BF16.items():
        if key in device_name:
            return value
    return None


def mfu(flops_per_image: float, seconds_per_image: float,
        device_name: str) -> Optional[float]:
    """Model FLOPs utilisation, or None for an unknown device."""
    peak = peak_flops(device_name)
    if peak is None or seconds_per_image <= 0:
        return None
    return flops_per_image / seconds_per_image / peak


def _cpu_attention_formulas() -> dict:
    """FLOP formulas for the CPU flash-attention kernels (forward and
    backward), which ``FlopCounterMode`` does not count by itself: torch's
    own formulas for the other attention kernels."""
    import torch
    from torch.utils import flop_counter
    aten = torch.ops.aten
    formulas = {}
    forward = getattr(aten, '_scaled_dot_product_flash_attention_for_cpu',
                      None)
    backward = getattr(
        aten, '_scaled_dot_product_flash_attention_for_cpu_backward', None)

    def forward_flops(query, key, value, *args, out_shape=None, **kwargs):
        return flop_counter.sdpa_flop_count(query, key, value)

    def backward_flops(grad_out, query, key, value, *args, out_shape=None,
                       **kwargs):
        return flop_counter.sdpa_backward_flop_count(grad_out, query, key,
                                                     value)

    if forward is not None:
        formulas[forward] = forward_flops
    if backward is not None:
        formulas[backward] = backward_flops
    return formulas


def counted_flops(fn: Callable[[], object]) -> float:
    """FLOPs of one call of ``fn`` (matmuls, convolutions and attention,
    forward and backward), as ``torch.utils.flop_counter`` counts them."""
    from torch.utils.flop_counter import FlopCounterMode
    with FlopCounterMode(display=False,
                         custom_mapping=_cpu_attention_formulas()) as counter:
        fn()
    return float(counter.get_total_flops())
