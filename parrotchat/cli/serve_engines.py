"""The engines behind `parrotchat serve`: each in its own process, behind its own queue,
restarted after a crash.

The chat model always; an embedding model too with --embedding-model, loaded like the
documents' embedding model (service/embedder.py) into a second engine, so that
embeddings and chats neither wait for each other nor die together.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from parrotchat.cli.context import CliContext
from parrotchat.cli.docs_embedder import embedding_model_note
from parrotchat.core.errors import ParrotError
from parrotchat.engine.calls import load_model
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import Crashed, Event, LoadRequest
from parrotchat.engine.shared import SharedEngine
from parrotchat.service.embedder import embedding_load_request

if TYPE_CHECKING:
    from parrotchat.core.models.info import ModelInfo

CRASH_LOOP_S = 60.0


def _say(text: str) -> None:
    print(f"parrotchat: {text}", file=sys.stderr, flush=True)


class EngineKeeper:
    """Restarts an engine and reloads its model after a crash (an out-of-memory kill, a
    llama.cpp abort), so that one bad moment does not end the service. Requests that
    arrive meanwhile wait in the queue; a crash within a minute of the last restart is
    left alone (a crash loop), and says so: requests are then refused clearly.

    `name` says which engine in those messages ("the engine", "the embedding engine")."""

    def __init__(
        self, engine: SharedEngine, client: EngineClient, request: LoadRequest, name: str
    ) -> None:
        self.engine = engine
        self.client = client
        self.request = request
        self.name = name
        self.last_restart = float("-inf")
        self.lock = threading.Lock()

    def on_event(self, event: Event) -> None:
        # On the engine's thread, before the queue can hand the next request to a dead
        # engine: hold the queue, then restart on a thread of its own.
        if isinstance(event, Crashed) and self.lock.acquire(blocking=False):
            self.engine.pause()
            threading.Thread(target=self.restart, args=(event,), daemon=True).start()

    def restart(self, crash: Crashed) -> None:
        try:
            _say(f"warning: {crash.message}")
            if time.monotonic() - self.last_restart < CRASH_LOOP_S:
                _say(
                    f"error: {self.name} crashed again within a minute; not restarting it "
                    "(requests are refused until the server is restarted)"
                )
                return
            self.last_restart = time.monotonic()
            self.client.start()
            load_model(self.client, self.request)
            _say(f"{self.name} was restarted")
        except ParrotError as exc:
            _say(f"error: restarting {self.name}: {exc}")
        finally:
            self.engine.resume()
            self.lock.release()


def keep(engine: SharedEngine, client: EngineClient, request: LoadRequest, name: str) -> None:
    """Restart `client` (behind `engine`) after a crash, reloading with `request`."""
    engine.listener = EngineKeeper(engine, client, request, name).on_event


@dataclass(frozen=True)
class EmbeddingEngine:
    engine: SharedEngine
    model: ModelInfo
    loaded: dict[str, Any]  # the engine's Loaded.model: n_embd, n_ctx, pooling


@contextlib.contextmanager
def embedding_engine(ctx: CliContext, wanted: str, max_waiting: int) -> Iterator[EmbeddingEngine]:
    """The embedding model `wanted` (a library name or a path) loaded in an engine of its
    own, behind a queue of `max_waiting`, restarted after a crash; closed after."""
    model = ctx.library().find(wanted)
    note = embedding_model_note(model)  # a reranker is refused here, before loading
    if note:
        _say(f"note: {note}")
    _say(f"loading {model.path.name} for embeddings …")
    client = EngineClient()
    engine = SharedEngine(client, max_waiting)
    try:
        client.start()
        request = embedding_load_request(model, ctx.settings, client.wait_ready().gpu_offload)
        loaded = load_model(engine, request)
        keep(engine, client, request, "the embedding engine")
        yield EmbeddingEngine(engine, model, loaded)
    finally:
        engine.close()  # requests still waiting are told, then the process ends
