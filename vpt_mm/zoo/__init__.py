"""The config zoo's generator: ``configs/zoo.yml`` (the tables as data) ->
the table-shaped configs and each generated folder's README.md and
metafile.yml. Torch-free; ``tools/misc/generate_configs.py`` is its CLI."""
from .generate import check, expected_files, handwritten, write
from .manifest import ManifestError, load_manifest, validate
from .model_index import (check_model_index, metafiles, model_index_text,
                          write_model_index)
from .render import render_config
from .specs import ConfigSpec, all_specs

__all__ = [
    'ConfigSpec', 'ManifestError', 'all_specs', 'check', 'check_model_index',
    'expected_files', 'handwritten', 'load_manifest', 'metafiles',
    'model_index_text', 'render_config', 'validate', 'write',
    'write_model_index'
]
