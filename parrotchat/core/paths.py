"""Where ParrotChat keeps its files.

By default the platform's usual folders (platformdirs). A portable install
(`--data-dir DIR` or `PARROTCHAT_HOME`) keeps everything under one folder, so a
USB stick carries the app, its models and its chats together.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from parrotchat.core.atomic_file import os_error_reason
from parrotchat.core.errors import StorageError

APP_NAME = "ParrotChat"
HOME_ENV = "PARROTCHAT_HOME"


@dataclass(frozen=True)
class AppPaths:
    config_dir: Path
    data_dir: Path
    cache_dir: Path
    log_dir: Path

    @property
    def settings_file(self) -> Path:
        return self.config_dir / "settings.json"

    @property
    def servers_file(self) -> Path:
        """Saved remote servers (core/servers.py); their keys where no credential store is."""
        return self.config_dir / "servers.json"

    @property
    def user_templates_dir(self) -> Path:
        return self.config_dir / "templates"

    @property
    def chats_db(self) -> Path:
        return self.data_dir / "chats.sqlite3"

    @property
    def documents_db(self) -> Path:
        """The document index (core/docs/index), beside the chats."""
        return self.data_dir / "documents.sqlite3"

    @property
    def models_dir(self) -> Path:
        return self.data_dir / "models"

    @property
    def downloads_dir(self) -> Path:
        return self.cache_dir / "downloads"

    def ensure(self) -> AppPaths:
        """Create the folders; one that cannot be made (read-only disk) is a StorageError."""
        for d in (self.config_dir, self.data_dir, self.cache_dir, self.log_dir, self.models_dir):
            try:
                d.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"Cannot create the folder {d}: {os_error_reason(exc)}") from exc
        return self

    @classmethod
    def portable(cls, root: Path) -> AppPaths:
        root = root.expanduser().resolve()
        return cls(
            config_dir=root / "config",
            data_dir=root / "data",
            cache_dir=root / "cache",
            log_dir=root / "logs",
        )

    @classmethod
    def platform_default(cls) -> AppPaths:
        dirs = platformdirs.PlatformDirs(APP_NAME, appauthor=False)
        return cls(
            config_dir=Path(dirs.user_config_dir),
            data_dir=Path(dirs.user_data_dir),
            cache_dir=Path(dirs.user_cache_dir),
            log_dir=Path(dirs.user_log_dir),
        )

    @classmethod
    def resolve(cls, data_dir: str | os.PathLike[str] | None = None) -> AppPaths:
        """`--data-dir` wins over `PARROTCHAT_HOME`, which wins over the platform folders."""
        chosen = data_dir if data_dir is not None else os.environ.get(HOME_ENV) or None
        if chosen is not None:
            return cls.portable(Path(chosen))
        return cls.platform_default()
