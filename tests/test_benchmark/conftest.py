"""What the benchmark tests share: a quick setting (a tiny ViT, two timed
iterations) and readers of the Markdown tables."""
import re

import pytest

RATIO = re.compile(r'^(\d+\.\d\d)×$')


@pytest.fixture
def quick():
    """A tiny ViT on 32 px, batch 2, two timed iterations after one."""
    return dict(arch='tiny', img_size=32, batch=2, repeats=2, warmup=1)


@pytest.fixture
def table_rows():
    """The rows (dicts of cells by header) of the table whose header
    starts so, and the header."""

    def read(markdown, header_start):
        lines = markdown.splitlines()
        start = next(i for i, line in enumerate(lines)
                     if line.startswith(header_start))
        header = [c.strip() for c in lines[start].strip('|').split('|')]
        rows = []
        for line in lines[start + 2:]:
            if not line.startswith('|'):
                break
            rows.append(
                dict(
                    zip(header,
                        (c.strip() for c in line.strip('|').split('|')))))
        return header, rows

    return read


@pytest.fixture
def ratio():
    """The value of a ratio cell ('1.23×'), asserted well formed. Steps of
    the tiny models take well under a millisecond, so on a loaded machine a
    ratio can be anything from '0.00×' to hundreds: only its form and sign
    are checked here (the measured ratios are the benchmark's report)."""

    def read(cell):
        match = RATIO.match(cell)
        assert match, cell
        value = float(match.group(1))
        assert 0 <= value < 1e4, cell
        return value

    return read
