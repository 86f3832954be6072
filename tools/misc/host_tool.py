"""Run one of mmpretrain's or mmseg's own tools on a vpt-mm config.

The hosts' scripts import the host before the config's custom_imports run;
this applies vpt-mm's CPU patches first and reads the config as vpt-mm's
tools do (vpt_mm.apis.host_tools).

Examples:
    python tools/misc/host_tool.py mmpretrain browse_dataset CONFIG
        -o work_dirs/browse -n 8 -m original --not-show
    python tools/misc/host_tool.py mmpretrain verify_dataset CONFIG
        --out-path work_dirs/broken.log
    python tools/misc/host_tool.py mmpretrain --list
"""
import argparse
import sys

from vpt_mm.apis.host_tools import list_host_tools, run_host_tool


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog='arguments after TOOL go to the tool',
        usage='%(prog)s HOST TOOL [tool arguments...] | HOST --list')
    parser.add_argument('host', help='mmpretrain or mmseg')
    parser.add_argument(
        'tool', nargs='?',
        help="the tool's file name (browse_dataset) or its path under the "
        "host's tools folder (misc/verify_dataset.py)")
    parser.add_argument(
        '--list', action='store_true', help="list the host's tools")
    args = parser.parse_args(argv[:2] if argv[1:2] != ['--list'] else argv)
    try:
        if args.list:
            print('\n'.join(list_host_tools(args.host)))
            return 0
        if args.tool is None:
            parser.error('give a tool (or --list)')
        run_host_tool(args.host, args.tool, argv[2:])
    except ValueError as error:
        print(error, file=sys.stderr)
        return 2
    return 0


if __name__ == '__main__':
    sys.exit(main())
