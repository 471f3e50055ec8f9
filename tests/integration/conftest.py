"""Fixtures that run the real engine process on the real starter model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from parrotchat.engine.calls import load_model
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import LoadRequest


@pytest.fixture(scope="module")
def engine(starter_model: Path) -> Iterator[EngineClient]:
    client = EngineClient()
    client.start()
    # One thread: see gui_helpers.fast_settings (a busy 2-core machine).
    load_model(client, LoadRequest(path=str(starter_model), n_ctx=2048, threads=1))
    yield client
    client.close()
