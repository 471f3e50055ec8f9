"""One chat's own settings: system prompt, sampling, overflow policy, documents.

A chat stores only what it was given (its `settings` JSON); anything missing comes
from the user's defaults in Settings. The chat service sends it to the engine with
every turn, whichever front end drives it; the window's controls panel edits it.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from typing import Any

from parrotchat.core.errors import ParrotError
from parrotchat.core.sampling import OVERFLOW_POLICIES, OverflowPolicy, SamplingParams
from parrotchat.core.settings import Settings


@dataclass(frozen=True)
class ChatSettings:
    system_prompt: str
    sampling: SamplingParams
    overflow_policy: OverflowPolicy
    # Document collections the chat answers from (doc_answers.py); a chat's own
    # choice, never a default for new chats.
    documents: tuple[str, ...] = ()

    @classmethod
    def defaults(cls, settings: Settings) -> ChatSettings:
        return cls(settings.system_prompt, settings.sampling, settings.overflow_policy)

    @classmethod
    def from_dict(cls, data: dict[str, Any], settings: Settings) -> ChatSettings:
        """A chat's stored settings over the defaults; a bad stored value keeps the default."""
        result = cls.defaults(settings)
        prompt = data.get("system_prompt")
        if isinstance(prompt, str):
            result = replace(result, system_prompt=prompt)
        sampling = data.get("sampling")
        if isinstance(sampling, dict):
            with contextlib.suppress(ParrotError, TypeError, ValueError):
                result = replace(result, sampling=result.sampling.with_overrides(sampling))
        overflow = data.get("overflow_policy")
        for policy in OVERFLOW_POLICIES:
            if overflow == policy:
                result = replace(result, overflow_policy=policy)
        documents = data.get("documents")
        if isinstance(documents, list):
            names = tuple(d for d in documents if isinstance(d, str) and d)
            result = replace(result, documents=names)
        return result

    def with_template(self, system: str, sampling: dict[str, Any]) -> ChatSettings:
        """These settings with a prompt template's over them: its system prompt (when it
        has one) and its sampling values. ParrotError names a bad sampling value."""
        return replace(
            self,
            system_prompt=system or self.system_prompt,
            sampling=self.sampling.with_overrides(sampling),
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "system_prompt": self.system_prompt,
            "sampling": self.sampling.to_dict(),
            "overflow_policy": self.overflow_policy,
        }
        if self.documents:  # chats without documents keep the settings they always had
            data["documents"] = list(self.documents)
        return data

    def apply_to_defaults(self, settings: Settings) -> None:
        settings.system_prompt = self.system_prompt
        settings.sampling = self.sampling
        settings.overflow_policy = self.overflow_policy
