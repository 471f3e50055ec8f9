"""Saved KV-cache states of recent conversations, so switching chats is cheap.

When the user switches from chat A to chat B and back, re-reading A's whole history
would cost seconds on a long chat. Before the engine overwrites its context with B,
it saves A's state here; when A comes back, the entry whose tokens share the
longest prefix with the new prompt is restored and only the new tokens are read.
The cache is bounded by bytes and evicts the least recently used entry.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class _Sized(Protocol):
    def __len__(self) -> int: ...


@dataclass(frozen=True)
class SavedState:
    tokens: tuple[int, ...]
    data: _Sized  # bytes, or the ctypes buffer llama.cpp wrote into (kept without a copy)


def common_prefix(a: Sequence[int], b: Sequence[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


class StateCache:
    def __init__(self, max_bytes: int = 512 * 1024 * 1024, max_entries: int = 8) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[int, ...], SavedState] = OrderedDict()
        self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def bytes_used(self) -> int:
        return self._bytes

    def put(self, state: SavedState) -> None:
        if len(state.data) > self.max_bytes:
            return
        old = self._entries.pop(state.tokens, None)
        if old is not None:
            self._bytes -= len(old.data)
        self._entries[state.tokens] = state
        self._bytes += len(state.data)
        while self._bytes > self.max_bytes or len(self._entries) > self.max_entries:
            _, evicted = self._entries.popitem(last=False)
            self._bytes -= len(evicted.data)

    def best_match(self, tokens: Sequence[int]) -> tuple[SavedState | None, int]:
        """The entry sharing the longest prefix with `tokens`, and that prefix's length."""
        best: SavedState | None = None
        best_len = 0
        for state in self._entries.values():
            n = common_prefix(state.tokens, tokens)
            if n > best_len:
                best, best_len = state, n
        if best is not None:
            self._entries.move_to_end(best.tokens)
        return best, best_len

    def clear(self) -> None:
        self._entries.clear()
        self._bytes = 0
