"""Run the app: in this process (``tools/serve.py``) or in a thread on
an ephemeral port (tests, the benchmark), stopped cleanly."""
import threading
import time
from typing import Optional

from .app import MAX_BYTES, create_app


class BackgroundServer:
    """uvicorn serving an app on ``host`` in a daemon thread.

    Use as a context manager; :attr:`url` is ``http://host:port`` (port 0
    picks a free one).

    Raises:
        RuntimeError: The server did not start within ``timeout`` seconds.
    """

    def __init__(self, app, host: str = '127.0.0.1', port: int = 0,
                 timeout: float = 30.) -> None:
        import uvicorn
        config = uvicorn.Config(app, host=host, port=port,
                                log_level='warning', lifespan='on')
        self.server = uvicorn.Server(config)
        self.host = host
        self.timeout = timeout
        self.thread: Optional[threading.Thread] = None
        self.url = ''

    def __enter__(self) -> 'BackgroundServer':
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + self.timeout
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError('the server did not start')
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f'http://{self.host}:{port}'
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self.thread is not None:
            self.thread.join(self.timeout)

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(model, decoder, host: str = '127.0.0.1', port: int = 8000,
          max_batch: int = 32, max_wait: float = 0.01,
          max_bytes: int = MAX_BYTES) -> None:
    """Serve until interrupted (what ``tools/serve.py`` runs)."""
    import uvicorn
    app = create_app(model, decoder, max_batch, max_wait, max_bytes)
    uvicorn.run(app, host=host, port=port, log_level='info')
