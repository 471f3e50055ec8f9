"""The load request a front end builds from the settings."""

from __future__ import annotations

from pathlib import Path

from parrotchat.core.models.info import read_model_info
from parrotchat.core.settings import Settings
from parrotchat.service.model_load import load_request


def test_the_chat_models_draft_model_goes_with_its_load_request(
    starter_model: Path, tmp_path: Path
) -> None:
    model = read_model_info(starter_model)
    settings = Settings()
    assert load_request(model, settings, False).draft_path is None
    settings.draft_models = {str(tmp_path / "another.gguf"): "/d/other.gguf"}
    assert load_request(model, settings, False).draft_path is None
    settings.draft_models[str(model.path)] = "/d/small.gguf"
    assert load_request(model, settings, False).draft_path == "/d/small.gguf"
