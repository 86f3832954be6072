"""Process isolation: every measurement in a fresh Python interpreter, so
that its memory high-water mark is its own.

The parent (:func:`measure_isolated`) starts ``python -c`` on
:func:`work` with the measurement's keyword arguments as JSON; the child
runs :func:`~.measure.measure` and prints the result on a line starting
with :data:`RESULT_MARK`, which the parent reads back.
"""
import json
import subprocess
import sys

from .measure import measure

RESULT_MARK = 'BENCHMARK_RESULT '
# the child's entry point: this module's work(), never a tools/ script
CHILD = 'import sys; from vpt_mm.benchmark.worker import work; ' \
    'work(sys.argv[1])'


def work(spec: str) -> None:
    """The child: :func:`~.measure.measure` with the keyword arguments in
    ``spec`` (JSON), the result printed after :data:`RESULT_MARK`."""
    result = measure(**json.loads(spec))
    print(RESULT_MARK + json.dumps(result), flush=True)


def measure_isolated(spec: dict) -> dict:
    """:func:`~.measure.measure` in a fresh interpreter (its own memory
    peak)."""
    proc = subprocess.run([sys.executable, '-c', CHILD,
                           json.dumps(spec)],
                          capture_output=True,
                          text=True,
                          check=False)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK):])
    raise RuntimeError(f'benchmark worker failed (exit {proc.returncode}) '
                       f'for {spec}:\n{proc.stderr[-3000:]}')
