"""Hashing beside the network: a download's checksum is computed on a thread of its own.

hashlib releases the GIL while it hashes a large buffer, so on a second core the
SHA-256 of a chunk runs while the next chunk is read from the socket, instead of
after it. The queue is short (a few chunks): if hashing falls behind, the download
waits for it rather than holding the file in memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from types import TracebackType

_DEPTH = 8  # chunks of up to 1 MiB waiting to be hashed


class BackgroundHash:
    """Feed chunks with `feed`; leaving the `with` block waits until all are hashed.

    Whatever happens to the download (an error, a pause, a cancel), every chunk that
    was fed has been hashed once the block is left, so the hash always matches the
    bytes written to the part file.
    """

    def __init__(self, update: Callable[[bytes], object]) -> None:
        self._update = update
        self._queue: queue.Queue[bytes | None] = queue.Queue(_DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="download-hash", daemon=True)

    def __enter__(self) -> BackgroundHash:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc is None:
            raise self._error

    def feed(self, chunk: bytes) -> None:
        self._queue.put(chunk)

    def _run(self) -> None:
        while (chunk := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._update(chunk)
                except BaseException as exc:  # reported to the downloading thread on exit
                    self._error = exc
