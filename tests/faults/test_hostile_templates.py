"""Hostile chat templates (issue #7, item 4), each in a real GGUF loaded by the real
engine process: no code runs, nothing hangs, memory stays bounded, and the user gets
one clear line; the same engine then serves a normal chat. Also: our own prompt
templates (translate, summarize, the user's) resist format-string tricks.

Figures for docs/reliability.md are printed at the end of the module (run with -s).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from gguf_factory import CHATML_TEMPLATE, write_tiny_llama

from parrotchat.core.errors import TemplateError
from parrotchat.core.prompt_templates import PromptTemplate
from parrotchat.engine.calls import (
    EngineFailure,
    load_model,
    memory_status,
    stream_chat,
)
from parrotchat.engine.local.client import EngineClient
from parrotchat.engine.protocol import ChatRequest, Done, LoadRequest, Token

BOUND_S = 10.0  # the engine's own deadline is 2 s
PEAK_RSS_MB = 1500
HI = [{"role": "user", "content": "hi"}]

# {marker} becomes a unique path under the test's tmp folder: had any of these run a
# shell command, that file would exist.
TOUCH = "touch {marker}"
HOSTILE: dict[str, str] = {
    # --- attribute walks out of the sandbox ---
    "subclasses": "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "cycler-globals-os": f"{{{{ cycler.__init__.__globals__.os.popen('{TOUCH}').read() }}}}",
    "joiner-globals": f"{{{{ joiner.__init__.__globals__['os'].system('{TOUCH}') }}}}",
    "namespace-globals": f"{{{{ namespace.__init__.__globals__.os.system('{TOUCH}') }}}}",
    "lipsum-globals": f"{{{{ lipsum.__globals__['os'].system('{TOUCH}') }}}}",
    "raise-exception-builtins": (
        "{{ raise_exception.__globals__['__builtins__']['__import__']('os')"
        f".system('{TOUCH}') }}}}"
    ),
    "message-class-globals": (
        "{% for m in messages %}{{ m.__class__.__init__.__globals__['os']"
        f".system('{TOUCH}') }}}}{{% endfor %}}"
    ),
    "template-reference-context": "{{ self._TemplateReference__context.cycler }}",
    "attr-filter-chain": (
        f"{{{{ (cycler|attr('__init__')|attr('__globals__'))['os']|attr('system')('{TOUCH}') }}}}"
    ),
    "list-append-mutation": "{{ messages.append({'role': 'system'}) }}{{ messages }}",
    "import-os": f"{{% import 'os' as os %}}{{{{ os.system('{TOUCH}') }}}}",
    # --- format-string tricks, including the CVE-2024-56326 and CVE-2025-27516 shapes ---
    "str-format-globals": "{{ '{0.__init__.__globals__[os]}'.format(cycler) }}",
    "stored-format-cve-2024-56326": (
        "{% set f = '{0.__init__.__globals__[os]}'.format %}{{ f(cycler) }}"
    ),
    "attr-format-cve-2025-27516": ("{{ '{0.__init__.__globals__[os]}'|attr('format')(cycler) }}"),
    "format-map-globals": "{{ '{c.__init__.__globals__}'.format_map({'c': cycler}) }}",
    "percent-format-repr": "{{ '%s'|format(cycler.__init__.__globals__) }}",
    # --- enormous allocations ---
    "str-times-1e10": "{{ 'x' * 10**10 }}",
    "str-times-constant": "{{ 'x' * 10000000000 }}",
    "center-1e10": "{{ 'x'|center(10**10) }}",
    "list-times-1e9": "{{ [0] * 10**9 }}",
    "power-tower": "{{ 10 ** (10 ** 10) }}",
    "format-width": "{{ '{:>9999999999}'.format(1) }}",
    "percent-width": "{{ '%9999999999s' % 'x' }}",
    "replace-empty": "{{ 'ab'.replace('', 'x' * 4000000) }}",
    "to-bytes": "{{ (1).to_bytes(10**10, 'big') }}",
    "tojson-indent": "{{ messages|tojson(indent=10**9) }}",
    "shared-list-dag": (
        "{% set ns = namespace(a=[1]) %}{% for i in range(40) %}"
        "{% set ns.a = [ns.a, ns.a] %}{% endfor %}{{ ns.a }}"
    ),
    "doubling-concat": (
        "{% set ns = namespace(s='x') %}{% for i in range(40) %}"
        "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}"
    ),
    "enormous-output": "{% for i in range(10**5) %}{{ 'x' * 1000 }}{% endfor %}",
    "deep-tuple-hash": (
        "{% set ns = namespace(t=(1,)) %}{% for i in range(100000) %}"
        "{% set ns.t = (ns.t,) %}{% endfor %}{{ ns.t in {} }}"
    ),
    # --- time ---
    "range-too-big": "{% for i in range(10**9) %}x{% endfor %}",
    "nested-loops": (
        "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
    ),
    "recursive-macro": "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}",
    "lipsum-1e9": "{{ lipsum(10**9) }}",
    "quadratic-sum": "{{ range(100000)|batch(1)|sum(start=[]) }}",
    # --- the parser ---
    "deep-parentheses": "{{ " + "(" * 20000 + "1" + ")" * 20000 + " }}",
    "syntax-error": "{% if %}broken",
    "empty-output": "{% if false %}never{% endif %}",
}

_figures: dict[str, Any] = {"tried": 0, "executed": 0, "hung": 0, "slowest_s": 0.0}


@pytest.fixture(scope="module")
def engine() -> Iterator[EngineClient]:
    client = EngineClient()
    client.start()
    yield client
    status = memory_status(client)
    client.close()
    print(
        f"\nhostile chat templates: {_figures['tried']} tried in the real engine, "
        f"{_figures['executed']} executed code, {_figures['hung']} ran past {BOUND_S:g} s; "
        f"slowest refusal {_figures['slowest_s']:.2f} s; engine peak RSS "
        f"{status.peak_rss_mb:.0f} MB"
    )


def chat(engine: EngineClient, chat_format: str | None = None) -> list[Token | Done]:
    request = ChatRequest(
        HI, sampling={"max_tokens": 4, "temperature": 0.0}, chat_format=chat_format
    )
    return list(stream_chat(engine, request))


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_template_is_refused_and_the_engine_serves_on(
    engine: EngineClient, tmp_path: Path, name: str
) -> None:
    marker = tmp_path / f"PWNED-{uuid.uuid4().hex}"
    source = HOSTILE[name].replace("{marker}", str(marker))
    model = write_tiny_llama(tmp_path / f"{name}.gguf", chat_template=source)
    pid = engine.pid
    loaded = load_model(engine, LoadRequest(str(model), n_ctx=256))
    assert loaded["chat_template"] is True  # a hostile template does not stop the load

    _figures["tried"] += 1
    started = time.monotonic()
    with pytest.raises(EngineFailure) as info:
        chat(engine)
    elapsed = time.monotonic() - started
    _figures["slowest_s"] = max(_figures["slowest_s"], elapsed)
    _figures["hung"] += elapsed > BOUND_S
    _figures["executed"] += marker.exists() or Path("PWNED").exists()

    assert not marker.exists() and not Path("PWNED").exists(), "the template ran a command"
    assert info.value.kind == "template_failed", info.value
    message = str(info.value)
    assert message.startswith("The model's chat template ") and "\n" not in message
    assert len(message) < 400
    assert elapsed < BOUND_S
    # The same process serves on: the model with a chosen format, no restart.
    assert engine.is_alive() and engine.pid == pid
    events = chat(engine, chat_format="chatml")
    assert isinstance(events[-1], Done) and events[-1].stats["reply_tokens"] > 0
    assert memory_status(engine).peak_rss_mb < PEAK_RSS_MB


def test_after_the_corpus_an_ordinary_template_still_works(
    engine: EngineClient, tmp_path: Path
) -> None:
    model = write_tiny_llama(tmp_path / "good.gguf", chat_template=CHATML_TEMPLATE)
    load_model(engine, LoadRequest(str(model), n_ctx=256))
    events = chat(engine)
    assert isinstance(events[-1], Done) and events[-1].stats["prompt_tokens"] > 5


# --- our own prompt templates (str.format-like, user-editable) ----------------------------

FORMAT_TRICKS = [
    "{0.__class__}",
    "{text.__class__.__init__.__globals__}",
    "{text.__globals__}",
    "{text!r}",
    "{text:>9999999999}",
    "{text:{text}}",
    "{text[0]}",
    "{__import__}",
]


@pytest.mark.parametrize("prompt", FORMAT_TRICKS)
def test_a_prompt_template_with_a_format_trick_is_refused(prompt: str) -> None:
    with pytest.raises(TemplateError) as info:
        PromptTemplate.from_dict({"name": "evil", "prompt": prompt})
    assert "template 'evil'" in str(info.value) and "\n" not in str(info.value)


@pytest.mark.parametrize("trick", FORMAT_TRICKS)
def test_format_tricks_in_the_users_text_are_inserted_verbatim(trick: str) -> None:
    template = PromptTemplate.from_dict({"name": "t", "prompt": "Translate: {text}"})
    assert template.render({"text": trick}).user == f"Translate: {trick}"
