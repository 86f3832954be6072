"""Official VPT prompt files merged into a converted ViT
(``vpt_mm.checkpoint.converters.official_prompts``)."""
import numpy as np
import pytest
import torch

from vpt_mm.checkpoint.converters.errors import ConversionError
from vit_samples import CONVERT, DEPTH, EMBED, Untrusted, build_backbone


def prompt_arrays(p: int = 4, deep: bool = True) -> dict:
    rng = np.random.default_rng(2)
    arrays = {'shallow_prompt': rng.standard_normal((1, p, EMBED), 'f4')}
    if deep:
        arrays['deep_prompt'] = rng.standard_normal((DEPTH - 1, p, EMBED),
                                                    'f4')
    return arrays


@pytest.mark.parametrize('kind', ['numpy', 'tensor'])
def test_merge_prompts(kind, timm_file, tmp_path):
    arrays = prompt_arrays()
    prompt_file = str(tmp_path / 'prompt_ep100.pth')
    if kind == 'numpy':
        torch.save(arrays, prompt_file)  # as the official trainer does
    else:
        torch.save({
            k: torch.from_numpy(v)
            for k, v in arrays.items()
        }, prompt_file)
    dst = str(tmp_path / 'converted.pth')
    meta = CONVERT([timm_file, dst, '--prompts', prompt_file])
    assert (meta['num_prompt_tokens'], meta['deep_prompts']) == (4, 1)
    assert meta['prompts'] == prompt_file

    backbone = build_backbone(dst, num_tokens=4, deep=True)
    for key, value in arrays.items():
        torch.testing.assert_close(
            getattr(backbone.prompt, key).detach(),
            torch.from_numpy(value),
            rtol=0,
            atol=0)

    # A prompt length other than the merged one fails when loading.
    with pytest.raises(ValueError, match='prompt.shallow_prompt'):
        build_backbone(dst, num_tokens=3, deep=True)


def test_merge_shallow_prompts_only(timm_file, tmp_path):
    prompt_file = str(tmp_path / 'prompt.pth')
    torch.save(prompt_arrays(p=2, deep=False), prompt_file)
    dst = str(tmp_path / 'converted.pth')
    meta = CONVERT([timm_file, dst, '--prompts', prompt_file])
    assert (meta['num_prompt_tokens'], meta['deep_prompts']) == (2, 0)
    backbone = build_backbone(dst, num_tokens=2)
    assert backbone.prompt.shallow_prompt.shape == (1, 2, EMBED)


BAD_PROMPTS = {
    'width': ('shallow_prompt', (1, 4, 16), '(1, 4, 16)', '(1, 4, 32)'),
    'depth': ('deep_prompt', (3, 4, EMBED), '(3, 4, 32)', '(1, 4, 32)'),
    'length': ('deep_prompt', (1, 5, EMBED), '(1, 5, 32)', '(1, 4, 32)'),
    'rank': ('shallow_prompt', (4, EMBED), '(4, 32)', "(1, 'p', 32)"),
}


@pytest.mark.parametrize('case', list(BAD_PROMPTS))
def test_mismatched_prompts(case, timm_file, tmp_path):
    key, shape, actual, expected = BAD_PROMPTS[case]
    arrays = prompt_arrays()
    arrays[key] = np.zeros(shape, 'f4')
    prompt_file = str(tmp_path / 'prompt.pth')
    torch.save(arrays, prompt_file)
    with pytest.raises(ValueError) as info:
        CONVERT([
            timm_file,
            str(tmp_path / 'converted.pth'), '--prompts', prompt_file
        ])
    message = str(info.value)
    assert f'"{key}"' in message and actual in message \
        and expected in message and '\n' not in message


def test_bad_prompt_files(timm_file, tmp_path):
    dst = str(tmp_path / 'converted.pth')
    prompt_file = str(tmp_path / 'prompt.pth')
    arrays = prompt_arrays()
    arrays['head'] = np.zeros(3, 'f4')
    torch.save(arrays, prompt_file)
    with pytest.raises(ValueError, match=r"unexpected key\(s\) \['head'\]"):
        CONVERT([timm_file, dst, '--prompts', prompt_file])

    torch.save({'shallow_prompt': Untrusted()}, prompt_file)
    with pytest.raises(ConversionError, match='weights_only=True'):
        CONVERT([timm_file, dst, '--prompts', prompt_file])
