"""Model FLOPs per image and MFU of benchmark results (ViT, CUDA)."""
from typing import List, Optional

from .flops import mfu, train_flops, vit_forward_flops

#: (layers, width, MLP width) of mmpretrain's ViT archs
VIT_ARCHS = {'b': (12, 768, 3072), 'l': (24, 1024, 4096),
             'h': (32, 1280, 5120)}


def result_flops(result: dict, arch: str = 'b', img_size: int = 224,
                 patch: int = 16) -> float:
    """Model FLOPs per image of one benchmark result (its phase)."""
    layers, dims, mlp = VIT_ARCHS[arch]
    method, p = result['method'], result.get('p', 0)
    deep = method.startswith('vpt-deep')
    forward = vit_forward_flops(layers, dims, mlp, (img_size // patch)**2,
                                p if (deep or method == 'vpt-shallow')
                                else 0, prompts_as_queries=method in (
                                    'vpt-deep-token', 'vpt-shallow'))
    if result['phase'] != 'train':
        return forward
    return train_flops(forward, frozen=method != 'full')


def format_mfu_table(results: List[dict], device_name: str,
                     arch: str = 'b', img_size: int = 224) -> str:
    """Markdown: method, p, phase, GFLOPs/img, ms/img, MFU."""
    lines = [f'MFU on {device_name} (dense bf16 peak; model FLOPs counted '
             'analytically, vpt_mm.benchmark.flops)', '',
             '| Method | p | Phase | GFLOPs/img | ms/img | MFU |',
             '|---|---|---|---|---|---|']
    for result in results:
        if result['method'] not in ('full', 'linear', 'vpt-shallow',
                                    'vpt-deep-token', 'vpt-deep-prefix'):
            continue
        flops = result_flops(result, arch, img_size)
        util: Optional[float] = mfu(flops, result['latency_ms'] / 1e3,
                                    device_name)
        lines.append(
            f'| {result["method"]} | {result.get("p", 0)} | '
            f'{result["phase"]} | {flops / 1e9:.1f} | '
            f'{result["latency_ms"]:.2f} | '
            f'{"—" if util is None else f"{100 * util:.1f} %"} |')
    return '\n'.join(lines)
