"""Latency and peak memory of Full, Linear, VPT-shallow and VPT-deep (token
and key/value-prefix forms), as the paper's Tab. 12 and Figs. 18-19.

Each measurement runs in a fresh process; see :mod:`vpt_mm.utils.benchmark`
for what is timed and how memory is read.

Examples:
    python tools/analysis/benchmark.py --arch tiny --img-size 32 \
        --prompt-lengths 1 4 --repeats 2
    python tools/analysis/benchmark.py --batch 4 --repeats 5 \
        --prompt-lengths 1 200 --methods full vpt-deep-token \
        vpt-deep-prefix --device cpu --out docs/benchmark_cpu.md
    python tools/analysis/benchmark.py --device cuda --batch 64 \
        --plot work_dirs/benchmark.png --out work_dirs/benchmark.md
"""
from vpt_mm.utils.benchmark import main

if __name__ == '__main__':
    main()
