"""The ground floor: compatibility patches for CPU-only installs of the
OpenMMLab stack. Imports nothing of vpt_mm, and nothing heavy until
:func:`apply` runs.

On a CUDA cluster with full ``mmcv`` and a matching ``torchvision`` every
patch detects that the real library is present and does nothing. Each
patch is one module:

1. :mod:`.torchvision_ops`: CPU ``torchvision::nms``/``qnms`` when
   torchvision's compiled library cannot load.
2. :mod:`.mmcv_ext`: a placeholder for mmcv-lite's missing ``mmcv._ext``.
3. :mod:`.checkpoint_globals`: the data-only globals of mmengine's own
   checkpoints (``--resume``, ``load_from``, and mmengine's local-file
   loader behind the hosts' inference APIs) under ``weights_only``.
4. :mod:`.config_lookup`: ``mmseg::``/``mmpretrain::`` config bases
   without ``pkg_resources``.
5. :mod:`.config_lookup`: a cache of mmengine's metafile look-up of those
   bases.
6. :mod:`.cpu_ddp`: ``torchrun`` launches on CPU (gloo, a CPU DDP wrapper);
   the tools call it with the run's config.

:func:`apply` runs 1-5. Every vpt_mm package that imports a host calls it
first (``vpt_mm.modules`` for ``custom_imports``, ``models``, ``datasets``,
``engine``, ``evaluation``, ``apis``).
"""

__all__ = ['apply']


def apply() -> None:
    """Apply every import-time patch; each is a no-op where not needed."""
    from .checkpoint_globals import (allow_mmengine_checkpoint_globals,
                                     allow_run_checkpoints_in_local_loader)
    from .config_lookup import (cache_external_config_lookup,
                                use_importlib_package_lookup)
    from .mmcv_ext import install_mmcv_ext_placeholder
    from .torchvision_ops import register_torchvision_cpu_ops
    register_torchvision_cpu_ops()
    install_mmcv_ext_placeholder()
    allow_mmengine_checkpoint_globals()
    allow_run_checkpoints_in_local_loader()
    use_importlib_package_lookup()
    cache_external_config_lookup()
