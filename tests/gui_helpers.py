"""Helpers shared by the GUI tests (imported by module name, like tests/gguf_factory.py)."""

from __future__ import annotations

from collections.abc import Callable

from parrotchat.core.chats.store import ChatStore
from parrotchat.core.sampling import SamplingParams
from parrotchat.core.settings import Settings
from parrotchat.gui.main import WindowSession

WindowFactory = Callable[..., WindowSession]


def fast_settings(max_tokens: int = 24) -> Settings:
    """Small, fast, reproducible: the starter model at 2048 tokens on 1 thread.

    One thread, because the suite must pass on a 2-core machine busy with other work:
    there llama.cpp's threads wait for each other at every step of the model (one of
    them is always off its core), and 2 threads decoded 2-8 tokens/s where 1 decoded
    32 (load average 11). How fast the engine runs is the benchmarks' business."""
    settings = Settings()
    settings.context_length = 2048
    settings.threads = 1
    settings.sampling = SamplingParams(max_tokens=max_tokens, temperature=0.2, seed=7)
    return settings


def fill_chat(store: ChatStore, count: int, title: str = "Long chat") -> int:
    """A chat of `count` messages, alternating user and assistant, some with code."""
    chat_id = store.create_chat(title)
    for i in range(count):
        if i % 2 == 0:
            store.add_message(chat_id, "user", f"Question {i}: how do I print in **Python**?")
        else:
            store.add_message(
                chat_id,
                "assistant",
                f"Answer {i}. Use `print`:\n\n```python\nprint('hello {i}')\n```\n\n"
                "- it writes a line\n- to standard output",
                model="test-model",
                stats={"reply_tokens": 20, "tokens_per_s": 50.0, "stop_reason": "finished"},
            )
    return chat_id
