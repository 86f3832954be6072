"""Draw where prompts go in VPT-shallow, VPT-deep as tokens and VPT-deep as
key/value prefixes, from the layer plans of small PromptedViT models.

Example:
    python tools/analysis/draw_prompts.py docs/images/prompts.png
"""
import argparse

from vpt_mm.apis.prompt_diagram import draw_prompt_diagram


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out', help='the figure (PNG)')
    parser.add_argument('--num-layers', type=int, default=4)
    parser.add_argument('--num-tokens', type=int, default=2)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.num_layers < 1 or args.num_tokens < 1:
        raise SystemExit('--num-layers and --num-tokens must be at least 1')
    drawn = draw_prompt_diagram(args.out, args.num_layers, args.num_tokens)
    print(f'{len(drawn)} variants drawn: {args.out}')


if __name__ == '__main__':
    main()
