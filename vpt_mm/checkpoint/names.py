"""The names of vpt_mm's checkpoint artifacts (torch-free)."""

#: The ``format`` metadata of a delta file.
DELTA_FORMAT = 'vpt_mm.delta/1'
#: A run's delta next to its checkpoint: ``epoch_100.delta.safetensors``.
DELTA_FILE_SUFFIX = '.delta.safetensors'
