"""Fixtures that run the real engine on the real starter model: as its own process, or
its runtime in the test's process (for tests that look at llama.cpp's state)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from parrotchat.engine.calls import load_model
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.local.runtime import LlamaRuntime
from parrotchat.engine.protocol import LoadRequest


@pytest.fixture(scope="module")
def engine(starter_model: Path) -> Iterator[EngineClient]:
    client = EngineClient()
    client.start()
    # One thread: see gui_helpers.fast_settings (a busy 2-core machine).
    load_model(client, LoadRequest(path=str(starter_model), n_ctx=2048, threads=1))
    yield client
    client.close()


@pytest.fixture(scope="module")
def runtime(starter_model: Path) -> Iterator[LlamaRuntime]:
    rt = LlamaRuntime(threading.Event())
    rt.load(str(starter_model), 1024, 0, 1, 512, None, lambda _f: None)
    yield rt
    rt.unload()
