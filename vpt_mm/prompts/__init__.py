"""The prompt, vpt_mm's central concept: its configuration, initialisation,
the one protocol every prompt module answers (:mod:`.base`), the modules
(latent :mod:`.tokens`, ViT :mod:`.pixel` prompts, the ConvNet
:mod:`.border`, :mod:`.swin` prompts, :mod:`.stacked` ensembles) and where
prompt tokens sit in a sequence (:mod:`.sequence`).

The package imports nothing heavy itself; import its modules directly.
"""
