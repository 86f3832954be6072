"""The generated configs: every committed file of the families in
configs/zoo.yml is exactly what tools/misc/generate_configs.py writes, no
config in those folders is left that the manifest does not produce, and
manifest mistakes come back as one line naming the key."""
import copy
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest
import yaml

from vpt_mm.zoo import (ManifestError, all_specs, check, expected_files,
                        handwritten, validate)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(ROOT, 'configs')
TOOL = osp.join(ROOT, 'tools', 'misc', 'generate_configs.py')


@pytest.fixture(scope='module')
def manifest():
    with open(osp.join(CONFIGS, 'zoo.yml')) as file:
        return yaml.safe_load(file)


def test_every_generated_file_is_the_generators_output():
    differ, stale = check(CONFIGS)
    assert differ == [], ('run tools/misc/generate_configs.py; these differ '
                          f'from configs/zoo.yml: {differ}')
    assert stale == [], f'configs the manifest does not produce: {stale}'


def test_the_manifest_covers_the_table_shaped_families(manifest):
    files = expected_files(CONFIGS)
    configs = [path for path in files if path.endswith('.py')]
    kept = handwritten(validate(manifest))
    # 17 families x their rows x tasks, and 22 ablation variants x 19 tasks
    assert len(configs) + len(kept) == 942 + 22 * 19
    assert kept == ['vpt/vpt-deep_vit-b16-in21k_1xb128_cub.py']
    for folder in {path.split('/')[0] for path in configs}:
        assert f'{folder}/README.md' in files
        assert f'{folder}/metafile.yml' in files
        metafile = yaml.safe_load(files[f'{folder}/metafile.yml'])
        assert metafile['Collections'][0]['Paper']['URL'] == \
            'https://arxiv.org/abs/2203.12119'
        for model in metafile['Models']:
            assert osp.isfile(osp.join(ROOT, model['Config'])), model


def test_the_paper_facts_in_the_specs(manifest):
    specs = {spec.path: spec for spec in all_specs(validate(manifest))}
    # Tab. 14: VPT-deep on Stanford Cars p = 200; Tab. 8: batch 64 then
    cars = specs['vpt/vpt-deep_vit-b16-in21k_1xb64_cars.py']
    assert cars.meta['p'] == 200 and cars.meta['batch'] == 64
    # Tab. 13: VPT-shallow on Sun397 p = 1; ViT-H/14 batch 28 for p < 100
    sun = specs['vit-h14/vpt-shallow_vit-h14-in21k_1xb28_vtab1k-sun397.py']
    assert sun.meta['p'] == 1
    # Fig. 13 CLS prototypes: p = classes, at most 200 (Sun397: 397)
    proto = specs['ablations/vpt-deep-cls-prototype_vit-b16-in21k_1xb64_'
                  'vtab1k-sun397.py']
    assert proto.assigns[0][1]['backbone']['prompt_cfg']['num_tokens'] == 200


@pytest.mark.parametrize('edit,message', [
    (lambda m: m['tasks']['cub'].pop('classes'), 'tasks.cub.classes: missing'),
    (lambda m: m['tasks']['cub'].update(classes='200'),
     'tasks.cub.classes: expected an int'),
    (lambda m: m['families']['vpt']['models'][0].update(batch=[128]),
     'families.vpt.models[0].batch: expected an int or [p < 100, p >= 100]'),
    (lambda m: m['families']['full']['models'][0].update(method='fulll'),
     'families.full.models[0].method: expected one of'),
    (lambda m: m['families']['full'].update(task=['fgvc']),
     'families.full.task: unknown key'),
    (lambda m: m['results']['top1']['full'].pop(),
     'results.top1.full: expected 24 values'),
    (lambda m: m['ablations']['variants']['vpt-deep-add'].update(p='all'),
     'ablations.variants.vpt-deep-add.p: expected one of'),
])
def test_manifest_errors_are_one_line_naming_the_key(manifest, edit, message):
    broken = copy.deepcopy(manifest)
    edit(broken)
    with pytest.raises(ManifestError) as error:
        validate(broken, 'configs/zoo.yml')
    text = str(error.value)
    assert '\n' not in text
    assert text.startswith('configs/zoo.yml: ' + message), text


def test_check_names_the_files_that_differ(tmp_path):
    configs = tmp_path / 'configs'
    shutil.copytree(CONFIGS, configs)
    shutil.copyfile(osp.join(ROOT, 'model-index.yml'),
                    tmp_path / 'model-index.yml')
    edited = configs / 'full' / 'full_vit-b16-in21k_1xb128_cub.py'
    edited.write_text(edited.read_text() + 'model = dict()\n')
    stale = configs / 'linear' / 'linear_vit-b16-in21k_1xb64_cub.py'
    stale.write_text("_base_ = ['./linear_vit-b16-in21k_1xb2048_cub.py']\n")
    (configs / 'bias' / 'README.md').unlink()

    def run(*args):
        return subprocess.run(
            [sys.executable, TOOL, '--configs', str(configs), *args],
            capture_output=True, text=True)

    result = run('--check')
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        'differs: configs/bias/README.md',
        'differs: configs/full/full_vit-b16-in21k_1xb128_cub.py',
        'not in the manifest: configs/linear/'
        'linear_vit-b16-in21k_1xb64_cub.py',
    ]
    result = run()
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == '2 written, 1 removed'
    assert not stale.exists()
    assert run('--check').returncode == 0
    # a broken manifest: one line on stderr, exit 2
    manifest = configs / 'zoo.yml'
    manifest.write_text(manifest.read_text().replace(
        'classes: 200,', 'classes: many,', 1))
    result = run('--check')
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "configs/zoo.yml: tasks.cub.classes: expected an int, got 'many'")


def test_every_config_folder_has_readme_and_metafile():
    """mmpretrain's layout: each folder documents its configs; a metafile
    lists every config but the SETR folder's old-name aliases."""
    folders = sorted(
        name for name in os.listdir(CONFIGS)
        if osp.isdir(osp.join(CONFIGS, name)) and name != '_base_')
    for folder in folders:
        assert osp.isfile(osp.join(CONFIGS, folder, 'README.md')), folder
        with open(osp.join(CONFIGS, folder, 'metafile.yml')) as file:
            metafile = yaml.safe_load(file)
        (collection, ) = metafile['Collections']
        assert collection['Paper']['Title'] == 'Visual Prompt Tuning'
        assert collection['README'] == f'configs/{folder}/README.md'
        listed = set()
        for model in metafile['Models']:
            assert model['In Collection'] == collection['Name']
            assert model['Name'] == osp.basename(model['Config'])[:-3]
            listed.add(model['Config'])
        files = {
            f'configs/{folder}/{name}'
            for name in os.listdir(osp.join(CONFIGS, folder))
            if name.endswith('.py') and not name.endswith('_vitl_ade20k.py')
        }
        assert listed == files, folder
