"""Counting a conversation's tokens on a remote server, exactly where it can, else safely high.

- vLLM: POST /tokenize with the messages renders the chat template and counts: exact.
- llama-server: POST /apply-template renders, POST /tokenize counts: exact.
- llama-cpp-python's server: POST /extras/tokenize/count counts each message's text;
  the template's own tokens are unknown, so a generous allowance is added: an
  estimate (`exact` False), but one built on the model's real tokenizer.
- anything else (Ollama, a gateway): an estimate from the text alone, on the high
  side, so that the overflow policy drops a turn too early rather than too late.

Every method that asks the server falls back to the estimate for good once the
endpoint turns out to be missing. The caller reports `exact` to the user.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence
from typing import Literal

from parrotchat.engine.remote.http import Abort, HttpSession, RemoteError
from parrotchat.engine.remote.probe import ServerKind

Message = dict[str, str]
CountMethod = Literal["server", "server_text", "estimate"]

# Template allowances for counts that cannot see the template: role markers and
# separators per message (ChatML and Llama 3 spend 4-6), and a default system prompt
# some templates add on their own (SmolLM2's is ~20 tokens).
MESSAGE_ALLOWANCE = 8
PROMPT_ALLOWANCE = 32
# A bound no template beats (128 tokens of role markers would be a very odd template);
# used only to skip counting when a chat is obviously far from full.
MESSAGE_BOUND = 16
PROMPT_BOUND = 256
CACHE_SIZE = 4096


def estimate_text(text: str) -> int:
    """Tokens `text` takes at most, roughly: English runs ~4 characters a token, so a
    third is high; other scripts are counted a token per UTF-8 byte, which byte-level
    tokenizers never exceed (Korean in an English-centred vocabulary comes close)."""
    ascii_chars = len(text.encode("ascii", "ignore"))
    other_bytes = len(text.encode("utf-8", "replace")) - ascii_chars
    return math.ceil(ascii_chars / 3) + other_bytes


def estimate(messages: Sequence[Message]) -> int:
    return PROMPT_ALLOWANCE + sum(
        MESSAGE_ALLOWANCE + estimate_text(m.get("content", "")) for m in messages
    )


def upper_bound(messages: Sequence[Message]) -> int:
    """More tokens than any tokenizer makes of these messages: every token holds a byte."""
    return PROMPT_BOUND + sum(
        MESSAGE_BOUND + len(m.get("content", "").encode("utf-8", "replace")) for m in messages
    )


class TokenCounter:
    """Counts for one model on one server, by the best method that server offers."""

    def __init__(self, http: HttpSession, kind: ServerKind, model_id: str) -> None:
        self._http = http
        self._model_id = model_id
        self.method: CountMethod = {
            "vLLM": "server",
            "llama-server": "server",
            "llama-cpp-python": "server_text",
        }.get(kind, "estimate")  # type: ignore[assignment]
        self._kind = kind
        self._text_counts: OrderedDict[str, int] = OrderedDict()

    @property
    def exact(self) -> bool:
        return self.method == "server"

    def count(self, messages: Sequence[Message], abort: Abort | None = None) -> int:
        if self.method == "server":
            tokens = self._count_rendered(messages, abort)
            if tokens is not None:
                return tokens
            self.method = "server_text" if self._kind == "llama-server" else "estimate"
        if self.method == "server_text":
            total = self._count_texts(messages, abort)
            if total is not None:
                return total
            self.method = "estimate"
        return estimate(messages)

    def _count_rendered(self, messages: Sequence[Message], abort: Abort | None) -> int | None:
        http = self._http
        if self._kind == "vLLM":
            answer = http.post_json(
                "/tokenize",
                {
                    "model": self._model_id,
                    "messages": list(messages),
                    "add_generation_prompt": True,
                },
                abort=abort,
                missing_ok=True,
            )
            if isinstance(answer, dict) and isinstance(answer.get("count"), int):
                return int(answer["count"])
            return None
        rendered = http.post_json(
            "/apply-template", {"messages": list(messages)}, abort=abort, missing_ok=True
        )
        if not isinstance(rendered, dict) or not isinstance(rendered.get("prompt"), str):
            return None
        answer = http.post_json(
            "/tokenize",
            {"content": rendered["prompt"], "add_special": True},
            abort=abort,
            missing_ok=True,
        )
        if isinstance(answer, dict) and isinstance(answer.get("tokens"), list):
            return len(answer["tokens"])
        return None

    def _count_texts(self, messages: Sequence[Message], abort: Abort | None) -> int | None:
        """Each distinct message text is counted once: the overflow policy's bisection asks
        about the same messages again and again."""
        total = PROMPT_ALLOWANCE
        for m in messages:
            text = m.get("content", "")
            n = self._text_counts.get(text)
            if n is None:
                n = self._count_text(text, abort)
                if n is None:
                    return None
                self._text_counts[text] = n
                if len(self._text_counts) > CACHE_SIZE:
                    self._text_counts.popitem(last=False)
            else:
                self._text_counts.move_to_end(text)
            total += MESSAGE_ALLOWANCE + n
        return total

    def _count_text(self, text: str, abort: Abort | None) -> int | None:
        if self._kind == "llama-server":
            answer = self._http.post_json(
                "/tokenize", {"content": text}, abort=abort, missing_ok=True
            )
            tokens = answer.get("tokens") if isinstance(answer, dict) else None
            return len(tokens) if isinstance(tokens, list) else None
        try:
            answer = self._http.post_json(
                "/extras/tokenize/count",
                {"input": text, "model": self._model_id},
                abort=abort,
                missing_ok=True,
            )
        except RemoteError as exc:
            if exc.kind == "bad_request":  # an older server with another request shape
                return None
            raise
        count = answer.get("count") if isinstance(answer, dict) else None
        return count if isinstance(count, int) else None
