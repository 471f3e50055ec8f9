"""A model's chat template (Jinja code from the GGUF file), rendered in a bounded sandbox.

The template comes with the model file, so it is untrusted code. Jinja's
ImmutableSandboxedEnvironment already refuses attribute walks (`__globals__`,
`__subclasses__`, `str.format` tricks) and caps `range()`; what it does not bound is
cost. One C-level operation can ask for gigabytes (`'x' * 10**10`,
`'x'|center(10**10)`, `'{:>9999999999}'.format(1)`), a DAG of shared references
can turn into terabytes when printed or compared, and loops can run for hours.
`ChatTemplate` closes those doors:

- every value the template builds (operators `* ** + %` and `~`, list/tuple/dict
  literals, filter, test and method results) and every value it prints, compares or
  passes on is measured first (`_Meter`: the characters its text would take, with
  shared references counted each time and nesting capped) and refused past a limit;
- operations whose result size a C function computes in one go (padding, replace,
  join, expandtabs, translate, format widths, JSON indents) are estimated before
  they run;
- the render is stopped at a deadline, and once the process has grown by more than a
  memory allowance: checked every 5 ms of CPU time by a SIGPROF timer (POSIX, main
  thread), else by a trace function on every Python call (see `_Watch`).

Allowances grow with the conversation: the text limit by four times, the time by a
second per million characters of the messages, so a long chat is never mistaken for
an attack.

The variables passed to the template are those of llama-cpp-python's
Jinja2ChatFormatter (messages, bos/eos tokens, raise_exception, strftime_now, tools
...), so templates render exactly as they would there.
"""

from __future__ import annotations

import contextlib
import json
import operator
import re
import signal
import string
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from functools import wraps
from types import FrameType
from typing import Any

import jinja2
import jinja2.ext
import jinja2.filters
import jinja2.parser
import psutil
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.runtime import Undefined, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace, pass_environment, pass_eval_context

from parrotchat.core.errors import TemplateError

TIME_LIMIT_S = 2.0
MAX_SOURCE_CHARS = 256 * 1024  # real templates are under 20 KB
TEXT_LIMIT = 4 * 2**20  # characters: any one value, and the prompt, beyond the messages' own
MEMORY_LIMIT = 512 * 2**20  # bytes the process may grow by while a template runs
MAX_DEPTH = 100  # nesting of lists/dicts: C code recurses once per level
MAX_INDENT = 16  # tojson(indent=...)
_REASON_CHARS = 300
_MEMORY_SAMPLE_S = 0.005
_WHAT = "The model's chat template"


class _Refused(Exception):
    """A template asked for more than its allowance (raised inside the render)."""


# --- measuring values ------------------------------------------------------------------

_VIEWS: tuple[type, ...] = (type({}.keys()), type({}.values()), type({}.items()))


class _Meter:
    """How many characters values would take as text, against one render's limit.

    Containers the template cannot change (lists, tuples, dicts: the sandbox is
    immutable) are measured once per render and remembered by identity (a reference
    is kept, so the identity stays theirs), with their nesting depth. Namespaces can
    change, so anything that holds one is measured each time.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._known: dict[int, tuple[object, int, int]] = {}  # id -> (obj, size, height)

    def size(self, obj: Any, indent: int = 0) -> int:
        """Characters `str(obj)` may take; raises _Refused past the limit."""
        if type(obj) is str:  # the common case, in one call (each costs more when traced)
            if len(obj) >= self.limit:
                raise self._too_big()
            return len(obj) + 2
        return self._measure(obj, self.limit, 0, indent)[0]

    def check(self, n: int, what: str) -> None:
        if n > self.limit:
            raise _Refused(f"it tried to {what} of {n:,} characters (the limit is {self.limit:,})")

    def remember(self, obj: Any) -> Any:
        """Measure a container the template just made (and keep its size)."""
        self.size(obj)
        return obj

    def _too_big(self) -> _Refused:
        return _Refused(f"it tried to make a text of more than {self.limit:,} characters")

    def _measure(self, obj: Any, budget: int, depth: int, indent: int) -> tuple[int, int, bool]:
        """(size, height, frozen) of `obj` found `depth` levels down."""
        if isinstance(obj, (str, bytes)):
            n = len(obj) + 2
        elif obj is None or isinstance(obj, (bool, float)):
            n = 24
        elif isinstance(obj, int):
            n = obj.bit_length() // 3 + 2
        elif isinstance(obj, (list, tuple, dict, set, frozenset, Namespace, *_VIEWS)):
            return self._container(obj, budget, depth, indent)
        else:  # functions, macros, loop objects, generators, undefined: a short repr
            n = 64
        if n > budget:
            raise self._too_big()
        return n, 0, True

    def _container(self, obj: Any, budget: int, depth: int, indent: int) -> tuple[int, int, bool]:
        known = self._known.get(id(obj)) if indent == 0 else None
        if known is not None and known[0] is obj:
            _, n, height = known
        else:
            n, height, frozen = self._walk(obj, budget, depth, indent)
            if frozen and indent == 0:
                self._known[id(obj)] = (obj, n, height)
            else:
                return n, height, frozen
        if n > budget:
            raise self._too_big()
        if depth + height > MAX_DEPTH:
            raise _Refused(f"it nested lists or dicts more than {MAX_DEPTH} levels deep")
        return n, height, True

    def _walk(self, obj: Any, budget: int, depth: int, indent: int) -> tuple[int, int, bool]:
        if depth >= MAX_DEPTH:
            raise _Refused(f"it nested lists or dicts more than {MAX_DEPTH} levels deep")
        frozen = not isinstance(obj, Namespace)
        if isinstance(obj, Namespace):
            items: Iterable[Any] = _namespace_items(obj)
        elif isinstance(obj, dict):
            items = (x for kv in obj.items() for x in kv)
        else:
            items = obj
        n, height = 16, 1
        step = 2 + indent * (depth + 1)
        for item in items:
            size, below, item_frozen = self._measure(item, budget - n - step, depth + 1, indent)
            n += size + step
            height = max(height, below + 1)
            frozen = frozen and item_frozen
        return n, height, frozen


def _namespace_items(ns: Namespace) -> Iterator[Any]:
    attrs: dict[str, Any] = object.__getattribute__(ns, "_Namespace__attrs")
    for key, value in list(attrs.items()):
        yield key
        yield value


# --- format strings: how wide can they get? ----------------------------------------------

_PERCENT_FIELD = re.compile(
    r"%(?:\((?P<key>[^)]*)\))?[-#0 +]*(?P<width>\*|\d+)?(?:\.(?P<prec>\*|\d+))?[hlL]?"
    r"(?P<type>[a-zA-Z%])"
)
_DIGITS = re.compile(r"\d+")


def _percent_estimate(meter: _Meter, fmt: str, values: Any) -> int:
    """Characters of `fmt % values` at most: widths, precisions and the values' text."""
    if isinstance(values, Mapping):
        items = list(values.values())
    elif isinstance(values, tuple):
        items = list(values)
    else:
        items = [values]
    widest = max((meter.size(v) for v in items), default=0)
    stars = max((abs(v) for v in items if isinstance(v, int)), default=0)
    n = len(fmt)
    for m in _PERCENT_FIELD.finditer(fmt):
        for part in (m["width"], m["prec"]):
            if part == "*":
                n += stars
            elif part:
                n += int(part) if len(part) < 12 else 10**12
        n += widest * (10 if m["type"] == "a" else 1)
    return n


def _format_estimate(
    meter: _Meter, fmt: str, args: Sequence[Any], kwargs: Mapping[str, Any]
) -> int:
    """Characters of `fmt.format(*args, **kwargs)` at most."""
    widest = max((meter.size(v) for v in (*args, *kwargs.values())), default=0)
    n = len(fmt)
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return n  # str.format raises the same error itself
    for _literal, name, spec, conversion in fields:
        if name is None:
            continue
        if spec and "{" in spec:
            raise _Refused("it used a nested format field ('{:{}}'), which is not allowed")
        for digits in _DIGITS.findall(spec or ""):
            n += int(digits) if len(digits) < 12 else 10**12
        n += widest * (10 if conversion == "a" else 1)
    return n


# --- the sandbox -------------------------------------------------------------------------


class _IgnoreGenerationTags(jinja2.ext.Extension):
    """Hugging Face's `{% generation %}` tag: passes its body through (as
    llama-cpp-python and Transformers do)."""

    tags = {"generation"}  # noqa: RUF012 (a Jinja Extension declares it so)

    def parse(self, parser: jinja2.parser.Parser) -> list[nodes.Node]:
        parser.stream.skip(1)
        return parser.parse_statements(("name:endgeneration",), drop_needle=True)


class _CodeGenerator(CodeGenerator):
    """Jinja's code generator, with `~`, comparisons and list/tuple/dict literals
    routed through the environment, so that each is measured."""

    @optimizeconst
    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.concat_values(context.eval_ctx.autoescape, (")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")

    @optimizeconst
    def visit_Compare(self, node: nodes.Compare, frame: Frame) -> None:
        self.write("environment.compare(")
        self.visit(node.expr, frame)
        self.write(", (")
        for op in node.ops:
            self.write(f"({op.op!r}, ")
            self.visit(op.expr, frame)
            self.write("), ")
        self.write("))")

    def visit_List(self, node: nodes.List, frame: Frame) -> None:
        self.write("environment.meter.remember(")
        super().visit_List(node, frame)
        self.write(")")

    def visit_Dict(self, node: nodes.Dict, frame: Frame) -> None:
        self.write("environment.meter.remember(")
        super().visit_Dict(node, frame)
        self.write(")")

    def visit_Tuple(self, node: nodes.Tuple, frame: Frame) -> None:
        if node.ctx != "load":  # an assignment target: `{% for a, b in ... %}`
            super().visit_Tuple(node, frame)
            return
        self.write("environment.meter.remember(")
        super().visit_Tuple(node, frame)
        self.write(")")


_FLAT = frozenset({str, int, float, bool, type(None)})
_COMPARE: dict[str, Callable[[Any, Any], Any]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "gteq": operator.ge,
    "lt": operator.lt,
    "lteq": operator.le,
    "in": lambda a, b: a in b,
    "notin": lambda a, b: a not in b,
}
_MAX_INT_BITS = 65536  # about 20,000 digits


class _Sandbox(ImmutableSandboxedEnvironment):
    """llama-cpp-python's chat-template environment, with every cost bounded."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    code_generator_class = _CodeGenerator

    def __init__(self) -> None:
        super().__init__(
            loader=jinja2.BaseLoader(),
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=[_IgnoreGenerationTags, jinja2.ext.loopcontrols],
            finalize=self._finalize,
        )
        self.meter = _Meter(TEXT_LIMIT)
        filters: dict[str, Callable[..., Any]] = dict(self.filters)
        filters.update(join=_join, sum=_sum, tojson=_tojson)
        self.filters = {name: self._guard(name, fn, True) for name, fn in filters.items()}
        tests: dict[str, Any] = {**self.tests}
        self.tests = {name: self._guard(name, fn, False) for name, fn in tests.items()}

    # --- values the template prints, joins, compares ---

    def _finalize(self, value: Any) -> Any:
        if type(value) is not str:  # a string was measured when it was made
            self.meter.size(value)
        return value

    def concat_values(self, autoescape: bool, values: tuple[Any, ...]) -> str:
        size = self.meter.size
        n = sum(len(v) if type(v) is str else size(v) for v in values)
        self.meter.check(n, "join a text")
        return markup_join(values) if autoescape else str_join(values)

    def concat(self, parts: Iterable[str]) -> str:
        """The text of a block, macro or `{% set %}` body (Jinja's own `"".join`)."""
        parts = list(parts)
        self.meter.check(sum(len(p) for p in parts), "make a text")
        return "".join(parts)

    def compare(self, left: Any, pairs: tuple[tuple[str, Any], ...]) -> bool:
        for op, right in pairs:
            # Numbers and texts compare in one pass; containers are measured first.
            if type(left) not in _FLAT:
                self.meter.size(left)
            if type(right) not in _FLAT:
                self.meter.size(right)
            if not _COMPARE[op](left, right):
                return False
            left = right
        return True

    # --- operators ---

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        meter = self.meter
        if operator == "+" and type(left) is str and type(right) is str:
            if len(left) + len(right) > meter.limit:  # the common case, in one call
                meter.check(len(left) + len(right), "join values into one")
            return left + right
        if operator in ("*", "**") and _is_int(left) and _is_int(right):
            if operator == "*":
                bits = left.bit_length() + right.bit_length()
            else:
                bits = right * left.bit_length() if abs(left) > 1 and right > 0 else 0
            if bits > _MAX_INT_BITS:
                raise _Refused(f"it tried to compute a number of about {bits:,} bits")
        elif operator == "*":
            seq, times = (left, right) if _is_int(right) else (right, left)
            if _is_int(times) and isinstance(seq, (str, bytes, list, tuple)):
                one = len(seq) if isinstance(seq, (str, bytes)) else meter.size(seq)
                meter.check(one * max(0, times), "repeat a value into one")
        elif operator == "+" and isinstance(left, (str, bytes, list, tuple)):
            meter.check(meter.size(left) + meter.size(right), "join values into one")
        elif operator == "%" and isinstance(left, str):
            meter.check(_percent_estimate(meter, left, right), "format a text")
        result = super().call_binop(context, operator, left, right)
        if isinstance(result, (list, tuple)):
            meter.remember(result)
        return result

    def unsafe_undefined(self, obj: Any, attribute: str) -> Undefined:
        # Jinja hands back an undefined value that fails only if used further; a
        # template that reaches for `x.__class__` gets a clear error at once instead.
        raise SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe"
        )

    # --- calls: methods, globals, macros ---

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        owner = getattr(__obj, "__self__", None)
        name = getattr(__obj, "__name__", "")
        if isinstance(owner, (str, bytes)) and name == "join" and args:
            args = (list(args[0]), *args[1:])  # a generator is drained here, in Python
        meter = __self.meter
        for value in (*args, *kwargs.values()):
            meter.size(value)
        if isinstance(owner, (str, bytes, int)):  # center(n), zfill(n), to_bytes(n) ...
            _check_ints(meter, args, kwargs)
        if isinstance(owner, (str, bytes)):
            _check_str_method(meter, owner, name, args, kwargs)
        result = super().call(__context, __obj, *args, **kwargs)
        meter.size(result)
        return result

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is None:
            return None
        fmt: str = value.__self__
        is_map = value.__name__ == "format_map"

        def checked(*args: Any, **kwargs: Any) -> str:
            named = args[0] if is_map and args and isinstance(args[0], Mapping) else kwargs
            positional = () if is_map else args
            self.meter.check(_format_estimate(self.meter, fmt, positional, named), "format a text")
            result = wrapped(*args, **kwargs)
            self.meter.size(result)
            return result

        return checked

    # --- filters and tests ---

    def _guard(self, name: str, fn: Callable[..., Any], is_filter: bool) -> Callable[..., Any]:
        lead = 1 if getattr(fn, "jinja_pass_arg", None) is not None else 0
        precheck = _PRECHECKS.get(name) if is_filter else None

        @wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            meter = self.meter
            for value in (*args[lead:], *kwargs.values()):
                if type(value) is not str:
                    meter.size(value)
            if name in _SIZED_FILTERS:
                _check_ints(meter, args[lead + 1 :], kwargs)
            if precheck is not None:
                precheck(meter, *args[lead:], **kwargs)
            result = fn(*args, **kwargs)
            meter.size(result)
            return result

        return guarded


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _check_ints(meter: _Meter, args: Sequence[Any], kwargs: Mapping[str, Any]) -> None:
    """Numbers handed to C code are widths, counts and lengths: none beyond the limit."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > meter.limit:
            raise _Refused(f"it passed the number {value:.3g} where a size is expected")


def _check_str_method(
    meter: _Meter, text: str | bytes, name: str, args: Sequence[Any], kwargs: Mapping[str, Any]
) -> None:
    """Estimate the methods whose result can be far longer than the text they run on
    (the padding ones are covered by the bound on their numbers)."""
    n = len(text)
    if name == "expandtabs":
        size = kwargs.get("tabsize", args[0] if args else 8)
        tabs = text.count("\t") if isinstance(text, str) else text.count(b"\t")
        estimate = n + tabs * size if isinstance(size, int) else n
    elif name == "replace" and len(args) >= 2:
        estimate = _replace_estimate(text, args[0], args[1], args[2] if len(args) > 2 else -1)
    elif name == "join" and args:
        items = args[0]
        estimate = sum(meter.size(i) for i in items) + n * len(items)
    elif name == "translate" and args and isinstance(args[0], Mapping):
        widest = max((meter.size(v) for v in args[0].values()), default=1)
        estimate = n * widest
    else:
        return
    meter.check(estimate, f"make a text with {name}()")


def _replace_estimate(text: Any, old: Any, new: Any, count: Any) -> int:
    if not isinstance(old, type(text)) or not isinstance(new, type(text)):
        return len(text)
    hits = len(text) + 1 if not old else text.count(old)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(0, len(new) - len(old))


# --- filters with sizes of their own ------------------------------------------------------


def _pre_replace(meter: _Meter, s: Any, old: Any, new: Any, count: Any = None) -> None:
    text = s if isinstance(s, str) else str(s)
    estimate = _replace_estimate(text, str(old), str(new), -1 if count is None else count)
    meter.check(estimate, "make a text with replace")


def _pre_indent(meter: _Meter, s: Any, width: Any = 4, *args: Any, **kwargs: Any) -> None:
    text = s if isinstance(s, str) else str(s)
    pad = len(width) if isinstance(width, str) else width if isinstance(width, int) else 0
    meter.check(len(text) + (text.count("\n") + 1) * pad, "make a text with indent")


def _pre_wordwrap(
    meter: _Meter,
    s: Any,
    width: Any = 79,
    brk: Any = True,
    wrapstring: Any = None,
    *args: Any,
    **kwargs: Any,
) -> None:
    text = s if isinstance(s, str) else str(s)
    sep = len(wrapstring) if isinstance(wrapstring, str) else 2
    lines = len(text) // max(1, width if isinstance(width, int) else 1) + text.count("\n") + 1
    meter.check(len(text) + lines * sep, "make a text with wordwrap")


def _pre_format(meter: _Meter, value: Any, *args: Any, **kwargs: Any) -> None:
    fmt = value if isinstance(value, str) else str(value)
    meter.check(_percent_estimate(meter, fmt, kwargs or args), "format a text")


def _pre_urlize(meter: _Meter, value: Any, *args: Any, **kwargs: Any) -> None:
    # Its regular expressions run once per word; a prompt has no use for links.
    meter.check(len(str(value)) * 64, "make a text with urlize")


# Filters whose numbers C code turns into sizes (center(n) pads to n characters).
_SIZED_FILTERS = frozenset({"batch", "center", "indent", "slice", "truncate", "wordwrap"})
_PRECHECKS: dict[str, Callable[..., None]] = {
    "replace": _pre_replace,
    "indent": _pre_indent,
    "wordwrap": _pre_wordwrap,
    "format": _pre_format,
    "urlize": _pre_urlize,
}


@pass_eval_context
def _join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> str:
    """Jinja's join, with the items drained and measured in Python first."""
    items = list(value)
    env = eval_ctx.environment
    meter: _Meter = env.meter
    meter.check(sum(meter.size(i) for i in items) + len(str(d)) * len(items), "join a text")
    result: str = jinja2.filters.sync_do_join(eval_ctx, items, d, attribute)
    return result


@pass_environment
def _sum(environment: Any, iterable: Iterable[Any], attribute: Any = None, start: Any = 0) -> Any:
    """Jinja's sum, adding one item at a time through the measured `+`."""
    if attribute is not None:
        iterable = map(jinja2.filters.make_attrgetter(environment, attribute), iterable)
    total = start
    for item in iterable:
        total = environment.call_binop(None, "+", total, item)
    return total


@pass_environment
def _tojson(
    environment: Any,
    value: Any,
    ensure_ascii: bool = False,
    indent: int | str | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    """llama-cpp-python's tojson (Transformers' spelling), with the indent bounded."""
    width = len(indent) if isinstance(indent, str) else indent or 0
    if not 0 <= width <= MAX_INDENT:
        raise _Refused(f"tojson's indent must be at most {MAX_INDENT}, not {width}")
    if separators is not None and sum(len(str(s)) for s in separators) > 2 * MAX_INDENT:
        raise _Refused("tojson's separators are too long")
    meter: _Meter = environment.meter
    factor = 12 if ensure_ascii else 1  # astral characters become two \\uXXXX escapes
    meter.check(meter.size(value, indent=width + 1) * factor, "make a JSON text")
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


# --- watching the render -------------------------------------------------------------------


class _Watch:
    """Stops the running Python code once it passes `seconds` or has made this process
    `memory` bytes larger: `check()` raises _Refused (once) from inside that code.

    On POSIX, in the main thread, a CPU-time interval timer (SIGPROF, every 5 ms) calls
    `check()` from a signal handler, which costs nothing between ticks. Elsewhere (on
    Windows, in other threads) a trace function calls it on every new Python frame:
    Jinja makes a call at least once per loop step, and so does every measured
    operation, but a long chat renders about 2.5 times slower that way.
    """

    def __init__(self, seconds: float, memory: int) -> None:
        self.seconds, self.memory = seconds, memory
        self.deadline = time.monotonic() + seconds
        self._process = psutil.Process()
        self._ceiling = self._process.memory_info().rss + memory
        self._next_sample = 0.0
        self.done = self.fired = False

    def check(self) -> None:
        if self.done or self.fired:
            return
        now = time.monotonic()
        if now > self.deadline:
            self.fired = True
            raise _Refused(f"it ran longer than {round(self.seconds, 1):g} s")
        if now >= self._next_sample:
            self._next_sample = now + _MEMORY_SAMPLE_S
            if self._process.memory_info().rss > self._ceiling:
                self.fired = True
                raise _Refused(f"it used more than {self.memory // 2**20} MB of memory")


_ticking: _Watch | None = None  # the watch the SIGPROF handler serves


def _on_tick(signum: int, frame: FrameType | None) -> None:
    watch = _ticking
    if watch is not None:
        watch.check()


def _can_tick() -> bool:
    if (
        not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        return False
    handler = signal.getsignal(signal.SIGPROF)
    free = handler in (signal.SIG_DFL, signal.SIG_IGN, None, _on_tick)
    return free and signal.getitimer(signal.ITIMER_PROF) == (0.0, 0.0)


@contextlib.contextmanager
def _watched(seconds: float, memory: int) -> Iterator[None]:
    global _ticking
    watch = _Watch(seconds, memory)
    if _can_tick():
        # The handler stays installed afterwards (idle): putting back SIG_DFL could
        # let a tick still on its way end the process.
        signal.signal(signal.SIGPROF, _on_tick)
        _ticking = watch
        signal.setitimer(signal.ITIMER_PROF, _MEMORY_SAMPLE_S, _MEMORY_SAMPLE_S)
        try:
            yield
        finally:
            try:
                watch.done = True  # a tick may still raise once before this line
            finally:
                watch.done = True
                signal.setitimer(signal.ITIMER_PROF, 0, 0)
                _ticking = None
        return

    def tracer(frame: FrameType, event: str, arg: Any) -> None:
        watch.check()

    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        yield
    finally:
        watch.done = True
        sys.settrace(previous)


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
        raise _Refused("strftime_now() takes a short format text")
    return datetime.now().strftime(fmt)


def _raise_exception(message: Any) -> None:
    raise _TemplateRaised(str(message))


class _TemplateRaised(Exception):
    """The template's own `raise_exception(...)`: its message is the reason."""


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
        self._env = _Sandbox()
        self._template: jinja2.Template | None = None
        self.error: str | None = None
        if len(source) > MAX_SOURCE_CHARS:
            self.error = (
                f"{_WHAT} is broken: it is {len(source):,} characters long "
                f"(the limit is {MAX_SOURCE_CHARS:,})"
            )
            return
        try:
            with _watched(time_limit_s, memory_limit):
                self._template = self._env.from_string(source)
        except (Exception, RecursionError) as exc:
            self.error = f"{_WHAT} is broken: {_reason(exc)}"

    def render(self, messages: Sequence[Mapping[str, Any]], **extra: Any) -> str:
        """The prompt for `messages`; raises TemplateError (one line) on any failure."""
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
            **extra,
        }
        with self._lock:
            meter = _Meter(sys.maxsize)
            given = meter.size(variables)  # the messages themselves may be long
            meter.limit = TEXT_LIMIT + 4 * given
            self._env.meter = meter
            try:
                # Long chats take longer: a second more per million characters.
                seconds = self.time_limit_s + given / 1e6
                with _watched(seconds, self.memory_limit + 8 * given):
                    prompt = self._generate(template, variables, meter.limit)
            except _Refused as exc:
                raise TemplateError(f"{_WHAT} was stopped: {exc}") from None
            except (Exception, RecursionError) as exc:  # sandbox refusals, its own errors
                raise TemplateError(f"{_WHAT} failed: {_reason(exc)}") from None
            finally:
                self._env.meter = _Meter(TEXT_LIMIT)  # let go of the measured values
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
                raise _Refused(f"its prompt grew past {limit:,} characters")
            parts.append(chunk)
        return "".join(parts)
