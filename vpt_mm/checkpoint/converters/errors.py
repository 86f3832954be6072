"""The error of the converters and how their messages name keys."""
from typing import Mapping


class ConversionError(ValueError):
    """A source file cannot be converted.

    Raised for an unreadable file, an unknown layout or inconsistent weights.
    """


def some_keys(mapping: Mapping, count: int = 5) -> str:
    """The first ``count`` keys, quoted, for a one-line message."""
    keys = [str(key) for key in list(mapping)[:count]]
    more = ', ...' if len(mapping) > count else ''
    return '[' + ', '.join(repr(key) for key in keys) + more + ']'
