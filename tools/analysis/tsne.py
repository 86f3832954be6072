"""A t-SNE of the final features of several runs of one task, one figure
(cf. the paper's Fig. 10; needs scikit-learn: pip install 'vpt_mm[tsne]').

Each --run is NAME CONFIG CHECKPOINT (a .pth or a delta); the features are
taken on each config's test set, which must hold the same images.

Example (after tools/demo.sh):
    python tools/analysis/tsne.py \
        --run Linear linear.py linear/epoch_20.pth \
        --run VPT-deep vpt-deep.py vpt-deep/epoch_20.delta.safetensors \
        --out docs/images/tsne.png --max-samples 500
"""
import argparse
import json

from vpt_mm.apis.tsne import Run, plot_tsne, tsne_runs
from vpt_mm.checkpoint.strict import CheckpointMismatchError


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--run', nargs=3, action='append', required=True,
                        metavar=('NAME', 'CONFIG', 'CHECKPOINT'),
                        help='a run of the task (repeat, one per panel)')
    parser.add_argument('--out', required=True, help='the figure (PNG)')
    parser.add_argument('--max-samples', type=int, default=500,
                        help='test images, spread evenly over the set')
    parser.add_argument('--perplexity', type=float, default=30.0)
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--device', help='cpu, cuda, cuda:1, ...')
    parser.add_argument('--json', help='also write the silhouette scores')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    runs = [Run(*run) for run in args.run]
    try:
        panels = tsne_runs(runs, args.max_samples, args.perplexity,
                           args.seed, args.device)
    except (CheckpointMismatchError, FileNotFoundError, ValueError,
            ImportError) as error:
        raise SystemExit(str(error)) from error
    plot_tsne(panels, args.out)
    scores = {panel.name: round(panel.silhouette, 4) for panel in panels}
    for panel in panels:
        print(f'{panel.name}: {len(panel.labels)} images, '
              f'silhouette {panel.silhouette:.3f}')
    print(f'Figure: {args.out}')
    if args.json:
        with open(args.json, 'w') as file:
            json.dump(scores, file, indent=2)


if __name__ == '__main__':
    main()
