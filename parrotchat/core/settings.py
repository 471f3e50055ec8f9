"""The user's settings: a typed record in a versioned JSON file.

Loading never fails and never loses the user's file: a damaged file is moved aside
and replaced by defaults, a file from a newer ParrotChat is left alone, an older
one is migrated, and a single bad value falls back to its default while the rest
is kept. Every such decision comes back as a warning the window or CLI shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from parrotchat.core.atomic_file import move_aside, os_error_reason, write_atomic
from parrotchat.core.errors import StorageError
from parrotchat.core.sampling import OverflowPolicy, SamplingParams
from parrotchat.core.settings_checks import SETTING_CHECKS, sampling_from

CURRENT_SCHEMA_VERSION = 1


@dataclass
class Settings:
    schema_version: int = CURRENT_SCHEMA_VERSION
    sampling: SamplingParams = field(default_factory=SamplingParams)
    context_length: int = 4096
    overflow_policy: OverflowPolicy = "drop_oldest"
    system_prompt: str = ""  # empty: no system prompt
    gpu_layers: str = "auto"  # "auto" | "all" | a number of layers, as text
    threads: int = 0  # 0: let llama.cpp choose
    batch_size: int = 512
    default_model: str | None = None
    ui_language: str | None = None  # None: follow the system
    theme: str = "system"  # the window's colours: "system", "light" or "dark"
    hub_endpoint: str | None = None
    hub_token: str | None = None
    proxy: str | None = None  # None: the system proxy
    offline: bool = False
    last_chat_id: int | None = None
    # The GGUF that turns document chunks and questions into vectors (a path); None:
    # documents are searched by their words alone.
    embedding_model: str | None = None
    # Per chat model (its path): a draft model of the same vocabulary (a path) that
    # guesses tokens for speculative decoding. Checked when chosen (draft_compat.py).
    draft_models: dict[str, str] = field(default_factory=dict)
    # `parrotchat serve`: web pages allowed to call the API ("http://localhost:3000"),
    # more names clients reach this machine by, the largest reply (0: the context
    # length) and how many requests may wait for the model.
    serve_allowed_origins: list[str] = field(default_factory=list)
    serve_host_names: list[str] = field(default_factory=list)
    serve_max_tokens: int = 0
    serve_max_waiting: int = 16
    window_geometry: str | None = None  # base64 of QWidget.saveGeometry()
    splitter_state: str | None = None  # base64 of QSplitter.saveState()
    # The side panels as the user last chose (a narrow window may fold them meanwhile).
    show_chat_list: bool = True
    show_controls: bool = True
    panel_widths: list[int] = field(default_factory=lambda: [220, 330])  # list, controls

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sampling"] = self.sampling.to_dict()
        return data


# --- migrations: each takes the dict of one version and returns the next one ----


def _v0_to_v1(old: dict[str, Any]) -> dict[str, Any]:
    """Version 0 (the prototype) kept llama.cpp's flat names at the top level."""
    new = dict(old)
    sampling = dict(new.pop("sampling", None) or {})
    for key in ("temperature", "top_p", "top_k", "min_p", "repeat_penalty", "max_tokens", "seed"):
        if key in new:
            sampling[key] = new.pop(key)
    new["sampling"] = sampling
    for old_key, new_key in (
        ("n_ctx", "context_length"),
        ("n_threads", "threads"),
        ("n_batch", "batch_size"),
        ("model", "default_model"),
    ):
        if old_key in new:
            new[new_key] = new.pop(old_key)
    if "n_gpu_layers" in new:
        layers = new.pop("n_gpu_layers")
        new["gpu_layers"] = "all" if layers == -1 else str(layers)
    new["schema_version"] = 1
    return new


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {0: _v0_to_v1}


def settings_from_dict(data: dict[str, Any]) -> tuple[Settings, list[str]]:
    """Build Settings from a current-version dict, resetting each bad value alone."""
    warnings: list[str] = []
    settings = Settings(sampling=sampling_from(data.get("sampling", {}), warnings))
    for key, value in data.items():
        if key in ("schema_version", "sampling"):
            continue
        check = SETTING_CHECKS.get(key)
        if check is None:
            warnings.append(f"Unknown setting '{key}' ignored")
            continue
        try:
            settings = replace(settings, **{key: check(value)})
        except ValueError as exc:
            default = getattr(Settings(), key)
            shown = "(hidden)" if key == "hub_token" else repr(value)
            warnings.append(f"Setting '{key}' = {shown} {exc}; using the default {default!r}")
    return settings, warnings


def load_settings(path: Path) -> tuple[Settings, list[str]]:
    """Read the settings file; always returns usable settings plus warnings for the user."""
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return Settings(), []
    except (OSError, UnicodeDecodeError) as exc:
        return _corrupt(path, f"cannot be read ({exc})")
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        return _corrupt(path, f"is not valid JSON (line {exc.lineno})")
    if not isinstance(data, dict):
        return _corrupt(path, "does not hold a JSON object")
    version = data.get("schema_version", 0)
    if not isinstance(version, int) or isinstance(version, bool) or version < 0:
        return _corrupt(path, f"has an invalid schema_version {version!r}")
    if version > CURRENT_SCHEMA_VERSION:
        return Settings(), [
            f"{path} was written by a newer ParrotChat (settings version {version}, this "
            f"version knows {CURRENT_SCHEMA_VERSION}); using defaults and leaving the file as is"
        ]
    try:
        while version < CURRENT_SCHEMA_VERSION:
            data = MIGRATIONS[version](data)
            version = data["schema_version"]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        return _corrupt(path, f"cannot be upgraded from settings version {version} ({exc!r})")
    return settings_from_dict(data)


def _corrupt(path: Path, reason: str) -> tuple[Settings, list[str]]:
    try:
        aside = move_aside(path)
    except StorageError as exc:
        return Settings(), [f"{path} {reason}; using defaults. {exc}"]
    return Settings(), [f"{path} {reason}; using defaults (the old file is kept as {aside.name})"]


def save_settings(path: Path, settings: Settings) -> None:
    """Write the settings atomically; refuses to overwrite a newer version's file."""
    try:
        on_disk = json.loads(path.read_text(encoding="utf-8-sig")).get("schema_version", 0)
    except (OSError, ValueError, AttributeError):
        on_disk = 0  # missing or damaged: nothing worth protecting
    if isinstance(on_disk, int) and on_disk > CURRENT_SCHEMA_VERSION:
        raise StorageError(
            f"Not saving {path}: it was written by a newer ParrotChat (settings version {on_disk})"
        )
    text = json.dumps(settings.to_dict(), ensure_ascii=False, indent=2) + "\n"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"Cannot save {path}: {os_error_reason(exc)}") from exc
    write_atomic(path, text)
