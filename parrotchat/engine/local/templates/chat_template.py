"""A model's chat template (Jinja code from the GGUF file), rendered in a bounded sandbox.

The template comes with the model file, so it is untrusted code. Jinja's
ImmutableSandboxedEnvironment already refuses attribute walks (`__globals__`,
`__subclasses__`, `str.format` tricks) and caps `range()`; what it does not bound is
cost. One C-level operation can ask for gigabytes (`'x' * 10**10`,
`'x'|center(10**10)`, `'{:>9999999999}'.format(1)`), a DAG of shared references
can turn into terabytes when printed or compared, and loops can run for hours.
`ChatTemplate` closes those doors:

- every value the template builds, prints, compares or passes on is measured first,
  and operations whose result size a C function computes in one go are estimated
  before they run, each refused past a limit (meter.py, applied by the
  environment of sandbox.py);
- the render is stopped at a deadline, and once the process has grown by more than a
  memory allowance (watch.py).

Allowances grow with the conversation: the text limit by four times, the time by a
second per million characters of the messages, so a long chat is never mistaken for
an attack.

The variables passed to the template are those of llama-cpp-python's
Jinja2ChatFormatter (messages, bos/eos tokens, raise_exception, strftime_now, tools
...), so templates render exactly as they would there. Where that renderer fails and
llama.cpp's own (common/chat.cpp, common/jinja) does not, we render as llama.cpp does:

- a loop over a variable with no value runs zero times, and `text + none` is the
  text (sandbox.py);
- `datetime` is today's date, as llama.cpp's extra context gives it (firefunction v2
  prints it; `date_string`, which llama.cpp also sets, is left out: Llama 3.x
  templates default it, and llama-cpp-python renders that default);
- a template that refuses a leading system message (Gemma 2: "System role not
  supported") gets it prepended to the next message, as llama.cpp does for a
  template without a system role.

The first and the last rule change only renders that raise in llama-cpp-python, and
`datetime` only templates that name it (of llama.cpp's 70 template fixtures, firefunction
v2 alone, which raises there): every prompt llama-cpp-python renders stays the same.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import jinja2

from parrotchat.core.errors import TemplateError
from parrotchat.engine.local.templates.meter import MAX_DEPTH, Meter, Refused
from parrotchat.engine.local.templates.sandbox import MAX_INDENT, TEXT_LIMIT, Sandbox
from parrotchat.engine.local.templates.watch import Stopped, watched

__all__ = [
    "MAX_DEPTH",
    "MAX_INDENT",
    "MAX_SOURCE_CHARS",
    "MEMORY_LIMIT",
    "TEXT_LIMIT",
    "TIME_LIMIT_S",
    "ChatTemplate",
]

TIME_LIMIT_S = 2.0
MAX_SOURCE_CHARS = 256 * 1024  # real templates are under 20 KB
MEMORY_LIMIT = 512 * 2**20  # bytes the process may grow by while a template runs
_REASON_CHARS = 300
_WHAT = "The model's chat template"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "it recursed too deeply"
    if isinstance(exc, MemoryError):
        return "it ran out of memory"
    if isinstance(exc, jinja2.TemplateNotFound):
        return f"it includes or imports another template ({exc.name!r}), which it cannot"
    text = str(exc).strip()
    line = text.splitlines()[0] if text else type(exc).__name__
    return line if len(line) <= _REASON_CHARS else line[:_REASON_CHARS] + "…"


def _strftime_now(fmt: str) -> str:
    if not isinstance(fmt, str) or len(fmt) > 256:
        raise Refused("strftime_now() takes a short format text")
    return datetime.now().strftime(fmt)


def _raise_exception(message: Any) -> None:
    raise _TemplateRaised(str(message))


class _TemplateRaised(Exception):
    """The template's own `raise_exception(...)`: its message is the reason."""


def _without_system(messages: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]] | None:
    """llama.cpp's messages for a template without a system role: a leading system
    message prepended to the next one's text (dropped when it is alone); None when
    there is no leading system message to move."""
    if not messages or messages[0].get("role") != "system":
        return None
    if len(messages) == 1:
        return []
    system, first = messages[0], messages[1]
    content = f"{system.get('content') or ''}\n{first.get('content') or ''}"
    return [{**first, "content": content}, *messages[2:]]


class ChatTemplate:
    """A chat template compiled once; `render` is called for every prompt. A template
    that does not compile is kept as its error, raised by `render` (a model loads
    even if its template is broken; the user can pick a chat format instead)."""

    def __init__(
        self,
        source: str,
        *,
        bos_token: str = "",
        eos_token: str = "",
        add_generation_prompt: bool = True,
        time_limit_s: float = TIME_LIMIT_S,
        memory_limit: int = MEMORY_LIMIT,
    ) -> None:
        self.bos_token, self.eos_token = bos_token, eos_token
        self.add_generation_prompt = add_generation_prompt
        self.time_limit_s, self.memory_limit = time_limit_s, memory_limit
        self._lock = threading.Lock()
        self._env = Sandbox()
        self._template: jinja2.Template | None = None
        self.error: str | None = None
        if len(source) > MAX_SOURCE_CHARS:
            self.error = (
                f"{_WHAT} is broken: it is {len(source):,} characters long "
                f"(the limit is {MAX_SOURCE_CHARS:,})"
            )
            return
        try:
            with watched(time_limit_s, memory_limit):
                self._template = self._env.from_string(source)
        except (Exception, RecursionError) as exc:
            self.error = f"{_WHAT} is broken: {_reason(exc)}"

    def render(self, messages: Sequence[Mapping[str, Any]], **extra: Any) -> str:
        """The prompt for `messages`; raises TemplateError (one line) on any failure."""
        try:
            return self._render(messages, extra)
        except _TemplateRaised as exc:
            merged = _without_system(messages)
            if merged is None:
                raise TemplateError(f"{_WHAT} failed: {_reason(exc)}") from None
        try:
            return self._render(merged, extra)
        except _TemplateRaised as exc:
            raise TemplateError(f"{_WHAT} failed: {_reason(exc)}") from None

    def _render(self, messages: Sequence[Mapping[str, Any]], extra: dict[str, Any]) -> str:
        """One render; the template's own raise_exception comes out as _TemplateRaised."""
        if self._template is None:
            raise TemplateError(self.error or f"{_WHAT} is broken")
        template = self._template
        variables: dict[str, Any] = {
            "messages": list(messages),
            "eos_token": self.eos_token,
            "bos_token": self.bos_token,
            "raise_exception": _raise_exception,
            "add_generation_prompt": self.add_generation_prompt,
            "functions": None,
            "function_call": None,
            "tools": None,
            "tool_choice": None,
            "strftime_now": _strftime_now,
            "datetime": datetime.now().strftime("%b %d %Y"),  # llama.cpp's spelling
            **extra,
        }
        with self._lock:
            meter = Meter(sys.maxsize)
            given = meter.size(variables)  # the messages themselves may be long
            meter.limit = TEXT_LIMIT + 4 * given
            self._env.meter = meter
            try:
                # Long chats take longer: a second more per million characters.
                seconds = self.time_limit_s + given / 1e6
                with watched(seconds, self.memory_limit + 8 * given):
                    prompt = self._generate(template, variables, meter.limit)
            except (Refused, Stopped) as exc:
                raise TemplateError(f"{_WHAT} was stopped: {exc}") from None
            except _TemplateRaised:
                raise
            except (Exception, RecursionError) as exc:  # sandbox refusals, its own errors
                raise TemplateError(f"{_WHAT} failed: {_reason(exc)}") from None
            finally:
                self._env.meter = Meter(TEXT_LIMIT)  # let go of the measured values
        if not prompt:
            raise TemplateError(f"{_WHAT} produced an empty prompt")
        return prompt

    @staticmethod
    def _generate(template: jinja2.Template, variables: dict[str, Any], limit: int) -> str:
        parts: list[str] = []
        total = 0
        for chunk in template.generate(**variables):
            total += len(chunk)
            if total > limit:
                raise Refused(f"its prompt grew past {limit:,} characters")
            parts.append(chunk)
        return "".join(parts)
