"""Settings load/save on real files: every damaged or unexpected file still starts the app."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from parrotchat.core.errors import StorageError
from parrotchat.core.sampling import SamplingParams
from parrotchat.core.settings import (
    CURRENT_SCHEMA_VERSION,
    Settings,
    load_settings,
    save_settings,
    settings_from_dict,
)
from parrotchat.core.settings_checks import SETTING_CHECKS


def write_json(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def test_missing_file_gives_defaults_quietly(tmp_path: Path) -> None:
    settings, warnings = load_settings(tmp_path / "settings.json")
    assert settings == Settings()
    assert warnings == []
    assert settings.schema_version == CURRENT_SCHEMA_VERSION
    assert settings.sampling == SamplingParams()
    assert (settings.context_length, settings.overflow_policy, settings.gpu_layers) == (
        4096,
        "drop_oldest",
        "auto",
    )
    assert settings.proxy is None and settings.offline is False


def test_every_field_has_a_check() -> None:
    assert set(SETTING_CHECKS) == {f.name for f in fields(Settings)} - {
        "schema_version",
        "sampling",
    }


def test_round_trip_keeps_korean_readable(tmp_path: Path) -> None:
    path = tmp_path / "config" / "settings.json"
    original = Settings(
        sampling=SamplingParams(temperature=0.3, stop=("###",)),
        system_prompt="당신은 친절한 비서입니다. 존댓말로 답하세요.",
        gpu_layers="20",
        ui_language="ko",
        hub_endpoint="https://hub.intranet.example",
        last_chat_id=7,
        window_geometry="AdnQywADAAA=",
    )
    save_settings(path, original)
    text = path.read_text(encoding="utf-8")
    assert "당신은 친절한 비서입니다" in text  # ensure_ascii=False
    assert text.startswith('{\n  "schema_version": 1')  # indent=2
    loaded, warnings = load_settings(path)
    assert warnings == []
    assert loaded == original


def test_corrupt_json_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"context_length": 8192,', encoding="utf-8")
    settings, warnings = load_settings(path)
    assert settings == Settings()
    assert len(warnings) == 1 and "not valid JSON" in warnings[0]
    kept = list(tmp_path.glob("settings.json.corrupt-*"))
    assert len(kept) == 1 and kept[0].name in warnings[0]
    assert kept[0].read_text(encoding="utf-8") == '{"context_length": 8192,'
    assert not path.exists()


def test_a_file_not_in_utf8_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes('{"system_prompt": "안녕"}'.encode("cp949"))  # Notepad on Korean Windows
    settings, warnings = load_settings(path)
    assert settings == Settings()
    assert "cannot be read" in warnings[0]
    assert list(tmp_path.glob("settings.json.corrupt-*"))


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b"\xef\xbb\xbf" + b'{"schema_version": 1, "threads": 2}')
    settings, warnings = load_settings(path)
    assert (settings.threads, warnings) == (2, [])


def test_newer_schema_gives_defaults_and_leaves_the_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    write_json(path, {"schema_version": CURRENT_SCHEMA_VERSION + 1, "threads": 4, "new": True})
    before = path.read_bytes()
    settings, warnings = load_settings(path)
    assert settings == Settings()
    assert len(warnings) == 1 and "newer ParrotChat" in warnings[0]
    assert path.read_bytes() == before
    with pytest.raises(StorageError, match="newer ParrotChat"):
        save_settings(path, settings)
    assert path.read_bytes() == before


def test_version_0_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    write_json(
        path,
        {
            "temperature": 0.2,
            "max_tokens": 512,
            "top_k": 20,
            "n_ctx": 8192,
            "n_gpu_layers": -1,
            "n_threads": 2,
            "model": "qwen2.5-3b-instruct-q4_k_m.gguf",
            "system_prompt": "한국어로 답하세요.",
        },
    )
    before = path.read_bytes()
    settings, warnings = load_settings(path)
    assert warnings == []
    assert settings.sampling == SamplingParams(temperature=0.2, max_tokens=512, top_k=20)
    assert settings.context_length == 8192
    assert settings.gpu_layers == "all"
    assert settings.threads == 2
    assert settings.default_model == "qwen2.5-3b-instruct-q4_k_m.gguf"
    assert settings.system_prompt == "한국어로 답하세요."
    assert settings.schema_version == CURRENT_SCHEMA_VERSION
    assert path.read_bytes() == before  # loading never writes; the next save does


def test_one_bad_value_is_reset_and_the_rest_kept(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    write_json(
        path,
        {
            "schema_version": 1,
            "sampling": {"temperature": 5, "top_k": 20, "stop": "###"},
            "threads": -3,
            "overflow_policy": "explode",
            "gpu_layers": "lots",
            "context_length": 16384,
            "hub_token": 12345,
            "window_geometry": "not base64!",
            "offline": True,
            "colour": "green",
        },
    )
    settings, warnings = load_settings(path)
    assert settings.sampling.temperature == 0.7
    assert settings.sampling.top_k == 20
    assert settings.sampling.stop == ()
    assert (settings.threads, settings.overflow_policy, settings.gpu_layers) == (
        0,
        "drop_oldest",
        "auto",
    )
    assert settings.hub_token is None and settings.window_geometry is None
    assert settings.context_length == 16384 and settings.offline is True
    text = "\n".join(warnings)
    for name in (
        "'sampling.temperature'",
        "'sampling.stop'",
        "'threads'",
        "'overflow_policy'",
        "'gpu_layers'",
        "'hub_token'",
        "'window_geometry'",
        "'colour'",
    ):
        assert name in text
    assert "temperature 5.0 is outside 0.0–2.0" in text
    assert "12345" not in text  # a token is never echoed into a warning or a log
    assert len(warnings) == 8


def test_lenient_forms_are_accepted_quietly() -> None:
    settings, warnings = settings_from_dict(
        {"gpu_layers": 20, "proxy": "", "sampling": {"temperature": 1}}
    )
    assert warnings == []
    assert settings.gpu_layers == "20"
    assert settings.proxy is None
    assert settings.sampling.temperature == 1.0


def test_invalid_schema_version_counts_as_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    write_json(path, {"schema_version": "one"})
    settings, warnings = load_settings(path)
    assert settings == Settings() and "schema_version" in warnings[0]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.just(10**400) | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
known_keys = st.sampled_from([f.name for f in fields(Settings)] + ["bogus"])


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(known_keys, json_values, max_size=6))
def test_any_json_object_gives_valid_settings(data: dict[str, Any]) -> None:
    data["schema_version"] = 1
    settings, _warnings = settings_from_dict(data)
    settings.sampling.validate()
    again, warnings = settings_from_dict(settings.to_dict())
    assert (again, warnings) == (settings, [])


def test_side_panel_choices_round_trip_and_bad_widths_reset(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    write_json(
        path,
        {
            "schema_version": 1,
            "show_chat_list": False,
            "show_controls": True,
            "panel_widths": [260, 9],
        },
    )
    settings, warnings = load_settings(path)
    assert (settings.show_chat_list, settings.show_controls) == (False, True)
    assert settings.panel_widths == [220, 330]
    assert len(warnings) == 1 and "'panel_widths'" in warnings[0]
    settings.panel_widths = [260, 300]
    save_settings(path, settings)
    again, warnings = load_settings(path)
    assert warnings == [] and again.panel_widths == [260, 300] and not again.show_chat_list


def test_theme_is_kept_and_an_unknown_one_falls_back_to_the_system(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings()
    settings.theme = "dark"
    save_settings(path, settings)
    assert load_settings(path) == (settings, [])
    path.write_text('{"schema_version": 1, "theme": "purple"}', encoding="utf-8")
    loaded, warnings = load_settings(path)
    assert loaded.theme == "system"
    assert len(warnings) == 1 and "'theme'" in warnings[0] and "system, light, dark" in warnings[0]


def test_draft_ahead_is_on_by_default_kept_when_off_and_reset_when_not_a_bool(
    tmp_path: Path,
) -> None:
    assert SamplingParams().draft_ahead is True
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": 1, "sampling": {"draft_ahead": False}}))
    loaded, warnings = load_settings(path)
    assert loaded.sampling.draft_ahead is False and not warnings
    path.write_text(json.dumps({"schema_version": 1, "sampling": {"draft_ahead": "yes"}}))
    loaded, warnings = load_settings(path)
    assert loaded.sampling.draft_ahead is True
    assert any("sampling.draft_ahead" in w for w in warnings)
    path.write_text(json.dumps({"schema_version": 1, "sampling": {"temperature": True}}))
    loaded, warnings = load_settings(path)
    assert loaded.sampling.temperature == SamplingParams().temperature and warnings


def test_draft_models_round_trip_and_a_bad_map_resets_alone(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings = Settings()
    settings.draft_models = {"/models/큰 모델.gguf": "/models/작은 모델.gguf"}
    save_settings(path, settings)
    assert load_settings(path) == (settings, [])
    write_json(path, {"schema_version": 1, "draft_models": {"/a.gguf": 3}, "threads": 2})
    loaded, warnings = load_settings(path)
    assert loaded.draft_models == {} and loaded.threads == 2
    assert len(warnings) == 1 and "'draft_models'" in warnings[0]
