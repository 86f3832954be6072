"""tools/serve.py as a real process: it loads a folder of deltas, answers
over HTTP on 127.0.0.1, refuses a delta of another backbone with one line,
and is stopped (no process left behind)."""
import importlib.util
import json
import os.path as osp
import socket
import subprocess
import sys
import time
import urllib.request

import cv2
import numpy as np
import pytest

pytest.importorskip('fastapi', reason='the serve extra (fastapi) is absent')
pytest.importorskip('uvicorn', reason='the serve extra (uvicorn) is absent')

from vpt_mm.models.multitask.synthetic import (  # noqa: E402
    TINY_VIT, write_pretrained, write_synthetic_tasks)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools', 'serve.py')


def free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def test_the_tool_serves_a_folder_of_deltas(tmp_path):
    base, files = write_synthetic_tasks(
        str(tmp_path / 'tasks'), dict(linear=dict(num_tokens=0),
                                      deep=dict(num_tokens=4, deep=True)))
    config = str(tmp_path / 'base.py')
    base.dump(config)
    image = str(tmp_path / 'x.png')
    cv2.imwrite(image, np.full((32, 32, 3), 200, np.uint8))
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, TOOL, config, str(tmp_path / 'tasks'), '--port',
         str(port)], cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, text=True)
    try:
        url, health = f'http://127.0.0.1:{port}', None
        deadline = time.monotonic() + 120
        while health is None and time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read()
            try:
                with urllib.request.urlopen(f'{url}/health', timeout=5) as r:
                    health = json.loads(r.read())
            except OSError:
                time.sleep(0.2)
        assert health == dict(health, status='ok', tasks=2)
        with open(image, 'rb') as file:
            request = urllib.request.Request(f'{url}/tasks/deep/predict',
                                             file.read())
        with urllib.request.urlopen(request, timeout=30) as r:
            answer = json.loads(r.read())
        assert answer['task'] == 'deep' and len(answer['scores']) == 4
        assert abs(sum(answer['scores']) - 1) < 1e-4
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert process.returncode is not None


def test_the_tool_refuses_a_delta_of_another_backbone(tmp_path):
    base, files = write_synthetic_tasks(
        str(tmp_path / 'tasks'), dict(deep=dict(num_tokens=4, deep=True)))
    base.model.backbone.init_cfg.checkpoint = write_pretrained(
        str(tmp_path / 'other.pth'), TINY_VIT, seed=3)
    config = str(tmp_path / 'base.py')
    base.dump(config)
    spec = importlib.util.spec_from_file_location('serve_tool', TOOL)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    with pytest.raises(SystemExit,
                       match='deep.delta.safetensors: the delta was trained '
                       'on backbone .* pass --allow-other-backbone'):
        tool.main([config, files['deep'], '--port', str(free_port())])
