"""TokenBatcher: tokens closer together than a frame travel in one message."""

from __future__ import annotations

from parrotchat.engine.local.token_batch import INTERVAL_S, TokenBatcher


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def batcher() -> tuple[TokenBatcher, list[tuple[str, int]], Clock]:
    sent: list[tuple[str, int]] = []
    clock = Clock()
    return TokenBatcher(lambda text, n: sent.append((text, n)), clock=clock), sent, clock


def test_the_first_token_goes_at_once() -> None:
    b, sent, _ = batcher()
    b.emit("Hel", 1)
    assert sent == [("Hel", 1)]


def test_fast_tokens_wait_for_the_frame_and_slow_ones_do_not() -> None:
    b, sent, clock = batcher()
    b.emit("A", 1)
    for piece in ("b", "c", "d"):  # 5 ms apart: one frame holds three
        clock.now += 0.005
        b.emit(piece, 1)
    assert sent == [("A", 1)]
    clock.now += 0.005  # 20 ms after the last message
    b.emit("e", 2)
    assert sent == [("A", 1), ("bcde", 5)]
    clock.now += INTERVAL_S * 3  # a slow model: each token on its own
    b.emit("f", 1)
    clock.now += INTERVAL_S * 3
    b.emit("g", 1)
    assert sent[-2:] == [("f", 1), ("g", 1)]


def test_flush_sends_what_waits_and_nothing_twice() -> None:
    b, sent, clock = batcher()
    b.emit("x", 1)
    clock.now += 0.001
    b.emit("y", 1)
    b.emit("z", 3)
    b.flush()
    b.flush()
    assert sent == [("x", 1), ("yz", 4)]
    assert "".join(t for t, _ in sent) == "xyz" and sum(n for _, n in sent) == 5
