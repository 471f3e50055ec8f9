"""Errors meant for a person to read.

Every failure a user can cause (a broken model file, a bad template, a full disk)
becomes a `ParrotError` whose message names the thing and the reason in one line.
The CLI prints it and exits non-zero; the window shows it. Anything else that
escapes is a bug in ParrotChat.
"""

from __future__ import annotations


class ParrotError(Exception):
    """A failure with a one-line message fit to show the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ModelFileError(ParrotError):
    """A model file that cannot be read, validated or used."""


class TemplateError(ParrotError):
    """A prompt template (ours or the user's) that cannot be applied."""


class StorageError(ParrotError):
    """The chat store or settings could not be read or written."""


class EngineError(ParrotError):
    """The inference engine failed: load error, crash, or protocol problem."""


class ContextFullError(ParrotError):
    """A turn does not fit the context window under the chat's overflow policy, or a text
    to embed is longer than the context (`item`: its place among the request's texts)."""

    def __init__(self, message: str, item: int | None = None) -> None:
        super().__init__(message)
        self.item = item


class NoChatTemplateError(TemplateError):
    """The model carries no chat template and no chat format was chosen for it."""
