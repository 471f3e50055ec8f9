"""What a valid value of each setting is.

Each check takes a value as JSON gave it and returns the clean value or raises
ValueError with the end of a sentence ("is outside 0–1024") that the loader turns
into a warning naming the setting. Kept apart from settings.py so that the record
and its file handling stay readable on their own.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from parrotchat.core.errors import ParrotError
from parrotchat.core.sampling import OVERFLOW_POLICIES, OverflowPolicy, SamplingParams


def _int(low: int, high: int | None = None) -> Callable[[Any], Any]:
    def check(v: Any) -> int:
        if not isinstance(v, int) or isinstance(v, bool):
            raise ValueError("is not a whole number")
        if v < low or (high is not None and v > high):
            raise ValueError(f"is below {low}" if high is None else f"is outside {low}–{high}")
        return v

    return check


def _optional(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    # A cleared text field means "not set", the same as null.
    return lambda v: None if v is None or v == "" else check(v)


def _text(v: Any) -> str:
    if not isinstance(v, str):
        raise ValueError("is not text")
    return v


def _url(v: Any) -> str:
    if not _text(v).startswith(("http://", "https://")):
        raise ValueError("is not an http:// or https:// address")
    return str(v)


def _text_list(v: Any) -> list[str]:
    if not isinstance(v, list) or not all(isinstance(item, str) and item for item in v):
        raise ValueError("is not a list of texts")
    return list(v)


def _path_map(v: Any) -> dict[str, str]:
    if not isinstance(v, dict) or not all(
        isinstance(key, str) and key and isinstance(value, str) and value
        for key, value in v.items()
    ):
        raise ValueError("is not a map of file paths")
    return dict(v)


def _base64(v: Any) -> str:
    try:
        base64.b64decode(_text(v), validate=True)
    except binascii.Error:
        raise ValueError("is not base64") from None
    return str(v)


def _gpu_layers(v: Any) -> str:
    if isinstance(v, int) and not isinstance(v, bool) and v >= 0:
        return str(v)  # a number written by hand is fine too
    if v in ("auto", "all") or (isinstance(v, str) and v.isascii() and v.isdigit()):
        return str(v)
    raise ValueError('is not "auto", "all" or a number of layers')


def _panel_widths(v: Any) -> list[int]:
    if (
        not isinstance(v, list)
        or len(v) != 2
        or not all(isinstance(w, int) and not isinstance(w, bool) and 50 <= w <= 4000 for w in v)
    ):
        raise ValueError("is not two widths in pixels (50–4000)")
    return list(v)


def _bool(v: Any) -> bool:
    if not isinstance(v, bool):
        raise ValueError("is not true or false")
    return v


def _overflow(v: Any) -> OverflowPolicy:
    for policy in OVERFLOW_POLICIES:
        if v == policy:
            return policy
    raise ValueError(f"is not one of {', '.join(OVERFLOW_POLICIES)}")


THEMES = ("system", "light", "dark")


def _theme(v: Any) -> str:
    if v not in THEMES:
        raise ValueError(f"is not one of {', '.join(THEMES)}")
    return str(v)


SETTING_CHECKS: dict[str, Callable[[Any], Any]] = {
    "context_length": _int(256, 1 << 21),
    "overflow_policy": _overflow,
    "system_prompt": _text,
    "gpu_layers": _gpu_layers,
    "threads": _int(0, 1024),
    "batch_size": _int(1, 1 << 16),
    "default_model": _optional(_text),
    "ui_language": _optional(_text),
    "theme": _theme,
    "hub_endpoint": _optional(_url),
    "hub_token": _optional(_text),
    "proxy": _optional(_text),
    "offline": _bool,
    "last_chat_id": _optional(_int(1)),
    "embedding_model": _optional(_text),
    "draft_models": _path_map,
    "serve_allowed_origins": _text_list,
    "serve_host_names": _text_list,
    "serve_max_tokens": _int(0, 1 << 21),
    "serve_max_waiting": _int(0, 10_000),
    "window_geometry": _optional(_base64),
    "splitter_state": _optional(_base64),
    "show_chat_list": _bool,
    "show_controls": _bool,
    "panel_widths": _panel_widths,
}


def _same_kind(default: Any, value: Any) -> bool:
    """JSON has no int/float split, so a float setting accepts 1 as well as 1.0."""
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, list):
        return isinstance(value, list) and all(isinstance(s, str) for s in value)
    if isinstance(default, float):
        return isinstance(value, (int, float))
    return isinstance(value, int)


def sampling_from(raw: Any, warnings: list[str]) -> SamplingParams:
    params = SamplingParams()
    if not isinstance(raw, dict):
        warnings.append("Setting 'sampling' is not a group of values; using the defaults")
        return params
    defaults = params.to_dict()
    for key, value in raw.items():
        if key not in defaults:
            warnings.append(f"Unknown setting 'sampling.{key}' ignored")
            continue
        try:
            if not _same_kind(defaults[key], value):
                raise ParrotError(f"{key} {value!r} has the wrong type")
            if isinstance(defaults[key], float):
                value = float(value)
            params = params.with_overrides({key: value})
        except (ParrotError, OverflowError) as exc:  # OverflowError: float(10**400)
            reason = str(exc).removeprefix("Invalid sampling settings: ")
            warnings.append(
                f"Setting 'sampling.{key}' reset to the default {defaults[key]!r}: {reason}"
            )
    return params
