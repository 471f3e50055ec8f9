"""The bounded chat-template renderer, directly (no model, no engine process): real
templates render exactly as llama-cpp-python renders them, and each way a template can
ask for unbounded time or memory is stopped with one clear line."""

from __future__ import annotations

import signal
import sys
import threading
import time
from datetime import datetime

import psutil
import pytest
from gguf_factory import CHATML_TEMPLATE
from llama_cpp.llama_chat_format import Jinja2ChatFormatter

from parrotchat.core.errors import TemplateError
from parrotchat.engine.local.templates.chat_template import (
    MAX_SOURCE_CHARS,
    TEXT_LIMIT,
    ChatTemplate,
)

HI = [{"role": "user", "content": "hi"}]
TICKS = hasattr(signal, "setitimer")  # POSIX: the SIGPROF timer; Windows: the tracer


def peak_mb() -> float:
    try:
        import resource
    except ImportError:  # Windows: the current size is the nearest figure
        return psutil.Process().memory_info().rss / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Shapes real GGUF templates use: loops with namespaces, slicing, tojson of tools,
# raise_exception, strftime_now, {% generation %}, loop controls, macros, filters.
QWEN3 = """{%- if tools %}{{- '<|im_start|>system\\n# Tools\\n' }}{%- for tool in tools %}
{{- tool | tojson }}{%- endfor %}{{- '<|im_end|>\\n' }}{%- endif %}
{%- set ns = namespace(multi_step_tool=true, last_query_index=messages|length - 1) %}
{%- for message in messages[::-1] %}{%- set index = (messages|length - 1) - loop.index0 %}
{%- if ns.multi_step_tool and message.role == "user" and message.content is string %}
{%- set ns.multi_step_tool = false %}{%- set ns.last_query_index = index %}{%- endif %}
{%- endfor %}{%- for message in messages %}
{{- '<|im_start|>' + message.role + '\\n' + message.content | trim + '<|im_end|>\\n' }}
{%- endfor %}{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"""
MISTRAL = """{{ bos_token }}{% for message in messages %}
{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}
{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}
{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% endif %}
{% endfor %}"""
LLAMA3 = """{% set date = strftime_now('%d %b %Y') %}{{ bos_token }}
{%- macro header(role) %}<|start_header_id|>{{ role }}<|end_header_id|>\n\n{% endmacro %}
{%- for message in messages %}{{ header(message.role) }}
{%- generation %}{{ message.content | trim }}{% endgeneration %}<|eot_id|>
{%- if loop.index > 50 %}{% break %}{% endif %}{%- endfor %}
{%- if add_generation_prompt %}{{ header('assistant') }}{% endif %}
{{- ['a', 'b'] | join(', ') | upper | replace('A', 'x') | center(9) | indent(2) }}
{{- {'k': [1, 2.5, none]} | tojson(indent=2) }}{{ '%s=%d' | format('n', 3) }}
{{- '{}:{:>4}'.format('w', 7) ~ (messages | map(attribute='role') | list | length) }}"""
CHAT = [
    {"role": "user", "content": "Hello {0.__class__} %s {{ }}"},
    {"role": "assistant", "content": "Hi! ünïcödé 😀"},
    {"role": "user", "content": "  bye  "},
]
TOOLS = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]


def llama_cpp_render(source: str, messages: list[dict[str, str]], **extra: object) -> str:
    formatter = Jinja2ChatFormatter(template=source, eos_token="</s>", bos_token="<s>")
    return formatter(messages=messages, **extra).prompt  # type: ignore[arg-type]


@pytest.mark.parametrize("source", [CHATML_TEMPLATE, QWEN3, MISTRAL, LLAMA3])
def test_real_templates_render_exactly_as_llama_cpp_python_does(source: str) -> None:
    ours = ChatTemplate(source, bos_token="<s>", eos_token="</s>")
    assert ours.render(CHAT, tools=TOOLS) == llama_cpp_render(source, CHAT, tools=TOOLS)


# The shapes that stopped four of llama.cpp's real template fixtures in
# llama-cpp-python's renderer, which passes `tools` and `functions` as None:
HERMES_TOOL_USE = (  # Hermes 2 Pro and Hermes 3 tool_use: a loop over `tools`, always
    "{{ bos_token }}<tools> {% for tool in tools %}{% if tool.function is defined %}"
    "{% set tool = tool.function %}{% endif %}{{ tool.name }} {% endfor %}</tools>"
    "{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
)
COMMAND_R_TOOL_USE = (  # Command R+ tool_use: `tools` passed to a macro, and a namespace
    "{%- macro parser(tools) %}{% for tool in tools %}## {{ tool.name }}\n{% endfor %}"
    "{%- endmacro %}{%- set ns = namespace(new_tools=true) %}{%- for tool in tools %}"
    "{%- if tool.parameter_definitions is defined %}{% set ns.new_tools = false %}{% endif %}"
    "{%- endfor %}Tools:\n{{ parser(tools) }}{% for m in messages %}{{ m.content }}{% endfor %}"
)
FIREFUNCTION_V2 = (  # firefunction v2: `functions` and `datetime` added to a text
    "{%- set suffix -%}Available functions as JSON spec:{%- endset -%}"
    "{%- set suffix = suffix + '\n' + functions -%}"
    "{%- set suffix = suffix + '\nToday is ' + datetime + '.' -%}"
    "{{ suffix }}{% for m in messages %}|{{ m['content'] | trim }}{% endfor %}"
)
GEMMA_2 = (  # a template without a system role refuses one
    "{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}"
    "{% endif %}{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}{% endfor %}"
)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (HERMES_TOOL_USE, "<s><tools> </tools><user>hi"),
        (COMMAND_R_TOOL_USE, "Tools:\nhi"),
        (FIREFUNCTION_V2, "Available functions as JSON spec:\n\nToday is {today}.|hi"),
    ],
    ids=["hermes", "command-r", "firefunction"],
)
def test_templates_that_llama_cpp_python_cannot_render_render_as_llama_cpp_does(
    source: str, expected: str
) -> None:
    with pytest.raises(TypeError):  # "'NoneType' object is not iterable" and the like
        llama_cpp_render(source, HI)
    # llama.cpp's renderer loops over a missing `tools` zero times, adds a missing
    # `functions` as an empty text and passes today's date as `datetime`.
    today = datetime.now().strftime("%b %d %Y")
    prompt = ChatTemplate(source, bos_token="<s>").render(HI)
    assert prompt == expected.format(today=today)


def test_given_tools_are_listed_as_llama_cpp_python_lists_them() -> None:
    tools = [*TOOLS, {"name": "g"}]
    ours = ChatTemplate(HERMES_TOOL_USE, bos_token="<s>", eos_token="</s>").render(HI, tools=tools)
    assert ours == llama_cpp_render(HERMES_TOOL_USE, HI, tools=tools)
    assert ours.startswith("<s><tools> f g </tools>")


def test_what_llama_cpp_python_renders_is_unchanged_none_stays_none() -> None:
    # `tools is none`, `~ none` and a loop over a list of Nones render as they did.
    source = (
        "{% if tools is none %}no tools{% endif %}{{ 'a' ~ functions }}"
        "{% for x in [none, 1] %}[{{ x }}]{% endfor %}{{ messages[0].content }}"
    )
    ours = ChatTemplate(source, bos_token="<s>", eos_token="</s>").render(HI)
    assert ours == llama_cpp_render(source, HI) == "no toolsaNone[None][1]hi"


def test_a_missing_value_added_to_a_text_is_an_empty_text_either_side() -> None:
    source = "{{ functions + '|' + messages[0].missing + tool_choice + '|' }}{{ none + 'x' }}"
    assert ChatTemplate(source).render(HI) == "||x"


def test_a_template_without_a_system_role_gets_the_system_prompt_in_the_first_message() -> None:
    chat = [{"role": "system", "content": "Be brief."}, *CHAT]
    with pytest.raises(ValueError, match="System role not supported"):
        llama_cpp_render(GEMMA_2, chat)
    prompt = ChatTemplate(GEMMA_2).render(chat)
    assert prompt.startswith("<user>Be brief.\nHello {0.__class__} %s {{ }}<assistant>Hi!")
    assert ChatTemplate(GEMMA_2).render(CHAT) == llama_cpp_render(GEMMA_2, CHAT)  # no system
    # Any other refusal is still the template's own reason, one line.
    with pytest.raises(TemplateError, match="failed: Conversation roles must alternate"):
        ChatTemplate(MISTRAL).render([{"role": "system", "content": "x"}, *CHAT[1:]])


def test_a_long_chat_is_not_mistaken_for_an_attack() -> None:
    # 5,000 messages, 5 MB of text: past the fixed text limit, within the scaled one.
    chat = [
        {"role": ("user", "assistant")[i % 2], "content": f"{i} " + "word " * 200}
        for i in range(5000)
    ]
    started = time.perf_counter()
    prompt = ChatTemplate(QWEN3).render(chat)
    elapsed = time.perf_counter() - started
    assert len(prompt) > TEXT_LIMIT
    assert prompt == llama_cpp_render(QWEN3, chat)
    print(f"\n5,000-message chat ({len(prompt):,} chars) rendered in {elapsed * 1000:.0f} ms")


def test_the_templates_own_error_is_the_message() -> None:
    with pytest.raises(TemplateError) as info:
        ChatTemplate(MISTRAL).render([{"role": "assistant", "content": "x"}])
    assert str(info.value) == (
        "The model's chat template failed: "
        "Conversation roles must alternate user/assistant/user/assistant/..."
    )


def test_a_template_that_does_not_compile_fails_at_render_with_the_reason() -> None:
    template = ChatTemplate("{% if %}broken")
    assert template.error is not None
    with pytest.raises(TemplateError, match=r"^The model's chat template is broken: Expected an"):
        template.render(HI)


def test_a_huge_template_source_is_refused_before_compiling() -> None:
    with pytest.raises(TemplateError, match=r"is broken: it is 262,145 characters long"):
        ChatTemplate("x" * (MAX_SOURCE_CHARS + 1)).render(HI)


def test_an_empty_prompt_is_an_error_not_an_empty_context() -> None:
    with pytest.raises(TemplateError, match="produced an empty prompt"):
        ChatTemplate("{% if false %}x{% endif %}").render(HI)


# Each entry: a template, and the words its error must contain. Sizes are ones that
# would take gigabytes (or hours) if they ran.
REFUSED = [
    ("{{ 'x' * 10**10 }}", "repeat a value into one of 10,000,000,000 characters"),
    ("{{ 'x' * 10000000000 }}", "repeat a value"),  # a constant: folded at compile time
    ("{{ [0] * 10**9 }}", "repeat a value"),
    ("{{ (('x',) * 3) * 10**9 }}", "repeat a value"),
    ("{{ 10 ** (10 ** 10) }}", "a number of about 40,000,000,000 bits"),
    ("{{ (10 ** 10000) * (10 ** 10000) }}", "a number of about"),
    ("{{ 'x' | center(10**10) }}", "passed the number 1e+10 where a size is expected"),
    ("{{ 'x'.ljust(10**10) }}", "where a size is expected"),
    ("{{ (1).to_bytes(10**10, 'big') }}", "where a size is expected"),
    ("{{ ('\t' * 1000).expandtabs(4000000) }}", "with expandtabs() of"),
    ("{{ 'ab'.replace('', 'x' * 4000000) }}", "with replace() of 12,000,002"),
    ("{{ 'ab' | replace('', 'x' * 4000000) }}", "with replace of"),
    ("{{ ('a\n' * 2000000) | indent('x' * 16) }}", "with indent of"),
    ("{{ ('a' * 4000000) | wordwrap(2) }}", "with wordwrap of"),
    ("{{ '{:>9999999999}'.format(1) }}", "format a text of 10,000,000,015"),
    ("{{ '{:{}}'.format(1, 10**9) }}", "nested format field"),
    ("{{ '%9999999999s' % 'x' }}", "format a text"),
    ("{{ '%*s' % (4000000, 'x') * 2 }}", "repeat a value"),
    ("{{ '%9999999999s' | format('x') }}", "format a text"),
    ("{{ {'a': 1} | tojson(indent=10**9) }}", "indent must be at most 16"),
    ("{% set s = 'x' * 4000000 %}{{ [s] | batch(1000, s) | first | join }}", "more than"),
    ("{% set s = 'x' * 1000000 %}{{ dict.fromkeys(range(1000), s) }}", "more than"),
    ("{% set s = 'x' * 1000000 %}{{ [s, s, s, s, s] }}", "more than"),
    ("{% set s = 'x' * 1000000 %}{{ s ~ s ~ s ~ s ~ s }}", "join a text"),
    ("{% set s = 'x' * 3000000 %}{% set t %}{{ s }}{{ s }}{% endset %}{{ t }}", "make a text"),
    (
        # 2**40 leaves from 40 shared lists: printing or comparing them never ends.
        "{% set ns = namespace(a=[1], b=[1]) %}{% for i in range(40) %}"
        "{% set ns.a = [ns.a, ns.a] %}{% set ns.b = [ns.b, ns.b] %}{% endfor %}"
        "{{ ns.a == ns.b }}",
        "more than",
    ),
    (
        "{% set ns = namespace(t=(1,)) %}{% for i in range(100000) %}"
        "{% set ns.t = (ns.t,) %}{% endfor %}{{ ns.t in {} }}",
        "nested lists or dicts more than 100 levels deep",
    ),
    ("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}", "levels deep"),
    ("{{ strftime_now('%c' * 100000) }}", "strftime_now() takes a short format text"),
    ("{{ range(10**6) | list }}", "Range too big"),
    ("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "recursed too deeply"),
    ("{{ " + "(" * 5000 + "1" + ")" * 5000 + " }}", "recursed too deeply"),
    ("{{ cycler.__init__.__globals__.os }}", "access to attribute '__init__' of 'type'"),
    ("{{ ''.__class__.__mro__[1].__subclasses__() }}", "attribute '__class__' of 'str'"),
    ("{{ lipsum.__globals__['os'] }}", "attribute '__globals__' of 'function'"),
    ("{{ self._TemplateReference__context }}", "'_TemplateReference__context'"),
    ("{{ cycler | attr('__init__') | attr('__globals__') }}", "'__init__' of 'type'"),
    ("{{ '{0.__init__.__globals__}' | attr('format')(cycler) }}", "'__init__' of 'type'"),
    ("{% set f = '{0.__init__.__globals__}'.format %}{{ f(cycler) }}", "'__init__' of 'type'"),
    ("{{ '{0.__class__}'.format(1) }}", "attribute '__class__' of 'int'"),
    ("{{ messages.append(1) }}", "attribute 'append' of 'list'"),
    ("{% include 'x' %}", "it includes or imports another template ('x')"),
    ("{% import 'os' as os %}{{ os.system('x') }}", "imports another template ('os')"),
]


@pytest.mark.parametrize(("source", "reason"), REFUSED, ids=[r[0][:40] for r in REFUSED])
def test_a_hostile_template_is_refused_at_once_with_a_clear_line(source: str, reason: str) -> None:
    peak_before = peak_mb()
    started = time.perf_counter()
    with pytest.raises(TemplateError) as info:
        ChatTemplate(source).render(HI)
    elapsed = time.perf_counter() - started
    message = str(info.value)
    assert message.startswith("The model's chat template ") and reason in message
    assert "\n" not in message and len(message) < 400
    # The reason (checked above) says it was measured, not stopped at the deadline;
    # the time only has to beat a hang on a busy machine.
    assert elapsed < 10.0, f"refused after {elapsed:.2f} s"
    assert peak_mb() - peak_before < 200


SLOW = [
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{{ lipsum(10**9) }}",
    "{{ range(100000) | batch(1) | sum(start=[]) }}",  # quadratic list additions
    "{% set s = 'x' * 4000000 %}{% set ns = namespace() %}"
    "{% for i in range(100000) %}{% set ns.s = s ~ i %}{% endfor %}x",
    # A DAG of namespaces (they can change, so they are measured each time).
    "{% set ns = namespace(cur=namespace(a=1)) %}{% for i in range(40) %}"
    "{% set tmp = namespace() %}{% set tmp.l = ns.cur %}{% set tmp.r = ns.cur %}"
    "{% set ns.cur = tmp %}{% endfor %}{{ ns.cur }}",
]


@pytest.mark.parametrize("source", SLOW, ids=[s[:40] for s in SLOW])
def test_a_template_that_runs_on_is_stopped_at_the_deadline(source: str) -> None:
    started = time.perf_counter()
    with pytest.raises(TemplateError, match=r"^The model's chat template was stopped: it ") as info:
        ChatTemplate(source, time_limit_s=0.5).render(HI)
    elapsed = time.perf_counter() - started
    assert elapsed < 15.0  # the deadline is 0.5 s; a render that never stops hangs
    if TICKS:
        assert signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0), "the timer is off again"
    print(f"\n{source[:40]!r}: {info.value} after {elapsed:.2f} s")


def test_the_deadline_also_holds_outside_the_main_thread() -> None:
    # No signal timer there: the trace-function fallback (also what Windows uses).
    errors: list[BaseException] = []

    def render() -> None:
        try:
            ChatTemplate(SLOW[0], time_limit_s=0.3).render(HI)
        except BaseException as exc:  # the test inspects it
            errors.append(exc)

    started = time.perf_counter()
    thread = threading.Thread(target=render)
    thread.start()
    thread.join(30)
    assert not thread.is_alive() and time.perf_counter() - started < 15.0
    assert isinstance(errors[0], TemplateError) and "ran longer than 0.3 s" in str(errors[0])


def test_many_distinct_large_values_hit_the_memory_allowance() -> None:
    # Each value is under the text limit; together they would take 400 MB.
    source = "{% set s = 'x' * 4000000 %}{% set ns = namespace() %}" + "".join(
        f"{{% set ns.a{i} = s ~ {i} %}}" for i in range(100)
    )
    template = ChatTemplate(source + "x", memory_limit=64 * 2**20, time_limit_s=30)
    with pytest.raises(TemplateError, match="it used more than 64 MB of memory"):
        template.render(HI)


def test_a_render_after_a_refused_one_works_and_nothing_is_left_running() -> None:
    template = ChatTemplate(CHATML_TEMPLATE)
    with pytest.raises(TemplateError):
        ChatTemplate(SLOW[0], time_limit_s=0.2).render(HI)
    time.sleep(0.05)  # a late timer tick would raise here if one were left armed
    assert template.render(HI) == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"
    if TICKS:
        assert signal.getsignal(signal.SIGPROF) is not signal.SIG_DFL  # idle, never default


def test_the_watchdog_raises_only_inside_the_render_and_again_after_a_swallowed_stop() -> None:
    """A tick landing in a gc callback, a __del__ or pytest's unraisable hook must not
    raise there (Python swallows it: a render stopped only once ran on for 300 s, and
    a stop raised inside the hook failed the run); inside the render it raises, and
    again at the next check if the first was swallowed."""
    import jinja2.runtime

    from parrotchat.engine.local.templates import watch as template_watch

    watch = template_watch._Watch(0.0, 2**40)
    template_watch._ticking = watch
    try:
        outside = sys._getframe()  # this test module: not the render
        template_watch._on_tick(0, outside)  # no exception here
        inside = type("F", (), {})()
        inside.f_code = type("C", (), {"co_filename": "<template>"})()
        inside.f_globals = {}
        for _ in range(2):  # the first one "swallowed", the second still comes
            with pytest.raises(template_watch.Stopped):
                template_watch._on_tick(0, inside)  # type: ignore[arg-type]
        assert template_watch._in_render(sys._getframe(0)) is False
        jinja_frame = type("F", (), {"f_code": outside.f_code, "f_globals": vars(jinja2.runtime)})()
        assert template_watch._in_render(jinja_frame)  # type: ignore[arg-type]
    finally:
        template_watch._ticking = None
