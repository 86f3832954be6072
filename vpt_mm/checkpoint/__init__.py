"""Checkpoints: one safe reader, strict loading, deltas and converters.

The package itself imports nothing heavy; import its modules directly.
"""
