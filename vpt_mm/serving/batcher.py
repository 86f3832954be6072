"""Dynamic batching: concurrent requests collected into one batch.

The first waiting request opens a window of ``max_wait`` seconds; the
batch closes when the window ends or ``max_batch`` requests are in, and
runs in one worker thread (the event loop keeps accepting requests), its
samples of any tasks (a mixed-task batch).
"""
import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, List, Optional, Sequence, Tuple

#: ``run(items) -> results``, one result per item, in order.
BatchFn = Callable[[Sequence[Any]], Sequence[Any]]


class DynamicBatcher:
    """Collect items for at most ``max_wait`` seconds or ``max_batch``
    items, then run them as one batch.

    Args:
        run (BatchFn): Runs a batch (in a worker thread).
        max_batch (int): The most items of a batch (>= 1).
        max_wait (float): The longest a first item waits for others, in
            seconds (>= 0).
    """

    def __init__(self, run: BatchFn, max_batch: int = 32,
                 max_wait: float = 0.01) -> None:
        if isinstance(max_batch, bool) or not isinstance(max_batch, int) \
                or max_batch < 1:
            raise ValueError(f'max_batch must be an int >= 1, got '
                             f'{max_batch!r}')
        if not isinstance(max_wait, (int, float)) or max_wait < 0:
            raise ValueError(f'max_wait must be >= 0 seconds, got '
                             f'{max_wait!r}')
        self.run = run
        self.max_batch = max_batch
        self.max_wait = float(max_wait)
        self.sizes: List[int] = []  # the sizes of the batches run
        self._queue: Optional[asyncio.Queue] = None
        self._worker: Optional[asyncio.Task] = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix='batch')

    def start(self) -> None:
        """Start collecting (inside the running event loop)."""
        self._queue = asyncio.Queue()
        self._worker = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            try:
                await self._worker
            except asyncio.CancelledError:
                pass
        self._pool.shutdown(wait=True)

    async def submit(self, item: Any) -> Any:
        """``item``'s result, once its batch has run (its exception if the
        batch failed)."""
        future = asyncio.get_running_loop().create_future()
        await self._queue.put((item, future))
        return await future

    async def _collect(self) -> List[Tuple[Any, asyncio.Future]]:
        batch = [await self._queue.get()]
        deadline = time.monotonic() + self.max_wait
        while len(batch) < self.max_batch:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                batch.append(await asyncio.wait_for(self._queue.get(), left))
            except asyncio.TimeoutError:
                break
        while len(batch) < self.max_batch and not self._queue.empty():
            batch.append(self._queue.get_nowait())
        return batch

    async def _loop(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            batch = await self._collect()
            live = [(item, f) for item, f in batch if not f.cancelled()]
            if not live:
                continue
            self.sizes.append(len(live))
            try:
                results = await loop.run_in_executor(
                    self._pool, self.run, [item for item, _ in live])
            except Exception as error:  # noqa: BLE001 (to the requests)
                for _, future in live:
                    if not future.done():
                        future.set_exception(error)
                continue
            for (_, future), result in zip(live, results):
                if not future.done():
                    future.set_result(result)
