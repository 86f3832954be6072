"""One measurement in this process: a training step or an inference
forward of one method, timed, with its peak memory.

A training step is forward, cross-entropy, backward and an SGD step with
momentum over the trainable parameters; an inference step a forward under
``torch.inference_mode``. On CUDA the step runs under bf16 autocast; on
CPU in fp32.

FLOPs (training steps): after the timed iterations and the memory
reading, one more step runs under :func:`~.flops.counted_flops`
(``step_gflops``: what the step really computes, per image).

Timing: ``warmup`` untimed iterations, then ``repeats`` timed ones, each
closed by ``torch.cuda.synchronize()`` on GPU; the latency is the median
iteration time divided by the batch (ms/img).

Memory: on CPU the peak is the process's maximum resident set size
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``): torch's CPU allocations
are not seen by ``tracemalloc``, but they are resident memory, so the
peak is the measurement's own only in a fresh process (:mod:`.worker`).
Reported are the peak (interpreter, libraries, model, input and
everything the steps allocated) and the part of it above the level
reached after building the model, optimizer and input, just before the
first step (activations, gradients, optimizer state, workspaces). On CUDA
the same two numbers come from ``torch.cuda.max_memory_allocated`` and
``memory_allocated`` (tensors only, not the caching allocator's reserve).
"""
import contextlib
import resource
import statistics
import sys
import time
from typing import Callable, ContextManager, Optional

import torch
import torch.nn.functional as F

from .flops import counted_flops
from .zoo import NUM_CLASSES, build_model

PHASES = ('train', 'test')


def _resident_peak_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # kilobytes on Linux, bytes on macOS
    return peak / 2**20 if sys.platform == 'darwin' else peak / 2**10


def train_step(model: torch.nn.Module, inputs: torch.Tensor,
               labels: torch.Tensor,
               autocast: Callable[[], ContextManager] = contextlib.nullcontext
               ) -> Callable[[], None]:
    """The training step every measurement times: ``model`` in train mode,
    SGD with momentum over its trainable parameters, forward (under
    ``autocast()``), cross-entropy, backward and the update."""
    model.train()
    optimizer = torch.optim.SGD(
        [p for p in model.parameters() if p.requires_grad], lr=1e-3,
        momentum=0.9, weight_decay=1e-4)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss = F.cross_entropy(model(inputs), labels)
        loss.backward()
        optimizer.step()

    return step


def measure(method: str,
            phase: str,
            arch: str = 'b',
            img_size: int = 224,
            batch: int = 8,
            num_tokens: int = 0,
            repeats: int = 10,
            warmup: int = 2,
            device: str = 'cpu',
            threads: Optional[int] = None,
            seed: int = 0,
            count_flops: bool = True) -> dict:
    """Time one method in one phase (``'train'`` or ``'test'``) in this
    process; see the module docstring for what is measured.

    Returns:
        dict: ``latency_ms`` (median ms/img), ``times_s`` (every timed
        iteration), ``peak_mb``, ``delta_mb`` (peak above the level before
        the first step), ``step_gflops`` (counted GFLOPs per image of one
        training step; None for inference or ``count_flops=False``),
        ``tuned_params`` and ``total_params``.
    """
    if phase not in PHASES:
        raise ValueError(f'phase must be one of {PHASES}, got {phase!r}')
    if repeats < 1 or warmup < 0:
        raise ValueError('repeats must be >= 1 and warmup >= 0')
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(seed)
    dev = torch.device(device)
    cuda = dev.type == 'cuda'
    model = build_model(method, arch, img_size, num_tokens).to(dev)
    params = [p for p in model.parameters() if p.requires_grad]
    inputs = torch.randn(batch, 3, img_size, img_size, device=dev)
    labels = torch.randint(0, NUM_CLASSES, (batch, ), device=dev)

    def autocast():
        if cuda:
            return torch.autocast('cuda', dtype=torch.bfloat16)
        return contextlib.nullcontext()

    if phase == 'train':
        step = train_step(model, inputs, labels, autocast)
    else:
        model.eval()

        def step():
            with torch.inference_mode(), autocast():
                model(inputs)

    sync = torch.cuda.synchronize if cuda else (lambda: None)
    sync()
    if cuda:
        torch.cuda.reset_peak_memory_stats(dev)
        base_mb = torch.cuda.memory_allocated(dev) / 2**20
    else:
        base_mb = _resident_peak_mb()
    for _ in range(warmup):
        step()
    sync()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    if cuda:
        peak_mb = torch.cuda.max_memory_allocated(dev) / 2**20
    else:
        peak_mb = _resident_peak_mb()
    gflops = None  # torch's counter fails on parameters in inference mode
    if count_flops and phase == 'train':
        gflops = counted_flops(step) / batch / 1e9
    return dict(
        latency_ms=statistics.median(times) / batch * 1e3,
        times_s=times,
        peak_mb=peak_mb,
        delta_mb=peak_mb - base_mb,
        step_gflops=gflops,
        tuned_params=sum(p.numel() for p in params),
        total_params=sum(p.numel() for p in model.parameters()),
        threads=torch.get_num_threads())
