"""The server over real HTTP on 127.0.0.1: concurrent mixed-task requests
answer as each task's own model (tools/infer.py's Predictor), bad requests
get a 4xx and the server keeps serving, /health and /tasks."""
import json
import os.path as osp
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import cv2
import numpy as np
import pytest

pytest.importorskip('fastapi', reason='the serve extra (fastapi) is absent')
pytest.importorskip('uvicorn', reason='the serve extra (uvicorn) is absent')

from vpt_mm.apis.infer import Predictor  # noqa: E402
from vpt_mm.checkpoint.delta import read_delta  # noqa: E402
from vpt_mm.models.multitask import task_config  # noqa: E402
from vpt_mm.models.multitask.synthetic import \
    write_synthetic_tasks  # noqa: E402
from vpt_mm.serving.app import create_app  # noqa: E402
from vpt_mm.serving.images import ImageDecoder  # noqa: E402
from vpt_mm.serving.server import BackgroundServer  # noqa: E402
from vpt_mm.serving.tasks import load_tasks, task_files  # noqa: E402

TASKS = dict(linear=dict(num_tokens=0), shallow=dict(num_tokens=3),
             deep2=dict(num_tokens=2, deep=True),
             deep6=dict(num_tokens=6, deep=True))
MAX_BYTES = 100_000


def request(url, data=None, timeout=60):
    """``(status, JSON body)`` of one HTTP request."""
    try:
        with urllib.request.urlopen(
                urllib.request.Request(url, data=data), timeout=timeout) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.fixture(scope='module')
def served(tmp_path_factory):
    work = tmp_path_factory.mktemp('serve')
    base, files = write_synthetic_tasks(str(work / 'tasks'), TASKS)
    rng = np.random.RandomState(0)
    images = []
    for index in range(4):
        path = str(work / f'image{index}.png')
        cv2.imwrite(path, rng.randint(0, 256, (40 + index, 36, 3),
                                      dtype=np.uint8))
        images.append(path)
    model = load_tasks(base, [str(work / 'tasks')])
    app = create_app(model, ImageDecoder(base), max_batch=8, max_wait=0.2,
                     max_bytes=MAX_BYTES)
    server = BackgroundServer(app)
    with server:
        yield server.url, files, images, app
    assert not server.thread.is_alive()  # stopped, nothing left behind


def test_health_and_tasks(served):
    url, files, _, app = served
    status, health = request(f'{url}/health')
    assert status == 200 and health['status'] == 'ok'
    assert health['tasks'] == 4
    assert health['backbone_sha256'] == app.state.model.fingerprint
    status, tasks = request(f'{url}/tasks')
    assert status == 200
    assert {t['name']: (t['kind'], t['num_tokens']) for t in tasks} == dict(
        linear=('linear', 0), shallow=('shallow', 3), deep2=('prefix', 2),
        deep6=('prefix', 6))
    assert all(t['fingerprint_check'] == 'ok' for t in tasks)
    assert all(t['backbone_sha256'] == health['backbone_sha256']
               for t in tasks)


def test_concurrent_mixed_task_requests_equal_the_single_task_model(
        served):
    url, files, images, app = served
    jobs = [(task, image) for task in TASKS for image in images]
    before = len(app.state.batcher.sizes)

    def post(job):
        task, image = job
        with open(image, 'rb') as file:
            return request(f'{url}/tasks/{task}/predict', file.read())

    with ThreadPoolExecutor(len(jobs)) as pool:
        answers = list(pool.map(post, jobs))
    sizes = app.state.batcher.sizes[before:]
    assert sum(sizes) == len(jobs) and max(sizes) >= 2  # batched
    predictors = {}
    for (task, image), (status, answer) in zip(jobs, answers):
        assert status == 200, answer
        if task not in predictors:
            _, meta = read_delta(files[task])
            predictors[task] = Predictor(
                task_config(meta, files[task]), files[task], 'cpu')
        own = predictors[task](image)['topk']
        assert [t['label'] for t in answer['topk']] == \
            [t['label'] for t in own]
        assert answer['topk'][0]['class'] == own[0]['class']
        np.testing.assert_allclose([t['score'] for t in answer['topk']],
                                   [t['score'] for t in own], atol=2e-6)


def test_bad_requests_get_4xx_and_the_server_keeps_serving(served):
    url, _, images, _ = served
    with open(images[0], 'rb') as file:
        image = file.read()
    status, body = request(f'{url}/tasks/nope/predict', image)
    assert status == 404 and "unknown task 'nope'" in body['detail']
    status, body = request(f'{url}/tasks/deep2/predict', b'not an image')
    assert status == 415 and 'not an image' in body['detail']
    status, body = request(f'{url}/tasks/deep2/predict',
                           b'\x89PNG' + b'\0' * MAX_BYTES)
    assert status == 413 and f'over {MAX_BYTES} bytes' in body['detail']
    status, body = request(f'{url}/tasks/deep2/predict', b'')
    assert status == 400 and 'empty body' in body['detail']
    status, body = request(f'{url}/tasks/deep2/predict?topk=0', image)
    assert status == 400 and 'topk' in body['detail']
    status, body = request(f'{url}/tasks/deep2/predict?topk=2', image)
    assert status == 200 and len(body['topk']) == 2
    assert body['topk'][0]['class'].startswith('deep2-')
    assert request(f'{url}/health')[1]['status'] == 'ok'


def test_task_sources(tmp_path, served):
    _, files, _, _ = served
    folder = osp.dirname(files['linear'])
    assert task_files([folder]) == files
    assert task_files([f"mine={files['deep2']}"]) == dict(
        mine=files['deep2'])
    with pytest.raises(ValueError, match="task 'deep2' given twice"):
        task_files([folder, files['deep2']])
    with pytest.raises(FileNotFoundError, match='no \\*.delta.safetensors'):
        task_files([str(tmp_path)])
    with pytest.raises(FileNotFoundError, match='no file or folder'):
        task_files([str(tmp_path / 'missing')])


def test_the_benchmarks_bounded_client(served):
    from vpt_mm.benchmark.serving import http_load
    url, _, images, _ = served
    with open(images[0], 'rb') as file:
        image = file.read()
    jobs = [('deep2', image), ('linear', image)] * 4 + [('nope', image)]
    load = http_load(url, jobs, concurrency=4)
    assert load['requests'] == 9 and load['errors'] == 1  # the unknown
    assert 0 < load['p50_ms'] <= load['p99_ms']
    assert load['req_s'] > 0
