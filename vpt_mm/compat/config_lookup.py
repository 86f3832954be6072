"""Patches 4 and 5: host config bases (``mmseg::...``) without
``pkg_resources``, and a cache of their look-up.

Config inheritance from an installed host asks mmengine's ``is_installed``
and ``get_installed_path``, which import ``pkg_resources``; setuptools >= 81
no longer ships it, so every ``mmseg::``/``mmpretrain::`` base fails.
:func:`use_importlib_package_lookup` gives mmengine's config loader
``importlib``-based versions of the two functions, only when
``pkg_resources`` cannot be imported.

Each such base costs ~0.4 s: mmengine parses every metafile of the host (53
YAML files for mmseg) to look the config up as a model, fails for a ``.py``
path and falls back to the file. :func:`cache_external_config_lookup`
remembers the answer (a path or that failure) per package and config, on
the installs where the first patch applies.
"""
import functools
import importlib.metadata
import importlib.util
import os
import warnings


def _package_is_installed(package: str) -> bool:
    """``mmengine.utils.is_installed`` without ``pkg_resources``."""
    try:
        importlib.metadata.distribution(package)
        return True
    except importlib.metadata.PackageNotFoundError:
        spec = importlib.util.find_spec(package)
        return spec is not None and spec.origin is not None


@functools.lru_cache(maxsize=None)
def _package_installed_path(package: str) -> str:
    """``mmengine.utils.get_installed_path`` without ``pkg_resources``: the
    folder of the package's top-level module (``mmsegmentation`` ->
    ``.../mmseg``). Cached: scanning the installed distributions costs
    ~0.3 s, on every ``mmseg::`` base otherwise."""
    names = [package]
    try:
        importlib.metadata.distribution(package)
        names += [
            module for module, dists in
            importlib.metadata.packages_distributions().items()
            if package in dists
        ]
    except importlib.metadata.PackageNotFoundError:
        pass
    for name in names:
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            spec = None
        if spec is not None and spec.origin is not None:
            return os.path.dirname(spec.origin)
    raise ModuleNotFoundError(f'package {package!r} is not installed')


def _pkg_resources_importable() -> bool:
    # setuptools 77-80 (kept for openmim) warns that pkg_resources is
    # deprecated on every import; this probe is not a use of it
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        try:
            import pkg_resources  # noqa: F401
            return True
        except ImportError:
            return False


def use_importlib_package_lookup() -> bool:
    """Let ``mmseg::``/``mmpretrain::`` config bases resolve where
    ``pkg_resources`` is gone (setuptools >= 81).

    Returns:
        bool: True if mmengine's config loader was patched by this call.
    """
    if _pkg_resources_importable():
        return False
    import mmengine.config.config as config_module
    if getattr(config_module.is_installed, 'vpt_mm_patched', False):
        return False
    _package_is_installed.vpt_mm_patched = True
    config_module.is_installed = _package_is_installed
    config_module.get_installed_path = _package_installed_path
    return True


def cache_external_config_lookup() -> bool:
    """Remember mmengine's metafile lookup of host configs (``mmseg::``).

    The host's metafiles do not change while a process runs; the answer,
    a path or the ``ValueError`` that sends mmengine to the base-config
    path, is the same every time.

    Returns:
        bool: True if mmengine's config loader was patched by this call.
    """
    if _pkg_resources_importable():
        return False  # an install where mmengine's own look-up works as is
    import mmengine.config.config as config_module
    lookup = config_module._get_external_cfg_path
    if getattr(lookup, 'vpt_mm_patched', False):
        return False

    @functools.lru_cache(maxsize=None)
    def answer(package_path: str, cfg_file: str):
        try:
            return lookup(package_path, cfg_file), None
        except ValueError as error:
            return None, str(error)

    @functools.wraps(lookup)
    def cached_lookup(package_path: str, cfg_file: str) -> str:
        path, error = answer(package_path, cfg_file)
        if error is not None:
            raise ValueError(error)
        return path

    cached_lookup.vpt_mm_patched = True
    config_module._get_external_cfg_path = cached_lookup
    return True


