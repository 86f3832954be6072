"""The pictures in the README and docs/: every image link resolves to a
small committed PNG, the README shows at least two, docs/pictures.md shows
the four the project's tools draw, each with the command that drew it."""
import os.path as osp
import re

from vpt_mm.sweep.plot import png_size

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
IMAGE = re.compile(r'!\[[^\]]*\]\(([^)]+)\)')
MAX_BYTES = 250 * 1024


def images(doc):
    path = osp.join(ROOT, doc)
    with open(path) as file:
        links = IMAGE.findall(file.read())
    return [osp.normpath(osp.join(osp.dirname(path), link)) for link in links]


def test_every_image_link_is_a_small_committed_png():
    docs = ['README.md'] + [
        osp.join('docs', name) for name in ('pictures.md', 'peft.md',
                                            'more_backbones_and_lt.md')]
    for doc in docs:
        for image in images(doc):
            assert osp.isfile(image), f'{doc}: no image at {image}'
            assert image.endswith('.png'), image
            assert osp.getsize(image) < MAX_BYTES, image
            width, height = png_size(image)
            assert width >= 300 and height >= 150, image


def test_readme_and_pictures_page_show_the_tools_pictures():
    assert len(images('README.md')) >= 2
    with open(osp.join(ROOT, 'docs', 'pictures.md')) as file:
        text = file.read()
    shown = {osp.basename(image) for image in images('docs/pictures.md')}
    assert len(shown) >= 4
    for tool in ('tools/analysis/draw_prompts.py', 'tools/sweep.py',
                 'tools/analysis/benchmark.py', 'tools/analysis/tsne.py'):
        assert f'python {tool}' in text, tool
