"""Request ids and event routing, shared by every engine implementation.

Each event goes to the waiter registered for its request id (`Engine.events`
uses that) and then to the engine's `listener`. Kept apart from the engines so
that the local process client and the remote HTTP client route alike.
"""

from __future__ import annotations

import itertools
import queue
import threading
from collections.abc import Callable, Iterator

from parrotchat.engine.protocol import TERMINAL_EVENTS, Event

# One counter for the whole process: the window can hold a local and a remote engine
# at once, and an id must name one request whichever engine it went to.
_IDS = itertools.count(1)


class EventRouter:
    def __init__(self) -> None:
        self.listener: Callable[[Event], None] | None = None
        self._waiters: dict[int, queue.Queue[Event]] = {}
        self._lock = threading.Lock()

    def next_id(self) -> int:
        return next(_IDS)

    def deliver(self, event: Event) -> None:
        req_id = event.id
        with self._lock:
            waiter = self._waiters.get(req_id) if req_id is not None else None
        if waiter is not None:
            waiter.put(event)
        listener = self.listener
        if listener is not None:
            listener(event)

    def broadcast(self, event: Event) -> None:
        """An event for every open request (the engine died): each waiter gets it once."""
        with self._lock:
            waiters = list(self._waiters.values())
        for q in waiters:
            q.put(event)
        listener = self.listener
        if listener is not None:
            listener(event)

    def open(self) -> tuple[int, queue.Queue[Event]]:
        q: queue.Queue[Event] = queue.Queue()
        req_id = self.next_id()
        with self._lock:
            self._waiters[req_id] = q
        return req_id, q

    def forget(self, req_id: int) -> None:
        with self._lock:
            self._waiters.pop(req_id, None)

    def stream(self, req_id: int, q: queue.Queue[Event]) -> Iterator[Event]:
        try:
            while True:
                event = q.get()
                yield event
                if isinstance(event, TERMINAL_EVENTS):
                    return
        finally:
            self.forget(req_id)

    def events(self, send: Callable[[int], None]) -> Iterator[Event]:
        """Open a request, `send(id)` it, and yield its events up to the terminal one."""
        req_id, q = self.open()
        try:
            send(req_id)
        except BaseException:
            self.forget(req_id)
            raise
        return self.stream(req_id, q)
