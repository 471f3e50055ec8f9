"""A small `Engine` that answers every chat with a script, and keeps what it was asked.

Enough for the chat service's own logic (what it sends, what it saves); the real
engine runs in tests/integration.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator

from parrotchat.engine.protocol import ChatRequest, Command, Event, Ready


class ScriptedEngine:
    """`script(request_id)` gives the events that answer each command, in order."""

    def __init__(self, script: Callable[[int], Iterable[Event]]) -> None:
        self.listener: Callable[[Event], None] | None = None
        self.script = script
        self.requests: list[Command] = []
        self.cancelled: list[int | None] = []
        self._ids = itertools.count(1)

    @property
    def ready_info(self) -> Ready | None:
        return Ready(pid=None, backend="script", gpu_offload=False)

    @property
    def where(self) -> str:
        return "a test script"

    def start(self, wait: bool = True) -> None:
        pass

    def is_alive(self) -> bool:
        return True

    def close(self, timeout: float = 3.0) -> None:
        pass

    def kill(self) -> None:
        pass

    def submit(self, command: Command) -> int:
        self.requests.append(command)
        return next(self._ids)

    def cancel(self, req_id: int | None = None) -> None:
        self.cancelled.append(req_id)

    def events(self, command: Command) -> Iterator[Event]:
        yield from self.script(self.submit(command))

    @property
    def chat_requests(self) -> list[ChatRequest]:
        return [r for r in self.requests if isinstance(r, ChatRequest)]
