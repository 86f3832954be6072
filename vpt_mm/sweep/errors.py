"""The sweep's one error type."""


class SweepError(RuntimeError):
    """A problem with a config, a task dir or a run, worded for the user."""
