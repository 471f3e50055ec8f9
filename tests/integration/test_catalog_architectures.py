"""Proof that the bundled llama.cpp runs every architecture of the recommended catalog.

For each architecture a tiny random-weight GGUF is written with the tensors llama.cpp
expects (tests/gguf_arch_factory.py), loaded by the real engine process and asked for
four tokens. A catalog entry whose architecture has no proof, or whose proof fails,
fails here: a llama-cpp-python upgrade that drops one is caught before release.

The proof covers the architecture (tensor layout, graph, KV cache); the tiny models
share one byte-level tokenizer, so a model's own tokenizer is not part of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from gguf_arch_factory import ARCHITECTURES, EMBEDDING_ARCHITECTURES, write_tiny_arch

from parrotchat.core.models.catalog import load_catalog
from parrotchat.engine.calls import load_model, stream_chat
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import ChatRequest, Done, LoadRequest, Token

CATALOG = load_catalog(None)
CHAT_ARCHITECTURES = sorted(
    {e.architecture for e in CATALOG.entries if e.kind == "chat"} | {"llama"}
)
EMBEDDING_ONLY = sorted({e.architecture for e in CATALOG.entries if e.kind == "embedding"})


@pytest.fixture(scope="module")
def engine() -> Iterator[EngineClient]:
    client = EngineClient()
    client.start()
    yield client
    client.close()


def test_every_catalog_architecture_has_a_proof() -> None:
    missing = set(CATALOG.architectures) - ARCHITECTURES
    assert not missing, f"catalog architectures without a tiny-model proof: {sorted(missing)}"
    assert set(EMBEDDING_ONLY) <= EMBEDDING_ARCHITECTURES


@pytest.mark.parametrize("arch", CHAT_ARCHITECTURES)
def test_the_engine_loads_the_architecture_and_generates_four_tokens(
    engine: EngineClient, tmp_path: Path, arch: str
) -> None:
    model = write_tiny_arch(tmp_path / f"tiny-{arch}.gguf", arch)
    loaded = load_model(engine, LoadRequest(path=str(model), n_ctx=256, threads=1))
    # llama.cpp's own description names the architecture it built the graph for.
    assert loaded["description"].split()[0] == arch
    request = ChatRequest(
        [{"role": "user", "content": "Hello"}],
        sampling={"max_tokens": 4, "temperature": 0.0, "seed": 1},
        ignore_eos=True,
    )
    events = list(stream_chat(engine, request))
    tokens = [e for e in events if isinstance(e, Token)]
    done = events[-1]
    assert isinstance(done, Done)
    assert done.stats["reply_tokens"] == 4 and len(tokens) >= 1


@pytest.mark.parametrize("arch", EMBEDDING_ONLY)
def test_the_embedding_architecture_loads_and_embeds(tmp_path: Path, arch: str) -> None:
    # The engine has no embedding command yet (the documents feature will add one), so
    # this runs llama-cpp-python's own embedding call on the same bundled llama.cpp.
    import llama_cpp

    model = write_tiny_arch(tmp_path / f"tiny-{arch}.gguf", arch)
    llm = llama_cpp.Llama(model_path=str(model), n_ctx=256, embedding=True, verbose=False)
    try:
        vector = llm.embed("안녕하세요, parrots")
    finally:
        llm.close()
    assert len(vector) == 64 and any(abs(x) > 0 for x in vector)  # type: ignore[arg-type]
