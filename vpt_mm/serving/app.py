"""The HTTP API (FastAPI, the ``serve`` extra) of a mixed-task model.

- ``GET /health``: ``{"status": "ok", "tasks": N, "backbone_sha256",
  "batches", "largest_batch"}``.
- ``GET /tasks``: every task's kind, prompt length, classes, the
  fingerprint of the backbone its delta was trained on and the check of it
  against the served one (``fingerprint_check``: ``'ok'``).
- ``POST /tasks/{task}/predict``: the body is one image file (PNG, JPEG,
  ...); ``?topk=`` (default 5). Answers ``{"task", "topk": [{"label",
  "class", "score"}], "scores": [...]}``.

Bad requests get a 4xx with ``{"detail": "<one line>"}``: 404 for an
unknown task, 413 for a body over ``max_bytes``, 400 for an empty body or a
bad ``topk``, 415 for a body that is not an image. They never reach the
model, so the server keeps serving.
"""
from typing import List, Tuple

import torch

from vpt_mm.models.multitask import MultiTaskClassifier
from .batcher import DynamicBatcher
from .images import ImageDecoder, NotAnImageError, preprocess

#: The largest request body accepted by default (bytes).
MAX_BYTES = 4 * 1024 * 1024


def make_runner(model: MultiTaskClassifier):
    """The batcher's function: ``[(input, task)]`` to each sample's
    softmax scores (a list of floats), one backbone forward."""

    @torch.no_grad()
    def run(items: List[Tuple[torch.Tensor, str]]) -> List[List[float]]:
        inputs = preprocess(model, [item for item, _ in items])
        logits = model(inputs, [task for _, task in items])
        return [value.softmax(-1).cpu().tolist() for value in logits]

    return run


def create_app(model: MultiTaskClassifier,
               decoder: ImageDecoder,
               max_batch: int = 32,
               max_wait: float = 0.01,
               max_bytes: int = MAX_BYTES):
    """The FastAPI app serving ``model``'s tasks.

    Args:
        model (MultiTaskClassifier): The backbone and its tasks.
        decoder (ImageDecoder): Request bytes to the model's input.
        max_batch (int): The most requests of one batch.
        max_wait (float): The longest a request waits for others (s).
        max_bytes (int): The largest body accepted.
    """
    from contextlib import asynccontextmanager

    from fastapi import FastAPI, HTTPException, Request

    batcher = DynamicBatcher(make_runner(model), max_batch, max_wait)

    @asynccontextmanager
    async def lifespan(app):
        batcher.start()
        yield
        await batcher.stop()

    app = FastAPI(title='vpt-mm: many tasks, one frozen backbone',
                  lifespan=lifespan)
    app.state.batcher = batcher
    app.state.model = model

    @app.get('/health')
    def health() -> dict:
        return dict(status='ok', tasks=len(model.tasks),
                    backbone_sha256=model.fingerprint,
                    batches=len(batcher.sizes),
                    largest_batch=max(batcher.sizes, default=0))

    @app.get('/tasks')
    def tasks() -> list:
        return model.describe()

    @app.post('/tasks/{task}/predict')
    async def predict(task: str, request: Request, topk: int = 5) -> dict:
        if task not in model.tasks:
            raise HTTPException(404, f'unknown task {task!r}; served: '
                                f'{sorted(model.tasks)}')
        if topk < 1:
            raise HTTPException(400, f'topk must be >= 1, got {topk}')
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > max_bytes:
                raise HTTPException(
                    413, f'the image is over {max_bytes} bytes')
        if not body:
            raise HTTPException(400, 'empty body: POST one image file')
        try:
            inputs = decoder(bytes(body))
        except NotAnImageError as error:
            raise HTTPException(415, str(error)) from error
        scores = await batcher.submit((inputs, task))
        served = model.tasks[task]
        classes = served.classes()
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        return dict(
            task=task,
            topk=[
                dict(label=i, score=round(scores[i], 6),
                     **{'class': classes[i] if classes and i < len(classes)
                        else str(i)}) for i in order[:topk]
            ],
            scores=[round(s, 6) for s in scores])

    return app
