"""The text of a generated config: comment, ``_base_`` and the overrides,
as Python literals in the OpenMMLab style (``dict(key=value)``, single
quotes, 79 columns, yapf's breaks)."""
from typing import Any, List, Optional

from .specs import WIDTH, ConfigSpec

HEADER = '# Generated from configs/zoo.yml by tools/misc/generate_configs.py.'


def literal(value: Any) -> str:
    """``value`` as one line of Python."""
    if isinstance(value, dict):
        items = ', '.join(f'{k}={literal(v)}' for k, v in value.items())
        return f'dict({items})'
    if isinstance(value, (list, tuple)):
        return '[' + ', '.join(literal(v) for v in value) + ']'
    if isinstance(value, str):
        return repr(value)
    return repr(value)


def _lines(value: Any, head: str, indent: int, tail: str) -> List[str]:
    """``head + value + tail`` at ``indent``; a dict too long for one line
    gets one key per line, its closing parenthesis on the last."""
    pad = ' ' * indent
    one = f'{pad}{head}{literal(value)}{tail}'
    if len(one) <= WIDTH or not isinstance(value, dict) or not value:
        return [one]
    lines = [f'{pad}{head}dict(']
    items = list(value.items())
    for i, (key, item) in enumerate(items):
        end = ',' if i < len(items) - 1 else ')' + tail
        lines += _lines(item, f'{key}=', indent + 4, end)
    return lines


def assignment(name: str, value: Any,
               trailing: Optional[str] = None) -> List[str]:
    """``name = value`` (and a trailing ``# comment``) as lines."""
    lines = _lines(value, f'{name} = ', 0, '')
    if trailing:
        lines[-1] += f'  # {trailing}'
    return lines


def render_config(spec: ConfigSpec) -> str:
    """The full text of ``spec``'s config file."""
    lines = [f'# {line}' for line in spec.comment]
    lines.append(HEADER)
    lines.append('_base_ = [')
    lines += [f"    '{base}'," for base in spec.bases]
    lines.append(']')
    for name, value, trailing in spec.assigns:
        lines += assignment(name, value, trailing)
    return '\n'.join(lines) + '\n'
