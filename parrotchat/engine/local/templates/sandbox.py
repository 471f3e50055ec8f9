"""The Jinja environment a chat template runs in: llama-cpp-python's (immutable sandbox,
trim_blocks, lstrip_blocks, loop controls, `{% generation %}`, Transformers' tojson),
with every cost bounded.

Jinja's ImmutableSandboxedEnvironment bounds what the template may reach, not what it
may cost. `Sandbox` sends what would otherwise go straight to C code through the size
accounting of template_meter.py: operators, `~`, comparisons, list/tuple/dict literals,
method calls, `str.format`, every filter and test (join, sum and tojson replaced by
measured versions) and every value printed.
"""

from __future__ import annotations

import json
import operator
from collections.abc import Callable, Iterable, Mapping
from functools import wraps
from typing import Any

import jinja2
import jinja2.ext
import jinja2.filters
import jinja2.parser
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame, optimizeconst
from jinja2.exceptions import SecurityError
from jinja2.runtime import Undefined, markup_join, str_join
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import pass_environment, pass_eval_context

from parrotchat.engine.local.templates.meter import (
    PRECHECKS,
    SIZED_FILTERS,
    Meter,
    Refused,
    check_ints,
    check_str_method,
    format_estimate,
    percent_estimate,
)

TEXT_LIMIT = 4 * 2**20  # characters: any one value, and the prompt, beyond the messages' own
MAX_INDENT = 16  # tojson(indent=...)


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


class Sandbox(ImmutableSandboxedEnvironment):
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
        self.meter = Meter(TEXT_LIMIT)
        filters: dict[str, Callable[..., Any]] = dict(self.filters)
        filters.update(join=_join, sum=_sum, tojson=_tojson)
        self.filters = {name: self._guard(name, fn, True) for name, fn in filters.items()}
        tests: dict[str, Any] = {**self.tests}
        self.tests = {name: self._guard(name, fn, False) for name, fn in tests.items()}
        self.filters[_LOOP_ITEMS] = _loop_items  # it makes nothing: no measuring

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        for loop in tree.find_all(nodes.For):
            at = loop.iter.lineno
            loop.iter = nodes.Filter(loop.iter, _LOOP_ITEMS, [], [], None, None, lineno=at)
        return tree

    # --- what llama.cpp's own renderer forgives ---
    # llama.cpp (common/jinja) leaves a variable it has no value for undefined, loops
    # over it zero times and joins it to a text as an empty text. llama-cpp-python
    # passes such variables as None (`tools`, `functions`), on which Jinja raises:
    # real templates (Hermes 2 Pro and 3 tool_use, Command R+ tool_use, firefunction
    # v2) loop over `tools` or add `functions` unconditionally. Forgiving only what
    # would raise keeps every prompt llama-cpp-python renders unchanged.

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
        if operator == "+" and type(left) is str and _absent(right):
            return left  # llama.cpp joins an absent value as an empty text
        if operator == "+" and _absent(left) and type(right) is str:
            return right
        if operator in ("*", "**") and _is_int(left) and _is_int(right):
            if operator == "*":
                bits = left.bit_length() + right.bit_length()
            else:
                bits = right * left.bit_length() if abs(left) > 1 and right > 0 else 0
            if bits > _MAX_INT_BITS:
                raise Refused(f"it tried to compute a number of about {bits:,} bits")
        elif operator == "*":
            seq, times = (left, right) if _is_int(right) else (right, left)
            if _is_int(times) and isinstance(seq, (str, bytes, list, tuple)):
                one = len(seq) if isinstance(seq, (str, bytes)) else meter.size(seq)
                meter.check(one * max(0, times), "repeat a value into one")
        elif operator == "+" and isinstance(left, (str, bytes, list, tuple)):
            meter.check(meter.size(left) + meter.size(right), "join values into one")
        elif operator == "%" and isinstance(left, str):
            meter.check(percent_estimate(meter, left, right), "format a text")
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
            check_ints(meter, args, kwargs)
        if isinstance(owner, (str, bytes)):
            check_str_method(meter, owner, name, args, kwargs)
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
            self.meter.check(format_estimate(self.meter, fmt, positional, named), "format a text")
            result = wrapped(*args, **kwargs)
            self.meter.size(result)
            return result

        return checked

    # --- filters and tests ---

    def _guard(self, name: str, fn: Callable[..., Any], is_filter: bool) -> Callable[..., Any]:
        lead = 1 if getattr(fn, "jinja_pass_arg", None) is not None else 0
        precheck = PRECHECKS.get(name) if is_filter else None

        @wraps(fn)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            meter = self.meter
            for value in (*args[lead:], *kwargs.values()):
                if type(value) is not str:
                    meter.size(value)
            if name in SIZED_FILTERS:
                check_ints(meter, args[lead + 1 :], kwargs)
            if precheck is not None:
                precheck(meter, *args[lead:], **kwargs)
            result = fn(*args, **kwargs)
            meter.size(result)
            return result

        return guarded


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


# A name no template can write (filter names are identifiers): every `{% for %}` loops
# over `VALUE|<loop items>`, put in by Sandbox._parse.
_LOOP_ITEMS = "loop items"


def _loop_items(value: Any) -> Any:
    return () if value is None else value


def _absent(value: Any) -> bool:
    return value is None or isinstance(value, Undefined)


@pass_eval_context
def _join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> str:
    """Jinja's join, with the items drained and measured in Python first."""
    items = list(value)
    env = eval_ctx.environment
    meter: Meter = env.meter
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
        raise Refused(f"tojson's indent must be at most {MAX_INDENT}, not {width}")
    if separators is not None and sum(len(str(s)) for s in separators) > 2 * MAX_INDENT:
        raise Refused("tojson's separators are too long")
    meter: Meter = environment.meter
    factor = 12 if ensure_ascii else 1  # astral characters become two \\uXXXX escapes
    meter.check(meter.size(value, indent=width + 1) * factor, "make a JSON text")
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )
