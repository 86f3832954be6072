"""Configs keep resolving to the same dicts: a sample of every generated
family (one config per method and backbone, the task rotating), every
ablation variant on one task, the exemplar and the SETR configs, checked
against digests of the dicts they resolved to before the zoo was generated
from configs/zoo.yml (fixtures/resolved_sample.json)."""
import hashlib
import json
import os.path as osp

import pytest
from test_config_zoo import load

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FIXTURE = osp.join(osp.dirname(osp.abspath(__file__)), 'fixtures',
                   'resolved_sample.json')


def digest(cfg_dict: dict) -> str:
    """A stable digest of a resolved config dict."""
    text = json.dumps(cfg_dict, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


with open(FIXTURE) as file:
    SAMPLE = json.load(file)


@pytest.mark.parametrize('path', sorted(SAMPLE))
def test_config_resolves_to_the_same_dict(path):
    cfg = load(osp.join(ROOT, path))
    assert digest(cfg.to_dict()) == SAMPLE[path], path
