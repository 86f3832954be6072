"""Patch 6: ``torchrun`` with ``launcher='pytorch'`` on a machine without
CUDA.

mmengine calls ``torch.cuda.set_device`` and wraps the model with
``device_ids=[rank]``. :func:`setup_cpu_distributed` initialises a gloo
process group before the runner and asks for a CPU DDP wrapper, which
reverts SyncBN to BN (SyncBN needs CUDA) with a logged warning. The tools
call it; :func:`vpt_mm.compat.apply` does not.
"""
import torch


def setup_cpu_distributed(cfg, launcher: str) -> bool:
    """Prepare a ``torchrun`` launch on a machine without CUDA.

    Initialises the gloo process group from the ``torchrun`` environment
    (mmengine then skips its CUDA-only initialisation) and wraps the model in
    :class:`CPUDistributedDataParallel` (see :func:`register_cpu_ddp`). Does
    nothing when CUDA is available, when the launch is not distributed or
    when a group already exists.

    Args:
        cfg (Config): The run's config; ``model_wrapper_cfg`` and
            ``env_cfg.dist_cfg`` are filled in when absent, and a
            ``MMDistributedDataParallel`` wrapper becomes the CPU one.
        launcher (str): The launcher named on the command line.

    Returns:
        bool: True if a CPU process group was set up.
    """
    import torch.distributed as dist
    if launcher != 'pytorch' or torch.cuda.is_available():
        return False
    if not dist.is_initialized():
        dist.init_process_group(backend='gloo')
    cfg.merge_from_dict({'env_cfg.dist_cfg.backend': 'gloo'})
    register_cpu_ddp()
    wrapper = cfg.get('model_wrapper_cfg') or dict(
        find_unused_parameters=cfg.get('find_unused_parameters', False))
    if wrapper.get('type', 'MMDistributedDataParallel') == \
            'MMDistributedDataParallel':
        wrapper['type'] = 'CPUDistributedDataParallel'
    wrapper.setdefault('device_ids', None)
    wrapper.setdefault('broadcast_buffers', False)
    cfg.model_wrapper_cfg = wrapper
    return True


def register_cpu_ddp() -> type:
    """Register ``CPUDistributedDataParallel`` in mmengine's
    ``MODEL_WRAPPERS`` (once) and return it.

    It is mmengine's ``MMDistributedDataParallel`` for CPU processes: no
    device ids, and SyncBN layers (from a ``norm_cfg`` of type ``SyncBN`` or
    ``cfg.sync_bn``) reverted to BN first, as mmengine does for a
    non-distributed run, with a logged warning: ``SyncBatchNorm`` needs CUDA
    (DDP rejects it on CPU modules), so each process normalises with its
    own batch's statistics.
    """
    import logging

    from mmengine.logging import print_log
    from mmengine.model import MMDistributedDataParallel
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import MODEL_WRAPPERS
    registered = MODEL_WRAPPERS.get('CPUDistributedDataParallel')
    if registered is not None:
        return registered

    class CPUDistributedDataParallel(MMDistributedDataParallel):
        """``MMDistributedDataParallel`` for CPU (gloo) processes; SyncBN
        layers are reverted to BN."""

        def __init__(self, module, **kwargs) -> None:
            count = sum(
                type(layer).__name__ == 'SyncBatchNorm'
                for layer in module.modules())
            if count:
                module = revert_sync_batchnorm(module)
                print_log(
                    f'{count} SyncBatchNorm layer(s) reverted to BatchNorm: '
                    'SyncBN needs CUDA; in this CPU distributed run each '
                    'process normalises with its own batch statistics',
                    logger='current',
                    level=logging.WARNING)
            kwargs['device_ids'] = None
            super().__init__(module=module, **kwargs)

    MODEL_WRAPPERS.register_module(module=CPUDistributedDataParallel)
    return CPUDistributedDataParallel


