"""Sampling parameters: what the user tunes per chat, with our users' defaults.

The defaults follow the material our users learn from: temperature 0.7
("creativity", roughly 0.1 to 1.0), a reply of at most 1024 tokens, a 4096-token
context. Validation lives here so the CLI, the window and the engine agree on what
a valid value is.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Literal

from parrotchat.core.errors import ParrotError

OverflowPolicy = Literal["drop_oldest", "stop"]
OVERFLOW_POLICIES: tuple[OverflowPolicy, ...] = ("drop_oldest", "stop")

DEFAULT_CONTEXT_LENGTH = 4096
DEFAULT_MAX_TOKENS = 1024
DEFAULT_TEMPERATURE = 0.7
# llama.cpp takes these as C ints; larger values would overflow rather than mean anything.
MAX_TOP_K = 100_000
MAX_REPLY_TOKENS = 131_072


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = DEFAULT_TEMPERATURE
    top_p: float = 0.95
    top_k: int = 40
    min_p: float = 0.05
    repeat_penalty: float = 1.1
    max_tokens: int = DEFAULT_MAX_TOKENS
    seed: int = -1  # -1: a new random seed for every reply
    stop: tuple[str, ...] = field(default_factory=tuple)
    # OpenAI's penalties (the API server takes them); llama.cpp applies them beside
    # repeat_penalty over the last 64 tokens rather than over the whole reply.
    frequency_penalty: float = 0.0
    presence_penalty: float = 0.0
    # Draft ahead: guess the next tokens from the text so far and let the model check
    # several in one step (engine/local/prompt_lookup.py). The reply is the same.
    draft_ahead: bool = True

    def validate(self) -> SamplingParams:
        problems = []
        if not 0.0 <= self.temperature <= 2.0:
            problems.append(f"temperature {self.temperature} is outside 0.0–2.0")
        if not 0.0 < self.top_p <= 1.0:
            problems.append(f"top_p {self.top_p} is outside (0, 1]")
        if not 0 <= self.top_k <= MAX_TOP_K:
            problems.append(f"top_k {self.top_k} is outside 0–{MAX_TOP_K}")
        if not 0.0 <= self.min_p <= 1.0:
            problems.append(f"min_p {self.min_p} is outside 0–1")
        if not 0.5 <= self.repeat_penalty <= 2.0:
            problems.append(f"repeat_penalty {self.repeat_penalty} is outside 0.5–2.0")
        if not 1 <= self.max_tokens <= MAX_REPLY_TOKENS:
            problems.append(f"max_tokens {self.max_tokens} is outside 1–{MAX_REPLY_TOKENS}")
        if not -1 <= self.seed < 2**32:
            problems.append(f"seed {self.seed} must be -1 (random) or a number below 2^32")
        for name in ("frequency_penalty", "presence_penalty"):
            value = getattr(self, name)
            if not -2.0 <= value <= 2.0:
                problems.append(f"{name} {value} is outside -2.0–2.0")
        if any(not s for s in self.stop):
            problems.append("stop strings must not be empty")
        if problems:
            raise ParrotError("Invalid sampling settings: " + "; ".join(problems))
        return self

    def with_overrides(self, overrides: dict[str, Any]) -> SamplingParams:
        """Apply a template's or a command line's partial settings, ignoring unknown keys."""
        known = {f.name for f in fields(self)}
        clean = {k: v for k, v in overrides.items() if k in known and v is not None}
        if "stop" in clean:
            clean["stop"] = tuple(clean["stop"])
        return replace(self, **clean).validate()

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["stop"] = list(self.stop)
        return d

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SamplingParams:
        return cls().with_overrides(data)
