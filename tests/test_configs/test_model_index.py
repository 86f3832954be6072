"""model-index.yml, mim's index: it imports every config folder's
metafile.yml (found on disk here, independently of the writer), is what
tools/misc/generate_configs.py writes, and broken metafile paths or a stale
index are named, one line each."""
import glob
import os.path as osp
import shutil
import sys

import yaml

from vpt_mm.zoo import check_model_index, model_index_text, write_model_index

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'misc', 'generate_configs.py')


def test_model_index_lists_every_metafile():
    with open(osp.join(ROOT, 'model-index.yml')) as file:
        index = yaml.safe_load(file)
    on_disk = sorted(
        osp.relpath(path, ROOT)
        for path in glob.glob(osp.join(ROOT, 'configs', '*', 'metafile.yml')))
    assert len(on_disk) >= 22
    assert sorted(index['Import']) == on_disk


def test_model_index_is_the_generators_output_and_metafiles_resolve():
    assert check_model_index(ROOT) == []


def fake_repo(tmp_path, config_exists=True):
    folder = tmp_path / 'configs' / 'toy'
    folder.mkdir(parents=True)
    (folder / 'README.md').write_text('# toy\n')
    if config_exists:
        (folder / 'toy.py').write_text('x = 1\n')
    (folder / 'metafile.yml').write_text(yaml.safe_dump({
        'Collections': [{'Name': 'Toy', 'README': 'configs/toy/README.md'}],
        'Models': [{'Name': 'toy', 'In Collection': 'Toy',
                    'Config': 'configs/toy/toy.py'}]}))
    return tmp_path


def test_missing_or_stale_index_and_broken_config_are_named(tmp_path):
    repo = str(fake_repo(tmp_path, config_exists=False))
    assert check_model_index(repo) == [
        'model-index.yml is missing',
        'configs/toy/metafile.yml: toy: Config configs/toy/toy.py does '
        'not exist']
    assert write_model_index(repo) is True
    assert write_model_index(repo) is False
    assert yaml.safe_load(model_index_text(repo)) == {
        'Import': ['configs/toy/metafile.yml']}
    shutil.copytree(tmp_path / 'configs' / 'toy',
                    tmp_path / 'configs' / 'toy2')
    assert check_model_index(repo)[0] == (
        'model-index.yml differs from the metafiles')


def test_generate_configs_check_names_a_stale_index(tmp_path, capsys,
                                                    monkeypatch):
    repo = fake_repo(tmp_path)
    sys.path.insert(0, osp.dirname(TOOL))
    try:
        import generate_configs
    finally:
        sys.path.pop(0)
    # the configs themselves agree (that part is test_generated.py's)
    monkeypatch.setattr(generate_configs, 'check', lambda root: ([], []))
    check = ['--check', '--configs', str(repo / 'configs')]
    assert generate_configs.main(check) == 1
    assert capsys.readouterr().out == 'model-index.yml is missing\n'
    monkeypatch.setattr(generate_configs, 'write', lambda root: ([], []))
    assert generate_configs.main(check[1:]) == 0
    assert 'wrote model-index.yml' in capsys.readouterr().out
    assert generate_configs.main(check) == 0
