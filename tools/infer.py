"""Predict on your own images with a config and a run's checkpoint or delta.

Classification: the top-k classes (with their names) per image.
Segmentation: a PNG label map and an overlay per image (with --show-dir).

Examples:
    python tools/infer.py CONFIG work_dirs/run/epoch_100.delta.safetensors \
        photos/ --out predictions.json
    python tools/infer.py SEG_CONFIG work_dirs/seg/iter_160000.pth \
        images.txt --show-dir vis/
"""
import argparse

from mmengine.config import Config

from vpt_mm.apis.infer import predict
from vpt_mm.checkpoint.delta import OVERRIDE_FLAG
from vpt_mm.checkpoint.strict import CheckpointMismatchError


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='the config the run was trained with')
    parser.add_argument(
        'checkpoint',
        help="a run's checkpoint (.pth) or delta (.delta.safetensors, on "
        "the pretrained backbone of the config's init_cfg)")
    parser.add_argument(
        'input', help='an image, a folder of images, or a list file (one '
        'image path a line, relative to the list)')
    parser.add_argument(
        '--show-dir', help='write label maps and overlays (segmentation) '
        'or annotated images (classification) here')
    parser.add_argument('--out', help='write the predictions to this JSON')
    parser.add_argument('--topk', type=int, default=5,
                        help='classes per image (classification)')
    parser.add_argument('--device', help='cpu, cuda, cuda:1, ...')
    parser.add_argument(OVERRIDE_FLAG, action='store_true',
                        help='apply a delta on a backbone other than its '
                        'own, or an uninitialised one (logged)')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    cfg = Config.fromfile(args.config)
    try:
        results = predict(cfg, args.checkpoint, args.input, args.show_dir,
                          args.out, args.topk, args.device,
                          args.allow_other_backbone)
    except (CheckpointMismatchError, FileNotFoundError) as error:
        raise SystemExit(str(error)) from error
    print()
    for result in results:
        if 'topk' in result:
            best = ', '.join(f"{item['class']} {item['score']:.3f}"
                             for item in result['topk'])
            print(f"{result['image']}: {best}")
        else:
            print(f"{result['image']}: {len(result['classes'])} classes"
                  + (f" -> {result['label_map_file']}"
                     if 'label_map_file' in result else ''))


if __name__ == '__main__':
    main()
