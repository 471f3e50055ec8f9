"""What a server is and what it serves: its kind, version, models and context lengths.

Every OpenAI-compatible server lists its models at GET /v1/models; which server it is
shows in the `owned_by` it writes there ("llamacpp", "vllm", "me" for
llama-cpp-python's server, "library" for Ollama) and, where that is not enough, in
the endpoints only one kind has (llama-server's /props, vLLM's /version, Ollama's
/api/version). The kind decides how tokens can be counted and which sampling
fields the server understands.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Literal

from parrotchat.core.servers import ServerConfig
from parrotchat.engine.remote.http import Abort, HttpSession, RemoteError

ServerKind = Literal["llama-server", "vLLM", "Ollama", "llama-cpp-python", "OpenAI-compatible"]

_OWNERS: dict[str, ServerKind] = {
    "llamacpp": "llama-server",
    "vllm": "vLLM",
    "me": "llama-cpp-python",
    "library": "Ollama",
    "ollama": "Ollama",
}


@dataclass(frozen=True)
class RemoteModel:
    id: str
    n_ctx: int | None = None  # the context the server runs it with, where it says
    n_ctx_train: int | None = None


@dataclass(frozen=True)
class ServerInfo:
    kind: ServerKind
    models: list[RemoteModel]
    latency_s: float  # the GET /v1/models round trip
    version: str | None = None
    n_ctx: int | None = None  # llama-server: the context of one slot
    extra: dict[str, Any] = field(default_factory=dict)

    def model(self, model_id: str) -> RemoteModel | None:
        return next((m for m in self.models if m.id == model_id), None)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def list_models(
    http: HttpSession, abort: Abort | None = None
) -> tuple[list[RemoteModel], set[str], float]:
    """The models, the `owned_by` values seen, and the round-trip time."""
    started = time.perf_counter()
    data = http.get_json("/v1/models", abort=abort)
    latency = time.perf_counter() - started
    entries = data.get("data") if isinstance(data, dict) else None
    if entries is None and isinstance(data, dict) and "data" in data:
        entries = []  # Ollama with nothing pulled answers "data": null
    if not isinstance(entries, list):
        raise RemoteError(
            f"{http.config.label}: GET /v1/models answered without a model list; is "
            f"{http.config.base_url} an OpenAI-compatible server?",
            "server_error",
        )
    models: list[RemoteModel] = []
    owners: set[str] = set()
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            continue
        meta = entry.get("meta")
        meta = meta if isinstance(meta, dict) else {}
        owners.add(str(entry.get("owned_by", "")).lower())
        models.append(
            RemoteModel(
                id=entry["id"],
                n_ctx=_int(entry.get("max_model_len")),  # vLLM
                n_ctx_train=_int(meta.get("n_ctx_train")),  # llama-server
            )
        )
    return models, owners, latency


def _optional(http: HttpSession, path: str, abort: Abort | None) -> Any:
    """An endpoint only some kinds have: any failure just means "not this kind"."""
    try:
        return http.get_json(path, abort=abort, missing_ok=True)
    except RemoteError:
        if abort is not None and abort.requested:
            raise
        return None


def probe(http: HttpSession, abort: Abort | None = None) -> ServerInfo:
    models, owners, latency = list_models(http, abort)
    kind = next((_OWNERS[o] for o in sorted(owners) if o in _OWNERS), None)
    props: Any = None
    version: str | None = None
    if kind in (None, "llama-server"):
        props = _optional(http, "/props", abort)
        if isinstance(props, dict) and (
            "default_generation_settings" in props or "build_info" in props
        ):
            kind = "llama-server"
            version = str(props.get("build_info") or "") or None
    if kind in (None, "vLLM"):
        answer = _optional(http, "/version", abort)
        if isinstance(answer, dict) and isinstance(answer.get("version"), str):
            kind, version = "vLLM", answer["version"]
    if kind in (None, "Ollama"):
        answer = _optional(http, "/api/version", abort)
        if isinstance(answer, dict) and isinstance(answer.get("version"), str):
            kind, version = "Ollama", answer["version"]
    n_ctx = None
    if kind == "llama-server" and isinstance(props, dict):
        settings = props.get("default_generation_settings")
        settings = settings if isinstance(settings, dict) else {}
        n_ctx = _int(settings.get("n_ctx")) or _int(props.get("n_ctx"))
    return ServerInfo(
        kind=kind or "OpenAI-compatible",
        models=models,
        latency_s=latency,
        version=version,
        n_ctx=n_ctx,
    )


def check_server(config: ServerConfig) -> ServerInfo:
    """Probe a server once on a connection of its own (`servers test`, Test connection)."""
    http = HttpSession(config)
    try:
        return probe(http)
    finally:
        http.close()
