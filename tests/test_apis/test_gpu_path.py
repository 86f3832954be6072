"""The CUDA path: --amp's dtype, a compiled backbone, the fused SDPA
kernel with prompt prefixes and a bf16 step (CUDA-only tests skip on CPU
with the reason), FLOPs/MFU, and tools/analysis/gpu_benchmark.sh (a dry
run; it refuses without CUDA)."""
import os.path as osp
import subprocess

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from vpt_mm.apis.gpu import amp_dtype, apply_amp, compile_backbone
from vpt_mm.benchmark.flops import mfu, vit_forward_flops
from vpt_mm.benchmark.mfu_table import format_mfu_table

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SCRIPT = osp.join(ROOT, 'tools', 'analysis', 'gpu_benchmark.sh')
CUDA = torch.cuda.is_available()
needs_cuda = pytest.mark.skipif(
    not CUDA, reason='needs a CUDA device (none here: the GPU path is '
    'measured by tools/analysis/gpu_benchmark.sh on a GPU machine)')


def prompted_classifier(**prompt):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(dict(
            type='ImageClassifier',
            backbone=dict(type='PromptedViT', img_size=32, patch_size=8,
                          arch=dict(embed_dims=128, num_layers=2,
                                    num_heads=2, feedforward_channels=256),
                          prompt_cfg=dict(num_tokens=4, deep=True, **prompt)),
            head=dict(type='LinearClsHead', num_classes=3, in_channels=128)))


def test_amp_picks_bf16_and_refuses_without_cuda():
    with pytest.raises(SystemExit, match='needs a CUDA device'):
        amp_dtype(cuda=False)
    cfg = Config(dict(optim_wrapper=dict(optimizer=dict(type='SGD'))))
    assert apply_amp(cfg, 'bfloat16') == 'bfloat16'
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert 'loss_scale' not in cfg.optim_wrapper  # bf16 needs no scaling
    cfg = Config(dict(optim_wrapper=dict(optimizer=dict(type='SGD'))))
    apply_amp(cfg, 'float16')
    assert cfg.optim_wrapper.loss_scale == 'dynamic'


def test_compile_backbone_in_place():
    model = prompted_classifier()
    keys = list(model.state_dict())
    assert compile_backbone(model)
    assert model.backbone._compiled_call_impl is not None
    assert list(model.state_dict()) == keys  # checkpoints unchanged
    assert not compile_backbone(torch.nn.Linear(2, 2))


def test_flops_and_mfu():
    # ViT-B/16 at 224 px: about 17.5 G multiply-adds per image forward
    flops = vit_forward_flops(12, 768, 3072, 196)
    assert 34e9 < flops < 36e9
    assert vit_forward_flops(12, 768, 3072, 196, 200) > flops
    assert mfu(989e12, 1.0, 'NVIDIA H100 80GB HBM3') == pytest.approx(1.0)
    assert mfu(1e12, 1.0, 'some CPU') is None
    table = format_mfu_table([
        dict(method='full', p=0, phase='train', latency_ms=1.0),
        dict(method='vpt-deep-prefix', p=200, phase='test', latency_ms=1.0)
    ], 'NVIDIA A100-SXM4-80GB')
    assert '| full | 0 | train | 104.7 | 1.00 | 33.6 % |' in table
    assert '| vpt-deep-prefix | 200 | test |' in table


def test_gpu_benchmark_script_dry_run_and_refusal():
    dry = subprocess.run(['bash', SCRIPT, '--dry-run'], capture_output=True,
                         text=True, cwd=ROOT)
    assert dry.returncode == 0, dry.stderr
    steps = [line for line in dry.stdout.splitlines()
             if line.startswith('+ ')]
    assert len(steps) == 5
    assert '--device cuda' in steps[0] and '--prompt-lengths 1 200' in \
        steps[0]
    assert 'tests/test_apis/test_gpu_path.py' in steps[2]
    assert 'dist_train.sh' in steps[4] and ' 2 --amp' in steps[4]
    assert subprocess.run(['bash', SCRIPT, '--what'], capture_output=True,
                          cwd=ROOT).returncode == 2
    if CUDA:
        return
    refused = subprocess.run(['bash', SCRIPT], capture_output=True,
                             text=True, cwd=ROOT,
                             env={'PATH': osp.join(ROOT, '.venv', 'bin') +
                                  ':/usr/bin:/bin'})
    assert refused.returncode == 3
    assert 'no CUDA device' in refused.stderr
    assert 'nothing was run' in refused.stderr


@needs_cuda
@pytest.mark.parametrize('backend', ['FLASH_ATTENTION',
                                     'EFFICIENT_ATTENTION'])
def test_prefix_mode_runs_a_fused_sdpa_kernel(backend):
    from torch.nn.attention import SDPBackend, sdpa_kernel
    model = prompted_classifier(deep_mode='prefix').cuda()
    assert model.backbone.prompts_as_prefix
    images = torch.randn(4, 3, 32, 32, device='cuda')
    with torch.autocast('cuda', dtype=torch.bfloat16):
        with sdpa_kernel([SDPBackend.MATH]):
            expected = model.backbone(images)[0].float()
        # only the fused kernel allowed: it raises if it cannot run
        with sdpa_kernel([getattr(SDPBackend, backend)]):
            out = model.backbone(images)[0]
            out.float().sum().backward()
    torch.testing.assert_close(out.float(), expected, atol=5e-2, rtol=5e-2)
    assert any(p.grad is not None
               for p in model.backbone.prompt.parameters())


@needs_cuda
def test_bf16_training_step_on_cuda():
    model = prompted_classifier(deep_mode='prefix').cuda()
    params = [p for p in model.parameters() if p.requires_grad]
    before = [p.detach().clone() for p in params]
    optimizer = torch.optim.SGD(params, lr=0.1)
    images = torch.randn(4, 3, 32, 32, device='cuda')
    with torch.autocast('cuda', dtype=torch.bfloat16):
        feats = model.extract_feat(images)
        loss = model.head.loss_module(
            model.head(feats), torch.tensor([0, 1, 2, 0], device='cuda'))
    loss.backward()
    optimizer.step()
    assert torch.isfinite(loss)
    assert any(not torch.equal(a, b) for a, b in zip(before, params))
