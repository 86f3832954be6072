"""Serving many tasks on one frozen backbone over HTTP: task loading
(:mod:`.tasks`), image decoding (:mod:`.images`), dynamic batching
(:mod:`.batcher`), the ASGI app (:mod:`.app`, FastAPI, the ``serve``
extra) and a server in a thread (:mod:`.server`).

Importing it applies the CPU compatibility patches first; FastAPI and
uvicorn are imported only when an app is built.
"""
from .. import compat

compat.apply()
